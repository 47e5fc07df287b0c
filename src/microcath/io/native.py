"""The native single-file format ``.mcath``: HDF5, compressed, lossless.

Layout (format ``microcath``, version 1)::

    /                 attrs: format="microcath", format_version=1,
                             microcath_version, spacing_m (dx, dy, dz),
                             voxel_size_m (cubic voxels only, for older readers),
                             phases (JSON: {label: {name, kind, material}}),
                             coatings (JSON list), provenance (JSON object)
    /labels           uint8 [x, y, z]
    /grains           int32 [x, y, z]        (optional)
    /orientations     float64 [n_grains, 4]  (optional, unit quaternions w, x, y, z)
    /particles        int32 [x, y, z]        (optional)

Volumes are gzip-compressed with the shuffle filter and a Fletcher-32
checksum, so a damaged file is reported instead of read wrongly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..errors import FileFormatError, MicrocathError
from ..phases import PhaseTable
from ..results import jsonable
from .hdf5 import check_metadata, hdf5_errors, read_dataset, write_hdf5_image
from .sniff import hint_for, require_file
from .spacing import read_spacing_attrs, write_spacing_attrs

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "save_native", "read_native", "is_native"]

FORMAT_NAME = "microcath"
FORMAT_VERSION = 1
_VOLUMES = ("labels", "grains", "particles")


def _dataset_opts(shape: tuple[int, ...]) -> dict[str, Any]:
    chunks = tuple(min(s, 64) for s in shape)
    return {"compression": "gzip", "compression_opts": 4, "shuffle": True, "fletcher32": True,
            "chunks": chunks}


def _attr_str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def save_native(ms: Any, path: str | os.PathLike) -> Path:
    """Write a :class:`~microcath.Microstructure` to ``path`` (``.mcath``, atomic)."""
    path = Path(path)

    def fill(f: Any) -> None:
        f.attrs["format"] = FORMAT_NAME
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["microcath_version"] = __version__
        write_spacing_attrs(f.attrs, ms.spacing)
        f.attrs["phases"] = json.dumps(ms.phases.to_dict())
        f.attrs["coatings"] = json.dumps([c.to_dict() for c in ms.coatings])
        f.attrs["provenance"] = json.dumps(jsonable(dict(ms.provenance), arrays=True))
        if ms.film is not None:
            f.attrs["film"] = json.dumps(ms.film.to_dict())
            f.create_dataset("film_faces", data=ms.film.faces, **_dataset_opts(ms.film.faces.shape))
        for name in _VOLUMES:
            vol = getattr(ms, name)
            if vol is not None:
                f.create_dataset(name, data=vol, **_dataset_opts(vol.shape))
        if ms.orientations is not None:
            f.create_dataset("orientations", data=np.asarray(ms.orientations, dtype=np.float64),
                             fletcher32=True)

    write_hdf5_image(path, fill)
    return path


def is_native(path: str | os.PathLike) -> bool:
    """True when ``path`` is an HDF5 file carrying the ``format = "microcath"`` attribute."""
    import h5py

    try:
        if not h5py.is_hdf5(path):
            return False
        with h5py.File(path, "r") as f:
            return _attr_str(f.attrs.get("format", "")) == FORMAT_NAME
    except Exception:  # noqa: BLE001 - a damaged file is not a native one; read_hdf5 says what is wrong
        return False


def read_native(path: str | os.PathLike) -> dict[str, Any]:
    """Read a ``.mcath`` file into the keyword arguments of ``Microstructure``.

    Raises
    ------
    FileFormatError
        Not an HDF5 file, truncated or corrupt (checksum), not a microcath
        file, a newer format version, or missing/garbled metadata.
    """
    import h5py

    path = Path(path)
    require_file(path, ".mcath")
    if not h5py.is_hdf5(path):
        raise FileFormatError(
            f"{path}: not an HDF5 file, so not a .mcath structure (truncated, or another format "
            f"with the wrong suffix){hint_for(path, 'hdf5')}"
        )
    with hdf5_errors(path), h5py.File(path, "r") as f:
        fmt = _attr_str(f.attrs.get("format", ""))
        if fmt != FORMAT_NAME:
            raise FileFormatError(
                f"{path}: an HDF5 file without the microcath format marker; load it as a plain "
                "HDF5 volume (suffix .h5, with phases= and voxel_size=, CLI: microcath import)"
            )
        version = int(f.attrs.get("format_version", 0))
        if version > FORMAT_VERSION or version < 1:
            raise FileFormatError(
                f"{path}: format version {version} is not supported by microcath {__version__} "
                f"(reads version {FORMAT_VERSION}); upgrade microcath"
            )
        if "labels" not in f:
            raise FileFormatError(f"{path}: the file holds no 'labels' volume")
        check_metadata(f, path)
        out: dict[str, Any] = {}
        for name in (*_VOLUMES, "orientations"):
            if name in f:
                out[name] = read_dataset(f, name, path)
        try:
            out["voxel_size"] = read_spacing_attrs(f.attrs)
            if out["voxel_size"] is None:
                raise KeyError("spacing_m")
            out["phases"] = PhaseTable.from_dict(json.loads(_attr_str(f.attrs["phases"])))
            out["coatings"] = tuple(json.loads(_attr_str(f.attrs.get("coatings", "[]"))))
            out["provenance"] = json.loads(_attr_str(f.attrs.get("provenance", "{}")))
            if "film" in f.attrs:
                from ..microstructure import Film

                out["film"] = Film.from_dict(json.loads(_attr_str(f.attrs["film"])),
                                             read_dataset(f, "film_faces", path))
        except (KeyError, ValueError, TypeError) as exc:
            if isinstance(exc, FileFormatError):
                raise FileFormatError(f"{path}: {exc}") from None
            if isinstance(exc, MicrocathError):
                raise FileFormatError(f"{path}: invalid phase table in the file: {exc}") from None
            raise FileFormatError(f"{path}: missing or garbled metadata ({exc})") from None
    return out
