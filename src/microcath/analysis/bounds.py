"""Analytic bounds on the effective conductivity of a mixture (checks for the solver and the report)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InputError

__all__ = ["hashin_shtrikman_bounds"]


def hashin_shtrikman_bounds(fractions: Sequence[float], sigmas: Sequence[float]) -> tuple[float, float]:
    """Hashin–Shtrikman bounds of the conductivity of an isotropic n-phase mixture.

    ``Λ(s) = [Σ f_i / (σ_i + 2 s)]^-1 − 2 s``; the lower bound is
    ``Λ(σ_min)``, the upper ``Λ(σ_max)`` (Hashin & Shtrikman, J. Appl. Phys.
    33 (1962) 3125; DOSSIER §C1). For one conducting phase of fraction φ in
    insulators the upper bound is ``σ · 2φ / (3 − φ)`` and the lower bound 0.

    Parameters
    ----------
    fractions : sequence of float
        Volume fractions (normalised to sum 1 here).
    sigmas : sequence of float
        Conductivity of each phase [S/m], >= 0.

    Returns
    -------
    (lower, upper) : tuple of float
        Bounds [S/m].

    >>> lo, up = hashin_shtrikman_bounds([0.3, 0.7], [1.0, 0.0])
    >>> round(up, 6), lo
    (0.222222, 0.0)
    """
    f = np.asarray(fractions, dtype=float)
    s = np.asarray(sigmas, dtype=float)
    if f.shape != s.shape or f.ndim != 1 or f.size == 0:
        raise InputError(
            f"fractions, sigmas: expected two 1-D sequences of equal length, got {f.shape} and {s.shape}"
        )
    if np.any(f < 0) or not np.isfinite(f).all() or f.sum() <= 0:
        raise InputError(f"fractions: expected non-negative fractions with a positive sum, got {f}")
    if np.any(s < 0) or not np.isfinite(s).all():
        raise InputError(f"sigmas: expected finite conductivities >= 0 [S/m], got {s}")
    f = f / f.sum()
    keep = f > 0
    f, s = f[keep], s[keep]

    def lam(ref: float) -> float:
        den = s + 2.0 * ref
        if np.any(den == 0):  # ref = 0 and an insulating phase present
            return 0.0
        return float(1.0 / np.sum(f / den) - 2.0 * ref)

    lo, up = lam(float(s.min())), lam(float(s.max()))
    return max(lo, 0.0), up

