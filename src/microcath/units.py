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
    "to_nm",
    "to_per_um",
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
    "spacing_text",
]

# both directions multiply by a constant, so a round value stays round (0.3e-6 m -> 0.3 µm);
# the to_* constants are exact binary numbers
_UM = 1e-6
_UM_PER_M = 1e6
_NM_PER_M = 1e9
_S_PER_M_PER_MS_CM = 0.1  # 1 mS/cm = 0.1 S/m
_MS_CM_PER_S_PER_M = 10.0
_S_PER_M_PER_S_CM = 100.0  # 1 S/cm = 100 S/m
_OHM_M2_PER_OHM_CM2 = 1e-4
_OHM_CM2_PER_OHM_M2 = 1e4


def um(value: float) -> float:
    """Micrometres -> metres."""
    return value * _UM


def to_um(value_m: float) -> float:
    """Metres -> micrometres."""
    return value_m * _UM_PER_M


def to_nm(value_m: float) -> float:
    """Metres -> nanometres."""
    return value_m * _NM_PER_M


def to_per_um(value_per_m: float) -> float:
    """A density per metre (m^-1, e.g. m^2/m^3 or m/m^2) -> per micrometre (µm^-1)."""
    return value_per_m * _UM


def mS_cm(value: float) -> float:
    """mS/cm -> S/m."""
    return value * _S_PER_M_PER_MS_CM


def to_mS_cm(value_S_m: float) -> float:
    """S/m -> mS/cm."""
    return value_S_m * _MS_CM_PER_S_PER_M


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
    return value_ohm_m2 * _OHM_CM2_PER_OHM_M2


def g_cm3(value: float) -> float:
    """Density g/cm^3 -> kg/m^3."""
    return value * 1000.0


def spacing_text(spacing_m, digits: int = 4) -> str:
    """Voxel spacing [m] as text in µm: ``"0.3 µm"`` (cubic) or ``"0.01 × 0.01 × 0.02 µm"``.

    >>> spacing_text((1e-8, 1e-8, 2e-8))
    '0.01 × 0.01 × 0.02 µm'
    """
    edges = [f"{to_um(h):.{digits}g}" for h in spacing_m]
    if len(set(spacing_m)) == 1:
        return f"{edges[0]} µm"
    return " × ".join(edges) + " µm"
