"""Primary grains inside secondary particles, with crystal orientations.

A polycrystalline secondary particle is tessellated into Voronoi cells of
seeds placed uniformly at random inside it (one seed per mean grain volume
``pi/6 d_grain^3``); a single-crystal particle is one grain. Every grain gets
a unit quaternion ``(w, x, y, z)`` (``w >= 0``): uniformly random on SO(3)
(Shoemake's method, drawn from the caller's Generator), or radially textured
(crystal c-axis along the particle radius, ``radial_c``, or perpendicular to
it with the Li-diffusing ab-planes pointing to the centre, ``radial_ab``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from microcath.errors import InputError

from ._checks import as_rng

__all__ = ["random_quaternions", "tessellate_grains", "quaternion_to_matrix", "TEXTURES"]

TEXTURES = ("random", "radial_c", "radial_ab")


def random_quaternions(n: int, rng: Any = None) -> np.ndarray:
    """``n`` unit quaternions uniform on SO(3) (Shoemake, Graphics Gems III, 1992)."""
    rng = as_rng(rng)
    u1, u2, u3 = rng.uniform(0.0, 1.0, (3, int(n)))
    a, b = np.sqrt(1.0 - u1), np.sqrt(u1)
    q = np.stack([a * np.sin(2 * np.pi * u2), a * np.cos(2 * np.pi * u2),
                  b * np.sin(2 * np.pi * u3), b * np.cos(2 * np.pi * u3)], 1)
    return _canonical(q)


def _canonical(q: np.ndarray) -> np.ndarray:
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    return np.where(q[:, :1] < 0, -q, q)


def _qmul(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    w1, x1, y1, z1 = p.T
    w2, x2, y2, z2 = q.T
    return np.stack([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
                     w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                     w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
                     w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2], 1)


def _axis_angle(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    axis = axis / np.maximum(np.linalg.norm(axis, axis=1, keepdims=True), 1e-300)
    h = 0.5 * angle
    return np.concatenate([np.cos(h)[:, None], np.sin(h)[:, None] * axis], 1)


def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    """Rotation matrices (n, 3, 3) of unit quaternions (w, x, y, z): crystal -> sample frame."""
    w, x, y, z = np.asarray(q, float).T
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], 1)


def _align_z_to(v: np.ndarray) -> np.ndarray:
    """Quaternions of the shortest rotations taking +z onto the unit vectors ``v``."""
    z = np.array([0.0, 0.0, 1.0])
    axis = np.cross(np.broadcast_to(z, v.shape), v)
    s = np.linalg.norm(axis, axis=1)
    ang = np.arctan2(s, v[:, 2])
    axis = np.where(s[:, None] > 1e-12, axis, np.array([1.0, 0.0, 0.0]))
    return _axis_angle(axis, ang)


def textured_quaternions(radial: np.ndarray, texture: str, spread_deg: float,
                         rng: np.random.Generator) -> np.ndarray:
    """Orientations whose crystal c-axis follows ``texture`` relative to unit ``radial`` vectors."""
    n = radial.shape[0]
    if texture == "radial_c":
        c_axis = radial
    else:  # radial_ab: c-axis uniformly in the plane normal to the radius
        t = np.cross(radial, rng.normal(size=(n, 3)))
        c_axis = t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-300)
    spin = _axis_angle(np.tile([0.0, 0.0, 1.0], (n, 1)), rng.uniform(0, 2 * np.pi, n))
    q = _qmul(_align_z_to(c_axis), spin)  # spin about c first, then align c
    if spread_deg > 0:
        tilt = _axis_angle(np.cross(c_axis, rng.normal(size=(n, 3))),
                           np.abs(rng.normal(0.0, math.radians(spread_deg), n)))
        q = _qmul(tilt, q)
    return _canonical(q)


def tessellate_grains(particles: np.ndarray, centres: np.ndarray, *, grain_size: float | None,
                      texture: str = "random", spread_deg: float = 0.0,
                      periodic: tuple[bool, bool, bool] = (False, True, True),
                      rng: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Grain-id volume and orientations for the particles of an id volume.

    Parameters
    ----------
    particles : ndarray of int32
        Particle ids (0 = none), ids ``1..n`` with centres ``centres[id - 1]``.
    centres : ndarray, shape (n, 3)
        Particle centres [voxels].
    grain_size : float or None
        Mean grain (equivalent-sphere) diameter [voxels]; ``None`` = single
        crystal (one grain per particle).
    texture : {"random", "radial_c", "radial_ab"}
    spread_deg : float
        Angular scatter of a radial texture [deg].
    periodic : three bools
        Axes along which particles may wrap.
    rng : int or Generator

    Returns
    -------
    grains : ndarray of int32
        Grain ids ``1..m`` (0 outside particles), numbered particle by particle.
    orientations : ndarray, shape (m, 4)
    """
    if texture not in TEXTURES:
        raise InputError(f"texture: expected one of {TEXTURES}, got {texture!r}")
    if grain_size is not None and not (math.isfinite(grain_size) and grain_size > 0):
        raise InputError(f"grain_size: expected a positive size [voxels] or None, got {grain_size!r}")
    rng = as_rng(rng)
    shape = np.asarray(particles.shape)
    flat = particles.ravel()
    n = centres.shape[0]
    order = np.argsort(flat, kind="stable")
    bounds = np.searchsorted(flat[order], np.arange(n + 2))
    grains = np.zeros(flat.size, np.int32)
    quats: list[np.ndarray] = []
    next_id = 1
    v_grain = None if grain_size is None else math.pi / 6 * grain_size**3
    for pid in range(1, n + 1):
        vox = order[bounds[pid]:bounds[pid + 1]]
        if vox.size == 0:
            continue
        c = centres[pid - 1]
        if v_grain is None:
            k = 1
        else:
            k = max(1, int(round(vox.size / v_grain)))
        if k == 1:
            grains[vox] = next_id
            seeds = c[None, :]
        else:
            xyz = np.stack(np.unravel_index(vox, particles.shape), 1) + 0.5
            for ax in range(3):
                if periodic[ax]:
                    xyz[:, ax] -= shape[ax] * np.round((xyz[:, ax] - c[ax]) / shape[ax])
            pick = rng.choice(vox.size, size=k, replace=False)
            seeds = xyz[np.sort(pick)] + rng.uniform(-0.5, 0.5, (k, 3))
            _, nearest = cKDTree(seeds).query(xyz, workers=-1)
            used, nearest = np.unique(nearest, return_inverse=True)  # drop seeds that won no voxel
            seeds, k = seeds[used], used.size
            grains[vox] = next_id + nearest.astype(np.int32)
        if texture == "random":
            quats.append(random_quaternions(k, rng))
        else:
            radial = seeds - c
            norm = np.linalg.norm(radial, axis=1, keepdims=True)
            rnd = rng.normal(size=radial.shape)
            radial = np.where(norm > 1e-9, radial / np.maximum(norm, 1e-300),
                              rnd / np.linalg.norm(rnd, axis=1, keepdims=True))
            quats.append(textured_quaternions(radial, texture, spread_deg, rng))
        next_id += k
    q = np.concatenate(quats) if quats else np.zeros((0, 4))
    return grains.reshape(particles.shape), q
