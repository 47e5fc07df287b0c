"""Steady conduction ``div(sigma grad phi) = 0`` on a voxel grid: operator, multigrid level, solve.

Discretisation (cell-centred finite volumes, lengths in voxels, ``h = 1``):

* the problem is always solved along axis 0 (the front-end transposes the
  volume so that the transport axis comes first);
* the conductance of the face between voxels ``a`` and ``b`` is
  ``g = 1 / (1/(2 sigma_a) + 1/(2 sigma_b) + R_ab / h)`` [S/m], i.e. the
  harmonic mean of the two conductivities with an optional interfacial
  resistance ``R_ab`` [ohm m^2] in series;
* potential 1 on the face ``x = 0`` and 0 on the face ``x = nx`` (on the
  faces themselves, half a voxel from the first/last centres: conductance
  ``2 sigma``), so a uniform block returns exactly ``sigma``;
* the sides (axes 1 and 2) are no-flux or periodic: the face arrays of those
  axes wrap around, and the wrap face has conductance 0 when no-flux;
* voxels that are insulating or not connected to both electrode faces are
  excluded by giving all their faces conductance 0 (their equation is
  skipped), which keeps the operator SPD.

Storage per level: ``gx`` (nx+1, ny, nz) with ``gx[i]`` the face between
voxels ``i-1`` and ``i`` (``gx[0]``, ``gx[nx]`` the electrode faces);
``gy``, ``gz`` (nx, ny, nz) with ``gy[:, j]`` the face between ``j-1``
(wrapping) and ``j``.

Coarsening (2x2x2 aggregation, the last coarse cell takes one voxel when a
size is odd): a coarse face conductance is the sum of the fine face
conductances that cross it (the Galerkin operator ``P^T A P`` of
piecewise-constant interpolation, which keeps every thin channel and every
contrast exactly connected) times ``1/2`` along coarsened directions (the
factor that makes it equal to re-discretisation on the doubled grid in a
uniform medium). Restriction sums the residual of the eight children
(``P^T``), prolongation injects (``P``). Smoother: red-black Gauss-Seidel,
forward (red, black) before and backward (black, red) after the coarse
correction, so one V-cycle is symmetric.
"""


import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import taichi as ti

from . import krylov
from .krylov import _cpu
from .multigrid import VCycle, build_hierarchy
from .runtime import ensure_initialized

__all__ = ["ConductionLevel", "ConductionSolution", "solve_conduction", "bytes_per_voxel"]

log = logging.getLogger(__name__)

_TI_DTYPES = {"float32": ti.f32, "float64": ti.f64}


# --------------------------------------------------------------------------- kernels
# CPU loops: parallel over (i, j), serial along k (see krylov.py for why);
# GPU loops: one thread per voxel.


@ti.func
def _face_g(lab: ti.template(), sig: ti.template(), rint: ti.template(), ia, ja, ka, ib, jb, kb):
    la = ti.cast(lab[ia, ja, ka], ti.i32)
    lb = ti.cast(lab[ib, jb, kb], ti.i32)
    return 1.0 / (0.5 / sig[la] + 0.5 / sig[lb] + rint[la, lb])


