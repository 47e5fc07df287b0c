"""Random lattice-animal clusters: the "blob" structures of resistor-network studies.

Ketter et al. (Nat. Commun. 2025, DOSSIER B4) simulate composites whose
dispersed phase is made of small clusters of face-connected voxels. Their
generator, as described in their code's README and docstrings, is:

1. ``n = floor(N * f / s)`` clusters of ``s`` voxels each (``N`` voxels in the
   cube, ``f`` the dispersed fraction);
2. each cluster starts at a uniformly random voxel and grows one voxel at a
   time: a random member and a random one of the six face directions are
   drawn, and the neighbour (wrapped periodically) joins unless it is already
   a member; clusters may overlap each other;
3. single voxels at random empty positions top the dispersed phase up to
   exactly ``round(N * f)`` voxels (overlaps lose some).

This module implements that description (vectorised over clusters), so that
their documented test case can be reproduced with microcath's solver
(``examples/ketter_resistor_network``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from microcath.errors import InputError

from ._checks import as_rng

__all__ = ["random_walk_clusters"]

_DIRECTIONS = np.array([(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)])


def random_walk_clusters(shape: tuple[int, int, int], fraction: float, cluster_size: int,
                         rng: Any = None) -> np.ndarray:
    """Boolean array with ``fraction`` of its voxels in random clusters of ``cluster_size``.

    Parameters
    ----------
    shape : (nx, ny, nz)
        Array shape.
    fraction : float
        Fraction of voxels in the dispersed phase, in [0, 1]; reached exactly
        (to the nearest voxel).
    cluster_size : int
        Voxels per cluster (>= 1); 1 gives a random site mixture.
    rng : numpy Generator, int or None
        Source of randomness (a seed gives the same array on any machine).
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3 or min(shape) < 1:
        raise InputError(f"shape: expected three positive sizes, got {shape}")
    if not 0.0 <= float(fraction) <= 1.0:
        raise InputError(f"fraction: {fraction} is outside [0, 1]")
    s = int(cluster_size)
    if s < 1 or s != cluster_size:
        raise InputError(f"cluster_size: expected a positive whole number of voxels, got {cluster_size}")
    rng = as_rng(rng)
    dims = np.array(shape)
    total = int(np.prod(shape))
    target = int(round(total * float(fraction)))
    out = np.zeros(shape, dtype=bool)
    n = target // s if s > 1 else 0
    if n:
        members = np.empty((n, s, 3), dtype=np.int64)
        members[:, 0] = rng.integers(0, dims, size=(n, 3))
        for k in range(1, s):
            todo = np.arange(n)
            while todo.size:
                pick = rng.integers(0, k, size=todo.size)
                step = _DIRECTIONS[rng.integers(0, 6, size=todo.size)]
                cand = (members[todo, pick] + step) % dims
                fresh = ~(members[todo, :k] == cand[:, None, :]).all(axis=2).any(axis=1)
                members[todo[fresh], k] = cand[fresh]
                todo = todo[~fresh]
        flat = members.reshape(-1, 3)
        out[flat[:, 0], flat[:, 1], flat[:, 2]] = True
    missing = target - int(out.sum())
    if missing > 0:
        empty = np.flatnonzero(~out.ravel())
        out.ravel()[rng.choice(empty, size=missing, replace=False)] = True
    return out
