"""viz.show (static fallback off a notebook kernel), renders to scale with unequal voxel edges,
and the notebook summary tables of the results."""

import numpy as np
import pytest

from microcath import Microstructure, Phase, viz
from microcath.analysis import analyze
from microcath.errors import InputError
from microcath.transport import conductivity

PHASES = {0: Phase("pore", "pore"), 1: Phase("NMC811", "active", "NMC811"),
          2: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"), 3: Phase("carbon", "carbon", "carbon_black")}
SPACING = (1e-8, 1.5e-8, 2e-8)
WIN = (200, 160)


@pytest.fixture(scope="module")
def ms():
    lab = np.full((12, 10, 8), 2, np.uint8)
    pid = np.zeros(lab.shape, np.int32)
    lab[3:7, 3:7, 2:6] = 1
    pid[3:7, 3:7, 2:6] = 1
    lab[7:9, 3:7, 2:6] = 3
    lab[:, -1] = 0
    return Microstructure(lab, SPACING, PHASES, particles=pid)


def test_show_outside_a_kernel_is_the_reports_picture(ti_cpu, ms, monkeypatch):
    monkeypatch.delenv("MICROCATH_JUPYTER_BACKEND", raising=False)
    assert viz.jupyter_backend() == "static"
    v = viz.show(ms, window_size=WIN)
    assert isinstance(v, viz.StaticView) and v.view == "phases"
    assert v._repr_png_().startswith(b"\x89PNG")
    same = viz.render_phases(ms, window_size=WIN)
    np.testing.assert_array_equal(v.image, same)


def test_every_view_of_structure_and_results(ti_cpu, ms):
    assert viz.show(ms, view="phase", phase="Li6PS5Cl", window_size=WIN).image.shape == (160, 200, 3)
    a = analyze(ms)
    np.testing.assert_array_equal(viz.show(ms, view="particles", analysis=a, window_size=WIN).image,
                                  viz.show(a, ms=ms, window_size=WIN).image)
    r = conductivity(ms, carrier="ionic", axis="z", fields=True)
    for view in ("potential", "current", "streamlines"):
        img = viz.show(r, view, ms=ms, window_size=WIN).image
        assert img.shape == (160, 200, 3) and img.std() > 0


def test_show_refuses_what_it_cannot_draw(ti_cpu, ms):
    with pytest.raises(InputError, match="view: a Microstructure has the views phases, phase, particles"):
        viz.show(ms, view="stress")
    with pytest.raises(InputError, match="phase="):
        viz.show(ms, view="phase")
    r = conductivity(ms, carrier="ionic", axis="x")
    with pytest.raises(InputError, match="fields=True"):
        viz.show(r, ms=ms)
    with pytest.raises(InputError, match="ms=ms"):
        viz.show(r)
    with pytest.raises(InputError, match="backend"):
        viz.show(ms, backend="qt")
    with pytest.raises(InputError, match="obj"):
        viz.show(np.zeros((2, 2, 2)))


def test_voxel_surfaces_and_grids_are_to_scale(ms):
    from microcath.viz.render import _grid, voxel_surface

    mesh = voxel_surface(np.ones(ms.shape, bool), ms.labels, np.zeros((256, 3), np.uint8),
                         voxel_size_um=tuple(h * 1e6 for h in ms.spacing))
    np.testing.assert_allclose(mesh.bounds[1::2], [s * 1e6 for s in ms.size], rtol=1e-6)
    import pyvista as pv

    g = _grid(pv, ms)
    np.testing.assert_allclose(g.spacing, [h * 1e6 for h in SPACING], rtol=1e-12)


def test_results_show_a_summary_table(ti_cpu, ms):
    r = conductivity(ms, carrier="ionic", axis="x")
    html = r._repr_html_()
    assert "<table>" in html and "mS/cm" in html and f"{r.sigma_eff_mS_cm:.4g}" in html
    assert "0.01 × 0.015 × 0.02" in html  # the spacing in µm
    t = conductivity(ms, carrier="ionic", axis="all")
    assert t._repr_html_().count("σ_eff (") == 3
    a = analyze(ms)
    html = a._repr_html_()
    assert "utilisable active fraction" in html and f"{a.utilisable_fraction:.4g}" in html
    assert "&lt;" not in html.split("<table>")[0]
