"""Colour palettes of microcath: phases, particle status, fields.

Phase colours come from the Okabe–Ito palette (distinguishable by readers
with any common form of colour blindness, and in grey), assigned by the
phase's kind; a second phase of the same kind takes the next free colour.
Fields use perceptually uniform maps (``cividis`` for magnitudes, ``viridis``
as the alternative, ``coolwarm``-style diverging maps only for signed stress).

No plotting library is imported here.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..phases import PhaseKind, PhaseTable

__all__ = [
    "OKABE_ITO",
    "KIND_COLORS",
    "STATUS_COLORS",
    "STATUS_LABELS",
    "FIELD_CMAP",
    "DIVERGING_CMAP",
    "phase_colors",
    "hex_to_rgb",
    "rgb_to_hex",
]

#: The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design").
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}

#: First colour of each phase kind. Carbon is a dark grey rather than black so
#: that its shading stays visible in 3-D; pores are a pale grey (not drawn in 3-D).
KIND_COLORS: dict[PhaseKind, str] = {
    PhaseKind.ACTIVE: OKABE_ITO["vermillion"],
    PhaseKind.ELECTROLYTE: OKABE_ITO["sky_blue"],
    PhaseKind.CARBON: "#3C3C3C",
    PhaseKind.PORE: "#D9D9D9",
    PhaseKind.COATING: OKABE_ITO["bluish_green"],
    PhaseKind.BINDER: OKABE_ITO["reddish_purple"],
}

# colours handed out to a second, third ... phase of one kind
_SPARE = [OKABE_ITO["orange"], OKABE_ITO["blue"], OKABE_ITO["yellow"],
          OKABE_ITO["reddish_purple"], OKABE_ITO["bluish_green"], "#999999", "#7F3C00", "#00405F"]

#: Per-particle status of active particles (names as used by the analysis).
STATUS_LABELS: dict[str, str] = {
    "utilisable": "utilisable (ions + electrons)",
    "ionically_isolated": "ionically isolated",
    "electronically_isolated": "electronically isolated",
    "dead": "dead (cut off from both)",
}
STATUS_COLORS: dict[str, str] = {
    "utilisable": OKABE_ITO["bluish_green"],
    "ionically_isolated": OKABE_ITO["orange"],
    "electronically_isolated": OKABE_ITO["blue"],
    "dead": OKABE_ITO["vermillion"],
}

#: Colour map of scalar magnitudes (potential, current density, |stress|).
FIELD_CMAP = "cividis"
#: Colour map of signed fields centred on zero (hydrostatic stress, traction).
DIVERGING_CMAP = "RdBu_r"


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """``'#D55E00'`` -> ``(213, 94, 0)``."""
    c = color.lstrip("#")
    return tuple(int(c[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def rgb_to_hex(rgb: tuple[float, float, float]) -> str:
    """``(213, 94, 0)`` (0-255) -> ``'#D55E00'``."""
    return "#" + "".join(f"{int(round(v)):02X}" for v in rgb)


def phase_colors(phases: PhaseTable | Mapping, *,
                 overrides: Mapping[str, str] | None = None) -> dict[int, str]:
    """Colour of every phase of a table, ``{label: '#RRGGBB'}``.

    The first phase of each kind takes :data:`KIND_COLORS`; later phases of the
    same kind take the next Okabe–Ito colour not yet in use. ``overrides``
    maps phase names to colours.

    >>> from microcath import Phase, PhaseTable
    >>> t = PhaseTable({0: Phase("pore", "pore"), 1: Phase("NMC811", "active", "NMC811"),
    ...                 2: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl")})
    >>> phase_colors(t)
    {0: '#D9D9D9', 1: '#D55E00', 2: '#56B4E9'}
    """
    table = phases if isinstance(phases, PhaseTable) else PhaseTable(phases)
    overrides = dict(overrides or {})
    out: dict[int, str] = {}
    kinds_seen: set[PhaseKind] = set()
    used = {c.upper() for c in overrides.values()}
    # first pass: first phase of each kind
    for label, phase in table.items():
        if phase.name in overrides:
            out[label] = overrides[phase.name].upper()
        elif phase.kind not in kinds_seen:
            out[label] = KIND_COLORS[phase.kind].upper()
            kinds_seen.add(phase.kind)
            used.add(out[label])
    spare = [c for c in _SPARE if c.upper() not in used]
    for label in table:
        if label not in out:
            out[label] = spare.pop(0).upper() if spare else "#808080"
    return dict(sorted(out.items()))
