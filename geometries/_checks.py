"""Input validation shared by the generators (public functions validate, private ones trust);
the number checks are those of :mod:`microcath.validation`."""

from __future__ import annotations

from typing import Any

import numpy as np

from microcath import validation
from microcath.errors import InputError

__all__ = ["as_rng", "positive", "fraction", "nonnegative"]


def as_rng(rng: Any = None, seed: Any = None) -> np.random.Generator:
    """A NumPy Generator from ``rng`` (Generator or int) or ``seed``; never global state."""
    if rng is not None and seed is not None:
        raise InputError("rng/seed: give one of them, not both")
    src = rng if rng is not None else seed
    if isinstance(src, np.random.Generator):
        return src
    if src is None:
        return np.random.default_rng()
    if isinstance(src, (int, np.integer)) and not isinstance(src, bool) and int(src) >= 0:
        return np.random.default_rng(int(src))
    raise InputError(
        f"rng: expected a non-negative int seed or a numpy.random.Generator, got {src!r}"
    )


def _number(name: str, value: Any) -> float:
    return validation.number(value, name)


def positive(name: str, value: Any, unit: str = "") -> float:
    """``value`` as a float > 0, or an InputError naming ``name``."""
    return validation.positive(value, name, unit)


def nonnegative(name: str, value: Any, unit: str = "") -> float:
    return validation.nonnegative(value, name, unit)


def fraction(name: str, value: Any, *, allow_one: bool = False) -> float:
    """``value`` as a float in [0, 1) (or [0, 1])."""
    v = _number(name, value)
    hi_ok = v <= 1 if allow_one else v < 1
    if not (v >= 0 and hi_ok):
        rng = "[0, 1]" if allow_one else "[0, 1)"
        raise InputError(f"{name}: expected a volume fraction in {rng}, got {value!r}")
    return v