@ti.func
def _build_one(lab: ti.template(), keep: ti.template(), sig: ti.template(), rint: ti.template(),
               gx: ti.template(), gy: ti.template(), gz: ti.template(), per_y: ti.i32, per_z: ti.i32,
               off: ti.i32, i, j, k, nx, ny, nz):
    # (i, j, k): unknown index; the labels are offset by ``off`` layers along x when the
    # first and last layers are Dirichlet layers (potential fixed at their centres)
    il = i + off
    kept = keep[il, j, k] != 0
    # x face below voxel i (and the outlet face above the last voxel)
    g = ti.cast(0.0, ti.f64)
    if kept:
        if i > 0 or off != 0:
            if keep[il - 1, j, k] != 0:
                g = _face_g(lab, sig, rint, il - 1, j, k, il, j, k)
        else:
            g = 2.0 * sig[ti.cast(lab[il, j, k], ti.i32)]
    gx[i, j, k] = g
    if i == nx - 1:
        gout = ti.cast(0.0, ti.f64)
        if kept:
            if off != 0:
                if keep[il + 1, j, k] != 0:
                    gout = _face_g(lab, sig, rint, il, j, k, il + 1, j, k)
            else:
                gout = 2.0 * sig[ti.cast(lab[il, j, k], ti.i32)]
        gx[nx, j, k] = gout
    jm = ti.select(j == 0, ny - 1, j - 1)
    gyv = ti.cast(0.0, ti.f64)
    if kept and (j > 0 or per_y != 0) and keep[il, jm, k] != 0:
        gyv = _face_g(lab, sig, rint, il, jm, k, il, j, k)
    gy[i, j, k] = gyv
    km = ti.select(k == 0, nz - 1, k - 1)
    gzv = ti.cast(0.0, ti.f64)
    if kept and (k > 0 or per_z != 0) and keep[il, j, km] != 0:
        gzv = _face_g(lab, sig, rint, il, j, km, il, j, k)
    gz[i, j, k] = gzv


@ti.kernel
def _build_faces(lab: ti.types.ndarray(), keep: ti.types.ndarray(), sig: ti.types.ndarray(),
                 rint: ti.types.ndarray(), gx: ti.types.ndarray(), gy: ti.types.ndarray(),
                 gz: ti.types.ndarray(), per_y: ti.i32, per_z: ti.i32, off: ti.i32):
    nx, ny, nz = gy.shape[0], gy.shape[1], gy.shape[2]
    if ti.static(_cpu()):
        for i, j in ti.ndrange(nx, ny):
            for k in range(nz):
                _build_one(lab, keep, sig, rint, gx, gy, gz, per_y, per_z, off, i, j, k, nx, ny, nz)
    else:
        for i, j, k in ti.ndrange(nx, ny, nz):
            _build_one(lab, keep, sig, rint, gx, gy, gz, per_y, per_z, off, i, j, k, nx, ny, nz)


@ti.func
def _stencil(x: ti.template(), gx: ti.template(), gy: ti.template(), gz: ti.template(),
             i, j, k, nx, ny, nz):
    """(diagonal, sum of g * neighbour) of voxel (i, j, k); Dirichlet 0 outside x."""
    jm = ti.select(j == 0, ny - 1, j - 1)
    jp = ti.select(j == ny - 1, 0, j + 1)
    km = ti.select(k == 0, nz - 1, k - 1)
    kp = ti.select(k == nz - 1, 0, k + 1)
    gxm = gx[i, j, k]
    gxp = gx[i + 1, j, k]
    gym = gy[i, j, k]
    gyp = gy[i, jp, k]
    gzm = gz[i, j, k]
    gzp = gz[i, j, kp]
    d = gxm + gxp + gym + gyp + gzm + gzp
    s = gym * x[i, jm, k] + gyp * x[i, jp, k] + gzm * x[i, j, km] + gzp * x[i, j, kp]
    if i > 0:
        s += gxm * x[i - 1, j, k]
    if i < nx - 1:
        s += gxp * x[i + 1, j, k]
    return d, s


@ti.func
def _residual_one(x: ti.template(), b: ti.template(), gx: ti.template(), gy: ti.template(),
                  gz: ti.template(), i, j, k, nx, ny, nz):
    """b - A x at voxel (i, j, k) with every product and sum in float64, written as
    flux differences so that the residuals of all voxels sum exactly to inflow - outflow."""
    jm = ti.select(j == 0, ny - 1, j - 1)
    jp = ti.select(j == ny - 1, 0, j + 1)
    km = ti.select(k == 0, nz - 1, k - 1)
    kp = ti.select(k == nz - 1, 0, k + 1)
    xc = ti.cast(x[i, j, k], ti.f64)
    xm = ti.cast(0.0, ti.f64)
    xq = ti.cast(0.0, ti.f64)
    if i > 0:
        xm = ti.cast(x[i - 1, j, k], ti.f64)
    if i < nx - 1:
        xq = ti.cast(x[i + 1, j, k], ti.f64)
    v = (ti.cast(gx[i, j, k], ti.f64) * (xm - xc) + ti.cast(gx[i + 1, j, k], ti.f64) * (xq - xc)
         + ti.cast(gy[i, j, k], ti.f64) * (ti.cast(x[i, jm, k], ti.f64) - xc)
         + ti.cast(gy[i, jp, k], ti.f64) * (ti.cast(x[i, jp, k], ti.f64) - xc)
         + ti.cast(gz[i, j, k], ti.f64) * (ti.cast(x[i, j, km], ti.f64) - xc)
         + ti.cast(gz[i, j, kp], ti.f64) * (ti.cast(x[i, j, kp], ti.f64) - xc))
    return ti.cast(b[i, j, k], ti.f64) + v


