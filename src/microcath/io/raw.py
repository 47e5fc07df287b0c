"""Raw binary volumes: bytes only, so shape, dtype and byte order are given by the user.

The bytes are the array in C order of the given shape ``(nx, ny, nz)``: the
last axis (z) varies fastest, as ``numpy.tofile``/``numpy.fromfile`` do.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, InputError
from .atomic import atomic_path, check_min_size
from .sniff import require_file

__all__ = ["read_raw", "write_raw", "raw_dtype"]

_ORDERS = {"little": "<", "big": ">", "native": "=", "<": "<", ">": ">", "=": "="}


def raw_dtype(dtype: str | np.dtype, byte_order: str = "little") -> np.dtype:
    """numpy dtype with the given byte order (``little``, ``big`` or ``native``)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise InputError(
            f"dtype: {dtype!r} is not a numpy dtype (use e.g. uint8, uint16, int32, float32)"
        ) from None
    if dt.kind not in "biuf":
        raise InputError(f"dtype: {dt} is not a numeric dtype usable for a raw volume")
    order = _ORDERS.get(str(byte_order).lower())
    if order is None:
        raise InputError(f"byte_order: expected 'little', 'big' or 'native', got {byte_order!r}")
    return dt.newbyteorder(order) if dt.itemsize > 1 else dt


def _shape(shape: Sequence[int] | None) -> tuple[int, ...]:
    if shape is None:
        raise InputError(
            "shape: a raw file holds no shape; give it (nx, ny, nz), e.g. shape=(200, 200, 200) "
            "(CLI: --shape 200 200 200) together with dtype and byte_order"
        )
    try:
        out = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise InputError(f"shape: expected three positive integers (nx, ny, nz), got {shape!r}") from None
    if len(out) != 3 or any(s < 1 for s in out):
        raise InputError(f"shape: expected three positive integers (nx, ny, nz), got {shape!r}")
    return out


def read_raw(path: str | os.PathLike, *, shape: Sequence[int] | None, dtype: str | np.dtype | None,
             byte_order: str = "little", offset: int = 0) -> np.ndarray:
    """Read a raw volume of the given shape, dtype and byte order.

    Raises
    ------
    FileFormatError
        If the file size differs from ``offset + prod(shape) * itemsize``.
    """
    path = Path(path)
    shp = _shape(shape)
    if dtype is None:
        raise InputError("dtype: a raw file holds no dtype; give it, e.g. dtype='uint8' (CLI: --dtype)")
    dt = raw_dtype(dtype, byte_order)
    require_file(path, "raw")
    if offset < 0:
        raise InputError(f"offset: expected a number of header bytes >= 0, got {offset}")
    size = path.stat().st_size
    need = offset + int(np.prod(shp)) * dt.itemsize
    if size != need:
        hint = ""
        payload = size - offset
        for cand in ("uint8", "uint16", "int32", "float32"):
            if payload > 0 and payload == int(np.prod(shp)) * np.dtype(cand).itemsize and cand != dt.name:
                hint = f"; the size fits dtype {cand}"
        raise FileFormatError(
            f"{path}: the file has {size} bytes but shape {shp} of {dt.name} "
            f"({dt.itemsize} bytes each){f' after {offset} header bytes' if offset else ''} needs "
            f"{need}; check shape, dtype and offset{hint}"
        )
    from ..memory import available_memory, check_memory

    # before the allocation: the array as stored, plus its uint8 copy as labels
    check_memory(shp, dt.itemsize + (1 if dt.itemsize > 1 else 0), f"reading {path.name}",
                 parameter="shape", available=available_memory(device=False),
                 fix="crop the volume first, or use a machine with more memory")
    data = np.fromfile(path, dtype=dt, offset=offset).reshape(shp)
    return data.astype(dt.newbyteorder("="), copy=False)


def write_raw(path: str | os.PathLike, array: np.ndarray, *, dtype: str | np.dtype | None = None,
              byte_order: str = "little") -> Path:
    """Write ``array`` as raw bytes (C order) in ``dtype`` (default: its own) and byte order (atomic)."""
    path = Path(path)
    array = np.asarray(array)
    dt = raw_dtype(dtype if dtype is not None else array.dtype, byte_order)
    out = array.astype(dt, copy=False)
    if not np.array_equal(out, array):
        raise InputError(f"dtype: the values do not fit {dt.name} (range {array.min()}..{array.max()})")
    with atomic_path(path, need=out.nbytes, verify=check_min_size(out.nbytes)) as tmp:
        with open(tmp, "wb") as fh:  # Python's writes report a full disk as ENOSPC (tofile does not)
            fh.write(np.ascontiguousarray(out).data)
    return path
