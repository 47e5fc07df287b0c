"""What a file is, from its first bytes (magic numbers), whatever its suffix says.

Used by the readers to say "this looks like an HDF5 file; use --format hdf5"
instead of passing on a library's confusing message, and by the overwrite
policy (:mod:`microcath.io.ownership`) to replace only a file of the format
being written.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["MAGIC", "sniff_format", "looks_like", "describe", "hint_for"]

#: First bytes of each format that has a signature (raw and CSV have none).
MAGIC: dict[str, tuple[bytes, ...]] = {
    "hdf5": (b"\x89HDF\r\n\x1a\n",),
    "npy": (b"\x93NUMPY",),
    "npz": (b"PK\x03\x04", b"PK\x05\x06"),
    "tiff": (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
_SAME = {"native": "hdf5", "tiff-folder": "tiff"}
_NAMES = {"hdf5": "an HDF5 file (.h5, or a .mcath structure)", "npy": "a NumPy .npy file",
          "npz": "a zip archive (.npz)", "tiff": "a TIFF image", "png": "a PNG image",
          "vti": "a VTK XML file (.vti)"}


def _head(path: Path, n: int = 256) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError:
        return b""


def sniff_format(path: str | os.PathLike) -> str | None:
    """``hdf5``, ``npy``, ``npz``, ``tiff``, ``png`` or ``vti`` from the first bytes; None if unknown."""
    head = _head(Path(path))
    for fmt, magics in MAGIC.items():
        if any(head.startswith(m) for m in magics):
            return fmt
    if head.lstrip().startswith((b"<?xml", b"<VTKFile")) and b"VTKFile" in head:
        return "vti"
    return None


def describe(fmt: str | None) -> str:
    """Words for a sniffed format (``'an HDF5 file (...)'``), for messages."""
    return _NAMES.get(fmt or "", "a file of unknown kind")


def looks_like(path: str | os.PathLike, fmt: str) -> bool | None:
    """True/False when ``fmt`` has a signature and the file does / does not carry it; None when
    the format has no signature (raw, CSV) or the file is empty."""
    fmt = _SAME.get(fmt, fmt)
    if fmt not in MAGIC and fmt != "vti":
        return None
    if not _head(Path(path), 1):
        return None
    return sniff_format(path) == fmt


def hint_for(path: str | os.PathLike, expected: str) -> str:
    """``'; it looks like an HDF5 file ...: use --format hdf5'`` when the content is another format."""
    got = sniff_format(path)
    if got is None or got == _SAME.get(expected, expected):
        return ""
    fix = {"png": None}.get(got, got)
    use = f"; read it with format={fix!r} (CLI: --format {fix})" if fix else ""
    return f"; it looks like {describe(got)}, not {expected}{use}"


def require_file(path: str | os.PathLike, fmt: str) -> Path:
    """``path`` as a readable regular file, or a clear error (missing, a folder, unreadable)."""
    from ..errors import InputError

    path = Path(path)
    if path.is_dir():
        raise InputError(
            f"path: {str(path)!r} is a folder, not a {fmt} file; give a file, or read a folder of "
            "TIFF slices with format='tiff-folder' (CLI: --format tiff-folder)"
        )
    if not path.is_file():
        raise FileNotFoundError(f"path: no such file {str(path)!r}")
    try:
        with open(path, "rb"):
            pass
    except PermissionError:
        raise InputError(f"path: {str(path)!r} exists but cannot be read (permission denied); "
                         "check its permissions") from None
    return path
