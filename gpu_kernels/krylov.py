"""Generic vector kernels and a preconditioned conjugate-gradient loop.

Everything here works on flat (1-D) Taichi ndarrays of either dtype (``f32``
or ``f64``): the kernels are compiled once per dtype and reused for every
size, and the unknowns stay on the device for the whole solve. Reductions
(dot products) accumulate in float64 whatever the storage dtype.

The loop takes an *operator* and a *preconditioner* through a small protocol
(see :class:`LinearOperator`), so the conduction solver (one unknown per
voxel) and the elasticity solver (three unknowns per voxel, stored as a flat
vector of length 3 N) share the same code.
"""


import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import taichi as ti

__all__ = [
    "Bordered",
    "LinearOperator",
    "Preconditioner",
    "PCGInfo",
    "pcg",
    "dot",
    "fill",
    "copy",
    "axpy",
    "lincomb",
    "gather",
    "scatter",
    "scatter_add",
]


# --------------------------------------------------------------------------- kernels
# Vectors are flat 1-D ndarrays (one entry per unknown, any number of unknowns per
# voxel): on the CPU backend Taichi's index arithmetic for a 3-D ndarray costs 3-5x
# the memory traffic of the loop, while 1-D loops vectorise.


@ti.kernel
def _dot(a: ti.types.ndarray(ndim=1), b: ti.types.ndarray(ndim=1)) -> ti.f64:
    s = ti.cast(0.0, ti.f64)
    for i in range(a.shape[0]):
        s += ti.cast(a[i], ti.f64) * ti.cast(b[i], ti.f64)
    return s


@ti.kernel
def _fill(a: ti.types.ndarray(ndim=1), v: ti.f64):
    for i in range(a.shape[0]):
        a[i] = v


@ti.kernel
def _copy(dst: ti.types.ndarray(ndim=1), src: ti.types.ndarray(ndim=1)):
    for i in range(dst.shape[0]):
        dst[i] = src[i]


@ti.kernel
def _update_xr(x: ti.types.ndarray(ndim=1), r: ti.types.ndarray(ndim=1), p: ti.types.ndarray(ndim=1),
               q: ti.types.ndarray(ndim=1), alpha: ti.f64) -> ti.f64:
    """x += alpha p; r -= alpha q; return r.r (float64)."""
    s = ti.cast(0.0, ti.f64)
    for i in range(x.shape[0]):
        x[i] += alpha * p[i]
        r[i] = r[i] - alpha * q[i]
        s += ti.cast(r[i], ti.f64) * ti.cast(r[i], ti.f64)
    return s


@ti.kernel
def _update_p(p: ti.types.ndarray(ndim=1), z: ti.types.ndarray(ndim=1), beta: ti.f64):
    """p = z + beta p."""
    for i in range(p.shape[0]):
        p[i] = z[i] + beta * p[i]


@ti.kernel
def _axpy(y: ti.types.ndarray(ndim=1), x: ti.types.ndarray(ndim=1), a: ti.f64) -> ti.f64:
    """y += a x; return y.y (float64)."""
    s = ti.cast(0.0, ti.f64)
    for i in range(y.shape[0]):
        y[i] = y[i] + a * x[i]
        s += ti.cast(y[i], ti.f64) * ti.cast(y[i], ti.f64)
    return s


@ti.kernel
def _lincomb(x: ti.types.ndarray(ndim=1), a: ti.f64, y: ti.types.ndarray(ndim=1), b: ti.f64):
    """x = a x + b y."""
    for i in range(x.shape[0]):
        x[i] = a * x[i] + b * y[i]


@ti.kernel
def _gather(v: ti.types.ndarray(ndim=1), idx: ti.types.ndarray(ndim=1), out: ti.types.ndarray(ndim=1)):
    for i in range(idx.shape[0]):
        out[i] = ti.cast(v[idx[i]], ti.f64)


@ti.kernel
def _scatter(v: ti.types.ndarray(ndim=1), idx: ti.types.ndarray(ndim=1), vals: ti.types.ndarray(ndim=1)):
    for i in range(idx.shape[0]):
        v[idx[i]] = vals[i]


@ti.kernel
def _scatter_add(v: ti.types.ndarray(ndim=1), idx: ti.types.ndarray(ndim=1), vals: ti.types.ndarray(ndim=1)):
    for i in range(idx.shape[0]):  # the indices are distinct: no two threads write one entry
        v[idx[i]] += vals[i]


def gather(v, idx, out) -> None:
    """``out[i] = v[idx[i]]`` (``out`` float64, ``idx`` int32): a few entries of a device vector."""
    _gather(v, idx, out)


