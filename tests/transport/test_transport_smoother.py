"""The red-black Gauss-Seidel sweep of the conduction multigrid against a numpy reference: the
sweep the smoothing kernel runs in rows of alternating parity (odd sizes included) is the one
that updates each colour all at once from the other colour's values."""

import numpy as np
import pytest


def _faces(shape, rng):
    """Random float32 faces over six decades (x: nx + 1 planes, Dirichlet ends); the wrapping y and
    z faces are 0 (no-flux sides), so odd sizes couple no two voxels of one colour."""
    nx, ny, nz = shape
    gx = (10.0 ** rng.uniform(-3, 3, (nx + 1, ny, nz))).astype(np.float32)
    gy = (10.0 ** rng.uniform(-3, 3, shape)).astype(np.float32)
    gz = (10.0 ** rng.uniform(-3, 3, shape)).astype(np.float32)
    gy[:, 0, :] = 0.0  # face between j = ny - 1 and j = 0
    gz[:, :, 0] = 0.0
    return gx, gy, gz


def _reference_sweep(x, b, gx, gy, gz, first):
    """Colour ``first`` then the other, each colour all at once (its voxels do not couple)."""
    nx, ny, nz = x.shape
    gx, gy, gz = (g.astype(np.float64) for g in (gx, gy, gz))
    gyp = np.roll(gy, -1, axis=1)  # face to j + 1 (wrapping)
    gzp = np.roll(gz, -1, axis=2)
    d = gx[:-1] + gx[1:] + gy + gyp + gz + gzp
    i, j, k = np.indices(x.shape)
    for color in (first, 1 - first):
        xp = np.zeros((nx + 2, ny, nz))
        xp[1:-1] = x
        s = (gx[:-1] * xp[:-2] + gx[1:] * xp[2:] + gy * np.roll(x, 1, axis=1) + gyp * np.roll(x, -1, axis=1)
             + gz * np.roll(x, 1, axis=2) + gzp * np.roll(x, -1, axis=2))
        sel = ((i + j + k) & 1) == color
        x = np.where(sel, (b + s) / d, x)
    return x


@pytest.mark.parametrize("shape", [(9, 6, 7), (16, 5, 8), (3, 4, 5)])
def test_red_black_sweep_matches_numpy(ti_cpu, shape):
    from microcath.gpu_kernels import conduction
    from microcath.gpu_kernels.grid import zeros

    rng = np.random.default_rng(7)
    gx, gy, gz = _faces(shape, rng)
    b0 = rng.standard_normal(shape)
    x0 = rng.standard_normal(shape)

    def dev(a, dt):
        out = zeros(dt, (a.size,))
        out.from_numpy(np.ascontiguousarray(a).ravel())
        return out

    import taichi as ti

    g = [dev(a, ti.f32) for a in (gx, gy, gz)]
    b = dev(b0, ti.f64)
    want = _reference_sweep(_reference_sweep(x0, b0, gx, gy, gz, 0), b0, gx, gy, gz, 1)
    x = dev(x0, ti.f64)
    conduction._smooth(x, b, *g, *shape, 0)  # forward: colour 0 first
    conduction._smooth(x, b, *g, *shape, 1)  # backward: colour 1 first
    np.testing.assert_allclose(x.to_numpy().reshape(shape), want, rtol=1e-12, atol=0)
