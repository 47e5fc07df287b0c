import pytest

from microcath import Phase, PhaseKind, PhaseTable
from microcath.viz.colors import KIND_COLORS, OKABE_ITO, hex_to_rgb, phase_colors, rgb_to_hex


def test_kind_colours_and_second_phase_of_a_kind_differs():
    t = PhaseTable({0: Phase("pore", "pore"), 1: Phase("NMC811", "active", "NMC811"),
                    2: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"), 3: Phase("LCO", "active", "LCO"),
                    4: Phase("carbon", "carbon", "carbon")})
    c = phase_colors(t)
    assert c[1] == KIND_COLORS[PhaseKind.ACTIVE].upper()
    assert c[2] == KIND_COLORS[PhaseKind.ELECTROLYTE].upper()
    assert len(set(c.values())) == len(c)  # all distinct, including the second active phase
    assert c[3] in {v.upper() for v in OKABE_ITO.values()}


def test_overrides_and_hex_round_trip():
    t = PhaseTable({1: Phase("A", "active"), 2: Phase("B", "active")})
    c = phase_colors(t, overrides={"B": "#123456"})
    assert c[2] == "#123456" and c[1] != c[2]
    assert hex_to_rgb("#D55E00") == (213, 94, 0)
    assert rgb_to_hex((213, 94, 0)) == "#D55E00"


def test_many_phases_of_one_kind_stay_distinct():
    t = PhaseTable({i: Phase(f"am{i}", "active") for i in range(1, 8)})
    assert len(set(phase_colors(t).values())) == 7


@pytest.mark.parametrize("kind", ["active", "electrolyte", "carbon", "pore", "coating", "binder"])
def test_every_kind_has_a_colour(kind):
    t = PhaseTable({1: Phase("x", kind)})
    assert phase_colors(t)[1].startswith("#")
