"""Interface areas on a voxel grid without the staircase error (Taichi kernel).

Counting voxel faces overestimates the area of a smooth surface by the factor
``|n_x| + |n_y| + |n_z|`` (1.5 on average over orientations, up to sqrt(3)):
a surface element of area ``dA`` and unit normal ``n`` is cut by ``|n_d| dA``
faces normal to axis ``d``. Weighting every face normal to ``d`` by
``|n_d|`` therefore gives back ``dA`` exactly when the normal is known. The
kernel estimates the normal at each face from a Gaussian-weighted gradient of
the indicator ``chi_a - chi_b`` of the two regions meeting there (a window of
``2 * HALF`` voxels along ``d`` and ``2 * RADIUS + 1`` across, centred on the
face, edge-replicated at the domain boundary). Axis-aligned planes come out
exact, a voxelised sphere within about 1 % for radii of 10 voxels and more.

Unequal voxel edges ``(h0, h1, h2)``: the gradient is estimated in index space
and turned into the physical one (component ``d`` divided by ``h_d``, passed
as the ratios ``h0 / h_d``), and every face normal to ``d`` counts with its
physical area ``A_d`` (passed as ``A_d / h0^2``), so the result is in units of
``h0^2``. Cubic voxels pass ones and give exactly the cubic numbers.

One kernel serves phase-pair areas (``region`` = ``cls`` = phase index) and
per-particle contact areas (``region`` = particle id, ``cls`` = class of the
neighbour voxel): for every face between voxels ``p`` and ``q`` with
``region[p] != region[q]`` it adds the face's weight and a count of one to
``area[region[p] * ncls + cls[q]]`` and to ``area[region[q] * ncls + cls[p]]``
(skipping region 0 when asked).
"""

import numpy as np
import taichi as ti

from .runtime import current_arch, ensure_initialized

__all__ = ["region_contact_areas", "RADIUS", "HALF", "SIGMA"]

RADIUS = 1  # window half-width across the face [voxels]
HALF = 1  # window half-depth along the face normal [voxels]
SIGMA = 0.7  # Gaussian width of the gradient window [voxels]


def _kernel_table(half: int = HALF, radius: int = RADIUS, sigma: float = SIGMA) -> np.ndarray:
    a = np.arange(2 * half) - half + 0.5  # face-centred positions along d
    b = np.arange(2 * radius + 1) - radius
    t2 = a[:, None, None] ** 2 + b[None, :, None] ** 2 + b[None, None, :] ** 2
    return np.exp(-t2 / (2.0 * sigma**2)).astype(np.float32)


@ti.func
def _face_weight(region: ti.template(), x: ti.i32, y: ti.i32, z: ti.i32, d: ti.template(),
                 ra: ti.i32, rb: ti.i32, nx: ti.i32, ny: ti.i32, nz: ti.i32,
                 kern: ti.template(), geom: ti.template()) -> ti.f32:
    g = ti.Vector([0.0, 0.0, 0.0], dt=ti.f32)
    half = kern.shape[0] // 2
    rad = kern.shape[1] // 2
    for a, b, c in ti.ndrange(kern.shape[0], kern.shape[1], kern.shape[2]):
        off = ti.Vector([0, 0, 0])
        off[d] = a - half + 1
        off[(d + 1) % 3] = b - rad
        off[(d + 2) % 3] = c - rad
        xx = ti.min(ti.max(x + off[0], 0), nx - 1)
        yy = ti.min(ti.max(y + off[1], 0), ny - 1)
        zz = ti.min(ti.max(z + off[2], 0), nz - 1)
        r = region[(xx * ny + yy) * nz + zz]
        s = ti.cast(0.0, ti.f32)
        if r == ra:
            s = 1.0
        elif r == rb:
            s = -1.0
        if s != 0.0:
            w = s * kern[a, b, c]
            pos = ti.Vector([0.0, 0.0, 0.0], dt=ti.f32)
            pos[d] = ti.cast(a - half, ti.f32) + 0.5
            pos[(d + 1) % 3] = ti.cast(b - rad, ti.f32)
            pos[(d + 2) % 3] = ti.cast(c - rad, ti.f32)
            g += w * pos
    for e in ti.static(range(3)):
        g[e] *= geom[0, e]  # index-space gradient -> physical (times h0)
    norm = g.norm()
    out = ti.cast(1.0, ti.f32)
    if norm > 1e-12:
        out = norm / (ti.abs(g[0]) + ti.abs(g[1]) + ti.abs(g[2]))
    return out


