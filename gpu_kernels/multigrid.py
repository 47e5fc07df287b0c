"""Generic geometric-multigrid V-cycle used as a preconditioner for :func:`krylov.pcg`.

The driver knows nothing about the physics. A *level* supplies the grid
operations through the :class:`Level` protocol; the conduction operator
(:mod:`gpu_kernels.conduction`, one unknown per voxel) implements it, and the
elasticity operator of a later issue implements the same five methods for
three unknowns per voxel on the same 2x2x2 coarsening, so the hierarchy, the
V-cycle and the Krylov loop are shared.

The cycle is symmetric (``nu`` forward smoothing sweeps before the coarse
correction, ``nu`` backward sweeps after it, transfer operators that are
transposes of each other up to a positive factor, a fixed coarsest-level
treatment), so one V-cycle is a fixed SPD operator and CG stays valid.

Optional *subspace corrections* per level (``VCycle(..., corrections=[c0,
c1, ...])``, ``c(x, b)`` adds ``Z (Z^T A Z)^{-1} Z^T (b - A x)`` to ``x`` for a
set of vectors ``Z`` of that level) run before the pre-smoothing and after the
post-smoothing, so the cycle stays symmetric. The conduction solver uses it for
the constant modes of highly conducting islands, which piecewise-constant
aggregates do not represent (``conduction.IslandCorrection``); the elasticity
solver can pass the rigid-body modes of stiff inclusions the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from . import krylov

__all__ = ["Level", "VCycle", "KCycle", "build_hierarchy"]

log = logging.getLogger(__name__)


class Level(Protocol):
    """Operations one grid level offers to the multigrid driver."""

    shape: tuple[int, ...]

    def new_vector(self):  # pragma: no cover - protocol
        """A zeroed unknown vector of this level (a Taichi ndarray)."""

    def apply(self, x, y) -> None:  # pragma: no cover - protocol
        """``y = A x``."""

    def smooth(self, x, b, *, forward: bool, sweeps: int = 1) -> None:  # pragma: no cover
        """``sweeps`` smoothing sweeps on ``A x = b``; ``forward=False`` is the adjoint order."""

    def restrict_residual(self, x, b, coarse_b) -> None:  # pragma: no cover - protocol
        """``coarse_b = R (b - A x)`` with ``R`` proportional to ``P^T``."""

    def prolong_add(self, coarse_x, x) -> None:  # pragma: no cover - protocol
        """``x += P coarse_x``."""

    def coarsen(self) -> Level | None:  # pragma: no cover - protocol
        """The next coarser level, or None when this one is the coarsest."""

    # optional: ``coarse_solve(x, b, sweeps)`` -- ``sweeps`` symmetric sweeps in one launch
    # on the coarsest level (else the driver calls ``smooth`` forward and backward);
    # ``accepts_zero_guess = True``: ``smooth(..., zero_guess=True)`` may skip computing the
    # residual of the zero vector (the driver passes it when ``x`` was just zeroed); a subspace
    # correction with ``accepts_zero_guess = True`` is called ``c(x, b, zero_guess=True)`` likewise


def build_hierarchy(finest: Level, *, max_levels: int = 20) -> list[Level]:
    """Coarsen ``finest`` until the level reports it is the coarsest (or ``max_levels``)."""
    levels = [finest]
    while len(levels) < max_levels:
        nxt = levels[-1].coarsen()
        if nxt is None:
            break
        levels.append(nxt)
    log.debug("multigrid hierarchy: %s", [lv.shape for lv in levels])
    return levels


class VCycle:
    """One symmetric V-cycle as a preconditioner ``z = M^{-1} r``.

    Parameters
    ----------
    levels : list of Level
        Finest first, as returned by :func:`build_hierarchy`.
    nu : int or sequence of int
        Smoothing sweeps before (forward) and after (backward) each coarse correction; a
        sequence gives them per level (finest first, the last entry for all deeper levels).
    coarse_sweeps : int
        Symmetric sweep pairs on the coarsest level (it is small: a few cells a side).
    corrections : list, optional
        One entry per level, ``None`` or a callable ``c(x, b)`` that adds an exact (or
        Jacobi, i.e. A-norm non-expansive) Galerkin correction on a subspace of that level
        to ``x``; it runs before the pre-smoothing and after the post-smoothing of its
        level (a symmetric multiplicative combination: the cycle stays SPD).
    """

    def __init__(self, levels: list[Level], *, nu: int | Sequence[int] = 1, coarse_sweeps: int = 30,
                 corrections: list[Callable[[object, object], None] | None] | None = None):
        self.levels = levels
        nus = [int(nu)] if isinstance(nu, (int, float)) else [int(v) for v in nu]
        self._nus = [nus[min(k, len(nus) - 1)] for k in range(len(levels))]
        self.nu = self._nus[0]
        self.coarse_sweeps = int(coarse_sweeps)
        self.corrections = list(corrections or []) + [None] * (len(levels) - len(corrections or []))
        # solution and right-hand side of every coarse level, allocated once
        self._x = [None] + [lv.new_vector() for lv in levels[1:]]
        self._b = [None] + [lv.new_vector() for lv in levels[1:]]

    def __call__(self, r, z) -> None:
        self._cycle(0, r, z)

    def _cycle(self, k: int, b, x) -> None:
        lv = self.levels[k]
        corr = self.corrections[k]
        krylov.fill(x, 0.0)
        if corr is not None:
            if getattr(corr, "accepts_zero_guess", False):
                corr(x, b, zero_guess=True)  # x is 0: its residual is b
            else:
                corr(x, b)
        if k == len(self.levels) - 1:
            if hasattr(lv, "coarse_solve"):
                lv.coarse_solve(x, b, self.coarse_sweeps)
            else:
                lv.smooth(x, b, forward=True, sweeps=self.coarse_sweeps)
                lv.smooth(x, b, forward=False, sweeps=self.coarse_sweeps)
        else:
            nu = self._nus[k]
            if corr is None and getattr(lv, "accepts_zero_guess", False):
                lv.smooth(x, b, forward=True, sweeps=nu, zero_guess=True)  # x is 0: r = b
            else:
                lv.smooth(x, b, forward=True, sweeps=nu)
            bc, xc = self._b[k + 1], self._x[k + 1]
            lv.restrict_residual(x, b, bc)
            self._coarse(k + 1, bc, xc)
            lv.prolong_add(xc, x)
            lv.smooth(x, b, forward=False, sweeps=nu)
        if corr is not None:
            corr(x, b)

    def _coarse(self, m: int, b, x) -> None:
        """Approximate solve of the level-``m`` coarse problem (``b`` may be overwritten)."""
        self._cycle(m, b, x)


class KCycle(VCycle):
    """Krylov-accelerated multigrid cycle (Notay's K-cycle) as a preconditioner.

    Like :class:`VCycle`, but the coarse problem of every level ``m >= 1`` that is not
    the coarsest is solved by (up to) two iterations of flexible conjugate gradients
    preconditioned by the cycle of level ``m`` itself: the second iteration runs only
    when the first leaves more than ``threshold`` of the coarse residual. The optimal
    step lengths of the inner iterations repair what a fixed V-cycle cannot: a coarse
    operator that is too stiff or too soft on some modes (piecewise-constant aggregates
    welding highly conducting clusters at high contrast), at ~2x the work of the coarse
    levels of a V-cycle (each level calls the next one at most twice, ``2/8`` of its
    size in 3-D).

    The cycle is a non-linear (slightly varying) preconditioner: use it with flexible
    CG (``krylov.pcg(..., flexible=True)``). Needs two extra vectors on every coarse
    level; levels only need the :class:`Level` protocol (``apply`` may return
    ``x.A.x``, else a dot product is taken).
    """

    def __init__(self, levels: list[Level], *, nu: int = 1, coarse_sweeps: int = 30,
                 corrections: list[Callable[[object, object], None] | None] | None = None,
                 threshold: float = 0.25, krylov_levels: Sequence[int] | None = None):
        super().__init__(levels, nu=nu, coarse_sweeps=coarse_sweeps, corrections=corrections)
        self.threshold = float(threshold)
        last = len(levels) - 1
        #: the coarse levels that get the inner Krylov steps (default: all but the coarsest)
        self.krylov_levels = set(range(1, last)) if krylov_levels is None else {int(m) for m in krylov_levels}
        self._v = [lv.new_vector() if m in self.krylov_levels and m < last else None
                   for m, lv in enumerate(levels)]
        self._c = [lv.new_vector() if m in self.krylov_levels and m < last else None
                   for m, lv in enumerate(levels)]

    def _coarse(self, m: int, b, x) -> None:
        if m == len(self.levels) - 1 or m not in self.krylov_levels:
            self._cycle(m, b, x)
            return
        lv, v, c2 = self.levels[m], self._v[m], self._c[m]
        bb = krylov.dot(b, b)
        if bb == 0.0:
            krylov.fill(x, 0.0)
            return
        self._cycle(m, b, x)  # c1 = B b (kept in x)
        rho1 = _energy(lv, x, v)  # v = A c1
        alpha1 = krylov.dot(x, b)
        if not rho1 > 0.0:
            return
        a1 = alpha1 / rho1
        rr = krylov.axpy(b, v, -a1)  # b = r~ = b - a1 A c1
        if rr <= self.threshold ** 2 * bb:
            krylov.lincomb(x, a1, x, 0.0)
            return
        self._cycle(m, b, c2)  # c2 = B r~
        gamma = krylov.dot(c2, v)
        beta = _energy(lv, c2, v)
        alpha2 = krylov.dot(c2, b)
        rho2 = beta - gamma * gamma / rho1
        if not rho2 > 0.0:
            krylov.lincomb(x, a1, x, 0.0)
            return
        krylov.lincomb(x, a1 - gamma * alpha2 / (rho1 * rho2), c2, alpha2 / rho2)


def _energy(lv, x, y) -> float:
    """``y = A x``; returns ``x.A.x`` (from ``apply`` when it reports it)."""
    e = lv.apply(x, y)
    return krylov.dot(x, y) if e is None else float(e)
