"""matplotlib plots and the Hashin–Shtrikman bounds drawn in them."""

import numpy as np
import pytest
from viz_helpers import colour_share, read_png

from microcath import InputError, viz
from microcath.viz.colors import hex_to_rgb, phase_colors

# DOSSIER §C1: insulating inclusions of fraction f in sigma_1 = 1, HS upper bound (= MG)
DOSSIER_HS_UPPER = {0.1: 0.857143, 0.2: 0.727273, 0.3: 0.608696, 0.4: 0.5, 0.5: 0.4, 0.6: 0.307692,
                    0.7: 0.222222}


@pytest.mark.parametrize("f", sorted(DOSSIER_HS_UPPER))
def test_hs_bounds_match_dossier_table(f):
    lo, up = viz.hashin_shtrikman_bounds([1 - f, f], [1.0, 0.0])
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
    lo, up = viz.hashin_shtrikman_bounds([1 - f, f], [1.0, alpha])
    lo_mg = _maxwell_garnett(min(1.0, alpha), max(1.0, alpha), f if alpha > 1 else 1 - f)
    up_mg = _maxwell_garnett(max(1.0, alpha), min(1.0, alpha), 1 - f if alpha > 1 else f)
    assert lo == pytest.approx(lo_mg, rel=1e-12)
    assert up == pytest.approx(up_mg, rel=1e-12)
    assert lo <= sc_exact <= up + 1e-6  # the exact simple-cubic-array value (DOSSIER §C2) lies inside


def test_three_phase_bounds_bracket_and_degenerate():
    lo, up = viz.hashin_shtrikman_bounds([0.3, 0.3, 0.4], [2.0, 1.0, 0.5])
    assert 0.5 < lo < up < 2.0
    lo, up = viz.hashin_shtrikman_bounds([0.5, 0.5], [3.0, 3.0])
    assert lo == pytest.approx(3.0) and up == pytest.approx(3.0)
    with pytest.raises(InputError, match="sigmas"):
        viz.hashin_shtrikman_bounds([0.5, 0.5], [1.0, -1.0])


def test_particle_diameters_of_a_known_cube():
    from microcath import Microstructure, Phase

    lab = np.zeros((10, 10, 10), np.uint8)
    part = np.zeros_like(lab, dtype=np.int32)
    lab[:4, :4, :4] = 1
    part[:4, :4, :4] = 1
    ms = Microstructure(lab, 1e-6, {0: Phase("SE", "electrolyte"), 1: Phase("AM", "active")},
                        particles=part)
    from microcath.viz.plots import particle_diameters

    d = particle_diameters(ms)
    assert d == pytest.approx([(6 * 64e-18 / np.pi) ** (1 / 3)])


def test_label_slice_shows_phase_colours(composite, tmp_path):
    out = tmp_path / "slice.png"
    viz.plot_label_slice(composite, axis="z", filename=out)
    img = read_png(out)
    pal = phase_colors(composite.phases)
    sl = composite.labels[:, :, composite.shape[2] // 2]
    for k, c in pal.items():
        if np.any(sl == k):
            assert colour_share(img, hex_to_rgb(c), tol=2) > 0.001, composite.phases[k].name


def test_other_plots_write_pngs(composite, tmp_path):
    phi = np.broadcast_to(np.linspace(0, 1, composite.shape[0])[:, None, None], composite.shape)
    figs = {
        "field": lambda p: viz.plot_field_slice(composite, phi, name="potential", unit="V", axis="y",
                                                mask=composite.labels == 1, filename=p),
        "psd": lambda p: viz.plot_particle_size_distribution(composite, filename=p),
        "cond": lambda p: viz.plot_conductivity(
            {"ionic": {"x": 0.02, "y": 0.03, "z": 0.025}, "electronic": {"x": 0.0}},
            bounds={"ionic": (0.0, 0.05), "electronic": (0.0, 1.0)}, phase_sigma={"ionic": 0.3},
            filename=p),
        "hist": lambda p: viz.plot_histogram(np.linspace(-50, 80, 500), name="hydrostatic stress",
                                             unit="MPa", filename=p),
        "contact": lambda p: viz.plot_contact_distribution(
            {"electrolyte": np.linspace(0.2, 0.9, 30), "carbon": np.linspace(0, 0.2, 30)}, filename=p),
    }
    for name, fn in figs.items():
        p = tmp_path / f"{name}.png"
        fig = fn(p)
        img = read_png(p)
        assert img.shape[0] > 100 and img.shape[1] > 100
        assert img.reshape(-1, 3).std(axis=0).max() > 5, name
        assert fig.axes


def test_contact_fractions_outside_unit_interval_rejected():
    with pytest.raises(InputError, match="fractions"):
        viz.plot_contact_distribution({"electrolyte": np.array([0.5, 1.5])})