@ti.kernel
def _region_contact(region: ti.types.ndarray(dtype=ti.i32, ndim=1),
                    cls: ti.types.ndarray(dtype=ti.u8, ndim=1),
                    kern: ti.types.ndarray(dtype=ti.f32, ndim=3),
                    geom: ti.types.ndarray(dtype=ti.f32, ndim=2),
                    area: ti.types.ndarray(dtype=ti.f64, ndim=1),
                    count: ti.types.ndarray(dtype=ti.f64, ndim=1),
                    nx: ti.i32, ny: ti.i32, nz: ti.i32, ncls: ti.i32, skip_zero: ti.i32):
    for row in range(nx * ny):
        x = row // ny
        y = row % ny
        base = row * nz
        for z in range(nz):
            i = base + z
            ra = region[i]
            for d in ti.static(range(3)):
                inside = True
                j = i
                if ti.static(d == 0):
                    inside = x + 1 < nx
                    j = i + ny * nz
                elif ti.static(d == 1):
                    inside = y + 1 < ny
                    j = i + nz
                else:
                    inside = z + 1 < nz
                    j = i + 1
                if inside:
                    rb = region[j]
                    if ra != rb:
                        use_a = skip_zero == 0 or ra != 0
                        use_b = skip_zero == 0 or rb != 0
                        fa = geom[1, d]  # face area / h0^2
                        w = _face_weight(region, x, y, z, d, ra, rb, nx, ny, nz, kern, geom) * fa
                        if use_a:
                            ka = ra * ncls + ti.cast(cls[j], ti.i32)
                            area[ka] += ti.cast(w, ti.f64)
                            count[ka] += ti.cast(fa, ti.f64)
                        if use_b:
                            kb = rb * ncls + ti.cast(cls[i], ti.i32)
                            area[kb] += ti.cast(w, ti.f64)
                            count[kb] += ti.cast(fa, ti.f64)


def _geometry(spacing) -> np.ndarray:
    """(2, 3) float32: ``h0 / h_d`` and ``A_d / h0^2`` (ones for cubic voxels)."""
    h = np.asarray(spacing, dtype=np.float64)
    if h[0] == h[1] == h[2]:
        return np.ones((2, 3), np.float32)
    face = np.array([h[1] * h[2], h[0] * h[2], h[0] * h[1]]) / h[0] ** 2
    return np.stack([h[0] / h, face]).astype(np.float32)


def region_contact_areas(region: np.ndarray, cls: np.ndarray, *, n_regions: int, n_classes: int,
                         skip_zero: bool = False, spacing=(1.0, 1.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    """Staircase-corrected contact area and face count per (region, neighbour class).

    Parameters
    ----------
    region : ndarray of int32, shape (nx, ny, nz)
        Region id ``0..n_regions-1`` of every voxel (phase index or particle id).
    cls : ndarray of uint8, shape (nx, ny, nz)
        Class ``0..n_classes-1`` of every voxel, as seen from a neighbouring region.
    skip_zero : bool
        Do not accumulate for region 0 (e.g. "no particle").
    spacing : 3 floats
        Voxel edges ``(h0, h1, h2)`` (any unit; only their ratios are used).

    Returns
    -------
    area, count : ndarray of float64, shape (n_regions, n_classes)
        ``area[r, c]`` [units of ``h0^2``, corrected] is the area of region ``r``'s
        boundary that faces voxels of class ``c`` in other regions;
        ``count[r, c]`` the raw area of those faces (their number for cubic
        voxels). Faces on the domain boundary are not counted.
    """
    ensure_initialized()
    nx, ny, nz = (int(s) for s in region.shape)
    reg = np.ascontiguousarray(region, dtype=np.int32).reshape(-1)
    cl = np.ascontiguousarray(cls, dtype=np.uint8).reshape(-1)
    area = np.zeros(n_regions * n_classes, dtype=np.float64)
    count = np.zeros(n_regions * n_classes, dtype=np.float64)
    kern = _kernel_table()
    geom = _geometry(spacing)
    if current_arch() in (None, "cpu"):
        _region_contact(reg, cl, kern, geom, area, count, nx, ny, nz, n_classes, int(skip_zero))
    else:  # pragma: no cover - device path
        args = []
        for arr, dt in ((reg, ti.i32), (cl, ti.u8), (kern, ti.f32), (geom, ti.f32), (area, ti.f64),
                        (count, ti.f64)):
            t = ti.ndarray(dt, shape=arr.shape)
            t.from_numpy(arr)
            args.append(t)
        _region_contact(*args, nx, ny, nz, n_classes, int(skip_zero))
        area, count = args[4].to_numpy(), args[5].to_numpy()
    return area.reshape(n_regions, n_classes), count.reshape(n_regions, n_classes)
