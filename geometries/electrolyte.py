"""Solid electrolyte between the active particles, with residual porosity.

``matrix``: every voxel left free becomes electrolyte, then spherical pores
of a chosen diameter are carved out of the electrolyte at random (a Boolean
model restricted to the electrolyte) until the porosity target is met.

``particles``: electrolyte particles of a chosen size distribution (spheres,
centres uniform in the free space, overlapping each other as cold-pressed
sulfide particles deform, clipped by the harder active particles) are added
until the electrolyte fraction is met; what stays free is pore space. The
active:electrolyte particle-size ratio then sets how the electrolyte network
threads between the active particles.
"""

from __future__ import annotations

import math

import numpy as np

from ._fill import fill_to_target
from .distributions import SizeDistribution
from .rasterize import paint_spheres

__all__ = ["carve_pores", "electrolyte_particles"]


def _random_points(cands: np.ndarray, k: int, shape, rng: np.random.Generator) -> np.ndarray:
    pick = cands[rng.integers(0, cands.size, k)]
    return np.stack(np.unravel_index(pick, shape), 1) + rng.uniform(0.0, 1.0, (k, 3))


def carve_pores(electrolyte: np.ndarray, n_pore: int, pore_diameter: float, *, periodic,
                rng: np.random.Generator) -> np.ndarray:
    """Flat indices of ``n_pore`` electrolyte voxels turned into pores (spherical voids)."""
    shape = electrolyte.shape
    flat = electrolyte.ravel()
    cands = np.flatnonzero(flat)
    if n_pore <= 0:
        return np.empty(0, np.int64)
    r = 0.5 * pore_diameter

    def paint(k: int) -> np.ndarray:
        return paint_spheres(shape, _random_points(cands, k, shape, rng), r, periodic=periodic)

    return fill_to_target(flat, paint, n_pore, 4 / 3 * math.pi * r**3, what="porosity")


def electrolyte_particles(free: np.ndarray, n_se: int, size: SizeDistribution, *, periodic,
                          rng: np.random.Generator) -> np.ndarray:
    """Flat indices of ``n_se`` free voxels covered by electrolyte particles."""
    shape = free.shape
    flat = free.ravel()
    cands = np.flatnonzero(flat)
    mean_v = math.pi / 6 * float(np.mean(size.sample(2048, np.random.default_rng(0)) ** 3))

    def paint(k: int) -> np.ndarray:
        d = size.sample(k, rng)
        return paint_spheres(shape, _random_points(cands, k, shape, rng), 0.5 * d, periodic=periodic)

    # a filler asked for the whole free space may leave a few scattered voxels (they stay pores):
    # allow 1e-4 of the box, far inside the generator's 1 % tolerance on every fraction
    return fill_to_target(flat, paint, n_se, mean_v, what="electrolyte", slack=int(1e-4 * free.size))
