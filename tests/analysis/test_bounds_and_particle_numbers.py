"""Numbers drawn in the report: Hashin-Shtrikman bounds, particle diameters, status codes."""

import numpy as np
import pytest

from microcath import InputError, Microstructure, Phase
from microcath.analysis import (
    STATUS_CODE_LEGEND,
    STATUS_CODES,
    equivalent_diameter,
    hashin_shtrikman_bounds,
    particle_diameters,
    status_codes,
)

# DOSSIER §C1: insulating inclusions of fraction f in sigma_1 = 1, HS upper bound (= MG)
DOSSIER_HS_UPPER = {0.1: 0.857143, 0.2: 0.727273, 0.3: 0.608696, 0.4: 0.5, 0.5: 0.4, 0.6: 0.307692,
                    0.7: 0.222222}


@pytest.mark.parametrize("f", sorted(DOSSIER_HS_UPPER))
def test_hs_bounds_match_dossier_table(f):
    lo, up = hashin_shtrikman_bounds([1 - f, f], [1.0, 0.0])
    assert up == pytest.approx(DOSSIER_HS_UPPER[f], abs=1e-6)
    assert lo == 0.0
    phi = 1 - f  # the single-conducting-phase form 2 phi / (3 - phi)
    assert up == pytest.approx(2 * phi / (3 - phi), rel=1e-12)


def _maxwell_garnett(s1, s2, f):
    """DOSSIER §C1: matrix s1, inclusions s2 of fraction f."""
    return s1 * (s2 + 2 * s1 + 2 * f * (s2 - s1)) / (s2 + 2 * s1 - f * (s2 - s1))


@pytest.mark.parametrize("f,alpha,sc_exact", [(0.1, 10.0, 1.243339), (0.1, 0.1, 0.876693),
                                              (0.2, 0.0, 0.726703)])
def test_two_phase_hs_bounds_are_maxwell_garnett_and_contain_the_sc_array(f, alpha, sc_exact):
    lo, up = hashin_shtrikman_bounds([1 - f, f], [1.0, alpha])
    lo_mg = _maxwell_garnett(min(1.0, alpha), max(1.0, alpha), f if alpha > 1 else 1 - f)
    up_mg = _maxwell_garnett(max(1.0, alpha), min(1.0, alpha), 1 - f if alpha > 1 else f)
    assert lo == pytest.approx(lo_mg, rel=1e-12)
    assert up == pytest.approx(up_mg, rel=1e-12)
    assert lo <= sc_exact <= up + 1e-6  # the exact simple-cubic-array value (DOSSIER §C2) lies inside


def test_three_phase_bounds_bracket_and_degenerate():
    lo, up = hashin_shtrikman_bounds([0.3, 0.3, 0.4], [2.0, 1.0, 0.5])
    assert 0.5 < lo < up < 2.0
    lo, up = hashin_shtrikman_bounds([0.5, 0.5], [3.0, 3.0])
    assert lo == pytest.approx(3.0) and up == pytest.approx(3.0)
    with pytest.raises(InputError, match="sigmas"):
        hashin_shtrikman_bounds([0.5, 0.5], [1.0, -1.0])


def test_particle_diameters_of_a_known_cube():
    lab = np.zeros((10, 10, 10), np.uint8)
    part = np.zeros_like(lab, dtype=np.int32)
    lab[:4, :4, :4] = 1
    part[:4, :4, :4] = 1
    ms = Microstructure(lab, 1e-6, {0: Phase("SE", "electrolyte"), 1: Phase("AM", "active")},
                        particles=part)
    d = particle_diameters(ms)
    assert d == pytest.approx([(6 * 64e-18 / np.pi) ** (1 / 3)])


def test_equivalent_diameter_of_a_unit_sphere_volume():
    assert equivalent_diameter(np.pi / 6) == pytest.approx(1.0, rel=1e-15)


def test_status_codes_from_names_codes_and_rows():
    assert STATUS_CODES == {"utilisable": 1, "ionically_isolated": 2, "electronically_isolated": 3,
                            "dead": 4}
    assert STATUS_CODE_LEGEND == ("0 none, 1 utilisable, 2 ionically isolated, 3 electronically isolated, "
                                  "4 dead")
    assert status_codes({1: "utilisable", 3: "dead", 9: "dead"}, 3).tolist() == [0, 1, 0, 4]
    assert status_codes(["Ionically isolated", 3], 2).tolist() == [0, 2, 3]
    with pytest.raises(InputError, match="status"):
        status_codes({1: "lost"}, 1)
    with pytest.raises(InputError, match="one status per particle"):
        status_codes(["dead"], 3)
