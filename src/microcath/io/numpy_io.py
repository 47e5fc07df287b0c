"""NumPy files: ``.npy`` (one array) and ``.npz`` (labels plus optional metadata arrays).

An ``.npz`` written by microcath holds ``labels`` and, for a structure,
``voxel_size_m``, ``phases_json``, ``grains``, ``particles``, ``orientations``.
Pickles are never loaded.
"""

from __future__ import annotations

import json
import os
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FileFormatError, InputError, first_line
from ..phases import PhaseTable
from .atomic import atomic_path, check_min_size
from .sniff import hint_for, require_file

__all__ = ["read_npy", "write_npy", "read_npz", "write_npz"]


#: what numpy raises on damaged files (a garbled header is parsed as Python: SyntaxError, TokenError;
#: found by the fuzz tests)
_READ_ERRORS = (ValueError, OSError, EOFError, SyntaxError, tokenize.TokenError, TypeError)


def _err(path: Path, exc: Exception, fmt: str = "npy") -> FileFormatError:
    hint = hint_for(path, fmt)
    if hint:  # another format: numpy's own words (e.g. about allow_pickle) would mislead
        return FileFormatError(f"{path}: cannot read it as a NumPy .{fmt} file{hint}")
    return FileFormatError(
        f"{path}: cannot read the file, it is truncated, corrupt or not a NumPy file "
        f"({first_line(exc)})"
    )


def read_npy(path: str | os.PathLike) -> np.ndarray:
    path = Path(path)
    require_file(path, "NumPy")
    try:
        with open(path, "rb") as fh:  # our own handle: closed even when numpy fails half way
            arr = np.load(fh, allow_pickle=False)
    except _READ_ERRORS as exc:
        raise _err(path, exc) from None
    if not isinstance(arr, np.ndarray):
        raise FileFormatError(f"{path}: holds an archive, not a single array; use the .npz suffix")
    return arr


def write_npy(path: str | os.PathLike, array: np.ndarray) -> Path:
    path = Path(path)
    array = np.ascontiguousarray(array)
    with atomic_path(path, need=array.nbytes, verify=check_min_size(array.nbytes)) as tmp, \
            open(tmp, "wb") as fh:
        # header, then the bytes through Python's write: numpy's own writer reports a full disk
        # as "N requested and M written" without an errno (seen on a 2 MB tmpfs)
        np.lib.format.write_array_header_1_0(fh, np.lib.format.header_data_from_array_1_0(array))
        fh.write(array.data)
    return path


def read_npz(path: str | os.PathLike, *, dataset: str | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    path = Path(path)
    require_file(path, "NumPy")
    meta: dict[str, Any] = {}
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            keys = list(z.keys())
            if dataset is None:
                if "labels" in keys:
                    dataset = "labels"
                elif len(keys) == 1:
                    dataset = keys[0]
                else:
                    raise InputError(
                        f"dataset: {path} holds arrays {keys} and none is called 'labels'; "
                        "choose one with dataset= (CLI: --dataset NAME)"
                    )
            if dataset not in keys:
                raise InputError(f"dataset: {path} has no array {dataset!r}; it holds {keys}")
            array = z[dataset]
            if dataset == "labels":
                if "spacing_m" in keys:
                    meta["voxel_size"] = tuple(float(v) for v in np.ravel(z["spacing_m"]))
                elif "voxel_size_m" in keys:
                    meta["voxel_size"] = float(z["voxel_size_m"])
                if "phases_json" in keys:
                    meta["phases"] = PhaseTable.from_dict(json.loads(str(z["phases_json"])))
                for extra in ("grains", "particles", "orientations"):
                    if extra in keys:
                        meta[extra] = z[extra]
    except (*_READ_ERRORS, zipfile.BadZipFile, KeyError, zlib.error) as exc:
        if isinstance(exc, InputError):
            raise
        raise _err(path, exc, "npz") from None
    return array, meta


def write_npz(path: str | os.PathLike, array: np.ndarray, *, ms: Any = None) -> Path:
    path = Path(path)
    arrays: dict[str, np.ndarray] = {"labels": np.ascontiguousarray(array)}
    if ms is not None:
        arrays["spacing_m"] = np.array(ms.spacing, dtype=np.float64)
        if ms.is_cubic:
            arrays["voxel_size_m"] = np.array(ms.spacing[0])
        arrays["phases_json"] = np.array(json.dumps(ms.phases.to_dict()))
        for extra in ("grains", "particles", "orientations"):
            vol = getattr(ms, extra)
            if vol is not None:
                arrays[extra] = np.asarray(vol)
    def verify(tmp: Path) -> None:  # the central directory sits at the end: a truncated zip has none
        with zipfile.ZipFile(tmp) as z:
            if sorted(n.removesuffix(".npy") for n in z.namelist()) != sorted(arrays):
                raise ValueError("the archive does not hold every array")

    need = sum(a.nbytes for a in arrays.values())
    with atomic_path(path, need=need, verify=verify) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path
