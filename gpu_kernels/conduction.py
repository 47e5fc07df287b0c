"""Steady conduction ``div(sigma grad phi) = 0`` on a voxel grid: operator, multigrid level, solve.

Discretisation (cell-centred finite volumes, lengths in voxels, ``h = 1``):

* the problem is always solved along axis 0 (the front-end transposes the
  volume so that the transport axis comes first);
* the conductance of the face between voxels ``a`` and ``b`` is
  ``g = 1 / (1/(2 sigma_a) + 1/(2 sigma_b) + R_ab / h)`` [S/m], i.e. the
  harmonic mean of the two conductivities with an optional interfacial
  resistance ``R_ab`` [ohm m^2] in series;
* unequal voxel edges ``(h0, h1, h2)`` (axis 0 the transport axis): the
  conductance of a face normal to axis ``d`` is ``A_d / h_d`` times the above
  with ``h = h_d``; in units of ``A_0 / h0 = h1 h2 / h0`` that is the weight
  ``w_d = (h0 / h_d)^2`` times ``1 / (1/(2 sigma_a) + 1/(2 sigma_b) + (R_ab / h0) (h0 / h_d))``,
  so the flux through the inlet (in those units) still gives
  ``sigma_eff = flux * n0 / (n1 n2)``; cubic voxels have ``w_d = 1`` exactly;
* potential 1 on the face ``x = 0`` and 0 on the face ``x = nx`` (on the
  faces themselves, half a voxel from the first/last centres: conductance
  ``2 sigma``), so a uniform block returns exactly ``sigma``;
* the sides (axes 1 and 2) are no-flux or periodic: the face arrays of those
  axes wrap around, and the wrap face has conductance 0 when no-flux;
* voxels that are insulating or not connected to both electrode faces are
  excluded by giving all their faces conductance 0 (their equation is
  skipped), which keeps the operator SPD.

Storage per level (flat 1-D arrays, C order): ``gx`` (nx+1, ny, nz) with
``gx[i]`` the face between voxels ``i-1`` and ``i`` (``gx[0]``, ``gx[nx]``
the electrode faces); ``gy``, ``gz`` (nx, ny, nz) with ``gy[:, j]`` the face
between ``j-1`` (wrapping) and ``j``.

Coarsening (2x2x2 aggregation, the last coarse cell takes one voxel when a
size is odd): a coarse face conductance is the sum of the fine face
conductances that cross it (the Galerkin operator ``P^T A P`` of
piecewise-constant interpolation, which keeps every thin channel and every
contrast exactly connected) times the ratio of the fine to the coarse
centre-to-centre distance across that face (1/2 for two cells of width 2;
other values next to the 1-voxel cells that odd sizes leave), which makes it
equal to re-discretisation on the coarse grid in a uniform medium.
Restriction sums the residual of the eight children (``P^T``), prolongation
injects (``P``). Smoother: red-black Gauss-Seidel, forward (red, black)
before and backward (black, red) after the coarse correction, so one V-cycle
is symmetric.
"""


import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import taichi as ti

from . import aggregation, krylov
from .grid import cpu_loops
from .grid import zeros as device_zeros
from .multigrid import KCycle, VCycle, build_hierarchy
from .runtime import ensure_initialized, release_host_memory

__all__ = ["ConductionLevel", "ConductionSolution", "IslandCorrection", "IslandTransfer", "solve_conduction",
           "bytes_per_voxel"]

log = logging.getLogger(__name__)

_TI_DTYPES = {"float32": ti.f32, "float64": ti.f64}
#: multigrid cycle of the solve: "v" (symmetric V-cycle, plain CG) or "k" (K-cycle, flexible
#: CG; measured slower on the default composite: docs/transport.md)
CYCLE = "v"
#: smoothing sweeps per V-cycle side (red-black Gauss-Seidel pairs)
NU = 2
#: per level (finest, all coarser) when the island interpolation runs (high island contrast:
#: the electronic problem of carbon in NMC and electrolyte). Default composite, electrons,
#: 64^3 / 128^3 / 256^3: nu = 2 everywhere 34 / 44 / 52 CG iterations, (2, 4) 31 / 39 / 44,
#: (3, 6) 30 / 34 / 39 (the first coarse level's smoothing matters most: (2, 2, 4, 8) gave 44 at
#: 128^3, (2, 8) 37). The ionic problem keeps NU (11 iterations at 128^3 either way).
NU_ISLANDS = (3, 6)
FLEXIBLE = True
#: the levels of the K-cycle that get inner Krylov steps (None: all but the coarsest)
K_LEVELS = None
#: operator-dependent interpolation of strong clusters (IslandTransfer) on every level
ISLAND_INTERPOLATION = True
#: with cut faces (opened interfaces) at island contrast, coarsen into the crack-aware pieces of
#: :mod:`aggregation` (default composite, electrons, 64^3 after contact loss: see docs/transport.md)
CRACK_AWARE = True
#: cycle after contact loss (the crack-aware pieces): "k" (K-cycle, flexible CG) or "v". Default
#: composite, electrons, opened faces of the stress stage, 64^3 / 128^3: V-cycle 46 / 71 CG
#: iterations, K-cycle on node levels 1 and 2 17 / 21 (docs/transport.md, session 8)
CRACK_CYCLE = "k"
#: the node levels that get the K-cycle's inner Krylov steps after contact loss (each shrinks by
#: less than 8x, so Krylov steps on every level multiply the coarse work: all levels took fewer
#: iterations but no less time than the V-cycle at 128^3, level 1 alone about twice the
#: iterations of levels 1 and 2; ``compare_contact_loss.py 128 CRACK_K_LEVELS=...``)
CRACK_K_LEVELS = (1, 2)
#: device bytes per voxel of the node levels (budget, above the measured 27.9 B/voxel)
PIECES_BYTES = 30.0
#: peak bytes per voxel of a solve on the pieces, their host set-up included (the node levels'
#: edge lists and Galerkin sums, freed before CG): 92 / 120 / 98 B/voxel beyond the input at
#: 64^3 / 128^3 / 256^3 for the default composite with 15 wt% carbon, where every voxel conducts
#: (``bench_conductivity.py --carrier electronic --set carbon.fraction=0.15 --set
#: active.fraction=0.559``; 244-264 before the first node level was computed on the grid);
#: fewer conducting voxels need less (S/C/Li3PS4: 43-51 B/voxel)
PIECES_SETUP_BYTES = 130.0
#: ``aggregation`` bound for the node levels below the first of a solve on the pieces without cut
#: faces: a level that keeps more than half its nodes is redone by strongest-neighbour pairing
#: (deep levels of tortuous networks barely shrink by blocks: 58k -> 39k -> 33k nodes for the 15 wt%
#: carbon composite at 128^3, ``profile_conduction.py``). ``bench_conductivity.py`` at 256^3 against
#: 0.9: the 15 wt% carbon composite 22 -> 19 iterations, 54.9 -> 46.0 s; S/C/Li3PS4 with 25 wt% carbon
#: 35 -> 22, 29.3 -> 18.6 s. After contact loss it costs iterations (``compare_contact_loss.py 64
#: DEEP_MIN_REDUCTION=0.5``: 17 -> 23), so the cut faces keep aggregation.DEEP_MIN_REDUCTION
PIECES_DEEP_MIN_REDUCTION = 0.5
#: ``solve_conduction(pieces=None)``: after this many iterations on the 2x2x2 levels, a mean residual
#: reduction per iteration above PROBE_RATE moves the solve onto the strength-split pieces (logged
#: with the rate: coated LiCoO2, electrons, 128^3: 0.77, 89 -> 26 iterations in all; the default
#: composite, VGCF and the electrolytes measured stay well below, docs/transport.md)
PROBE_ITERATIONS = 15
PROBE_RATE = 0.7
#: start from x = 0 instead of the linear profile when the island interpolation or the pieces run
ZERO_GUESS_AT_ISLANDS = True
#: float64 Krylov vectors over float32 faces: the multigrid cycle works on a float32 ``z`` on the
#: finest level too (it reads ``r`` in float64), so its smoothing streams 4 bytes less per vector
#: entry. Default composite, electrons, 128^3 / 256^3: the same 30 / 33 iterations
#: (docs/transport.md, session 9)
F32_PRECONDITIONER = True
#: the same after contact loss (cuts): off, it cost iterations there (compare_contact_loss.py 64:
#: 25 instead of 17)
F32_AFTER_CUTS = False


# --------------------------------------------------------------------------- kernels
# All arrays are flat: voxel (i, j, k) of an (nx, ny, nz) level is entry
# (i * ny + j) * nz + k (``gx`` has nx + 1 planes). CPU loops run in parallel
# over (i, j) and serially (vectorised) along k; GPU loops use one thread per voxel.


@ti.func
def _face_g(lab: ti.template(), sig: ti.template(), rint: ti.template(), ca, cb, w, q):
    """Face conductance (weight ``w = (h0/h_d)^2``, interface-resistance factor ``q = h0/h_d``)."""
    la = ti.cast(lab[ca], ti.i32)
    lb = ti.cast(lab[cb], ti.i32)
    return w * (1.0 / (0.5 / sig[la] + 0.5 / sig[lb] + rint[la, lb] * q))


@ti.func
def _build_one(lab: ti.template(), keep: ti.template(), sig: ti.template(), rint: ti.template(),
               gx: ti.template(), gy: ti.template(), gz: ti.template(), per_y: ti.i32, per_z: ti.i32,
               off: ti.i32, i, j, k, nx, ny, nz, wy, wz, qy, qz):
    # (i, j, k): unknown index; the labels are offset by ``off`` layers along x when the
    # first and last layers are Dirichlet layers (potential fixed at their centres)
    sx = ny * nz
    c = (i * ny + j) * nz + k  # unknown / face index
    cl = c + off * sx  # label index
    kept = keep[cl] != 0
    g = ti.cast(0.0, ti.f64)
    if kept:
        if i > 0 or off != 0:
            if keep[cl - sx] != 0:
                g = _face_g(lab, sig, rint, cl - sx, cl, 1.0, 1.0)
        else:
            g = 2.0 * sig[ti.cast(lab[cl], ti.i32)]
    gx[c] = g
    if i == nx - 1:
        gout = ti.cast(0.0, ti.f64)
        if kept:
            if off != 0:
                if keep[cl + sx] != 0:
                    gout = _face_g(lab, sig, rint, cl, cl + sx, 1.0, 1.0)
            else:
                gout = 2.0 * sig[ti.cast(lab[cl], ti.i32)]
        gx[c + sx] = gout
    jm = ti.select(j == 0, ny - 1, j - 1)
    cjm = cl + (jm - j) * nz
    gyv = ti.cast(0.0, ti.f64)
    if kept and (j > 0 or per_y != 0) and keep[cjm] != 0:
        gyv = _face_g(lab, sig, rint, cjm, cl, wy, qy)
    gy[c] = gyv
    km = ti.select(k == 0, nz - 1, k - 1)
    ckm = cl + (km - k)
    gzv = ti.cast(0.0, ti.f64)
    if kept and (k > 0 or per_z != 0) and keep[ckm] != 0:
        gzv = _face_g(lab, sig, rint, ckm, cl, wz, qz)
    gz[c] = gzv


