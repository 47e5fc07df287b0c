"""Voxel spacing in file metadata: ``spacing_m`` (dx, dy, dz) and the older ``voxel_size_m``.

Files written by microcath carry ``spacing_m`` (three edges [m]) and, for cubic
voxels only, ``voxel_size_m`` as well, so that readers that know one edge keep
working and never read one edge for voxels whose edges differ.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import numpy as np

from ..errors import FileFormatError

__all__ = ["write_spacing_attrs", "read_spacing_attrs"]


def write_spacing_attrs(attrs: MutableMapping, spacing: tuple[float, float, float]) -> None:
    """Store ``spacing`` [m] as ``spacing_m`` (and ``voxel_size_m`` when cubic) in ``attrs``."""
    attrs["spacing_m"] = np.asarray(spacing, dtype=np.float64)
    if spacing[0] == spacing[1] == spacing[2]:
        attrs["voxel_size_m"] = float(spacing[0])


def read_spacing_attrs(attrs: Any) -> tuple[float, float, float] | float | None:
    """``spacing_m`` (three floats) or ``voxel_size_m`` (one) from ``attrs``; None when absent."""
    if "spacing_m" in attrs:
        sp = np.ravel(np.asarray(attrs["spacing_m"], dtype=np.float64))
        if sp.size != 3:
            raise FileFormatError(f"spacing_m: expected three voxel edges [m], found {sp.tolist()}")
        return tuple(float(v) for v in sp)  # type: ignore[return-value]
    if "voxel_size_m" in attrs:
        return float(attrs["voxel_size_m"])
    return None