@ti.kernel
def _apply(x: ti.types.ndarray(), y: ti.types.ndarray(), gx: ti.types.ndarray(),
           gy: ti.types.ndarray(), gz: ti.types.ndarray()):
    nx, ny, nz = x.shape[0], x.shape[1], x.shape[2]
    if ti.static(_cpu()):
        for i, j in ti.ndrange(nx, ny):
            for k in range(nz):
                d, s = _stencil(x, gx, gy, gz, i, j, k, nx, ny, nz)
                y[i, j, k] = d * x[i, j, k] - s
    else:
        for i, j, k in ti.ndrange(nx, ny, nz):
            d, s = _stencil(x, gx, gy, gz, i, j, k, nx, ny, nz)
            y[i, j, k] = d * x[i, j, k] - s


@ti.kernel
def _residual(x: ti.types.ndarray(), b: ti.types.ndarray(), r: ti.types.ndarray(),
              gx: ti.types.ndarray(), gy: ti.types.ndarray(), gz: ti.types.ndarray()) -> ti.f64:
    """r = b - A x evaluated in float64; returns ||r||^2."""
    nx, ny, nz = x.shape[0], x.shape[1], x.shape[2]
    acc = ti.cast(0.0, ti.f64)
    if ti.static(_cpu()):
        for i, j in ti.ndrange(nx, ny):
            loc = ti.cast(0.0, ti.f64)
            for k in range(nz):
                v = _residual_one(x, b, gx, gy, gz, i, j, k, nx, ny, nz)
                r[i, j, k] = v
                loc += v * v
            acc += loc
    else:
        for i, j, k in ti.ndrange(nx, ny, nz):
            v = _residual_one(x, b, gx, gy, gz, i, j, k, nx, ny, nz)
            r[i, j, k] = v
            acc += v * v
    return acc


@ti.func
def _gs_one(x: ti.template(), b: ti.template(), gx: ti.template(), gy: ti.template(), gz: ti.template(),
            i, j, k, nx, ny, nz):
    d, s = _stencil(x, gx, gy, gz, i, j, k, nx, ny, nz)
    if d > 0:
        x[i, j, k] = (b[i, j, k] + s) / d


