"""Plain HDF5 volumes (``.h5``/``.hdf5``): any dataset, selectable by name.

Written files hold the labels in a dataset (``labels`` by default) and, for a
structure, ``grains``/``particles``/``orientations`` datasets plus the root
attributes ``voxel_size_m`` and ``phases`` (JSON), so microcath reads them
back without extra arguments while other tools see a plain array.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FileFormatError, InputError, MicrocathError, first_line
from ..phases import PhaseTable
from .atomic import write_bytes
from .checksum import check_crc32, crc32
from .sniff import hint_for, require_file
from .spacing import read_spacing_attrs, write_spacing_attrs

__all__ = ["read_hdf5", "write_hdf5", "write_hdf5_image", "list_datasets", "read_dataset",
           "check_metadata"]

_META_CRC = "metadata_crc32"


def _metadata_text(f: Any) -> str:
    return "".join(f"{k}={f.attrs[k]!s};" for k in sorted(f.attrs) if k != _META_CRC)


def _stamp(f: Any) -> None:
    """Checksum every dataset (attribute ``crc32``) and the root attributes (see io.checksum)."""
    import h5py

    def visit(_name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset):
            obj.attrs["crc32"] = crc32(obj[()])

    f.visititems(visit)
    f.attrs[_META_CRC] = crc32(_metadata_text(f))


@contextlib.contextmanager
def hdf5_errors(path: Path) -> Iterator[None]:
    """Any error h5py raises on a damaged file (OSError, KeyError, TypeError, ...: found by the fuzz
    tests) becomes one FileFormatError naming ``path``; microcath's own errors pass."""
    try:
        yield
    except MicrocathError:
        raise
    except Exception as exc:  # noqa: BLE001 - every one is a damaged file, named as such
        raise FileFormatError(
            f"{path}: cannot read the file, it is truncated or corrupt ({first_line(exc)})"
        ) from None


def read_dataset(f: Any, name: str, path: Path) -> Any:
    """``f[name][()]``, checked against its ``crc32`` attribute when it has one."""
    ds = f[name]
    value = ds[()]
    check_crc32(path, f"dataset {name!r}", ds.attrs.get("crc32"), value)
    return value


def check_metadata(f: Any, path: Path) -> None:
    """Check the root attributes against ``metadata_crc32`` when the file has one."""
    check_crc32(path, "the metadata", f.attrs.get(_META_CRC), _metadata_text(f))


def list_datasets(f: Any) -> list[tuple[str, tuple[int, ...], str]]:
    """``(name, shape, dtype)`` of every dataset in an open HDF5 file."""
    import h5py

    out: list[tuple[str, tuple[int, ...], str]] = []

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset):
            out.append((name, tuple(obj.shape), str(obj.dtype)))

    f.visititems(visit)
    return out


def _describe(datasets: list[tuple[str, tuple[int, ...], str]]) -> str:
    return ", ".join(f"{n} {s} {d}" for n, s, d in datasets) or "none"


def _pick(f: Any, path: Path, dataset: str | None) -> str:
    datasets = list_datasets(f)
    if dataset is not None:
        if dataset.strip("/") not in {n for n, _, _ in datasets}:
            raise InputError(
                f"dataset: {path} has no dataset {dataset!r}; it holds {_describe(datasets)}"
            )
        return dataset.strip("/")
    names = {n for n, _, _ in datasets}
    if "labels" in names:
        return "labels"
    volumes = [n for n, s, _ in datasets if len(s) == 3]
    if len(volumes) == 1:
        return volumes[0]
    raise InputError(
        f"dataset: {path} holds {len(volumes)} 3-D datasets and none is called 'labels'; choose one "
        f"with dataset= (CLI: --dataset NAME). Datasets: {_describe(datasets)}"
    )


def read_hdf5(path: str | os.PathLike, *, dataset: str | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Read one dataset (and microcath metadata if present) from an HDF5 file.

    Returns
    -------
    array : ndarray
    meta : dict
        ``voxel_size``, ``phases``, ``grains``, ``particles``, ``orientations``
        when the file carries them (only for the ``labels`` dataset).
    """
    import h5py

    path = Path(path)
    require_file(path, "HDF5")
    if not h5py.is_hdf5(path):
        raise FileFormatError(
            f"{path}: not an HDF5 file (truncated, or another format){hint_for(path, 'hdf5')}")
    meta: dict[str, Any] = {}
    with hdf5_errors(path), h5py.File(path, "r") as f:
        try:
            name = _pick(f, path, dataset)
            array = read_dataset(f, name, path)
            if name == "labels":
                check_metadata(f, path)
                sp = read_spacing_attrs(f.attrs)
                if sp is not None:
                    meta["voxel_size"] = sp
                if "phases" in f.attrs:
                    raw = f.attrs["phases"]
                    meta["phases"] = PhaseTable.from_dict(
                        json.loads(raw.decode() if isinstance(raw, bytes) else raw))
                for extra in ("grains", "particles", "orientations"):
                    if extra in f and isinstance(f[extra], h5py.Dataset):
                        meta[extra] = read_dataset(f, extra, path)
        except json.JSONDecodeError as exc:
            raise FileFormatError(f"{path}: the 'phases' attribute is not valid JSON ({exc})") from None
    if not isinstance(array, np.ndarray):
        raise FileFormatError(f"{path}: dataset {name!r} is a scalar, not a volume")
    return array, meta


def _check_hdf5(tmp: Path) -> None:
    import h5py

    if not h5py.is_hdf5(tmp):
        raise ValueError("the written file is not a readable HDF5 file")


def write_hdf5_image(path: str | os.PathLike, fill: Callable[[Any], None]) -> Path:
    """Build an HDF5 file in memory with ``fill(h5py.File)``, then write its bytes atomically.

    HDF5 that runs out of disk space half-way leaves a broken file and an interpreter that
    can crash at exit; built in memory (compressed), the file reaches the disk through one
    plain, checked write instead (see :func:`microcath.io.atomic.write_bytes`).
    """
    import h5py

    with h5py.File(f"microcath-{id(fill)}.h5", "w", driver="core", backing_store=False) as f:
        fill(f)
        _stamp(f)
        f.flush()
        image = f.id.get_file_image()
    return write_bytes(path, image, verify=_check_hdf5)


def write_hdf5(path: str | os.PathLike, array: np.ndarray, *, dataset: str = "labels",
               ms: Any = None) -> Path:
    """Write ``array`` as dataset ``dataset`` (gzip); with ``ms`` also its metadata (atomic)."""
    path = Path(path)

    def fill(f: Any) -> None:
        chunks = tuple(min(s, 64) for s in array.shape) if array.ndim else None
        f.create_dataset(dataset, data=array, compression="gzip", shuffle=True, chunks=chunks)
        if ms is not None:
            write_spacing_attrs(f.attrs, ms.spacing)
            f.attrs["phases"] = json.dumps(ms.phases.to_dict())
            for extra in ("grains", "particles", "orientations"):
                vol = getattr(ms, extra)
                if vol is not None:
                    f.create_dataset(extra, data=vol, compression="gzip")

    write_hdf5_image(path, fill)
    return path