def scatter(v, idx, vals) -> None:
    """``v[idx[i]] = vals[i]`` for distinct indices ``idx`` (int32)."""
    _scatter(v, idx, vals)


def scatter_add(v, idx, vals) -> None:
    """``v[idx[i]] += vals[i]`` for distinct indices ``idx`` (int32)."""
    _scatter_add(v, idx, vals)


class Bordered:
    """A device vector bordered by a few unknowns kept on the host in float64 (``e``), e.g. the
    displacement of a plate that moves as one body under a given force. :func:`dot`, :func:`fill`,
    :func:`copy` and :func:`pcg` take these as they take plain ndarrays; an operator that makes
    them (``new_vector``) sees the two parts in ``apply``, ``residual`` and its preconditioner,
    so the level kernels never see a vector longer than their grid."""

    __slots__ = ("v", "e")

    def __init__(self, v, e):
        self.v = v
        self.e = np.array(e, dtype=np.float64).reshape(-1)


def _update_xr_any(x, r, p, q, alpha: float) -> float:
    if isinstance(x, Bordered):
        x.e += alpha * p.e
        r.e -= alpha * q.e
        return float(_update_xr(x.v, r.v, p.v, q.v, alpha)) + float(r.e @ r.e)
    return float(_update_xr(x, r, p, q, alpha))


def _update_p_any(p, z, beta: float) -> None:
    if isinstance(p, Bordered):
        p.e[:] = z.e + beta * p.e
        _update_p(p.v, z.v, beta)
    else:
        _update_p(p, z, beta)


def axpy(y, x, a: float) -> float:
    """``y += a x``; returns ``||y||^2`` (float64)."""
    return float(_axpy(y, x, float(a)))


def lincomb(x, a: float, y, b: float) -> None:
    """``x = a x + b y``."""
    _lincomb(x, float(a), y, float(b))


def dot(a, b) -> float:
    """Dot product of two ndarrays (or :class:`Bordered` vectors), accumulated in float64."""
    if isinstance(a, Bordered):
        return float(_dot(a.v, b.v)) + float(a.e @ b.e)
    return float(_dot(a, b))


def fill(a, value: float) -> None:
    """Set every entry of ``a`` to ``value``."""
    if isinstance(a, Bordered):
        a.e[:] = value
        a = a.v
    _fill(a, float(value))


def copy(dst, src) -> None:
    """``dst[...] = src`` (same shape)."""
    if isinstance(dst, Bordered):
        dst.e[:] = src.e
        dst, src = dst.v, src.v
    _copy(dst, src)


# --------------------------------------------------------------------------- protocol
class LinearOperator(Protocol):
    """What :func:`pcg` needs from an SPD operator ``A``."""

    def apply(self, x, y) -> float | None:  # pragma: no cover - protocol
        """``y = A x``. May return ``x.A.x`` evaluated robustly (e.g. face by face as a
        sum of squares); otherwise :func:`pcg` uses ``dot(x, y)``."""

    def residual(self, x, b, r) -> float:  # pragma: no cover - protocol
        """``r = b - A x`` computed in float64 (``x`` may be float64, ``r`` the working
        dtype); returns ``||r||^2`` in float64."""

    def new_vector(self, dtype=None):  # pragma: no cover - protocol
        """A zeroed vector (working dtype unless ``dtype`` is given)."""


class Preconditioner(Protocol):
    """``z = M^{-1} r`` with a fixed SPD ``M`` (e.g. one symmetric multigrid V-cycle)."""

    def __call__(self, r, z) -> None:  # pragma: no cover - protocol
        ...


@dataclass
class PCGInfo:
    """Convergence record of one :func:`pcg` call."""

    converged: bool = False
    n_iter: int = 0
    residual: float = math.inf  # true ||b - A x|| / ||b||
    history: list[float] = field(default_factory=list)
    reason: str = ""
    restarts: int = 0  # recurrences restarted from the true residual (drifted recursive residual)
    replacements: int = 0  # true residuals computed


#: attainable-accuracy stop of :func:`pcg`: after the residual target has been tightened, the
#: true residual is checked at least every ``STALL_CHECK_EVERY`` iterations; ``STALL_CHECKS``
#: checks in a row without getting below ``STALL_FACTOR`` x the best one (or, from
#: ``STALL_CHECK_EVERY`` iterations after the first check on, one above 4x the best) end the iteration
STALL_CHECK_EVERY = 5
STALL_CHECKS = 5
STALL_FACTOR = 0.9
#: ``stall_stop``: iterations without progress of the recursive residual before it is replaced
STALL_RECURSIVE = 4


