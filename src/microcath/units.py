"""Small unit helper: the Python API speaks SI, files and the CLI speak the field's units.

>>> from microcath import units
>>> units.um(0.2)
2e-07
>>> round(units.to_mS_cm(0.13), 6)
1.3
"""

from __future__ import annotations

__all__ = [
    "um",
    "to_um",
    "mS_cm",
    "to_mS_cm",
    "S_cm",
    "to_S_cm",
    "MPa",
    "to_MPa",
    "GPa",
    "to_GPa",
    "ohm_cm2",
    "to_ohm_cm2",
    "g_cm3",
]

_UM = 1e-6
_S_PER_M_PER_MS_CM = 0.1  # 1 mS/cm = 0.1 S/m
_S_PER_M_PER_S_CM = 100.0  # 1 S/cm = 100 S/m
_OHM_M2_PER_OHM_CM2 = 1e-4


def um(value: float) -> float:
    """Micrometres -> metres."""
    return value * _UM


def to_um(value_m: float) -> float:
    """Metres -> micrometres."""
    return value_m / _UM


def mS_cm(value: float) -> float:
    """mS/cm -> S/m."""
    return value * _S_PER_M_PER_MS_CM


def to_mS_cm(value_S_m: float) -> float:
    """S/m -> mS/cm."""
    return value_S_m / _S_PER_M_PER_MS_CM


def S_cm(value: float) -> float:
    """S/cm -> S/m."""
    return value * _S_PER_M_PER_S_CM


def to_S_cm(value_S_m: float) -> float:
    """S/m -> S/cm."""
    return value_S_m / _S_PER_M_PER_S_CM


def MPa(value: float) -> float:
    """MPa -> Pa."""
    return value * 1e6


def to_MPa(value_Pa: float) -> float:
    """Pa -> MPa."""
    return value_Pa / 1e6


def GPa(value: float) -> float:
    """GPa -> Pa."""
    return value * 1e9


def to_GPa(value_Pa: float) -> float:
    """Pa -> GPa."""
    return value_Pa / 1e9


def ohm_cm2(value: float) -> float:
    """Area-specific resistance ohm cm^2 -> ohm m^2."""
    return value * _OHM_M2_PER_OHM_CM2


def to_ohm_cm2(value_ohm_m2: float) -> float:
    """Area-specific resistance ohm m^2 -> ohm cm^2."""
    return value_ohm_m2 / _OHM_M2_PER_OHM_CM2


def g_cm3(value: float) -> float:
    """Density g/cm^3 -> kg/m^3."""
    return value * 1000.0