@ti.kernel
def _build_faces(lab: ti.types.ndarray(ndim=1), keep: ti.types.ndarray(ndim=1), sig: ti.types.ndarray(),
                 rint: ti.types.ndarray(), gx: ti.types.ndarray(ndim=1), gy: ti.types.ndarray(ndim=1),
                 gz: ti.types.ndarray(ndim=1), nx: ti.i32, ny: ti.i32, nz: ti.i32, per_y: ti.i32,
                 per_z: ti.i32, off: ti.i32, wy: ti.f64, wz: ti.f64, qy: ti.f64, qz: ti.f64):
    if ti.static(cpu_loops()):
        for i, j in ti.ndrange(nx, ny):
            for k in range(nz):
                _build_one(lab, keep, sig, rint, gx, gy, gz, per_y, per_z, off, i, j, k, nx, ny, nz,
                           wy, wz, qy, qz)
    else:
        for i, j, k in ti.ndrange(nx, ny, nz):
            _build_one(lab, keep, sig, rint, gx, gy, gz, per_y, per_z, off, i, j, k, nx, ny, nz,
                       wy, wz, qy, qz)


@ti.func
def _neighbours(i, j, k, ny, nz):
    """Flat index of voxel (i, j, k) and of its -y, +y, -z, +z neighbours; the y and z
    sides wrap around (a no-flux side has zero conductance on its wrapping face)."""
    c = (i * ny + j) * nz + k
    cjm = c + (ti.select(j == 0, ny - 1, j - 1) - j) * nz
    cjp = c + (ti.select(j == ny - 1, 0, j + 1) - j) * nz
    ckm = c + (ti.select(k == 0, nz - 1, k - 1) - k)
    ckp = c + (ti.select(k == nz - 1, 0, k + 1) - k)
    return c, cjm, cjp, ckm, ckp


@ti.func
def _stencil(x: ti.template(), gx: ti.template(), gy: ti.template(), gz: ti.template(),
             i, j, k, nx, ny, nz):
    """(diagonal, sum of g * neighbour) of voxel (i, j, k); Dirichlet 0 outside x."""
    sx = ny * nz
    c, cjm, cjp, ckm, ckp = _neighbours(i, j, k, ny, nz)
    gxm = gx[c]
    gxp = gx[c + sx]
    gym = gy[c]
    gyp = gy[cjp]
    gzm = gz[c]
    gzp = gz[ckp]
    # the diagonal in the precision of x (float64 vectors over float32 faces): summed in float32
    # it is off by ~6e-8 relative, which at a carbon cell (faces 1e9 above the matrix) is a
    # residual far above the matrix currents, and CG needed ~1.5x the iterations of the same
    # cycle in float64 (contact loss, 64^3; docs/transport.md)
    d = x[c] * 0 + gxm + gxp + gym + gyp + gzm + gzp
    s = gym * x[cjm] + gyp * x[cjp] + gzm * x[ckm] + gzp * x[ckp]
    if i > 0:
        s += gxm * x[c - sx]
    if i < nx - 1:
        s += gxp * x[c + sx]
    return d, s


@ti.func
def _ax(x: ti.template(), gx: ti.template(), gy: ti.template(), gz: ti.template(), i, j, k, nx, ny, nz):
    """(A x) at voxel (i, j, k) in flux form, sum g (x_c - x_n) (x_n = 0 beyond the electrodes):
    differences of nearly equal potentials are exact in floating point, so high contrasts
    (1e9 and more) do not drown the small fluxes in the round-off of d * x_c - s."""
    sx = ny * nz
    c, cjm, cjp, ckm, ckp = _neighbours(i, j, k, ny, nz)
    xc = x[c]
    xm = xc * 0
    xp = xc * 0
    if i > 0:
        xm = x[c - sx]
    if i < nx - 1:
        xp = x[c + sx]
    return (gx[c] * (xc - xm) + gx[c + sx] * (xc - xp) + gy[c] * (xc - x[cjm]) + gy[cjp] * (xc - x[cjp])
            + gz[c] * (xc - x[ckm]) + gz[ckp] * (xc - x[ckp]))


@ti.func
def _apply_one(x: ti.template(), y: ti.template(), gx: ti.template(), gy: ti.template(), gz: ti.template(),
               i, j, k, nx, ny, nz):
    """y = (A x) at voxel (i, j, k); returns the float64 energy of the faces below the
    voxel (and of the outlet face), sum g (x_a - x_b)^2, so that x.A.x summed over the
    voxels is non-negative whatever the round-off of y."""
    sx = ny * nz
    c = (i * ny + j) * nz + k
    y[c] = _ax(x, gx, gy, gz, i, j, k, nx, ny, nz)
    xc = ti.cast(x[c], ti.f64)
    xm = ti.cast(0.0, ti.f64)
    if i > 0:
        xm = ti.cast(x[c - sx], ti.f64)
    cjm = c + (ti.select(j == 0, ny - 1, j - 1) - j) * nz
    ckm = c + (ti.select(k == 0, nz - 1, k - 1) - k)
    e = (ti.cast(gx[c], ti.f64) * (xc - xm) ** 2
         + ti.cast(gy[c], ti.f64) * (xc - ti.cast(x[cjm], ti.f64)) ** 2
         + ti.cast(gz[c], ti.f64) * (xc - ti.cast(x[ckm], ti.f64)) ** 2)
    if i == nx - 1:
        e += ti.cast(gx[c + sx], ti.f64) * xc * xc
    return e


@ti.kernel
def _apply(x: ti.types.ndarray(ndim=1), y: ti.types.ndarray(ndim=1), gx: ti.types.ndarray(ndim=1),
           gy: ti.types.ndarray(ndim=1), gz: ti.types.ndarray(ndim=1), nx: ti.i32, ny: ti.i32,
           nz: ti.i32) -> ti.f64:
    """y = A x; returns x.A.x in float64 evaluated face by face (always >= 0)."""
    acc = ti.cast(0.0, ti.f64)
    if ti.static(cpu_loops()):
        for i, j in ti.ndrange(nx, ny):
            loc = ti.cast(0.0, ti.f64)
            for k in range(nz):
                loc += _apply_one(x, y, gx, gy, gz, i, j, k, nx, ny, nz)
            acc += loc
    else:
        for i, j, k in ti.ndrange(nx, ny, nz):
            acc += _apply_one(x, y, gx, gy, gz, i, j, k, nx, ny, nz)
    return acc


@ti.func
def _flux64(x: ti.template(), gx: ti.template(), gy: ti.template(), gz: ti.template(), i, j, k, nx, ny, nz):
    """-(A x) at voxel (i, j, k), every product and sum in float64, as the sum of the face
    fluxes into the voxel (potential 0 beyond the electrodes): summed over a set of voxels,
    the fluxes of the faces inside the set cancel exactly."""
    sx = ny * nz
    c, cjm, cjp, ckm, ckp = _neighbours(i, j, k, ny, nz)
    xc = ti.cast(x[c], ti.f64)
    xm = ti.cast(0.0, ti.f64)
    xq = ti.cast(0.0, ti.f64)
    if i > 0:
        xm = ti.cast(x[c - sx], ti.f64)
    if i < nx - 1:
        xq = ti.cast(x[c + sx], ti.f64)
    return (ti.cast(gx[c], ti.f64) * (xm - xc) + ti.cast(gx[c + sx], ti.f64) * (xq - xc)
            + ti.cast(gy[c], ti.f64) * (ti.cast(x[cjm], ti.f64) - xc)
            + ti.cast(gy[cjp], ti.f64) * (ti.cast(x[cjp], ti.f64) - xc)
            + ti.cast(gz[c], ti.f64) * (ti.cast(x[ckm], ti.f64) - xc)
            + ti.cast(gz[ckp], ti.f64) * (ti.cast(x[ckp], ti.f64) - xc))


@ti.func
def _residual_one(x: ti.template(), b: ti.template(), gx: ti.template(), gy: ti.template(),
                  gz: ti.template(), i, j, k, nx, ny, nz):
    """b - A x at voxel (i, j, k) with every product and sum in float64, written as
    flux differences so that the residuals of all voxels sum exactly to inflow - outflow."""
    v = _flux64(x, gx, gy, gz, i, j, k, nx, ny, nz)
    rhs = ti.cast(0.0, ti.f64)
    if i == 0:
        rhs = ti.cast(b[j * nz + k], ti.f64)  # the right-hand side lives on the inlet plane only
    return rhs + v


@ti.kernel
def _residual(x: ti.types.ndarray(ndim=1), b: ti.types.ndarray(ndim=1), r: ti.types.ndarray(ndim=1),
              gx: ti.types.ndarray(ndim=1), gy: ti.types.ndarray(ndim=1), gz: ti.types.ndarray(ndim=1),
              nx: ti.i32, ny: ti.i32, nz: ti.i32) -> ti.f64:
    """r = b - A x evaluated in float64; returns ||r||^2."""
    acc = ti.cast(0.0, ti.f64)
    if ti.static(cpu_loops()):
        for i, j in ti.ndrange(nx, ny):
            loc = ti.cast(0.0, ti.f64)
            for k in range(nz):
                v = _residual_one(x, b, gx, gy, gz, i, j, k, nx, ny, nz)
                r[(i * ny + j) * nz + k] = v
                loc += v * v
            acc += loc
    else:
        for i, j, k in ti.ndrange(nx, ny, nz):
            v = _residual_one(x, b, gx, gy, gz, i, j, k, nx, ny, nz)
            r[(i * ny + j) * nz + k] = v
            acc += v * v
    return acc


@ti.func
def _gs_one(x: ti.template(), b: ti.template(), gx: ti.template(), gy: ti.template(), gz: ti.template(),
            i, j, k, nx, ny, nz):
    d, s = _stencil(x, gx, gy, gz, i, j, k, nx, ny, nz)
    if d > 0:
        c = (i * ny + j) * nz + k
        x[c] = (b[c] + s) / d


