"""Conformal shells around particles by Euclidean distance transform.

A shell of thickness ``t`` [voxels] holds the voxels outside the core whose
centres lie within ``t`` of the core surface; the surface sits half a voxel
beyond the centres of the core's boundary voxels, so the criterion is
``EDT <= t + 0.5`` (EDT = distance between voxel centres, from
``scipy.ndimage.distance_transform_edt``). Several shells nest inner to
outer. Periodic axes are handled by wrapping a margin before the transform.
A coating thinner than one voxel is not drawn; the generator records it as a
:class:`microcath.Coating` for transport to treat as an interfacial resistance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import ndimage

__all__ = ["distance_from", "shell_masks"]


def distance_from(core: np.ndarray, *, periodic: Sequence[bool] = (False, True, True),
                  max_distance: float | None = None, return_indices: bool = False):
    """EDT [voxels] of every voxel to the nearest ``core`` voxel (0 inside the core).

    With ``return_indices`` also the flat index of that nearest core voxel
    (in the unpadded volume).
    """
    core = np.asarray(core, bool)
    m = int(math.ceil(max_distance)) + 2 if max_distance is not None else max(core.shape)
    pads = [(min(m, n), min(m, n)) if periodic[ax] else (0, 0) for ax, n in enumerate(core.shape)]
    padded = np.pad(core, pads, mode="wrap") if any(p[0] for p in pads) else core
    if return_indices:
        dist, idx = ndimage.distance_transform_edt(~padded, return_indices=True)
    else:
        dist = ndimage.distance_transform_edt(~padded)
    crop = tuple(slice(p[0], p[0] + n) for p, n in zip(pads, core.shape, strict=True))
    dist = dist[crop]
    if not return_indices:
        return dist
    idx = [(idx[ax][crop] - pads[ax][0]) % core.shape[ax] for ax in range(3)]
    return dist, np.ravel_multi_index(idx, core.shape)


def shell_masks(core: np.ndarray, thicknesses: Sequence[float], *, allowed: np.ndarray | None = None,
                periodic: Sequence[bool] = (False, True, True)) -> list[np.ndarray]:
    """Boolean masks of nested shells (inner first) of the given thicknesses [voxels].

    ``allowed`` limits the shells to those voxels (default: everything
    outside the core).
    """
    total = float(sum(thicknesses))
    dist = distance_from(core, periodic=periodic, max_distance=total + 1)
    free = ~np.asarray(core, bool) if allowed is None else (np.asarray(allowed, bool) & ~core)
    out = []
    inner = 0.0
    for t in thicknesses:
        outer = inner + float(t)
        lo = 0.0 if inner == 0 else inner + 0.5
        out.append(free & (dist > lo) & (dist <= outer + 0.5))
        inner = outer
    return out
