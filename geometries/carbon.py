"""Conductive carbon: agglomerates (carbon black) or fibres (VGCF, CNT).

Agglomerates are spheres of a chosen size distribution; fibres are
capsules (cylinders with round ends) of a given diameter and length whose
axes follow an orientation distribution: ``isotropic`` (uniform on the
sphere), ``in_plane`` (uniform in the y-z plane, as in calendered or pressed
electrodes) or aligned with ``x``/``y``/``z`` (with ``spread_deg`` Gaussian
scatter). A fraction ``attach`` of the objects starts on an active-particle
surface (chosen with probability proportional to the particle's surface
area), the rest uniformly in the free space. Objects are added until the
carbon volume fraction is met; carbon only takes voxels not yet claimed by
active material or coatings.
"""

from __future__ import annotations

import math

import numpy as np

from microcath.errors import InputError

from ._fill import fill_to_target
from .distributions import SizeDistribution
from .packing import Packing, random_directions
from .rasterize import paint_capsules, paint_spheres

__all__ = ["place_carbon", "fibre_directions", "ORIENTATIONS"]

ORIENTATIONS = ("isotropic", "in_plane", "x", "y", "z")


def fibre_directions(n: int, orientation: str, spread_deg: float, rng: np.random.Generator) -> np.ndarray:
    """Unit fibre axes following an orientation distribution."""
    if orientation == "isotropic":
        return random_directions(n, rng)
    if orientation == "in_plane":
        phi = rng.uniform(0, 2 * np.pi, n)
        v = np.stack([np.zeros(n), np.cos(phi), np.sin(phi)], 1)
    elif orientation in ("x", "y", "z"):
        v = np.zeros((n, 3))
        v[:, "xyz".index(orientation)] = 1.0
    else:
        raise InputError(f"orientation: expected one of {ORIENTATIONS}, got {orientation!r}")
    if spread_deg > 0:
        v = v + rng.normal(0.0, math.tan(math.radians(spread_deg)), (n, 3))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def _surface_points(packing: Packing, k: int, offset: float, rng: np.random.Generator) -> np.ndarray:
    area = packing.semi_axes[:, 0] * packing.semi_axes[:, 1] + packing.semi_axes[:, 1] ** 2
    p = rng.choice(packing.n, size=k, p=area / area.sum())
    u = random_directions(k, rng)
    a, b = packing.semi_axes[p, 0], packing.semi_axes[p, 1]
    c2 = np.einsum("ij,ij->i", u, packing.polar_axes[p]) ** 2
    r = 1.0 / np.sqrt(c2 / a**2 + (1 - c2) / b**2)
    pts = packing.centres[p] + u * (r + offset)[:, None]
    lo = 0.0
    hi = np.asarray(packing.box)
    if packing.walls:
        pts[:, 0] = np.clip(pts[:, 0], lo, hi[0] - 1e-6)
    return pts, u


def place_carbon(free: np.ndarray, n_carbon: int, *, form: str, size: SizeDistribution | None = None,
                 diameter: float | None = None, length: SizeDistribution | None = None,
                 orientation: str = "isotropic", spread_deg: float = 0.0, attach: float = 0.0,
                 packing: Packing | None = None, shell: float = 0.0, periodic=(False, True, True),
                 rng: np.random.Generator) -> np.ndarray:
    """Flat indices of ``n_carbon`` voxels of ``free`` that become carbon (lengths in voxels)."""
    shape = free.shape
    flat = free.ravel()
    cands = np.flatnonzero(flat)
    if n_carbon <= 0:
        return np.empty(0, np.int64)
    if cands.size == 0:
        raise InputError("carbon: no free voxels left for carbon; lower the active or coating fractions")

    def starts(k: int, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        n_att = int(rng.binomial(k, attach)) if packing is not None and attach > 0 else 0
        pick = cands[rng.integers(0, cands.size, k - n_att)]
        free_pts = np.stack(np.unravel_index(pick, shape), 1) + rng.uniform(0.0, 1.0, (k - n_att, 3))
        if n_att == 0:
            return free_pts, None
        att, normal = _surface_points(packing, n_att, 0.0, rng)
        att = att + normal * (shell + offset[:n_att, None])
        return np.concatenate([att, free_pts]), normal

    if form == "agglomerates":
        mean_v = math.pi / 6 * float(np.mean(size.sample(2048, np.random.default_rng(0)) ** 3))

        def paint(k: int) -> np.ndarray:
            r = 0.5 * size.sample(k, rng)
            pts, _ = starts(k, 0.5 * r)  # attached agglomerates sit half-embedded on the surface
            return paint_spheres(shape, pts, r, periodic=periodic)
    elif form == "fibres":
        mean_l = float(np.mean(length.sample(2048, np.random.default_rng(0))))
        r = 0.5 * diameter
        mean_v = math.pi * r**2 * mean_l + 4 / 3 * math.pi * r**3

        def paint(k: int) -> np.ndarray:
            lengths = length.sample(k, rng)
            pts, normal = starts(k, np.full(k, r))
            axis = fibre_directions(k, orientation, spread_deg, rng)
            if normal is not None:  # attached fibres lie along the surface they start on
                na = normal.shape[0]
                t = axis[:na] - np.einsum("ij,ij->i", axis[:na], normal)[:, None] * normal
                ok = np.linalg.norm(t, axis=1) > 1e-6
                axis[:na][ok] = t[ok] / np.linalg.norm(t[ok], axis=1, keepdims=True)
            p0 = pts - 0.5 * lengths[:, None] * axis
            p1 = pts + 0.5 * lengths[:, None] * axis
            if not periodic[0]:
                p0[:, 0] = np.clip(p0[:, 0], 0, shape[0])
                p1[:, 0] = np.clip(p1[:, 0], 0, shape[0])
            return paint_capsules(shape, p0, p1, r, periodic=periodic)
    else:
        raise InputError(f"carbon.form: expected 'agglomerates' or 'fibres', got {form!r}")
    return fill_to_target(flat, paint, n_carbon, mean_v, what="carbon")
