"""Input validation shared by the generators (public functions validate, private ones trust)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

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
    if isinstance(value, bool):
        raise InputError(f"{name}: expected a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(v):
        raise InputError(f"{name}: expected a finite number, got {value!r}")
    return v


def positive(name: str, value: Any, unit: str = "") -> float:
    """``value`` as a float > 0, or an InputError naming ``name``."""
    v = _number(name, value)
    if v <= 0:
        u = f" [{unit}]" if unit else ""
        raise InputError(f"{name}: expected a positive number{u}, got {value!r}")
    return v


def nonnegative(name: str, value: Any, unit: str = "") -> float:
    v = _number(name, value)
    if v < 0:
        u = f" [{unit}]" if unit else ""
        raise InputError(f"{name}: expected a number >= 0{u}, got {value!r}")
    return v


def fraction(name: str, value: Any, *, allow_one: bool = False) -> float:
    """``value`` as a float in [0, 1) (or [0, 1])."""
    v = _number(name, value)
    hi_ok = v <= 1 if allow_one else v < 1
    if not (v >= 0 and hi_ok):
        rng = "[0, 1]" if allow_one else "[0, 1)"
        raise InputError(f"{name}: expected a volume fraction in {rng}, got {value!r}")
    return v
