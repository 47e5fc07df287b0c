"""Particle-size distributions: monodisperse, log-normal (d50 + spread) and tabulated.

Diameters are lengths in whatever unit the caller uses (metres in the public
API, voxels inside the generator: see :meth:`SizeDistribution.scaled`). The
distributions are *number* distributions; a log-normal or a table given on a
volume basis (as laser diffraction reports it) is converted on construction
(Hatch–Choate: ``d50_number = d50_volume * exp(-3 s^2)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from microcath.errors import InputError

from ._checks import as_rng, positive

__all__ = [
    "SizeDistribution",
    "Monodisperse",
    "LogNormal",
    "TableDistribution",
    "from_spec",
    "draw_to_volume",
]

_BASES = ("number", "volume")


class SizeDistribution:
    """Base class: a number distribution of particle diameters."""

    def sample(self, n: int, rng: Any = None) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def cdf(self, d: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def scaled(self, factor: float) -> SizeDistribution:  # pragma: no cover - abstract
        """The same distribution with every diameter multiplied by ``factor``."""
        raise NotImplementedError

    @property
    def d50(self) -> float:  # pragma: no cover - abstract
        """Number median diameter."""
        raise NotImplementedError

    @property
    def d_max(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def d_min(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_dict(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Monodisperse(SizeDistribution):
    """Every particle has the same diameter."""

    diameter: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "diameter", positive("diameter", self.diameter))

    def sample(self, n: int, rng: Any = None) -> np.ndarray:
        return np.full(int(n), self.diameter)

    def cdf(self, d: np.ndarray) -> np.ndarray:
        return (np.asarray(d, float) >= self.diameter).astype(float)

    def scaled(self, factor: float) -> Monodisperse:
        return Monodisperse(self.diameter * factor)

    @property
    def d50(self) -> float:
        return self.diameter

    @property
    def d_max(self) -> float:
        return self.diameter

    @property
    def d_min(self) -> float:
        return self.diameter

    def to_dict(self) -> dict:
        return {"distribution": "monodisperse", "d": self.diameter}


@dataclass(frozen=True)
class LogNormal(SizeDistribution):
    """Log-normal number distribution, truncated to ``[d_min, d_max]``.

    Parameters
    ----------
    d50 : float
        Median diameter on the given ``basis``.
    spread : float
        Standard deviation ``s`` of ``ln d`` [-] (geometric standard deviation
        ``exp(s)``); 0.2-0.5 is typical of cathode powders.
    basis : {"number", "volume"}
        Whether ``d50`` is the number median or the volume median.
    d_min, d_max : float, optional
        Truncation; by default ``d50_number * exp(-/+ 3 s)``.
    """

    d50_in: float
    spread: float
    basis: str = "number"
    d_min_in: float | None = None
    d_max_in: float | None = None

    def __post_init__(self) -> None:
        positive("d50", self.d50_in)
        positive("spread", self.spread)
        if self.spread > 1.5:
            raise InputError(
                f"spread: the log-normal spread (std of ln d) {self.spread} is unphysically wide for a "
                "cathode powder; use a value in (0, 1.5] or a table distribution"
            )
        if self.basis not in _BASES:
            raise InputError(f"basis: expected 'number' or 'volume', got {self.basis!r}")
        lo, hi = self.d_min, self.d_max
        if self.d_min_in is not None:
            positive("d_min", self.d_min_in)
        if self.d_max_in is not None:
            positive("d_max", self.d_max_in)
        if not lo < hi:
            raise InputError(f"d_min/d_max: need d_min < d_max, got {lo} and {hi}")

    @property
    def mu(self) -> float:
        """Mean of ln d of the (untruncated) number distribution."""
        shift = -3.0 * self.spread**2 if self.basis == "volume" else 0.0
        return math.log(self.d50_in) + shift

    @property
    def d50(self) -> float:
        return math.exp(self.mu)

    @property
    def d_min(self) -> float:
        return self.d_min_in if self.d_min_in is not None else math.exp(self.mu - 3 * self.spread)

    @property
    def d_max(self) -> float:
        return self.d_max_in if self.d_max_in is not None else math.exp(self.mu + 3 * self.spread)

    def _bounds(self) -> tuple[float, float]:
        z = stats.norm.cdf([(math.log(self.d_min) - self.mu) / self.spread,
                            (math.log(self.d_max) - self.mu) / self.spread])
        return float(z[0]), float(z[1])

    def sample(self, n: int, rng: Any = None) -> np.ndarray:
        rng = as_rng(rng)
        lo, hi = self._bounds()
        u = rng.uniform(lo, hi, int(n))  # inverse-CDF sampling of the truncated law
        return np.exp(self.mu + self.spread * stats.norm.ppf(u))

    def cdf(self, d: np.ndarray) -> np.ndarray:
        d = np.asarray(d, float)
        lo, hi = self._bounds()
        z = stats.norm.cdf((np.log(np.maximum(d, 1e-300)) - self.mu) / self.spread)
        return np.clip((z - lo) / (hi - lo), 0.0, 1.0)

    def scaled(self, factor: float) -> LogNormal:
        return LogNormal(self.d50_in * factor, self.spread, self.basis,
                         None if self.d_min_in is None else self.d_min_in * factor,
                         None if self.d_max_in is None else self.d_max_in * factor)

    def to_dict(self) -> dict:
        return {"distribution": "lognormal", "d50": self.d50_in, "spread": self.spread,
                "basis": self.basis, "d_min": self.d_min, "d_max": self.d_max}


@dataclass(frozen=True)
class TableDistribution(SizeDistribution):
    """Discrete diameters with weights (number or volume basis)."""

    diameters: tuple[float, ...]
    weights: tuple[float, ...]
    basis: str = "number"

    def __post_init__(self) -> None:
        d = np.asarray(self.diameters, float).ravel()
        w = np.asarray(self.weights, float).ravel()
        if d.size == 0 or d.size != w.size:
            raise InputError(
                f"diameters/weights: need two equally long non-empty lists, got {d.size} and {w.size}"
            )
        if not np.all(np.isfinite(d)) or np.any(d <= 0):
            raise InputError(f"diameters: every diameter must be positive, got {d.tolist()}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise InputError(f"weights: need non-negative weights with a positive sum, got {w.tolist()}")
        if self.basis not in _BASES:
            raise InputError(f"basis: expected 'number' or 'volume', got {self.basis!r}")
        object.__setattr__(self, "diameters", tuple(float(x) for x in d))
        object.__setattr__(self, "weights", tuple(float(x) for x in w))

    @property
    def probabilities(self) -> np.ndarray:
        """Number probability of each diameter."""
        d = np.asarray(self.diameters)
        w = np.asarray(self.weights)
        if self.basis == "volume":
            w = w / d**3
        return w / w.sum()

    def sample(self, n: int, rng: Any = None) -> np.ndarray:
        rng = as_rng(rng)
        return np.asarray(self.diameters)[rng.choice(len(self.diameters), int(n), p=self.probabilities)]

    def cdf(self, d: np.ndarray) -> np.ndarray:
        d = np.asarray(d, float)
        dd = np.asarray(self.diameters)
        p = self.probabilities
        return (p[None, :] * (dd[None, :] <= d.reshape(-1, 1))).sum(1).reshape(d.shape)

    def scaled(self, factor: float) -> TableDistribution:
        return TableDistribution(tuple(x * factor for x in self.diameters), self.weights, self.basis)

    @property
    def d50(self) -> float:
        order = np.argsort(self.diameters)
        c = np.cumsum(self.probabilities[order])
        return float(np.asarray(self.diameters)[order][np.searchsorted(c, 0.5)])

    @property
    def d_max(self) -> float:
        return max(self.diameters)

    @property
    def d_min(self) -> float:
        return min(self.diameters)

    def to_dict(self) -> dict:
        return {"distribution": "table", "diameters": list(self.diameters),
                "weights": list(self.weights), "basis": self.basis}


def from_spec(spec: dict, *, unit: float = 1e-6, name: str = "size") -> SizeDistribution:
    """Build a distribution from a recipe table (lengths in µm by default -> metres).

    ``{"distribution": "lognormal", "d50_um": 5, "spread": 0.3, "basis": "volume"}``,
    ``{"distribution": "monodisperse", "d_um": 5}``,
    ``{"distribution": "table", "d_um": [4, 10], "weights": [1, 1], "basis": "volume"}``.
    """
    if not isinstance(spec, dict):
        raise InputError(f"{name}: expected a table with 'distribution', got {spec!r}")
    kind = str(spec.get("distribution", "monodisperse")).lower()
    known = {"distribution", "d_um", "d50_um", "spread", "basis", "d_min_um", "d_max_um", "weights"}
    extra = sorted(set(spec) - known)
    if extra:
        raise InputError(f"{name}: unknown keys {extra}; allowed: {sorted(known)}")
    try:
        if kind == "monodisperse":
            return Monodisperse(positive(f"{name}.d_um", spec["d_um"], "µm") * unit)
        if kind == "lognormal":
            dmin = spec.get("d_min_um")
            dmax = spec.get("d_max_um")
            return LogNormal(positive(f"{name}.d50_um", spec["d50_um"], "µm") * unit,
                             float(spec.get("spread", 0.3)), str(spec.get("basis", "number")),
                             None if dmin is None else positive(f"{name}.d_min_um", dmin) * unit,
                             None if dmax is None else positive(f"{name}.d_max_um", dmax) * unit)
        if kind == "table":
            d = spec["d_um"]
            w = spec.get("weights", [1.0] * len(d))
            return TableDistribution(tuple(float(x) * unit for x in d), tuple(w),
                                     str(spec.get("basis", "number")))
    except KeyError as exc:
        raise InputError(f"{name}: the {kind} distribution needs the key {exc.args[0]!r}") from None
    raise InputError(
        f"{name}.distribution: expected 'monodisperse', 'lognormal' or 'table', got {kind!r}"
    )


def draw_to_volume(dist: SizeDistribution, volume: float, rng: np.random.Generator, *,
                   max_count: int = 2_000_000) -> np.ndarray:
    """Diameters drawn from ``dist`` whose spheres fill ``volume`` as closely as possible.

    Draws in sequence until the cumulative sphere volume passes ``volume``,
    keeps the count whose sum is closest, then rescales all diameters by the
    (tiny, ~1/n) factor that makes the total exact.
    """
    mean_v = math.pi / 6 * float(np.mean(dist.sample(4096, np.random.default_rng(0)) ** 3))
    n_guess = volume / mean_v
    if n_guess > max_count:
        raise InputError(
            f"size: {n_guess:.3g} particles would be needed (more than {max_count}); the particles are "
            "too small for this box: use larger particles, a larger voxel size or a smaller shape"
        )
    out = np.empty(0)
    while True:
        extra = dist.sample(int(n_guess * 0.2) + 16, rng)
        out = np.concatenate([out, extra])
        cum = np.cumsum(math.pi / 6 * out**3)
        if cum[-1] >= volume:
            break
    k = int(np.searchsorted(cum, volume))
    n = k + 1 if k == 0 or abs(cum[k] - volume) < abs(cum[k - 1] - volume) else k
    d = out[:n]
    return d * (volume / (math.pi / 6 * np.sum(d**3))) ** (1.0 / 3.0)