#: ``PCGInfo.reason`` of an iteration ended by the caller's ``abort``
ABORTED = "ended by the caller (abort)"


def pcg(op: LinearOperator, precond: Preconditioner | None, b, x, *, tol: float = 1e-6,
        maxiter: int = 500, accept: Callable[[object], bool] | None = None,
        replace_every: int = 0, floor: float = 1e-13,
        scale: Callable[[object], float] | None = None, flexible: bool = False,
        q_dtype=None, z_dtype=None, stall_stop: bool = False,
        abort: Callable[[list], bool] | None = None) -> PCGInfo:
    """Solve ``A x = b`` by preconditioned conjugate gradients, all on the device.

    Three working vectors (``r``, ``p`` and one shared by ``z = M^{-1} r`` and
    ``q = A p``, whose lifetimes do not overlap) live in the operator's working
    dtype; ``x`` may be float64 while they are float32 (mixed precision): the
    true residual ``b - A x`` is then recomputed in float64 every
    ``replace_every`` iterations and whenever the recursive residual passes the
    tolerance (reliable residual replacement), so the answer is accurate to
    ``tol`` in float64 terms and not limited by float32 round-off.

    Parameters
    ----------
    op : LinearOperator
        The SPD operator.
    precond : callable or None
        ``precond(r, z)`` writes ``z = M^{-1} r``; ``None`` means no preconditioning.
    b, x : ndarray
        Right-hand side and initial guess (overwritten with the solution). ``b`` is
        only read by ``op.residual`` and for its 2-norm, so an operator may store it
        compactly (the conduction operator keeps only the inlet plane, where it is
        non-zero) as long as the 2-norm is that of the full vector.
    tol : float
        True relative residual ``||b - A x|| / ||b||`` to reach [-].
    maxiter : int
        Iteration limit.
    accept : callable, optional
        Extra acceptance test called with ``x`` once the residual is below the
        target (e.g. the in/out flux balance); while it fails the target is
        tightened tenfold (down to ``floor``) and iteration continues.
    replace_every : int
        Interval of extra true-residual recomputations (0: only when the recursive
        residual passes the target). A true residual more than twice the recursive
        one restarts the recurrence (``p = z``).
    floor : float
        Smallest relative residual the target is tightened to.
    scale : callable, optional
        ``scale(x)``: a second scale of the residual, e.g. the current through the sample
        for a unit potential drop. Convergence then also needs ``||b - A x|| <= tol *
        scale(x)``: when a few entries of ``b`` are huge (electrode faces of highly
        conducting voxels) ``||b||`` says nothing about the residual in the rest of the
        volume, while the current does.

    flexible : bool
        Flexible CG (Polak-Ribiere / FCG(1): ``beta = -z_new.q / p.q``) for a preconditioner
        that varies from call to call (a K-cycle). Keeps ``q = A p`` in a fourth vector.
    q_dtype : ti dtype, optional
        Storage of that fourth vector (default: the working dtype); it only enters ``beta``.
    z_dtype : ti dtype, optional
        Storage of the preconditioned residual ``z`` when it differs from the working dtype
        (a float32 preconditioner under float64 Krylov vectors: the preconditioner writes
        ``z`` in float32, which halves the traffic of its finest level). ``z`` and ``q``
        then are two vectors (``q`` in the working dtype, as the recurrence of ``r`` needs).

    stall_stop : bool
        Also watch a plain tolerance for attainable accuracy: when the recursive residual has not
        fallen below ``STALL_FACTOR`` x its best for ``STALL_RECURSIVE`` iterations (float32
        round-off near a tolerance it cannot resolve), the true residual replaces it and the
        recurrence restarts; from then on the true residual is checked as after a tightening, and
        the iteration ends, not converged, when it stops improving, instead of running on to
        ``maxiter`` while the recurrences drift.

    abort : callable, optional
        ``abort(history)`` after every iteration (``history``: the residual before the first
        iteration and after each one); True ends the iteration, not converged, with
        ``reason`` :data:`ABORTED` (a caller that watches the rate and switches preconditioners).

    Returns
    -------
    PCGInfo
    """
    r, p = op.new_vector(), op.new_vector()
    zq = op.new_vector(z_dtype) if z_dtype is not None else op.new_vector()
    if flexible:
        qv = op.new_vector(q_dtype) if q_dtype is not None else op.new_vector()
    else:
        qv = zq if z_dtype is None else op.new_vector()  # z and q share one array in one dtype
    info = PCGInfo()
    bb = dot(b, b)
    if bb == 0.0:
        fill(x, 0.0)
        info.converged, info.residual, info.reason = True, 0.0, "zero right-hand side"
        return info
    bnorm = math.sqrt(bb)
    res = math.sqrt(op.residual(x, b, r)) / bnorm
    info.history.append(res)
    target = tol
    if res < target and (accept is None or accept(x)):
        info.converged, info.residual = True, res
        return info
    _precondition(precond, r, zq)
    copy(p, zq)
    rz = dot(r, zq)
    best, stall, tightening = res, 0, False
    checking_since = None  # the iteration of the first attainable-accuracy check
    best_rec, since_best, watching = res, 0, False  # stall_stop: the recursive residual's progress
    for it in range(1, maxiter + 1):
        pq = op.apply(p, qv)  # q = A p (zq doubles as q unless flexible or z has its own dtype)
        if pq is None:
            pq = dot(p, qv)
        if not (pq > 0.0) or not (rz > 0.0):
            info.reason = f"breakdown (p.Ap={pq:.3g}, r.z={rz:.3g}): operator or preconditioner not SPD"
            break
        alpha = rz / pq
        rr = _update_xr_any(x, r, p, qv, alpha)
        res = math.sqrt(rr) / bnorm
        info.n_iter = it
        restart = False
        forced = False
        if stall_stop:
            if res < STALL_FACTOR * best_rec:
                best_rec, since_best = res, 0
            else:
                since_best += 1
                forced = since_best >= STALL_RECURSIVE
                watching = watching or forced
        checking = tightening or watching
        if (res < target or (replace_every and it % replace_every == 0) or forced
                or (checking and it % STALL_CHECK_EVERY == 0)):
            res_rec = res
            res = math.sqrt(op.residual(x, b, r)) / bnorm  # true residual replaces r
            # a recursive residual that drifted from the true one (float32 round-off)
            # spoils the conjugacy of p: restart the recurrence from the true residual
            restart = res > 2.0 * res_rec or forced
            if forced:
                best_rec, since_best = res, 0
            info.restarts += int(restart)
            info.replacements += 1
            if checking:
                # attainable accuracy: once the target has been tightened (or the recursive
                # residual has stalled), a true residual that stops improving (or grows:
                # round-off of the recurrences) ends the iteration near its best iterate instead
                # of letting CG drift away from it
                if res < STALL_FACTOR * best:
                    stall = 0
                else:
                    stall += 1
                if checking_since is None:
                    checking_since = it
                # growth ends it only STALL_CHECK_EVERY iterations after the checks began: right
                # after a tightening CG's residual may still jump (16^3 islands at 1e9, float32: x4.5
                # at the next iteration, then convergence), which is not drift
                grown = res > 4.0 * best and it - checking_since >= STALL_CHECK_EVERY
                if stall >= STALL_CHECKS or grown:
                    ok = res <= tol and (accept is None or accept(x))
                    info.converged = ok
                    info.history.append(res)
                    info.reason = (f"attainable accuracy reached (true residual {res:.2e}, best {best:.2e}; "
                                   + ("the residual target against the current is below what this "
                                      "precision resolves)" if tightening else
                                      f"the tolerance {tol:.1e} is below what this precision resolves)"))
                    break
            best = min(best, res)
            if res < target and scale is not None and res * bnorm > tol * scale(x):
                target = max(target * 0.1, floor)  # residual large against the second scale
                tightening = True
            elif res < target:
                if accept is None or accept(x):
                    info.converged = True
                    info.history.append(res)
                    break
                if target <= floor:
                    info.history.append(res)
                    info.reason = "acceptance test (flux balance) failed at the precision floor"
                    break
                target = max(target * 0.1, floor)
                tightening = True
        info.history.append(res)
        if abort is not None and abort(info.history):
            info.reason = ABORTED
            break
        _precondition(precond, r, zq)  # zq holds z = M^{-1} r
        rz_new = dot(r, zq)
        if restart:
            beta = 0.0
        elif flexible:
            beta = -dot(zq, qv) / pq
        else:
            beta = rz_new / rz
        rz = rz_new
        _update_p_any(p, zq, beta)
    if not info.converged:
        res = math.sqrt(op.residual(x, b, r)) / bnorm  # report the true residual, not the recursive one
        if not info.reason:
            info.reason = f"iteration limit {maxiter} reached"
    info.residual = res
    return info


def _precondition(precond, r, z) -> None:
    if precond is None:
        copy(z, r)
    else:
        precond(r, z)
