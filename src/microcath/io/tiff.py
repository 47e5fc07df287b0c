"""TIFF volumes: one multi-page file, or a folder of 2-D slices.

Pages and slices run along ``x`` (the through-thickness axis): page ``i`` is
``labels[i, :, :]``. A multi-page file written by microcath carries the voxel
spacing and the phase table in its JSON description, so it reads back alone; a
foreign stack saved by ImageJ/Fiji gives its spacing from the ImageJ metadata
(slice ``spacing`` -> dx, pixel height -> dy, pixel width -> dz, in its
``unit``); a folder of slices holds only the grey values.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FileFormatError, InputError, first_line
from ..phases import PhaseTable
from .atomic import atomic_path
from .checksum import check_crc32, crc32
from .ownership import mark_folder, read_marker
from .sniff import hint_for, require_file

log = logging.getLogger(__name__)

__all__ = ["read_tiff", "write_tiff", "read_tiff_folder", "write_tiff_folder", "TIFF_SUFFIXES"]

TIFF_SUFFIXES = (".tif", ".tiff")
_META_KEY = "microcath"
_CRC_KEY = "microcath_crc32"
# what tifffile raises on damaged files: the fuzz tests found RuntimeError ("incompatible keyframe"),
# ZeroDivisionError and more besides the obvious ones, so any error of its parser is a damaged file
_READ_ERRORS = (Exception,)


@contextlib.contextmanager
def _quiet_tifffile():
    """tifffile logs ERROR lines for damaged files before raising; we raise one clear error instead."""
    logger = logging.getLogger("tifffile")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _tiff_error(path: Path, exc: Exception) -> FileFormatError:
    hint = hint_for(path, "tiff")
    if hint:
        return FileFormatError(f"{path}: cannot read it as a TIFF{hint}")
    return FileFormatError(
        f"{path}: cannot read the TIFF, it is truncated or corrupt ({first_line(exc)})"
    )


def read_tiff(path: str | os.PathLike) -> tuple[np.ndarray, dict[str, Any]]:
    """Read a multi-page TIFF as a volume ``[page, row, column]`` plus microcath metadata."""
    import tifffile

    path = Path(path)
    require_file(path, "TIFF")
    meta: dict[str, Any] = {}
    try:
        with _quiet_tifffile(), tifffile.TiffFile(path) as tif:
            array = tif.asarray()
            shaped = tif.shaped_metadata or ()
            imagej = _imagej_spacing(tif)
    except _READ_ERRORS as exc:
        raise _tiff_error(path, exc) from None
    if shaped and isinstance(shaped[0], dict) and "shape" in shaped[0]:
        expected = tuple(int(n) for n in shaped[0]["shape"])
        if array.shape != expected:
            raise FileFormatError(
                f"{path}: the TIFF is truncated or corrupt: it declares shape {expected} but holds "
                f"{array.shape}"
            )
    if shaped and isinstance(shaped[0], dict) and _CRC_KEY in shaped[0]:
        check_crc32(path, "the image", shaped[0][_CRC_KEY], array, shaped[0].get(_META_KEY))
    elif shaped and isinstance(shaped[0], dict) and _META_KEY in shaped[0]:
        unknown = sorted(set(shaped[0]) - {"shape", "axes", _META_KEY})
        if unknown:  # microcath writes no other key: a damaged name (e.g. of the checksum itself)
            raise FileFormatError(f"{path}: the TIFF description is damaged (unknown keys {unknown}); "
                                  "the file is corrupt")
    if shaped and isinstance(shaped[0], dict) and _META_KEY in shaped[0]:
        try:
            info = json.loads(shaped[0][_META_KEY])
            sp = info.get("spacing_m", info.get("voxel_size_m"))
            meta["voxel_size"] = (tuple(float(v) for v in sp) if isinstance(sp, list)
                                  else float(info["voxel_size_m"]))
            meta["phases"] = PhaseTable.from_dict(info["phases"])
        except (ValueError, KeyError, TypeError) as exc:
            raise FileFormatError(
                f"{path}: garbled microcath metadata in the TIFF description ({exc})"
            ) from None
    if "voxel_size" not in meta and imagej is not None:
        meta["voxel_size"] = imagej
    if array.ndim == 2:
        raise InputError(
            f"{path}: a single 2-D image {array.shape}; a volume needs several pages "
            "(or a folder of slices: pass the folder)"
        )
    if array.ndim == 4 and array.shape[-1] in (3, 4):
        raise InputError(f"{path}: an RGB(A) image stack {array.shape}; labels must be one grey channel")
    return array, meta


def write_tiff(path: str | os.PathLike, array: np.ndarray, *, ms: Any = None) -> Path:
    """Write ``array`` as a multi-page TIFF (zlib-compressed, lossless; atomic)."""
    import tifffile

    path = Path(path)
    metadata: dict[str, Any] = {"axes": "ZYX"}
    if ms is not None:
        info = {"spacing_m": list(ms.spacing), "phases": ms.phases.to_dict()}
        if ms.is_cubic:
            info["voxel_size_m"] = ms.spacing[0]
        metadata[_META_KEY] = json.dumps(info)
    array = np.ascontiguousarray(array)
    metadata[_CRC_KEY] = crc32(array, metadata.get(_META_KEY))

    def verify(tmp: Path) -> None:  # every page's directory is readable and the shape is right
        try:
            with _quiet_tifffile(), tifffile.TiffFile(tmp) as tif:
                shape = tuple(tif.series[0].shape)
        except _READ_ERRORS as exc:
            raise ValueError(f"the TIFF does not read back ({exc})") from None
        if shape != array.shape:
            raise ValueError(f"the TIFF holds shape {shape}, {array.shape} expected")

    with atomic_path(path, need=array.nbytes, verify=verify) as tmp:
        tifffile.imwrite(tmp, array, metadata=metadata, compression="zlib", photometric="minisblack")
    return path


_UNITS_M = {"m": 1.0, "mm": 1e-3, "um": 1e-6, "micron": 1e-6, "microns": 1e-6, "\u00b5m": 1e-6,
             "\u03bcm": 1e-6, "\\u00b5m": 1e-6, "nm": 1e-9}


def _imagej_spacing(tif: Any) -> tuple[float, float, float] | None:
    """(dx, dy, dz) [m] from ImageJ metadata (slice spacing, pixel height, pixel width), or None
    when the stack has none or names no length unit microcath knows."""
    ij = tif.imagej_metadata if tif.is_imagej else None
    if not ij or "unit" not in ij:
        return None
    scale = _UNITS_M.get(str(ij["unit"]).strip().lower())
    if scale is None:
        log.info("ImageJ unit %r not understood; the voxel size must be given", ij["unit"])
        return None
    tags = tif.pages[0].tags

    def pixel(tag: str) -> float | None:
        if tag not in tags:
            return None
        num, den = tags[tag].value
        return den / num if num else None

    width, height = pixel("XResolution"), pixel("YResolution")
    depth = ij.get("spacing")
    if width is None or height is None or depth is None:
        return None
    return (float(depth) * scale, height * scale, width * scale)


def _natural_key(p: Path) -> list[Any]:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", p.name)]


def read_tiff_folder(path: str | os.PathLike) -> np.ndarray:
    """Read a folder of 2-D TIFF slices (natural sort order of names) as ``[slice, row, column]``."""
    import tifffile

    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"path: no such folder {str(path)!r}")
    files = sorted((p for p in path.iterdir() if p.suffix.lower() in TIFF_SUFFIXES and
                    not p.name.startswith(".")), key=_natural_key)
    if not files:
        raise FileFormatError(f"{path}: the folder holds no .tif/.tiff slices")
    crcs = (read_marker(path) or {}).get("slice_crc32")
    if isinstance(crcs, dict) and sorted(crcs) != sorted(p.name for p in files):
        raise FileFormatError(f"{path}: the folder's slices are not those microcath wrote into it "
                              f"({len(files)} found, {len(crcs)} written); the stack is damaged")
    slices = []
    for p in files:
        try:
            with _quiet_tifffile():
                img = tifffile.imread(p)
        except _READ_ERRORS as exc:
            raise _tiff_error(p, exc) from None
        if img.ndim != 2:
            raise FileFormatError(f"{p}: expected a 2-D slice, got shape {img.shape}")
        if slices and (img.shape != slices[0].shape or img.dtype != slices[0].dtype):
            raise FileFormatError(
                f"{p}: slice shape {img.shape} {img.dtype} differs from the first slice "
                f"{files[0].name} {slices[0].shape} {slices[0].dtype}; all slices must match"
            )
        if isinstance(crcs, dict):
            check_crc32(p, "the slice", crcs.get(p.name), img)
        slices.append(img)
    return np.stack(slices, axis=0)


def write_tiff_folder(path: str | os.PathLike, array: np.ndarray, *, prefix: str = "slice_") -> Path:
    """Write ``array[i]`` to ``path/slice_0000.tif``, ... (the folder is replaced atomically)."""
    import tifffile

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"path: {path} exists and is not a folder; a TIFF stack is written as a folder")
    width = max(4, len(str(array.shape[0] - 1)))
    crcs = {}
    with atomic_path(path, directory=True, need=np.asarray(array).nbytes) as tmp:
        for i in range(array.shape[0]):
            name, img = f"{prefix}{i:0{width}d}.tif", np.ascontiguousarray(array[i])
            tifffile.imwrite(tmp / name, img, compression="zlib", photometric="minisblack")
            crcs[name] = crc32(img)
        mark_folder(tmp, "tiff-folder", slice_crc32=crcs)
    return path