@ti.kernel
def _gs_color(x: ti.types.ndarray(), b: ti.types.ndarray(), gx: ti.types.ndarray(),
              gy: ti.types.ndarray(), gz: ti.types.ndarray(), color: ti.i32):
    nx, ny, nz = x.shape[0], x.shape[1], x.shape[2]
    if ti.static(_cpu()):
        for i, j in ti.ndrange(nx, ny):
            k0 = (i + j + color) & 1
            for kk in range((nz - k0 + 1) // 2):
                _gs_one(x, b, gx, gy, gz, i, j, k0 + 2 * kk, nx, ny, nz)
    else:
        for i, j, kk in ti.ndrange(nx, ny, (nz + 1) // 2):
            k = 2 * kk + ((i + j + color) & 1)
            if k < nz:
                _gs_one(x, b, gx, gy, gz, i, j, k, nx, ny, nz)


@ti.func
def _restrict_one(x: ti.template(), b: ti.template(), gx: ti.template(), gy: ti.template(),
                  gz: ti.template(), bc: ti.template(), ci, cj, ck, nx, ny, nz):
    acc = ti.cast(0.0, ti.f64)
    for di, dj, dk in ti.static(ti.ndrange(2, 2, 2)):
        i = 2 * ci + di
        j = 2 * cj + dj
        k = 2 * ck + dk
        if i < nx and j < ny and k < nz:
            d, s = _stencil(x, gx, gy, gz, i, j, k, nx, ny, nz)
            acc += ti.cast(b[i, j, k] - (d * x[i, j, k] - s), ti.f64)
    bc[ci, cj, ck] = acc


@ti.kernel
def _restrict_residual(x: ti.types.ndarray(), b: ti.types.ndarray(), gx: ti.types.ndarray(),
                       gy: ti.types.ndarray(), gz: ti.types.ndarray(), bc: ti.types.ndarray()):
    nx, ny, nz = x.shape[0], x.shape[1], x.shape[2]
    if ti.static(_cpu()):
        for ci, cj in ti.ndrange(bc.shape[0], bc.shape[1]):
            for ck in range(bc.shape[2]):
                _restrict_one(x, b, gx, gy, gz, bc, ci, cj, ck, nx, ny, nz)
    else:
        for ci, cj, ck in ti.ndrange(bc.shape[0], bc.shape[1], bc.shape[2]):
            _restrict_one(x, b, gx, gy, gz, bc, ci, cj, ck, nx, ny, nz)


@ti.kernel
def _prolong_add(xc: ti.types.ndarray(), x: ti.types.ndarray()):
    if ti.static(_cpu()):
        for i, j in ti.ndrange(x.shape[0], x.shape[1]):
            for k in range(x.shape[2]):
                x[i, j, k] += xc[i // 2, j // 2, k // 2]
    else:
        for i, j, k in ti.ndrange(x.shape[0], x.shape[1], x.shape[2]):
            x[i, j, k] += xc[i // 2, j // 2, k // 2]


@ti.kernel
def _coarsen_faces(gx: ti.types.ndarray(), gy: ti.types.ndarray(), gz: ti.types.ndarray(),
                   gxc: ti.types.ndarray(), gyc: ti.types.ndarray(), gzc: ti.types.ndarray(),
                   sx: ti.f64, sy: ti.f64, sz: ti.f64):
    # runs once per level at set-up: plain 3-D loops are fine here
    nx, ny, nz = gy.shape[0], gy.shape[1], gy.shape[2]
    for ci, cj, ck in ti.ndrange(gxc.shape[0], gxc.shape[1], gxc.shape[2]):
        fi = ti.min(2 * ci, nx)
        acc = ti.cast(0.0, ti.f64)
        for dj, dk in ti.static(ti.ndrange(2, 2)):
            j = 2 * cj + dj
            k = 2 * ck + dk
            if j < ny and k < nz:
                acc += ti.cast(gx[fi, j, k], ti.f64)
        gxc[ci, cj, ck] = sx * acc
    for ci, cj, ck in ti.ndrange(gyc.shape[0], gyc.shape[1], gyc.shape[2]):
        acc_y = ti.cast(0.0, ti.f64)
        acc_z = ti.cast(0.0, ti.f64)
        for da, db in ti.static(ti.ndrange(2, 2)):
            # y faces: children along x and z; z faces: children along x and y
            i = 2 * ci + da
            k = 2 * ck + db
            if i < nx and k < nz:
                acc_y += ti.cast(gy[i, 2 * cj, k], ti.f64)
            j = 2 * cj + db
            if i < nx and j < ny:
                acc_z += ti.cast(gz[i, j, 2 * ck], ti.f64)
        gyc[ci, cj, ck] = sy * acc_y
        gzc[ci, cj, ck] = sz * acc_z


@ti.kernel
def _rhs_and_guess(b: ti.types.ndarray(), x: ti.types.ndarray(), gx: ti.types.ndarray(),
                   gy: ti.types.ndarray(), gz: ti.types.ndarray()):
    """b: inlet potential 1 times the inlet conductance; x: linear profile on conducting voxels."""
    nx, ny, nz = b.shape[0], b.shape[1], b.shape[2]
    for i, j, k in ti.ndrange(nx, ny, nz):
        v = ti.cast(0.0, ti.f64)
        if i == 0:
            v = gx[0, j, k]
        b[i, j, k] = v
        jp = ti.select(j == ny - 1, 0, j + 1)
        kp = ti.select(k == nz - 1, 0, k + 1)
        d = gx[i, j, k] + gx[i + 1, j, k] + gy[i, j, k] + gy[i, jp, k] + gz[i, j, k] + gz[i, j, kp]
        u = ti.cast(0.0, ti.f64)
        if d > 0:
            u = 1.0 - (i + 0.5) / nx
        x[i, j, k] = u


@ti.kernel
def _fluxes(x: ti.types.ndarray(), gx: ti.types.ndarray()) -> ti.types.vector(2, ti.f64):
    nx = x.shape[0]
    f_in = ti.cast(0.0, ti.f64)
    f_out = ti.cast(0.0, ti.f64)
    for j, k in ti.ndrange(x.shape[1], x.shape[2]):
        f_in += ti.cast(gx[0, j, k], ti.f64) * (1.0 - ti.cast(x[0, j, k], ti.f64))
        f_out += ti.cast(gx[nx, j, k], ti.f64) * ti.cast(x[nx - 1, j, k], ti.f64)
    return ti.Vector([f_in, f_out])


# --------------------------------------------------------------------------- level
class ConductionLevel:
    """One grid level of the conduction operator (implements the multigrid ``Level``
    protocol and the Krylov ``LinearOperator`` protocol).

    Parameters
    ----------
    gx, gy, gz : ti.ndarray
        Face conductances (see the module docstring for the layout) [S/m].
    dtype : ti dtype
        Storage type of vectors (``ti.f32`` or ``ti.f64``).
    min_coarse : int
        Stop coarsening once every side is at most this many cells.
    """

    def __init__(self, gx, gy, gz, dtype, *, min_coarse: int = 4):
        self.gx, self.gy, self.gz = gx, gy, gz
        self.dtype = dtype
        self.shape = tuple(int(s) for s in gy.shape)
        self.min_coarse = int(min_coarse)

    def new_vector(self, dtype=None):
        a = ti.ndarray(dtype or self.dtype, self.shape)
        krylov.fill(a, 0.0)
        return a

    def apply(self, x, y) -> None:
        _apply(x, y, self.gx, self.gy, self.gz)

    def residual(self, x, b, r) -> float:
        return float(_residual(x, b, r, self.gx, self.gy, self.gz))

    def smooth(self, x, b, *, forward: bool) -> None:
        order = (0, 1) if forward else (1, 0)
        for c in order:
            _gs_color(x, b, self.gx, self.gy, self.gz, c)

    def restrict_residual(self, x, b, coarse_b) -> None:
        _restrict_residual(x, b, self.gx, self.gy, self.gz, coarse_b)

    def prolong_add(self, coarse_x, x) -> None:
        _prolong_add(coarse_x, x)

    def coarsen(self) -> "ConductionLevel | None":
        if max(self.shape) <= self.min_coarse:
            return None
        nc = tuple((n + 1) // 2 for n in self.shape)
        scale = [0.5 if c < n else 1.0 for c, n in zip(nc, self.shape, strict=True)]
        gxc = ti.ndarray(self.dtype, (nc[0] + 1, nc[1], nc[2]))
        gyc = ti.ndarray(self.dtype, nc)
        gzc = ti.ndarray(self.dtype, nc)
        _coarsen_faces(self.gx, self.gy, self.gz, gxc, gyc, gzc, *scale)
        return ConductionLevel(gxc, gyc, gzc, self.dtype, min_coarse=self.min_coarse)


def bytes_per_voxel(dtype: str = "float32") -> float:
    """Device memory the solver needs per voxel (fine level + coarse levels) [bytes]."""
    w = 4 if dtype == "float32" else 8
    fine = 8 + 3 * w + 3 * w  # x (float64), r, p, z/q and three face arrays
    coarse = (2 * w + 3 * w) / 7.0  # x, b and faces of all coarse levels (geometric sum 1/8 + 1/64 ...)
    setup = 2  # labels and the kept-voxel mask while the faces are built
    return fine + coarse + setup


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


def solve_conduction(labels: np.ndarray, keep: np.ndarray, sigma: np.ndarray, rint: np.ndarray, *,
                     periodic: tuple[bool, bool] = (False, False), dtype: str = "float32",
                     tol: float = 1e-6, flux_tol: float = 1e-4, maxiter: int = 500, nu: int = 1,
                     want_potential: bool = False, dirichlet_layers: bool = False) -> ConductionSolution:
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
    maxiter, nu : int
        CG iteration limit; smoothing sweeps per V-cycle side.
    want_potential : bool
        Copy the potential and face conductances back to the host.
    dirichlet_layers : bool
        Fix the potential at the centres of the first and last layers (which are then
        not unknowns: the solution has ``nx - 2`` layers) instead of on the outer faces.
    """
    ensure_initialized()
    tdt = _TI_DTYPES[dtype]
    t0 = time.perf_counter()
    shape = labels.shape
    off = 1 if dirichlet_layers else 0
    nx = shape[0] - 2 * off
    sshape = (nx, shape[1], shape[2])
    lab_d = ti.ndarray(ti.u8, shape)
    lab_d.from_numpy(np.ascontiguousarray(labels, dtype=np.uint8))
    keep_d = ti.ndarray(ti.u8, shape)
    keep_d.from_numpy(np.ascontiguousarray(keep, dtype=np.uint8))
    sig_d = ti.ndarray(ti.f64, (256,))
    sig_d.from_numpy(np.ascontiguousarray(sigma, dtype=np.float64))
    r_d = ti.ndarray(ti.f64, (256, 256))
    r_d.from_numpy(np.ascontiguousarray(rint, dtype=np.float64))
    gx = ti.ndarray(tdt, (nx + 1, shape[1], shape[2]))
    gy = ti.ndarray(tdt, sshape)
    gz = ti.ndarray(tdt, sshape)
    _build_faces(lab_d, keep_d, sig_d, r_d, gx, gy, gz, int(periodic[0]), int(periodic[1]), off)
    del lab_d, keep_d
    fine = ConductionLevel(gx, gy, gz, tdt)
    levels = build_hierarchy(fine)
    vcycle = VCycle(levels, nu=nu)
    b = fine.new_vector()
    x = fine.new_vector(ti.f64)  # float64 accumulator of the solution (mixed precision)
    # initial guess: the linear profile of a uniform medium, restricted to conducting voxels
    _rhs_and_guess(b, x, gx, gy, gz)
    t1 = time.perf_counter()

    def balanced(xv) -> bool:
        f = _fluxes(xv, gx)
        fin, fout = float(f[0]), float(f[1])
        scale = max(abs(fin), abs(fout), 1e-300)
        return abs(fin - fout) / scale <= flux_tol

    info = krylov.pcg(fine, vcycle, b, x, tol=tol, maxiter=maxiter, accept=balanced)
    f = _fluxes(x, gx)
    t2 = time.perf_counter()
    pot = faces = None
    if want_potential:
        pot = x.to_numpy()
        faces = (gx.to_numpy(), gy.to_numpy(), gz.to_numpy())
    log.debug("conduction %s: %d levels, %d iterations, residual %.3g, setup %.2f s, solve %.2f s",
              shape, len(levels), info.n_iter, info.residual, t1 - t0, t2 - t1)
    return ConductionSolution(
        flux_in=float(f[0]), flux_out=float(f[1]), converged=info.converged, n_iter=info.n_iter,
        residual=info.residual if math.isfinite(info.residual) else math.inf, history=info.history,
        reason=info.reason, potential=pot, faces=faces, setup_time=t1 - t0, solve_time=t2 - t1,
        n_levels=len(levels),
    )