@ti.kernel
def _smooth(x: ti.types.ndarray(ndim=1), b: ti.types.ndarray(ndim=1), gx: ti.types.ndarray(ndim=1),
            gy: ti.types.ndarray(ndim=1), gz: ti.types.ndarray(ndim=1), nx: ti.i32, ny: ti.i32,
            nz: ti.i32, first: ti.i32):
    """One red-black Gauss-Seidel sweep, colour ``first`` then the other; each colour pass is a
    top-level loop, so Taichi runs them in order in one launch. The colour is a run-time
    argument and a launch is one sweep (the caller loops): one compiled kernel per vector type
    instead of one per (order, sweep count), which is what the first solve of a process paid
    for (docs/transport.md, start-up)."""
    for half in ti.static(range(2)):
        color = first if half == 0 else 1 - first
        if ti.static(cpu_loops()):
            for i, j in ti.ndrange(nx, ny):
                k0 = (i + j + color) & 1
                for kk in range((nz - k0 + 1) // 2):
                    _gs_one(x, b, gx, gy, gz, i, j, k0 + 2 * kk, nx, ny, nz)
        else:
            for i, j, kk in ti.ndrange(nx, ny, (nz + 1) // 2):
                k = 2 * kk + ((i + j + color) & 1)
                if k < nz:
                    _gs_one(x, b, gx, gy, gz, i, j, k, nx, ny, nz)


@ti.kernel
def _coarse_solve(x: ti.types.ndarray(ndim=1), b: ti.types.ndarray(ndim=1), gx: ti.types.ndarray(ndim=1),
                  gy: ti.types.ndarray(ndim=1), gz: ti.types.ndarray(ndim=1), nx: ti.i32, ny: ti.i32,
                  nz: ti.i32, sweeps: ti.i32):
    """``sweeps`` symmetric (forward then backward lexicographic) Gauss-Seidel sweeps in one
    serial launch: the coarsest level has a few dozen cells, so launches, not flops, cost. One
    loop runs both directions (one copy of the update in the compiled kernel, which is what its
    first call in a process costs: benchmarks/bench_startup.py --kernels)."""
    n = nx * ny * nz
    ti.loop_config(serialize=True)
    for _ in range(sweeps):
        for c2 in range(2 * n):
            c = ti.select(c2 < n, c2, 2 * n - 1 - c2)  # forward, then backward
            _gs_one(x, b, gx, gy, gz, c // (ny * nz), (c // nz) % ny, c % nz, nx, ny, nz)


@ti.func
def _restrict_one(x: ti.template(), b: ti.template(), gx: ti.template(), gy: ti.template(),
                  gz: ti.template(), bc: ti.template(), mask: ti.template(), masked: ti.template(),
                  ci, cj, ck, nx, ny, nz, ncy, ncz):
    acc = ti.cast(0.0, ti.f64)
    for di, dj, dk in ti.static(ti.ndrange(2, 2, 2)):
        i = 2 * ci + di
        j = 2 * cj + dj
        k = 2 * ck + dk
        if i < nx and j < ny and k < nz:
            c = (i * ny + j) * nz + k
            if ti.static(masked):
                if mask[c] == 0:  # island voxels are restricted by their island's weights
                    acc += ti.cast(b[c] - _ax(x, gx, gy, gz, i, j, k, nx, ny, nz), ti.f64)
            else:
                acc += ti.cast(b[c] - _ax(x, gx, gy, gz, i, j, k, nx, ny, nz), ti.f64)
    bc[(ci * ncy + cj) * ncz + ck] = acc


@ti.kernel
def _restrict_residual(x: ti.types.ndarray(ndim=1), b: ti.types.ndarray(ndim=1),
                       gx: ti.types.ndarray(ndim=1), gy: ti.types.ndarray(ndim=1),
                       gz: ti.types.ndarray(ndim=1), bc: ti.types.ndarray(ndim=1), nx: ti.i32, ny: ti.i32,
                       nz: ti.i32, ncx: ti.i32, ncy: ti.i32, ncz: ti.i32, mask: ti.types.ndarray(ndim=1),
                       masked: ti.template()):
    if ti.static(cpu_loops()):
        # a coarse row at a time, its four fine rows one after the other: each fine row is read
        # as one stream (the 2x2x2 cell at a time read eight voxels from four rows at once,
        # ~3x the time of a smoothing half-pass at 256^3; benchmarks/profile_conduction.py --kernels).
        # The rows and the two voxels of a pair are run-time loops: one copy of the stencil in the
        # compiled kernel instead of eight, which took ~0.25 s to load from Taichi's cache per
        # instantiation in every process (benchmarks/bench_startup.py)
        for ci, cj in ti.ndrange(ncx, ncy):
            cb = (ci * ncy + cj) * ncz
            for q in range(4):
                i = 2 * ci + q // 2
                j = 2 * cj + q % 2
                if i < nx and j < ny:  # q = 0 always is
                    _restrict_row(x, b, gx, gy, gz, bc, mask, masked, i, j, cb, q == 0, nx, ny, nz, ncz)
    else:
        for ci, cj, ck in ti.ndrange(ncx, ncy, ncz):
            _restrict_one(x, b, gx, gy, gz, bc, mask, masked, ci, cj, ck, nx, ny, nz, ncy, ncz)


@ti.func
def _restrict_row(x: ti.template(), b: ti.template(), gx: ti.template(), gy: ti.template(),
                  gz: ti.template(), bc: ti.template(), mask: ti.template(), masked: ti.template(),
                  i, j, cb, first, nx, ny, nz, ncz):
    """The residuals of fine row (i, j) summed in pairs along k into the coarse row at ``cb``
    (written when ``first``, added otherwise: the row belongs to this iteration alone)."""
    base = (i * ny + j) * nz
    for ck in range(ncz):
        acc = ti.cast(0.0, ti.f64)
        for dk in range(2):
            k = 2 * ck + dk
            if k < nz:
                c = base + k
                if ti.static(masked):
                    if mask[c] == 0:
                        acc += ti.cast(b[c] - _ax(x, gx, gy, gz, i, j, k, nx, ny, nz), ti.f64)
                else:
                    acc += ti.cast(b[c] - _ax(x, gx, gy, gz, i, j, k, nx, ny, nz), ti.f64)
        prev = bc[cb + ck]
        bc[cb + ck] = acc + ti.select(first, 0.0, prev)  # (never prev * 0: a stale NaN stays NaN)


@ti.func
def _voxel_restrict_one(x: ti.template(), b: ti.template(), gx: ti.template(), gy: ti.template(),
                        gz: ti.template(), vmap: ti.template(), bc: ti.template(), i, j, k, nx, ny, nz):
    c = (i * ny + j) * nz + k
    p = vmap[c]
    if p >= 0:
        ti.atomic_add(bc[p], ti.cast(b[c] - _ax(x, gx, gy, gz, i, j, k, nx, ny, nz), ti.f64))


@ti.kernel
def _voxel_restrict(x: ti.types.ndarray(ndim=1), b: ti.types.ndarray(ndim=1), gx: ti.types.ndarray(ndim=1),
                    gy: ti.types.ndarray(ndim=1), gz: ti.types.ndarray(ndim=1),
                    vmap: ti.types.ndarray(ndim=1), bc: ti.types.ndarray(ndim=1), nx: ti.i32, ny: ti.i32,
                    nz: ti.i32):
    """bc += P^T (b - A x) onto the pieces of :mod:`aggregation` (``vmap``: piece of every
    voxel, -1 for none; ``bc`` float64 and zeroed by the caller)."""
    if ti.static(cpu_loops()):
        for i, j in ti.ndrange(nx, ny):
            for k in range(nz):
                _voxel_restrict_one(x, b, gx, gy, gz, vmap, bc, i, j, k, nx, ny, nz)
    else:
        for i, j, k in ti.ndrange(nx, ny, nz):
            _voxel_restrict_one(x, b, gx, gy, gz, vmap, bc, i, j, k, nx, ny, nz)


@ti.kernel
def _voxel_prolong(xc: ti.types.ndarray(ndim=1), x: ti.types.ndarray(ndim=1), vmap: ti.types.ndarray(ndim=1),
                   n: ti.i32):
    """x += P xc: every voxel of a piece takes the piece's value."""
    for c in range(n):
        p = vmap[c]
        if p >= 0:
            x[c] = x[c] + xc[p]  # not +=: see _prolong_add


@ti.kernel
def _prolong_add(xc: ti.types.ndarray(ndim=1), x: ti.types.ndarray(ndim=1), nx: ti.i32, ny: ti.i32,
                 nz: ti.i32, ncy: ti.i32, ncz: ti.i32, mask: ti.types.ndarray(ndim=1), masked: ti.template()):
    """x += P xc (piecewise constant over 2x2x2 cells; island voxels of the mask are left to
    :func:`_island_prolong`). Written ``x[c] = x[c] + v``: in Taichi ``x[c] += v`` is an atomic
    add, which the CPU backend runs as a compare-and-swap loop wherever it cannot prove the index
    is the iteration's own (here: computed from the loop indices); each voxel is written by one
    iteration only (``benchmarks/bench_taichi_cpu.py``: nested ``+=`` ~46 ms at 256^3, the plain
    update ~3 ms, like a flat loop whose atomics Taichi demotes; docs/transport.md)."""
    if ti.static(cpu_loops()):
        for i, j in ti.ndrange(nx, ny):
            base = (i * ny + j) * nz
            cbase = ((i // 2) * ncy + j // 2) * ncz
            for k in range(nz):
                if ti.static(masked):
                    if mask[base + k] == 0:
                        x[base + k] = x[base + k] + xc[cbase + k // 2]
                else:
                    x[base + k] = x[base + k] + xc[cbase + k // 2]
    else:
        for i, j, k in ti.ndrange(nx, ny, nz):
            c = (i * ny + j) * nz + k
            if ti.static(masked):
                if mask[c] == 0:
                    x[c] = x[c] + xc[((i // 2) * ncy + j // 2) * ncz + k // 2]
            else:
                x[c] = x[c] + xc[((i // 2) * ncy + j // 2) * ncz + k // 2]


@ti.kernel
def _island_faces(idx: ti.types.ndarray(ndim=1), gx: ti.types.ndarray(ndim=1), gy: ti.types.ndarray(ndim=1),
                  gz: ti.types.ndarray(ndim=1), fg: ti.types.ndarray(ndim=1), fn: ti.types.ndarray(ndim=1),
                  nx: ti.i32, ny: ti.i32, nz: ti.i32):
    """Conductance and neighbour (-1: inlet, -2: outlet) of the six faces of every island voxel."""
    sx = ny * nz
    for t in range(idx.shape[0]):
        c0 = idx[t]
        i = c0 // sx
        c, cjm, cjp, ckm, ckp = _neighbours(i, (c0 // nz) % ny, c0 % nz, ny, nz)
        fg[6 * t + 0] = ti.cast(gx[c], ti.f64)
        fn[6 * t + 0] = ti.select(i > 0, c - sx, -1)
        fg[6 * t + 1] = ti.cast(gx[c + sx], ti.f64)
        fn[6 * t + 1] = ti.select(i < nx - 1, c + sx, -2)
        fg[6 * t + 2] = ti.cast(gy[c], ti.f64)
        fn[6 * t + 2] = cjm
        fg[6 * t + 3] = ti.cast(gy[cjp], ti.f64)
        fn[6 * t + 3] = cjp
        fg[6 * t + 4] = ti.cast(gz[c], ti.f64)
        fn[6 * t + 4] = ckm
        fg[6 * t + 5] = ti.cast(gz[ckp], ti.f64)
        fn[6 * t + 5] = ckp


@ti.func
def _cluster_residuals(x: ti.template(), b: ti.template(), idx: ti.template(), cid: ti.template(),
                       s: ti.template(), gx: ti.template(), gy: ti.template(), gz: ti.template(), nx, ny, nz,
                       zero):
    """s[m] = sum of (b - A x) over the cells of cluster m (float64 atomic adds); called at the
    top level of a kernel, so both loops stay parallel top-level loops, run in order. ``zero``
    (run time): x is 0, so the sums are those of b alone -- the same numbers (the fluxes of x = 0
    are exactly 0) without the scattered reads of x and the six faces around every island voxel."""
    for m in range(s.shape[0]):
        s[m] = 0.0
    for t in range(idx.shape[0]):
        c = idx[t]
        v = ti.cast(b[c], ti.f64)
        if not zero:
            v += _flux64(x, gx, gy, gz, c // (ny * nz), (c // nz) % ny, c % nz, nx, ny, nz)
        s[cid[t]] += v


@ti.kernel
def _island_restrict(x: ti.types.ndarray(ndim=1), b: ti.types.ndarray(ndim=1), gx: ti.types.ndarray(ndim=1),
                     gy: ti.types.ndarray(ndim=1), gz: ti.types.ndarray(ndim=1), bc: ti.types.ndarray(ndim=1),
                     idx: ti.types.ndarray(ndim=1), cid: ti.types.ndarray(ndim=1),
                     pa: ti.types.ndarray(ndim=1), pi: ti.types.ndarray(ndim=1), pw: ti.types.ndarray(ndim=1),
                     s: ti.types.ndarray(ndim=1), nx: ti.i32, ny: ti.i32, nz: ti.i32):
    """bc += (island part of P^T) (b - A x): the residual summed over each island, times the
    island's interpolation weight of every coarse cell next to it."""
    _cluster_residuals(x, b, idx, cid, s, gx, gy, gz, nx, ny, nz, 0)
    for q in range(pa.shape[0]):
        bc[pi[q]] += pw[q] * s[pa[q]]


@ti.kernel
def _island_prolong(xc: ti.types.ndarray(ndim=1), x: ti.types.ndarray(ndim=1), idx: ti.types.ndarray(ndim=1),
                    cid: ti.types.ndarray(ndim=1), pa: ti.types.ndarray(ndim=1), pi: ti.types.ndarray(ndim=1),
                    pw: ti.types.ndarray(ndim=1), s: ti.types.ndarray(ndim=1)):
    """x += (island part of P) xc: every island voxel gets the conductance-weighted mean of
    the coarse values next to its island (the island floats at its neighbours' mean)."""
    for m in range(s.shape[0]):
        s[m] = 0.0
    for q in range(pa.shape[0]):
        s[pa[q]] += pw[q] * ti.cast(xc[pi[q]], ti.f64)
    for t in range(idx.shape[0]):  # island voxels are distinct: a plain update (see _prolong_add)
        x[idx[t]] = x[idx[t]] + s[cid[t]]


@ti.kernel
def _island_setup(u: ti.types.ndarray(ndim=1), idx: ti.types.ndarray(ndim=1), cid: ti.types.ndarray(ndim=1),
                  inv_e: ti.types.ndarray(ndim=1), gx: ti.types.ndarray(ndim=1), gy: ti.types.ndarray(ndim=1),
                  gz: ti.types.ndarray(ndim=1), nx: ti.i32, ny: ti.i32, nz: ti.i32):
    """inv_e[m] = 1 / (Z^T A Z)_mm for the cluster indicators Z. With u = 1 on every island
    voxel (distinct clusters share no face), sum_{i in m} (A u)_i is the conductance of the
    faces leaving cluster m, electrode faces included."""
    for c in range(u.shape[0]):
        u[c] = 0
    for t in range(idx.shape[0]):
        u[idx[t]] = 1
    for m in range(inv_e.shape[0]):
        inv_e[m] = 0.0
    for t in range(idx.shape[0]):
        c = idx[t]
        inv_e[cid[t]] -= _flux64(u, gx, gy, gz, c // (ny * nz), (c // nz) % ny, c % nz, nx, ny, nz)
    for m in range(inv_e.shape[0]):
        e = inv_e[m]
        inv_e[m] = ti.select(e > 0, 1.0 / e, 0.0)


@ti.kernel
def _island_correct(x: ti.types.ndarray(ndim=1), b: ti.types.ndarray(ndim=1), idx: ti.types.ndarray(ndim=1),
                    cid: ti.types.ndarray(ndim=1), inv_e: ti.types.ndarray(ndim=1),
                    s: ti.types.ndarray(ndim=1), gx: ti.types.ndarray(ndim=1), gy: ti.types.ndarray(ndim=1),
                    gz: ti.types.ndarray(ndim=1), nx: ti.i32, ny: ti.i32, nz: ti.i32, zero: ti.i32):
    """x += Z (Z^T A Z)^{-1} Z^T (b - A x): the residual summed over each cluster (atomic adds
    into the cluster-sized ``s``, float64) divided by the cluster's outgoing conductance,
    added uniformly to the cluster. Top-level loops run in order within the launch. ``zero``:
    x is 0 on entry (see :func:`_cluster_residuals`)."""
    _cluster_residuals(x, b, idx, cid, s, gx, gy, gz, nx, ny, nz, zero)
    for t in range(idx.shape[0]):
        m = cid[t]
        x[idx[t]] = x[idx[t]] + s[m] * inv_e[m]  # distinct voxels: not an atomic += (_prolong_add)


ISLAND_MAX_VOXELS = 8
#: entries of (face, conductance) lists that ``IslandTransfer.add_coarse_faces`` holds before it
#: sums them into the coarse faces (16 B each: 128 MiB)
FACE_STEPS_CHUNK = 1 << 23
COARSE_TRANSFER = True
COARSE_CORRECTION = True


def _strong_clusters(level, thr: float, periodic):
    """Clusters of cells joined by faces of conductance above ``thr`` that do not reach both
    electrode layers: the islands of a coarse level, as (flat indices, cluster, count)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    nx, ny, nz = level.shape
    n = nx * ny * nz
    ids = np.arange(n).reshape(nx, ny, nz)
    gx = level.gx.to_numpy().reshape(nx + 1, ny, nz)[1:-1]
    gy = level.gy.to_numpy().reshape(nx, ny, nz)
    gz = level.gz.to_numpy().reshape(nx, ny, nz)
    ra, rb = [], []
    for g, a, b in ((gx, ids[:-1], ids[1:]), (gy, np.roll(ids, 1, 1), ids), (gz, np.roll(ids, 1, 2), ids)):
        m = g > thr
        ra.append(a[m])
        rb.append(b[m])
    ra, rb = np.concatenate(ra), np.concatenate(rb)
    if ra.size == 0:
        return None
    nodes = np.unique(np.concatenate([ra, rb]))
    loc = np.searchsorted(nodes, ra), np.searchsorted(nodes, rb)
    graph = coo_matrix((np.ones(ra.size), loc), shape=(nodes.size, nodes.size))
    nc, lab = connected_components(graph, directed=False)
    layer = nodes // (ny * nz)
    first = np.zeros(nc, bool)
    last = np.zeros(nc, bool)
    first[lab[layer == 0]] = True
    last[lab[layer == nx - 1]] = True
    island = ~(first & last)
    if not island.any():
        return None
    t = island[lab]
    new_id = np.cumsum(island) - 1
    idx, cid, n_isl = nodes[t], new_id[lab[t]], int(island.sum())
    # 1 / (Z^T A Z)_mm: every face with exactly one side in cluster m (clusters of a coarse
    # level may touch through weak faces, which count for both), electrode faces included
    owner = np.full(n, -1, np.int64)
    owner[idx] = cid
    e = np.zeros(n_isl)
    gxa = level.gx.to_numpy().reshape(nx + 1, ny, nz).astype(np.float64)
    pairs = ((gxa[1:-1], ids[:-1], ids[1:]), (gy.astype(np.float64), np.roll(ids, 1, 1), ids),
             (gz.astype(np.float64), np.roll(ids, 1, 2), ids))
    for g, a, b in pairs:
        oa, ob, gv = owner[a.ravel()], owner[b.ravel()], g.ravel()
        m = (oa != ob) & (gv > 0)
        np.add.at(e, oa[m & (oa >= 0)], gv[m & (oa >= 0)])
        np.add.at(e, ob[m & (ob >= 0)], gv[m & (ob >= 0)])
    for plane, layer in ((gxa[0], 0), (gxa[-1], nx - 1)):
        o = owner[ids[layer].ravel()]
        np.add.at(e, o[o >= 0], plane.ravel()[o >= 0])
    inv_e = np.where(e > 0, 1.0 / np.where(e > 0, e, 1.0), 0.0)
    return idx.astype(np.int32), cid.astype(np.int32), n_isl, inv_e


def _interpolated_islands(islands, shape):
    """The islands small enough for :class:`IslandTransfer` (at most ``ISLAND_MAX_VOXELS``
    voxels); larger ones stay in the plain aggregates, which represent their internal modes."""
    idx, cid, n = islands
    size = np.bincount(cid, minlength=n)
    small = size <= ISLAND_MAX_VOXELS
    if not small.any():
        return None
    t = small[cid]
    new_id = np.cumsum(small) - 1
    return idx[t], new_id[cid[t]].astype(np.int32), int(small.sum())


_DUMMY = []


def _DUMMY_MASK():
    """A 1-entry mask passed where a kernel's ``masked`` flag is off (never read)."""
    if not _DUMMY:
        _DUMMY.append(device_zeros(ti.u8, (1,)))
    return _DUMMY[0]


class IslandTransfer:
    """Operator-dependent interpolation of highly conducting islands to the first coarse level.

    Piecewise-constant 2x2x2 aggregates cut islands (carbon black at 1e7-1e9 times the
    conductivity of the matrix): an aggregate holding pieces of two islands welds them,
    and the coarse operator gets a chain of huge conductances the fine one does not have
    (too stiff on the modes where the two islands differ). Here island voxels belong to no
    aggregate; instead the island takes the conductance-weighted mean of the coarse values
    of the aggregates next to it, ``P_{A,I} = g_{AI} / e_A`` (``g_{AI}``: conductance of the
    faces between island ``A`` and the matrix voxels of aggregate ``I``; ``e_A``: all faces
    leaving ``A``, electrodes included) -- the energy-minimising (harmonic) value of a
    floating equipotential body, as in operator-dependent (black-box) interpolation. The
    Galerkin coarse operator then connects the aggregates next to an island by the star-mesh
    conductances ``g_{AI} g_{AJ} / e_A`` (and to an electrode by ``g_{AI} g_{Ae} / e_A``),
    which never exceed matrix-level conductances; pairs that are not face neighbours are
    lumped onto a face path between them (``L`` faces of ``L c`` each, conductance ``c`` in
    series), so the coarse levels keep the 7-point face storage and stay SPD. Below the
    first coarse level the hierarchy is plain aggregation. Set-up on the host from the
    faces of the island voxels only (``6 x 12`` bytes per island voxel, transient); on the
    device: a 1-byte island mask per voxel and the (island, coarse cell, weight) triplets.
    """

    def __init__(self, level: "ConductionLevel", idx: np.ndarray, cid: np.ndarray, n_clusters: int,
                 periodic: tuple[bool, bool] = (False, False), max_voxels: int | None = None):
        nx, ny, nz = level.shape
        self.periodic = periodic
        self.nc = ncx, ncy, ncz = tuple((s_ + 1) // 2 for s_ in level.shape)
        ncell = ncx * ncy * ncz
        max_voxels = ISLAND_MAX_VOXELS if max_voxels is None else max_voxels
        # faces of every island voxel
        idx_all = np.asarray(idx, dtype=np.int64)
        n_all = int(idx_all.size)
        idx_d = device_zeros(ti.i32, (n_all,))
        idx_d.from_numpy(idx_all.astype(np.int32))
        fg_d = device_zeros(ti.f64, (6 * n_all,))
        fn_d = device_zeros(ti.i32, (6 * n_all,))
        _island_faces(idx_d, level.gx, level.gy, level.gz, fg_d, fn_d, nx, ny, nz)
        fg, fn = fg_d.to_numpy(), fn_d.to_numpy()  # fn int32: host temporaries stay small
        del fg_d, fn_d, idx_d

        def cell_of(v):
            return ((v // (ny * nz)) // 2 * ncy + ((v // nz) % ny) // 2) * ncz + (v % nz) // 2

        # which island voxels are interpolated: all voxels of small islands; of a large island
        # those in aggregates it does not own (the owner of an aggregate is the large island
        # with most voxels in it); owned pieces stay in their aggregate, so the coarse space
        # resolves the inside of large islands without welding two islands together
        cid64 = np.asarray(cid, dtype=np.int64)
        size = np.bincount(cid64, minlength=int(n_clusters))
        agg = cell_of(idx_all)
        interp = size[cid64] <= max_voxels
        large = ~interp
        if large.any():
            keys, cnt = np.unique(agg[large] * int(n_clusters) + cid64[large], return_counts=True)
            k_agg, k_isl = keys // int(n_clusters), keys % int(n_clusters)
            o = np.lexsort((-cnt, k_agg))  # per aggregate, largest count first
            first = np.ones(o.size, bool)
            first[1:] = k_agg[o][1:] != k_agg[o][:-1]
            owner_keys = k_agg[o][first] * int(n_clusters) + k_isl[o][first]
            mine = np.isin(agg * int(n_clusters) + cid64, owner_keys)
            interp |= large & ~mine
        order = np.argsort(idx_all)
        sidx = idx_all[order]
        pos = np.clip(np.searchsorted(sidx, np.clip(fn, 0, None)), 0, max(n_all - 1, 0))
        nb_isl = (fn >= 0) & (sidx[pos] == fn)  # neighbour is an island voxel
        nb_t = order[pos].astype(np.int32)  # its position in idx
        del pos, order, sidx
        # units: face-connected components of the interpolated voxels
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        t6 = np.repeat(np.arange(n_all, dtype=np.int32), 6)
        edge = nb_isl & (fg > 0) & interp[t6] & interp[nb_t] & (cid64[t6] == cid64[nb_t])
        del nb_isl
        sel = np.flatnonzero(interp)
        remap = np.full(n_all, -1, np.int64)
        remap[sel] = np.arange(sel.size)
        graph = coo_matrix((np.ones(int(edge.sum())), (remap[t6[edge]], remap[nb_t[edge]])),
                           shape=(sel.size, sel.size))
        nc, unit = connected_components(graph, directed=False)
        del graph, t6, nb_t, remap
        self.n_clusters = int(nc)
        self.n_voxels = int(sel.size)
        idx_u = idx_all[sel]
        self.idx = device_zeros(ti.i32, (max(sel.size, 1),))
        self.idx.from_numpy(np.resize(idx_u.astype(np.int32), max(sel.size, 1)))
        self.cid = device_zeros(ti.i32, (max(sel.size, 1),))
        self.cid.from_numpy(np.resize(unit.astype(np.int32), max(sel.size, 1)))
        rows6 = (sel[:, None] * 6 + np.arange(6)).ravel()
        fg, fn = fg[rows6], fn[rows6]
        inside = edge[rows6]
        del rows6, edge
        a = np.repeat(unit.astype(np.int32), 6)
        ext = (fg > 0) & ~inside  # faces leaving a unit: to aggregated voxels or electrodes
        e = np.bincount(a[ext], fg[ext], minlength=nc)
        e_safe = np.where(e > 0, e, 1.0)
        g_in = np.bincount(a[ext & (fn == -1)], fg[ext & (fn == -1)], minlength=nc)
        g_out = np.bincount(a[ext & (fn == -2)], fg[ext & (fn == -2)], minlength=nc)
        idx64 = idx_u
        g_int = fg[inside & (fg > 0)]
        g_ext = fg[ext & (fn >= 0)]
        self.threshold = (math.sqrt(float(np.median(g_int)) * float(np.median(g_ext)))
                          if g_int.size and g_ext.size else math.inf)
        w = ext & (fn >= 0)
        cell = cell_of(fn[w])
        keys, inv = np.unique(a[w].astype(np.int64) * ncell + cell, return_inverse=True)
        g_ai = np.bincount(inv.ravel(), fg[w])
        pa, pc = keys // ncell, keys % ncell
        self.pa = device_zeros(ti.i32, (max(pa.size, 1),))
        self.pi = device_zeros(ti.i32, (max(pa.size, 1),))
        self.pw = device_zeros(ti.f64, (max(pa.size, 1),))
        self.pa.from_numpy(np.resize(pa.astype(np.int32), max(pa.size, 1)))
        self.pi.from_numpy(np.resize(pc.astype(np.int32), max(pa.size, 1)))
        self.pw.from_numpy(np.resize(g_ai / e_safe[pa], max(pa.size, 1)) * (pa.size > 0))
        self.sums = device_zeros(ti.f64, (max(nc, 1),))
        # star-mesh pairs (coarse cell, coarse cell or electrode, conductance)
        pairs_i, pairs_j, pairs_c = [], [], []
        d = 0
        while True:  # pa is sorted: the pairs of one unit are (s, s + d) with pa[s] == pa[s + d]
            d += 1
            sel = np.flatnonzero(pa[d:] == pa[:-d]) if d < pa.size else np.zeros(0, np.int64)
            if sel.size == 0:
                break
            pairs_i.append(pc[sel])
            pairs_j.append(pc[sel + d])
            pairs_c.append(g_ai[sel] * g_ai[sel + d] / e_safe[pa[sel]])
        self._pairs = (np.concatenate(pairs_i) if pairs_i else np.zeros(0, np.int64),
                       np.concatenate(pairs_j) if pairs_j else np.zeros(0, np.int64),
                       np.concatenate(pairs_c) if pairs_c else np.zeros(0))
        self._electrode = (pc, g_ai * g_in[pa] / e_safe[pa], g_ai * g_out[pa] / e_safe[pa])
        mask = np.zeros(level.size, np.uint8)
        mask[idx64] = 1
        self.mask = device_zeros(ti.u8, (level.size,))
        self.mask.from_numpy(mask)
        self.n_pairs = int(self._pairs[0].size)
        self.n_triplets = int(pa.size)

    def add_coarse_faces(self, gxc, gyc, gzc, nc, scales) -> None:
        """Add the (scaled) star-mesh conductances to the coarse faces of the first level."""
        ncx, ncy, ncz = nc
        ex = np.zeros((ncx + 1) * ncy * ncz)
        ey = np.zeros(ncx * ncy * ncz)
        ez = np.zeros(ncx * ncy * ncz)
        pi_, pj_, pc_ = self._pairs
        # walk every pair from its first cell to its second: position (x, y, z) and the steps left
        # (rx, ry, rz), int32 (coarse coordinates), so the walk's state is ~40 B per pair
        x, y, z = ((pi_ // (ncy * ncz)).astype(np.int32), ((pi_ // ncz) % ncy).astype(np.int32),
                   (pi_ % ncz).astype(np.int32))
        rx = (pj_ // (ncy * ncz)).astype(np.int32) - x
        ry = ((pj_ // ncz) % ncy).astype(np.int32) - y
        rz = (pj_ % ncz).astype(np.int32) - z
        if self.periodic[0]:
            ry = (ry + ncy // 2) % ncy - ncy // 2
        if self.periodic[1]:
            rz = (rz + ncz // 2) % ncz - ncz // 2
        length = np.abs(rx) + np.abs(ry) + np.abs(rz)
        val = pc_ * length  # L faces in series of L c each: conductance c
        steps = int(length.max()) if length.size else 0
        del length
        # (face, conductance) of every step, summed per face by bincount in the order np.add.at took
        # them (without its per-element cost at every step: 1.9 M pairs on the first level at 256^3);
        # the lists are summed into the faces whenever they hold more than FACE_STEPS_CHUNK entries,
        # so their memory stays bounded (VGCF fibres touch many aggregates: long walks, ~45 B/voxel
        # of lists at 128^3 unbounded). Below one chunk the faces are bit for bit np.add.at's; above
        # it they differ from them in the last bits (sums in another order)
        lists = {"x": ([], [], ex), "y": ([], [], ey), "z": ([], [], ez)}
        pending = [0]

        def add(axis, faces, vals, *, force=False):
            fl, vl, _ = lists[axis]
            if faces is not None and faces.size:
                fl.append(faces.astype(np.int64))
                vl.append(vals)
                pending[0] += faces.size
            if force or pending[0] > FACE_STEPS_CHUNK:
                for f_, v_, e_ in lists.values():
                    if f_:
                        e_ += np.bincount(np.concatenate(f_), np.concatenate(v_), minlength=e_.size)
                        f_.clear()
                        v_.clear()
                pending[0] = 0

        for _ in range(steps):
            mx = rx != 0
            my = ~mx & (ry != 0)
            mz = ~mx & ~my & (rz != 0)
            sgn = np.sign(rx[mx])
            fx = np.where(sgn > 0, x[mx] + 1, x[mx]).astype(np.int64)
            add("x", (fx * ncy + y[mx]) * ncz + z[mx], val[mx])
            x[mx] += sgn
            rx[mx] -= sgn
            sgn = np.sign(ry[my])
            yn = (y[my] + sgn) % ncy
            fy = np.where(sgn > 0, yn, y[my]).astype(np.int64)
            add("y", (x[my].astype(np.int64) * ncy + fy) * ncz + z[my], val[my])
            y[my] = yn
            ry[my] -= sgn
            sgn = np.sign(rz[mz])
            zn = (z[mz] + sgn) % ncz
            fz = np.where(sgn > 0, zn, z[mz]).astype(np.int64)
            add("z", (x[mz].astype(np.int64) * ncy + y[mz]) * ncz + fz, val[mz])
            z[mz] = zn
            rz[mz] -= sgn
        del x, y, z, rx, ry, rz, val
        # island -> electrode through the coarse cells between it and the electrode face
        pc, cin, cout = self._electrode
        xc_, yz = pc // (ncy * ncz), pc % (ncy * ncz)
        for cval, to_inlet in ((cin, True), (cout, False)):
            sel = np.flatnonzero(cval > 0)
            if sel.size == 0:
                continue
            L = np.where(to_inlet, xc_[sel] + 1, ncx - xc_[sel])
            for step in range(int(L.max())):
                m = step < L
                f = np.where(to_inlet, xc_[sel][m] - step, xc_[sel][m] + 1 + step)
                add("x", f * ncy * ncz + yz[sel][m], (cval[sel] * L)[m])
        add("x", None, None, force=True)
        sx, sy, sz = scales
        ex = ex.reshape(ncx + 1, ncy, ncz) * sx[:, None, None]
        ey = ey.reshape(ncx, ncy, ncz) * sy[None, :, None]
        ez = ez.reshape(ncx, ncy, ncz) * sz[None, None, :]
        for arr, extra in ((gxc, ex), (gyc, ey), (gzc, ez)):
            cur = arr.to_numpy()
            arr.from_numpy((cur.astype(np.float64) + extra.ravel()).astype(cur.dtype))


class IslandCorrection:
    """Exact coarse correction on the constant modes of conducting clusters ("islands").

    A cluster of highly conducting voxels embedded in a poorly conducting matrix is
    nearly an equipotential body, and its constant mode is an eigenvector of ``A``
    with a tiny eigenvalue (faces leaving the cluster / faces inside it) that neither
    Gauss-Seidel nor piecewise-constant 2x2x2 aggregates represent: one slow CG
    direction per island. With ``Z`` the cluster-indicator matrix, ``Z^T A Z`` is
    diagonal (two clusters of a face-connected labelling never share a face), so the
    Galerkin correction ``x += Z (Z^T A Z)^{-1} Z^T (b - A x)`` is exact and costs one
    pass over the island voxels. Used as the ``correction`` of :class:`VCycle`.

    Parameters
    ----------
    level : ConductionLevel
        The finest level.
    idx : ndarray of int32
        Flat indices of the island voxels (unknown grid of ``level``).
    cid : ndarray of int32
        Cluster of each entry of ``idx``, ``0 .. n_clusters - 1``; distinct clusters
        must not share a face with non-zero conductance.
    n_clusters : int
        Number of clusters.
    inv_e : ndarray of float64, optional
        ``1 / (Z^T A Z)_mm`` per cluster; computed on the device when omitted (exact only
        when distinct clusters share no face, as on the finest level).
    """

    def __init__(self, level: "ConductionLevel", idx: np.ndarray, cid: np.ndarray, n_clusters: int,
                 inv_e: np.ndarray | None = None):
        self.level = level
        self.n_voxels = int(idx.size)
        self.n_clusters = int(n_clusters)
        self.idx = device_zeros(ti.i32, (self.n_voxels,))
        self.idx.from_numpy(np.ascontiguousarray(idx, dtype=np.int32))
        self.cid = device_zeros(ti.i32, (self.n_voxels,))
        self.cid.from_numpy(np.ascontiguousarray(cid, dtype=np.int32))
        self.inv_e = device_zeros(ti.f64, (self.n_clusters,))
        self.sums = device_zeros(ti.f64, (self.n_clusters,))
        if inv_e is None:
            u = device_zeros(ti.u8, (level.size,))  # island marker: 1 B/voxel, not a full vector
            _island_setup(u, self.idx, self.cid, self.inv_e, level.gx, level.gy, level.gz, *level.shape)
            del u
        else:
            self.inv_e.from_numpy(np.ascontiguousarray(inv_e, dtype=np.float64))

    #: ``__call__(x, b, zero_guess=True)`` skips the residual of the zero vector (multigrid.VCycle)
    accepts_zero_guess = True

    def __call__(self, x, b, *, zero_guess: bool = False) -> None:
        """``x += Z (Z^T A Z)^{-1} Z^T (b - A x)``; ``zero_guess``: the caller just zeroed ``x``."""
        lv = self.level
        _island_correct(x, b, self.idx, self.cid, self.inv_e, self.sums, lv.gx, lv.gy, lv.gz, *lv.shape,
                        int(zero_guess))


@ti.func
def _unmasked(mask: ti.template(), masked: ti.template(), ca, cb):
    """Whether the face between cells ``ca`` and ``cb`` enters the aggregate sums."""
    ok = True
    if ti.static(masked):
        ok = mask[ca] == 0 and mask[cb] == 0
    return ok


@ti.kernel
def _coarsen_faces(gx: ti.types.ndarray(ndim=1), gy: ti.types.ndarray(ndim=1), gz: ti.types.ndarray(ndim=1),
                   gxc: ti.types.ndarray(ndim=1), gyc: ti.types.ndarray(ndim=1),
                   gzc: ti.types.ndarray(ndim=1), nx: ti.i32, ny: ti.i32, nz: ti.i32, ncx: ti.i32,
                   ncy: ti.i32, ncz: ti.i32, sx: ti.types.ndarray(), sy: ti.types.ndarray(),
                   sz: ti.types.ndarray(), mask: ti.types.ndarray(ndim=1), masked: ti.template()):
    # runs once per level at set-up: plain 3-D loops are fine here, and the four children of a
    # face are a run-time loop (one copy of the body: less compiled code to load in every process,
    # benchmarks/bench_startup.py --kernels). ``masked``: faces with an island voxel (mask != 0) on
    # either side are left out
    for ci, cj, ck in ti.ndrange(ncx + 1, ncy, ncz):
        fi = ti.min(2 * ci, nx)
        acc = ti.cast(0.0, ti.f64)
        for q in range(4):
            j = 2 * cj + q // 2
            k = 2 * ck + q % 2
            if j < ny and k < nz:
                use = True
                if ti.static(masked):
                    if fi > 0 and mask[((fi - 1) * ny + j) * nz + k] != 0:
                        use = False
                    if fi < nx and mask[(fi * ny + j) * nz + k] != 0:
                        use = False
                if use:
                    acc += ti.cast(gx[(fi * ny + j) * nz + k], ti.f64)
        gxc[(ci * ncy + cj) * ncz + ck] = sx[ci] * acc
    for ci, cj, ck in ti.ndrange(ncx, ncy, ncz):
        acc_y = ti.cast(0.0, ti.f64)
        acc_z = ti.cast(0.0, ti.f64)
        for q in range(4):
            # y faces: children along x and z; z faces: children along x and y
            db = q % 2
            i = 2 * ci + q // 2
            k = 2 * ck + db
            if i < nx and k < nz:
                c = (i * ny + 2 * cj) * nz + k
                jm = ti.select(2 * cj == 0, ny - 1, 2 * cj - 1)
                if _unmasked(mask, masked, c, (i * ny + jm) * nz + k):
                    acc_y += ti.cast(gy[c], ti.f64)
            j = 2 * cj + db
            if i < nx and j < ny:
                c = (i * ny + j) * nz + 2 * ck
                km = ti.select(2 * ck == 0, nz - 1, 2 * ck - 1)
                if _unmasked(mask, masked, c, (i * ny + j) * nz + km):
                    acc_z += ti.cast(gz[c], ti.f64)
        c = (ci * ncy + cj) * ncz + ck
        gyc[c] = sy[cj] * acc_y
        gzc[c] = sz[ck] * acc_z


@ti.kernel
def _rhs_and_guess(b: ti.types.ndarray(ndim=1), x: ti.types.ndarray(ndim=1), gx: ti.types.ndarray(ndim=1),
                   gy: ti.types.ndarray(ndim=1), gz: ti.types.ndarray(ndim=1), nx: ti.i32, ny: ti.i32,
                   nz: ti.i32):
    """b (inlet plane, ny*nz entries): inlet potential 1 times the inlet conductance -- the
    right-hand side is zero elsewhere; x: linear profile on conducting voxels."""
    sx = ny * nz
    for c in range(sx):
        b[c] = gx[c]
    for i, j, k in ti.ndrange(nx, ny, nz):
        c = (i * ny + j) * nz + k
        cjp = c + (ti.select(j == ny - 1, 0, j + 1) - j) * nz
        ckp = c + (ti.select(k == nz - 1, 0, k + 1) - k)
        d = gx[c] + gx[c + sx] + gy[c] + gy[cjp] + gz[c] + gz[ckp]
        u = ti.cast(0.0, ti.f64)
        if d > 0:
            u = 1.0 - (i + 0.5) / nx
        x[c] = u


@ti.kernel
def _fluxes(x: ti.types.ndarray(ndim=1), gx: ti.types.ndarray(ndim=1), nx: ti.i32, ny: ti.i32,
            nz: ti.i32) -> ti.types.vector(2, ti.f64):
    sx = ny * nz
    f_in = ti.cast(0.0, ti.f64)
    f_out = ti.cast(0.0, ti.f64)
    for c in range(sx):
        last = (nx - 1) * sx + c
        f_in += ti.cast(gx[c], ti.f64) * (1.0 - ti.cast(x[c], ti.f64))
        f_out += ti.cast(gx[last + sx], ti.f64) * ti.cast(x[last], ti.f64)
    return ti.Vector([f_in, f_out])


def _face_scales(w: np.ndarray, wc: np.ndarray, *, dirichlet: bool) -> np.ndarray:
    """Ratio fine/coarse centre-to-centre distance across each coarse face.

    ``w``/``wc``: cell widths (in finest voxels) of the fine and coarse level along one
    axis. Along the transport axis (``dirichlet``) there are ``nc + 1`` faces and the
    end faces reach the electrode half a cell away; across it the ``nc`` faces wrap.
    """
    n, nc = len(w), len(wc)
    if dirichlet:
        idx = np.minimum(2 * np.arange(nc + 1), n)
        wf = np.concatenate([[0.0], w, [0.0]])
        wcc = np.concatenate([[0.0], wc, [0.0]])
        d_f = 0.5 * (wf[idx] + wf[idx + 1])
        d_c = 0.5 * (wcc[:-1] + wcc[1:])
    else:
        idx = 2 * np.arange(nc)
        d_f = 0.5 * (w[idx - 1] + w[idx])  # idx - 1 = -1 wraps to the last cell
        d_c = 0.5 * (wc[np.arange(nc) - 1] + wc)
    return d_f / d_c


class ConductionLevel:
    """One grid level of the conduction operator (implements the multigrid ``Level``
    protocol and the Krylov ``LinearOperator`` protocol).

    Parameters
    ----------
    gx, gy, gz : ti.ndarray
        Flat face conductances (see the module docstring for the layout) [S/m].
    shape : (int, int, int)
        Cells of this level.
    dtype : ti dtype
        Storage type of vectors (``ti.f32`` or ``ti.f64``).
    min_coarse : int
        Stop coarsening once every side is at most this many cells.
    widths : tuple of 3 arrays, optional
        Cell widths along each axis in finest voxels (default 1).
    vector_dtype : ti dtype, optional
        Storage type of the vectors of this level when it differs from ``dtype`` (float64
        Krylov vectors over float32 faces at extreme contrast); coarser levels use ``dtype``.
    """

    def __init__(self, gx, gy, gz, shape, dtype, *, min_coarse: int = 4, widths=None, vector_dtype=None):
        self.gx, self.gy, self.gz = gx, gy, gz
        self.dtype = dtype
        self.vector_dtype = vector_dtype or dtype
        self.shape = tuple(int(s) for s in shape)
        self.size = int(np.prod(self.shape))
        self.min_coarse = int(min_coarse)
        # cell widths along each axis in finest voxels (odd sizes leave 1-voxel-wide cells)
        self.widths = widths or tuple(np.ones(n) for n in self.shape)
        #: operator-dependent interpolation of highly conducting islands to the next level
        self.island_transfer: IslandTransfer | None = None
        self.island_correction: IslandCorrection | None = None
        #: coarsen into the crack-aware pieces of :mod:`aggregation` instead of 2x2x2 cells
        self.crack_aware = False
        #: ``aggregation.NodeLevel.deep_min_reduction`` of the pieces (None: the module's, for cuts)
        self.pieces_min_reduction: float | None = None
        self._pieces: aggregation.NodeLevel | None = None

    def new_vector(self, dtype=None):
        a = device_zeros(dtype or self.vector_dtype, (self.size,))
        krylov.fill(a, 0.0)
        return a

    def apply(self, x, y) -> float:
        """``y = A x``; returns ``x.A.x`` summed face by face in float64 (never negative)."""
        return float(_apply(x, y, self.gx, self.gy, self.gz, *self.shape))

    def residual(self, x, b, r) -> float:
        return float(_residual(x, b, r, self.gx, self.gy, self.gz, *self.shape))

    def smooth(self, x, b, *, forward: bool, sweeps: int = 1) -> None:
        first = 0 if forward else 1
        for _ in range(int(sweeps)):
            _smooth(x, b, self.gx, self.gy, self.gz, *self.shape, first)

    def coarse_solve(self, x, b, sweeps: int) -> None:
        _coarse_solve(x, b, self.gx, self.gy, self.gz, *self.shape, int(sweeps))

    def restrict_residual(self, x, b, coarse_b) -> None:
        if self._pieces is not None:
            krylov.fill(coarse_b, 0.0)
            _voxel_restrict(x, b, self.gx, self.gy, self.gz, self._pieces.vmap, coarse_b, *self.shape)
            return
        it = self.island_transfer
        if it is None:
            _restrict_residual(x, b, self.gx, self.gy, self.gz, coarse_b, *self.shape, *self._coarse_shape(),
                               _DUMMY_MASK(), False)
        else:
            _restrict_residual(x, b, self.gx, self.gy, self.gz, coarse_b, *self.shape, *self._coarse_shape(),
                               it.mask, True)
            _island_restrict(x, b, self.gx, self.gy, self.gz, coarse_b, it.idx, it.cid, it.pa, it.pi, it.pw,
                             it.sums, *self.shape)

    def prolong_add(self, coarse_x, x) -> None:
        if self._pieces is not None:
            _voxel_prolong(coarse_x, x, self._pieces.vmap, self.size)
            return
        nc = self._coarse_shape()
        it = self.island_transfer
        if it is None:
            _prolong_add(coarse_x, x, *self.shape, nc[1], nc[2], _DUMMY_MASK(), False)
        else:
            _prolong_add(coarse_x, x, *self.shape, nc[1], nc[2], it.mask, True)
            _island_prolong(coarse_x, x, it.idx, it.cid, it.pa, it.pi, it.pw, it.sums)

    def _coarse_shape(self) -> tuple[int, int, int]:
        return tuple((n + 1) // 2 for n in self.shape)  # type: ignore[return-value]

    def coarsen(self) -> "ConductionLevel | aggregation.NodeLevel | None":
        if self.crack_aware:
            nx, ny, nz = self.shape
            self._pieces = aggregation.first_level(
                self.gx.to_numpy().reshape(nx + 1, ny, nz), self.gy.to_numpy().reshape(self.shape),
                self.gz.to_numpy().reshape(self.shape), self.shape, self.dtype)
            self._pieces.deep_min_reduction = self.pieces_min_reduction
            return self._pieces
        if max(self.shape) <= self.min_coarse:
            return None
        nc = self._coarse_shape()
        wc = tuple(np.add.reduceat(w, np.arange(0, len(w), 2)) for w in self.widths)
        scales = []
        for d in range(3):
            sc = _face_scales(self.widths[d], wc[d], dirichlet=(d == 0))
            arr = device_zeros(ti.f64, sc.shape)
            arr.from_numpy(sc)
            scales.append(arr)
        gxc = device_zeros(self.dtype, ((nc[0] + 1) * nc[1] * nc[2],))
        gyc = device_zeros(self.dtype, (nc[0] * nc[1] * nc[2],))
        gzc = device_zeros(self.dtype, (nc[0] * nc[1] * nc[2],))
        it = self.island_transfer
        if it is None:
            _coarsen_faces(self.gx, self.gy, self.gz, gxc, gyc, gzc, *self.shape, *nc, *scales,
                           _DUMMY_MASK(), False)
        else:
            # faces touching an island voxel are replaced by the island's star-mesh conductances
            _coarsen_faces(self.gx, self.gy, self.gz, gxc, gyc, gzc, *self.shape, *nc, *scales, it.mask, True)
            it.add_coarse_faces(gxc, gyc, gzc, nc, [sc.to_numpy() for sc in scales])
        coarse = ConductionLevel(gxc, gyc, gzc, nc, self.dtype, min_coarse=self.min_coarse, widths=wc)
        if it is not None and COARSE_TRANSFER and max(nc) > self.min_coarse:
            # the strong clusters of the coarse faces are the islands of the next coarsening
            thr = it.threshold * 2.0
            isl = _strong_clusters(coarse, thr, it.periodic)
            if isl is not None:
                t = IslandTransfer(coarse, *isl[:3], periodic=it.periodic)
                t.threshold = thr
                coarse.island_transfer = t if t.n_voxels else None
                if COARSE_CORRECTION:
                    coarse.island_correction = IslandCorrection(coarse, *isl)
        return coarse


def _cycle(levels, nu, correction, cycle: str, k_levels):
    """The preconditioner: a V-cycle, or a K-cycle with inner Krylov steps on ``k_levels``, with
    the finest level's island ``correction`` and each coarse level's own."""
    corrections = [correction] + [lv.island_correction for lv in levels[1:]]
    if cycle == "k":
        return KCycle(levels, nu=nu, corrections=corrections, krylov_levels=k_levels)
    return VCycle(levels, nu=nu, corrections=corrections)


def _f32_preconditioner(dtype, vector_dtype, cracks: bool) -> bool:
    """Whether the cycle writes a float32 ``z`` under float64 Krylov vectors (float32 faces).
    Not after contact loss unless :data:`F32_AFTER_CUTS`: there the float32 fine-level smoothing
    cost iterations (``compare_contact_loss.py 64``: 25 instead of 17, docs/transport.md)."""
    return (F32_PRECONDITIONER and dtype == ti.f32 and vector_dtype == ti.f64
            and (F32_AFTER_CUTS or not cracks))


def bytes_per_voxel(dtype: str = "float32", vector_dtype: str | None = None, *,
                    cracks: bool = False) -> float:
    """Device memory the solver needs per voxel (fine level + coarse levels) [bytes];
    ``vector_dtype``: that of the fine-level Krylov vectors when it differs from ``dtype``;
    ``cracks``: the crack-aware pieces of :mod:`aggregation` replace the 2x2x2 coarse levels
    (measured with ``NodeLevel.nbytes``: 27.9 B/voxel for all node levels of the default
    composite after contact loss at 64^3, children lists included; :data:`PIECES_BYTES`), and
    their host set-up peaks at :data:`PIECES_SETUP_BYTES` before the solve's arrays exist."""
    w = 4 if dtype == "float32" else 8
    wv = 4 if (vector_dtype or dtype) == "float32" else 8
    fine = 8 + 3 * wv + 3 * w  # x (float64), r, p, z/q and three face arrays (b: inlet plane only)
    if _f32_preconditioner(_TI_DTYPES[dtype], _TI_DTYPES[vector_dtype or dtype], cracks):
        fine += 4  # z in float32 beside q in float64 (F32_PRECONDITIONER)
    coarse = (2 * w + 3 * w) / 7.0  # x, b and faces of all coarse levels (geometric sum 1/8 + 1/64 ...)
    setup = 2  # labels and the kept-voxel mask while the faces are built
    island_mask = 1 + 1 / 7.0  # IslandTransfer masks (finest and coarse levels)
    if cracks:
        return max(fine + setup + PIECES_BYTES, PIECES_SETUP_BYTES)
    return fine + coarse + setup + island_mask


# --------------------------------------------------------------------------- solve
@dataclass
class ConductionSolution:
    """Raw outcome of :func:`solve_conduction` (dimensionless: unit potential drop, ``h = 1``)."""

    flux_in: float  # sum over the inlet face of g * dphi  [S/m * voxel]
    flux_out: float
    converged: bool
    n_iter: int
    residual: float
    history: list
    reason: str
    potential: np.ndarray | None
    faces: tuple | None  # (gx, gy, gz) as numpy when potential is requested
    setup_time: float
    solve_time: float
    n_levels: int


def _apply_cuts(gx, gy, gz, cuts, shape) -> None:
    """Zero the conductance of the cut faces (host side, once per solve)."""
    nx, ny, nz = shape
    g = gx.to_numpy().reshape(nx + 1, ny, nz)
    g[1:nx][cuts[0][:nx - 1]] = 0.0  # plane i + 1 is the face between voxels i and i + 1
    gx.from_numpy(g.ravel())
    for arr, cut, ax in ((gy, cuts[1], 1), (gz, cuts[2], 2)):
        g = arr.to_numpy().reshape(nx, ny, nz)
        g[np.roll(cut, 1, axis=ax)] = 0.0  # entry j is the face between j - 1 and j
        arr.from_numpy(g.ravel())


def _apply_face_resistance(gx, gy, gz, rfaces, shape) -> None:
    """Add a resistance ``r`` [ohm m, per voxel edge] in series on single faces: ``g -> g / (1 + g r)``
    (host side, once per solve; same face convention as :func:`_apply_cuts`)."""
    nx, ny, nz = shape
    g = gx.to_numpy().reshape(nx + 1, ny, nz)
    inner = g[1:nx]
    inner /= 1.0 + inner * rfaces[0][:nx - 1]
    gx.from_numpy(g.ravel())
    for arr, r, ax in ((gy, rfaces[1], 1), (gz, rfaces[2], 2)):
        g = arr.to_numpy().reshape(nx, ny, nz)
        g /= 1.0 + g * np.roll(r, 1, axis=ax)
        arr.from_numpy(g.ravel())


def solve_conduction(labels: np.ndarray, keep: np.ndarray, sigma: np.ndarray, rint: np.ndarray, *,
                     periodic: tuple[bool, bool] = (False, False), dtype: str = "float32",
                     tol: float = 1e-6, flux_tol: float = 1e-4, maxiter: int = 500,
                     nu: int | tuple[int, ...] | None = None,
                     want_potential: bool = False, dirichlet_layers: bool = False,
                     islands: tuple[np.ndarray, np.ndarray, int] | None = None,
                     vector_dtype: str | None = None, cycle: str | None = None,
                     cuts: tuple | None = None, face_resistance: tuple | None = None,
                     spacing_ratio: tuple[float, float] = (1.0, 1.0),
                     interpolate_islands: bool | None = None,
                     pieces: bool | None = False) -> ConductionSolution:
    """Solve the conduction problem along axis 0 with MG-preconditioned CG.

    Parameters
    ----------
    labels : ndarray of uint8, shape (nx, ny, nz)
        Phase label per voxel, transport along axis 0.
    keep : ndarray of uint8, same shape
        1 for voxels of the conducting cluster that touches both electrode faces.
    sigma : ndarray of float64, shape (256,)
        Conductivity per label [S/m]; labels outside ``keep`` are never read.
    rint : ndarray of float64, shape (256, 256)
        Interfacial resistance per label pair divided by the voxel size [ohm m] (symmetric).
    periodic : (bool, bool)
        Periodic sides along axes 1 and 2 (else no-flux).
    dtype : {'float32', 'float64'}
        Storage precision (reductions are float64 either way).
    tol, flux_tol : float
        Relative residual and inlet/outlet flux mismatch to reach.
    maxiter : int
        CG iteration limit.
    nu : int or tuple of int, optional
        Smoothing sweeps per V-cycle side, or per level (finest first, the last for all deeper
        levels); default :data:`NU`, or :data:`NU_ISLANDS` when the island interpolation runs.
    want_potential : bool
        Copy the potential and face conductances back to the host.
    dirichlet_layers : bool
        Fix the potential at the centres of the first and last layers (which are then
        not unknowns: the solution has ``nx - 2`` layers) instead of on the outer faces.
    islands : (idx, cid, n_clusters), optional
        Highly conducting clusters for :class:`IslandCorrection` (flat indices into the
        unknown grid, cluster per index, number of clusters); ``None`` or an empty
        ``idx``: plain V-cycle.
    vector_dtype : {'float32', 'float64'}, optional
        Storage of the fine-level Krylov vectors ``r``, ``p``, ``z/q`` (default ``dtype``).
        Float64 vectors over float32 faces cut the iterations at island contrasts of 1e5
        and more, where float32 CG loses conjugacy long before the flux balance is reached
        (default composite, electrons, 64^3: 122 instead of 473 iterations).
    cuts : (cx, cy, cz) of bool arrays shaped like ``labels``, optional
        Faces that conduct nothing (opened interfaces): ``c[a][i, j, k]`` is the face between
        voxel ``(i, j, k)`` and the next one along axis ``a`` (wrapping along axes 1 and 2).
        ``keep`` must already exclude the voxels that the cuts disconnect.
    face_resistance : (rx, ry, rz) of float arrays shaped like ``labels``, optional
        Resistance in series on single faces divided by the voxel size [ohm m] (a sub-voxel
        film), same face convention as ``cuts``; 0 where there is none. Cubic voxels only.
    spacing_ratio : (float, float)
        ``(h0 / h1, h0 / h2)``: the transport-axis voxel edge over the two side edges
        (1, 1 for cubic voxels). ``rint`` is then the resistance over ``h0``; the side
        faces get the weights ``(h0 / h_d)^2`` of the module docstring.
    interpolate_islands : bool, optional
        Operator-dependent island interpolation on every level (:class:`IslandTransfer`)
        on top of the finest level's island correction; default
        :data:`ISLAND_INTERPOLATION`. Needed at island contrasts of ~1e5 and more (carbon
        in NMC and electrolyte); at moderate contrast (electrolyte pockets at 1e3) the
        finest-level correction alone gives the same iterations without the host set-up
        of the coarse levels' clusters.
    pieces : bool or None
        Coarsen into the strength-split pieces of :mod:`aggregation` (K-cycle on the first node
        levels) without cut faces too: for sparse, tortuous conducting networks (carbon that
        percolates near its threshold, a sulfur cathode's carbon), where fixed 2x2x2 aggregates
        weld branches that meet only far away (docs/transport.md, "Tortuous networks"). ``None``:
        start on the 2x2x2 levels and go on from the iterate on the pieces when the residual
        falls by less than :data:`PROBE_RATE` per iteration over the first
        :data:`PROBE_ITERATIONS` (particles touching at small contacts, e.g. coated LiCoO2 for
        electrons). Both need the memory of ``bytes_per_voxel(cracks=True)``.
    """
    ensure_initialized()
    tdt = _TI_DTYPES[dtype]
    t0 = time.perf_counter()
    shape = labels.shape
    off = 1 if dirichlet_layers else 0
    nx = shape[0] - 2 * off
    sshape = (nx, shape[1], shape[2])
    ny, nz = shape[1], shape[2]
    lab_d = device_zeros(ti.u8, (labels.size,))
    lab_d.from_numpy(np.ascontiguousarray(labels, dtype=np.uint8).ravel())
    keep_d = device_zeros(ti.u8, (labels.size,))
    keep_d.from_numpy(np.ascontiguousarray(keep, dtype=np.uint8).ravel())
    sig_d = device_zeros(ti.f64, (256,))
    sig_d.from_numpy(np.ascontiguousarray(sigma, dtype=np.float64))
    r_d = device_zeros(ti.f64, (256, 256))
    r_d.from_numpy(np.ascontiguousarray(rint, dtype=np.float64))
    gx = device_zeros(tdt, ((nx + 1) * ny * nz,))
    gy = device_zeros(tdt, (nx * ny * nz,))
    gz = device_zeros(tdt, (nx * ny * nz,))
    qy, qz = (float(r) for r in spacing_ratio)
    _build_faces(lab_d, keep_d, sig_d, r_d, gx, gy, gz, nx, ny, nz, int(periodic[0]), int(periodic[1]), off,
                 qy * qy, qz * qz, qy, qz)
    del lab_d, keep_d
    if cuts is not None:
        if off:
            raise ValueError("cuts: only with the potential fixed on the outer faces")
        _apply_cuts(gx, gy, gz, cuts, (nx, ny, nz))
    if face_resistance is not None:
        if off:
            raise ValueError("face_resistance: only with the potential fixed on the outer faces")
        if (qy, qz) != (1.0, 1.0):
            raise ValueError("face_resistance: only for cubic voxels")
        _apply_face_resistance(gx, gy, gz, face_resistance, (nx, ny, nz))
    fine = ConductionLevel(gx, gy, gz, sshape, tdt, vector_dtype=_TI_DTYPES[vector_dtype or dtype])
    correction = None
    interpolated = False
    has_islands = islands is not None and len(islands[0]) > 0
    high = has_islands and (ISLAND_INTERPOLATION if interpolate_islands is None else interpolate_islands)
    auto = pieces is None and CRACK_AWARE and cuts is None
    if cuts is None:
        fine.pieces_min_reduction = PIECES_DEEP_MIN_REDUCTION
    if CRACK_AWARE and (pieces or (high and cuts is not None)):
        fine.crack_aware = interpolated = True  # pieces split at cut faces and at contrasts
    elif high:
        transfer = IslandTransfer(fine, *islands, periodic=periodic)
        fine.island_transfer = transfer if transfer.n_voxels else None
        interpolated = fine.island_transfer is not None
    if has_islands:
        correction = IslandCorrection(fine, *islands)
    nu_given, cycle_given = nu, cycle
    if nu is None:
        nu = NU_ISLANDS if interpolated else NU
    levels = build_hierarchy(fine)
    k_levels = K_LEVELS
    if cycle is None and fine.crack_aware:
        cycle, k_levels = CRACK_CYCLE, CRACK_K_LEVELS
    cycle = cycle or CYCLE
    vcycle = _cycle(levels, nu, correction, cycle, k_levels)
    b = device_zeros(tdt, (ny * nz,))  # right-hand side: non-zero on the inlet plane only
    x = fine.new_vector(ti.f64)  # float64 accumulator of the solution (mixed precision)
    # initial guess: the linear profile of a uniform medium, restricted to conducting voxels;
    # zero at island contrast, where a linear profile inside every carbon cluster is a residual
    # the cycle has to remove (docs/transport.md; the ionic problem keeps the profile). Not with
    # the fixed aggregates after contact loss (CRACK_AWARE = False): from zero their residual
    # drops to ~6e-9 of ||b|| in one step and rises again, and the attainable-accuracy stop
    # ends the solve unconverged at iteration 10
    _rhs_and_guess(b, x, gx, gy, gz, nx, ny, nz)
    if interpolated and ZERO_GUESS_AT_ISLANDS and (cuts is None or fine.crack_aware):
        krylov.fill(x, 0.0)
    release_host_memory()  # the set-up's freed host temporaries, before the Krylov vectors
    t1 = time.perf_counter()

    def balanced(xv) -> bool:
        f = _fluxes(xv, gx, nx, ny, nz)
        fin, fout = float(f[0]), float(f[1])
        scale = max(abs(fin), abs(fout), 1e-300)
        return abs(fin - fout) / scale <= flux_tol

    def current(xv) -> float:
        f = _fluxes(xv, gx, nx, ny, nz)
        return max(abs(float(f[0])), abs(float(f[1])), 1e-300)

    z_dtype = ti.f32 if _f32_preconditioner(tdt, fine.vector_dtype, cuts is not None) else None
    abort = None
    if auto:
        def abort(history) -> bool:  # the 2x2x2 levels' rate over the first PROBE_ITERATIONS
            return (len(history) == PROBE_ITERATIONS + 1
                    and (history[-1] / history[0]) ** (1.0 / PROBE_ITERATIONS) > PROBE_RATE)
    info = krylov.pcg(fine, vcycle, b, x, tol=tol, maxiter=maxiter, accept=balanced, scale=current,
                      flexible=(cycle == "k" and FLEXIBLE), z_dtype=z_dtype, abort=abort)
    if info.reason == krylov.ABORTED:
        # a tortuous network the fixed aggregates weld: go on from x on the strength-split pieces
        rate = (info.history[-1] / info.history[0]) ** (1.0 / PROBE_ITERATIONS)
        log.info("conduction %s: the 2x2x2 levels reduce the residual by %.2f per iteration; "
                 "continuing on the strength-split pieces", shape, rate)
        del vcycle, levels
        fine.island_transfer = None
        fine.crack_aware = True
        release_host_memory()
        levels = build_hierarchy(fine)
        cycle = cycle_given or CRACK_CYCLE
        vcycle = _cycle(levels, NU_ISLANDS if nu_given is None else nu_given, correction, cycle,
                        CRACK_K_LEVELS)
        probe = info
        info = krylov.pcg(fine, vcycle, b, x, tol=tol, maxiter=maxiter - probe.n_iter, accept=balanced,
                          scale=current, flexible=(cycle == "k" and FLEXIBLE), z_dtype=z_dtype)
        info.n_iter += probe.n_iter
        info.history = probe.history + info.history
    f = _fluxes(x, gx, nx, ny, nz)
    t2 = time.perf_counter()
    pot = faces = None
    if want_potential:
        pot = x.to_numpy().reshape(sshape)
        faces = (gx.to_numpy().reshape((nx + 1, ny, nz)), gy.to_numpy().reshape(sshape),
                 gz.to_numpy().reshape(sshape))
    log.debug("conduction %s: %d levels, %d islands (%d voxels), %d iterations, residual %.3g, "
              "setup %.2f s, solve %.2f s", shape, len(levels),
              correction.n_clusters if correction else 0, correction.n_voxels if correction else 0,
              info.n_iter, info.residual, t1 - t0, t2 - t1)
    return ConductionSolution(
        flux_in=float(f[0]), flux_out=float(f[1]), converged=info.converged, n_iter=info.n_iter,
        residual=info.residual if math.isfinite(info.residual) else math.inf, history=info.history,
        reason=info.reason, potential=pot, faces=faces, setup_time=t1 - t0, solve_time=t2 - t1,
        n_levels=len(levels),
    )
