"""Checksums of what microcath writes, checked when it reads the file back.

Formats whose structure can be damaged without the damage showing (a flipped bit in an HDF5
chunk index reads as zeros, one in a TIFF directory as other pixels: found by the fuzz tests)
carry a CRC-32 of the decoded content: every dataset of ``.mcath``/``.h5`` files (attribute
``crc32``) and their metadata attributes (``metadata_crc32``), the array and metadata of a
multi-page TIFF (in its JSON description), and every slice of a TIFF folder (in its marker
file). Files from other tools carry none and are read as before.
"""

from __future__ import annotations

import os
import zlib
from typing import Any

import numpy as np

from ..errors import FileFormatError

__all__ = ["crc32", "check_crc32"]


def crc32(*parts: Any) -> int:
    """CRC-32 of arrays (their bytes in C order) and strings, in order; None parts are skipped."""
    c = 0
    for p in parts:
        if p is None:
            continue
        if isinstance(p, str):
            data = p.encode()
        elif isinstance(p, bytes):
            data = p
        else:
            data = np.ascontiguousarray(p).tobytes()
        c = zlib.crc32(data, c)
    return c


def check_crc32(path: str | os.PathLike, what: str, stored: Any, *parts: Any) -> None:
    """Raise FileFormatError when a stored checksum (if any) differs from that of ``parts``."""
    if stored is None:
        return
    try:
        expected = int(stored)
    except (TypeError, ValueError):
        raise FileFormatError(f"{path}: the checksum of {what} is garbled; the file is damaged") from None
    if expected != crc32(*parts):
        raise FileFormatError(
            f"{path}: {what} does not match its checksum; the file is damaged (re-export or re-copy it)"
        )
