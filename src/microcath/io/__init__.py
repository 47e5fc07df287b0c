"""Reading and writing microstructures (``microcath.io``).

Formats (chosen from the suffix, or ``format=``):

============  ==============  ================================================
format        suffix          keeps
============  ==============  ================================================
native        ``.mcath``      everything: labels, grains, orientations,
                              particles, phases, coatings, voxel size,
                              provenance (HDF5, compressed, checksummed)
hdf5          ``.h5/.hdf5``   labels (+ grains, particles, orientations,
                              phases, voxel size as attributes)
vti           ``.vti``        labels, grains, particles, phase names, voxel
                              size (VTK image data for ParaView)
tiff          ``.tif/.tiff``  labels, phases, voxel size (multi-page)
tiff-folder   a folder        labels only (one 2-D TIFF per x slice)
npz           ``.npz``        labels (+ grains, particles, orientations,
                              phases, voxel size)
npy           ``.npy``        labels only
raw           ``.raw/.bin``   labels only (shape, dtype, byte order given)
============  ==============  ================================================

Loading a format that does not keep the phase table or voxel size needs
``phases=`` (a spec string such as ``"0=pore,128=NMC811,255=Li6PS5Cl"`` that
also remaps grey values, or a phase table) and ``voxel_size=`` [m]. Every
write is atomic (see :func:`atomic_path`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FileFormatError, InputError
from ..microstructure import Microstructure
from .atomic import atomic_path
from .region import binning, crop, parse_bin, parse_crop
from .remap import as_label_array, closest_mapping, parse_phase_spec, remap_labels, resolve_phases
from .vti import read_vti, vti_path, write_vti

__all__ = [
    "FORMATS",
    "atomic_path",
    "binning",
    "crop",
    "format_of",
    "load",
    "load_example",
    "parse_bin",
    "parse_crop",
    "parse_phase_spec",
    "read_array",
    "read_vti",
    "remap_labels",
    "save",
    "write_array",
    "write_vti",
    "vti_path",
]

log = logging.getLogger(__name__)

FORMATS: dict[str, str] = {
    ".mcath": "native",
    ".h5": "hdf5",
    ".hdf5": "hdf5",
    ".vti": "vti",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".npz": "npz",
    ".npy": "npy",
    ".raw": "raw",
    ".bin": "raw",
}
_NAMES = (*dict.fromkeys(FORMATS.values()), "tiff-folder")


def format_of(path: str | os.PathLike, format: str | None = None) -> str:
    """Format name for ``path``: from ``format=`` if given, else the suffix; a folder is ``tiff-folder``."""
    if format is not None:
        fmt = str(format).lower()
        if fmt not in _NAMES:
            raise InputError(f"format: unknown format {format!r}; expected one of {', '.join(_NAMES)}")
        return fmt
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    if path.is_dir() or suffix == "" or str(path).endswith(os.sep):
        return "tiff-folder"
    raise InputError(
        f"path: cannot tell the format of {str(path)!r} from its suffix {suffix!r}; use one of "
        f"{', '.join(FORMATS)}, a folder of TIFF slices, or pass format="
    )


def save(ms: Microstructure, path: str | os.PathLike, *, format: str | None = None,
         dataset: str = "labels", dtype: str | None = None, byte_order: str = "little") -> Path:
    """Write a structure to ``path`` in the format of its suffix (atomic).

    Parameters
    ----------
    ms : Microstructure
    path : path-like
        Target file (or folder for ``tiff-folder``).
    format : str, optional
        Override the suffix: ``native``, ``hdf5``, ``vti``, ``tiff``,
        ``tiff-folder``, ``npz``, ``npy``, ``raw``.
    dataset : str
        Dataset name for HDF5 files.
    dtype, byte_order : str, optional
        Element type and byte order of raw files (default ``uint8``, little).

    Returns
    -------
    Path
        The path written.
    """
    if not isinstance(ms, Microstructure):
        raise InputError(f"ms: expected a Microstructure, got {type(ms).__name__}")
    fmt = format_of(path, format)
    path = Path(path)
    if fmt == "native":
        from .native import save_native

        return save_native(ms, path)
    if fmt == "vti":
        return write_vti(path, ms)
    if fmt == "hdf5":
        from .hdf5 import write_hdf5

        return write_hdf5(path, ms.labels, dataset=dataset, ms=ms)
    if fmt == "tiff":
        from .tiff import write_tiff

        return write_tiff(path, ms.labels, ms=ms)
    if fmt == "npz":
        from .numpy_io import write_npz

        return write_npz(path, ms.labels, ms=ms)
    log.info("%s keeps only the labels; phases and voxel size must be given again on load", fmt)
    return write_array(path, ms.labels, format=fmt, dtype=dtype, byte_order=byte_order)


def write_array(path: str | os.PathLike, array: np.ndarray, *, format: str | None = None,
                dataset: str = "labels", dtype: str | None = None, byte_order: str = "little") -> Path:
    """Write a bare 3-D array (no metadata) in a plain format (atomic)."""
    fmt = format_of(path, format)
    array = np.asarray(array)
    if array.ndim != 3:
        raise InputError(f"array: expected a 3-D volume (nx, ny, nz), got shape {array.shape}")
    path = Path(path)
    if fmt == "npy":
        from .numpy_io import write_npy

        return write_npy(path, array)
    if fmt == "npz":
        from .numpy_io import write_npz

        return write_npz(path, array)
    if fmt == "raw":
        from .raw import write_raw

        return write_raw(path, array, dtype=dtype, byte_order=byte_order)
    if fmt == "tiff":
        from .tiff import write_tiff

        return write_tiff(path, array)
    if fmt == "tiff-folder":
        from .tiff import write_tiff_folder

        return write_tiff_folder(path, array)
    if fmt == "hdf5":
        from .hdf5 import write_hdf5

        return write_hdf5(path, array, dataset=dataset)
    if fmt == "vti":
        return write_vti(path, fields={dataset: array})
    raise InputError(f"format: {fmt} stores a full structure; use microcath.io.save(ms, path)")


def _read(path: Path, fmt: str, *, dataset: str | None, shape: Sequence[int] | None,
          dtype: str | None, byte_order: str, offset: int) -> tuple[np.ndarray, dict[str, Any]]:
    if fmt == "native":
        from .native import read_native

        meta = read_native(path)
        return meta.pop("labels"), meta
    if fmt == "hdf5":
        from .hdf5 import read_hdf5
        from .native import is_native, read_native

        if dataset is None and is_native(path):
            meta = read_native(path)
            return meta.pop("labels"), meta
        return read_hdf5(path, dataset=dataset)
    if fmt == "vti":
        data = read_vti(path)
        arrays = data["arrays"]
        name = dataset or ("labels" if "labels" in arrays else None)
        if name is None:
            if len(arrays) != 1:
                raise InputError(
                    f"dataset: {path} holds arrays {list(arrays)} and none is called 'labels'; "
                    "choose one with dataset= (CLI: --dataset NAME)"
                )
            name = next(iter(arrays))
        if name not in arrays:
            raise InputError(f"dataset: {path} has no cell array {name!r}; it holds {list(arrays)}")
        meta: dict[str, Any] = {}
        if name == "labels" and "phases" in data:
            meta["phases"] = data["phases"]
            if data["length_unit"] == "m":
                meta["voxel_size"] = tuple(data["spacing"])
            for extra in ("grains", "particles"):
                if extra in arrays:
                    meta[extra] = arrays[extra]
            if "orientations" in data:
                meta["orientations"] = data["orientations"]
            meta["coatings"] = tuple(data["coatings"])
        return arrays[name], meta
    if fmt == "tiff":
        from .tiff import read_tiff

        return read_tiff(path)
    if fmt == "tiff-folder":
        from .tiff import read_tiff_folder

        return read_tiff_folder(path), {}
    if fmt == "npz":
        from .numpy_io import read_npz

        return read_npz(path, dataset=dataset)
    if fmt == "npy":
        from .numpy_io import read_npy

        return read_npy(path), {}
    if fmt == "raw":
        from .raw import read_raw

        return read_raw(path, shape=shape, dtype=dtype, byte_order=byte_order, offset=offset), {}
    raise InputError(f"format: unknown format {fmt!r}")  # pragma: no cover - format_of checks


def read_array(path: str | os.PathLike, *, format: str | None = None, dataset: str | None = None,
               shape: Sequence[int] | None = None, dtype: str | None = None,
               byte_order: str = "little", offset: int = 0) -> np.ndarray:
    """Read the main array of a file as stored (no remapping, no dtype change).

    ``dataset`` picks the dataset of HDF5/npz files or the cell array of a
    ``.vti``; ``shape``, ``dtype``, ``byte_order`` and ``offset`` (header
    bytes) describe raw files.
    """
    path = Path(path)
    fmt = format_of(path, format)
    if not path.exists():
        raise FileNotFoundError(f"path: no such file or folder {str(path)!r}")
    array, _ = _read(path, fmt, dataset=dataset, shape=shape, dtype=dtype, byte_order=byte_order,
                     offset=offset)
    return array


def load(path: str | os.PathLike, *, phases: Any = None, voxel_size: Any = None,
         format: str | None = None, dataset: str | None = None, shape: Sequence[int] | None = None,
         dtype: str | None = None, byte_order: str = "little", offset: int = 0,
         materials: Any = None, crop: Any = None, bin: Any = None, pad: bool = False) -> Microstructure:
    """Read a structure from any supported format.

    Parameters
    ----------
    path : path-like
        File (or folder of TIFF slices).
    phases : str, PhaseTable or mapping, optional
        Needed when the file holds no phase table (npy, raw, TIFF folders,
        foreign TIFF/HDF5/vti). A spec string ``"0=pore,128=NMC811,255=Li6PS5Cl"``
        (or ``{0: "pore", 128: "NMC811"}``) maps grey values to phases and
        remaps them to compact labels 0, 1, 2, ...; a :class:`PhaseTable` or
        ``{label: Phase}`` uses the values as labels. Overrides the file's table.
    voxel_size : float or (float, float, float), optional
        Voxel edge [m], or the spacing ``(dx, dy, dz)`` of a stack whose slice spacing
        differs from its pixel size; needed when the file holds none. Overrides the file's.
    format, dataset, shape, dtype, byte_order, offset
        See :func:`read_array`.
    materials : MaterialLibrary, optional
        Library for the names in a phase spec.
    crop : str or three (start, stop) pairs, optional
        Region of interest in voxels of the file, ``"x0:x1,y0:y1,z0:z1"`` (see
        :func:`microcath.io.crop`), applied first.
    bin : int or (int, int, int), optional
        Binning factor per axis with a majority vote per label (see
        :func:`microcath.io.binning`), applied after the crop and the phase mapping.
    pad : bool
        Let ``bin`` pad an axis that its factor does not divide (else an error).

    Returns
    -------
    Microstructure

    Raises
    ------
    FileFormatError
        Corrupt, truncated or inconsistent files.
    InputError
        Missing ``phases``/``voxel_size``, unmapped grey values, float labels.
    """
    path = Path(path)
    fmt = format_of(path, format)
    if not path.exists():
        raise FileNotFoundError(f"path: no such file or folder {str(path)!r}")
    array, meta = _read(path, fmt, dataset=dataset, shape=shape, dtype=dtype, byte_order=byte_order,
                        offset=offset)
    steps: list[dict[str, Any]] = []
    if crop is not None:
        if np.ndim(array) != 3:
            raise InputError(f"{path.name}: expected a 3-D volume (nx, ny, nz), got shape {np.shape(array)}")
        box = parse_crop(crop, array.shape)
        sl = tuple(slice(lo, hi) for lo, hi in box)
        array = array[sl]
        for extra in ("grains", "particles"):
            if meta.get(extra) is not None:
                meta[extra] = meta[extra][sl]
        if meta.get("grains") is not None and meta.get("orientations") is not None:
            meta["orientations"] = meta["orientations"][: int(np.max(meta["grains"], initial=0))]
        steps.append({"crop": [list(p) for p in box]})
    if phases is not None:
        remap, table = resolve_phases(phases, materials=materials)
        if remap is not None:
            array = remap_labels(array, remap, parameter="phases",
                                 names={k: p.name for k, p in table.items()})
            merged = {table[lab].name: sorted(v for v, lb in remap.items() if lb == lab)
                      for lab in set(remap.values()) if sum(lb == lab for lb in remap.values()) > 1}
            steps.append({"phases": phases if isinstance(phases, str) else
                          {str(k): v for k, v in remap.items()}, **({"merged": merged} if merged else {})})
    elif "phases" in meta:
        table = meta["phases"]
    else:
        raise InputError(
            f"phases: {path.name} ({fmt}) holds no phase table; pass phases= as a spec such as "
            "'0=pore,128=NMC811,255=Li6PS5Cl' (CLI: --phases) or a PhaseTable"
        )
    if voxel_size is None:
        voxel_size = meta.get("voxel_size")
        if voxel_size is None:
            raise InputError(
                f"voxel_size: {path.name} ({fmt}) holds no voxel size; pass voxel_size= in metres, "
                "e.g. microcath.units.um(0.2) (CLI: --voxel-size-um 0.2)"
            )
    labels = as_label_array(array, source=f"{path.name}")
    if labels.ndim != 3:
        raise InputError(f"{path.name}: expected a 3-D volume (nx, ny, nz), got shape {labels.shape}")
    if not (fmt == "native" and phases is None):
        _check_known_labels(labels, table, path.name)
    provenance = dict(meta.get("provenance") or {"imported_from": str(path), "format": fmt})
    if steps:
        provenance["import_steps"] = list(provenance.get("import_steps", [])) + steps
    kwargs = dict(
        labels=labels, voxel_size=voxel_size, phases=table, grains=meta.get("grains"),
        orientations=meta.get("orientations"), particles=meta.get("particles"),
        coatings=tuple(meta.get("coatings", ())), film=meta.get("film"), provenance=provenance,
    )
    if fmt == "native" and phases is None:
        try:
            ms = Microstructure(**kwargs)
        except InputError as exc:
            raise FileFormatError(f"{path}: the file is inconsistent: {exc}") from None
    else:
        ms = Microstructure(**kwargs)
    return ms if bin is None else binning(ms, bin, pad=pad)


def _check_known_labels(labels: np.ndarray, table: Any, source: str) -> None:
    """Values that are not labels of ``table`` -> an error naming them and the closest mapping
    (a label image converted to 0/127/254 against a table of 0/128/255, or of 0/1/2)."""
    from ..phases import PhaseTable

    table = table if isinstance(table, PhaseTable) else PhaseTable(table)
    counts = np.bincount(labels.ravel(), minlength=256)
    unknown = [v for v in np.flatnonzero(counts).tolist() if v not in table]
    if not unknown:
        return
    found = ", ".join(f"{v} ({counts[v]} voxels)" for v in np.flatnonzero(counts).tolist()[:12])
    names = {k: p.name for k, p in table.items()}
    raise InputError(
        f"phases: {source} holds the values {found}, and {unknown} are not labels of its phase table "
        f"({', '.join(f'{k}={n}' for k, n in names.items())}). If the stack was converted from a "
        f"label image, the closest mapping is {closest_mapping(unknown, names)}; give the values "
        "with phases= (CLI: --phases '0=pore,127=NMC811,254=Li6PS5Cl')"
    )


def load_example() -> Microstructure:
    """The small NMC811 / Li6PS5Cl / carbon black / pore structure shipped with microcath."""
    from ..data import example_path

    return load(example_path())
