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


def _stress_result(ms):
    """A StressResult carrying a known stress field (uniaxial sigma_xx growing along x), for the
    plumbing of the stress views; the solver itself is tested in tests/mechanics."""
    from microcath.mechanics import StressResult

    s = np.zeros(ms.shape + (6,))
    s[..., 0] = np.linspace(0, 200e6, ms.shape[0])[:, None, None]
    opened = tuple(np.zeros(ms.shape, bool) for _ in range(3))
    opened[0][4:6, 3:7, 2:6] = True
    return StressResult(boundary="free", state=None, stack_pressure=0.0, strength=0.0, phases={},
                        interfaces={}, mean_stress=(0.0,) * 6, mean_strain=(0.0,) * 6, strain_energy=0.0,
                        plate_displacement=None, force_balance=None, converged=True, n_iter=1, residual=0.0,
                        n_levels=1, wall_time=0.0, shape=ms.shape, voxel_size=1e-8, arch="cpu",
                        dtype="float32", stress=s, opened=opened)


def test_stress_views_draw_the_result_fields(ti_cpu, ms):
    res = _stress_result(ms)
    np.testing.assert_allclose(res.von_mises[..., 0].max(), 200e6)  # uniaxial: von Mises = |sigma_xx|
    img = viz.show(res, ms=ms, window_size=WIN).image
    ref = viz.render_field(ms, res.von_mises / 1e6, name="von mises", unit="MPa", window_size=WIN)
    np.testing.assert_array_equal(img, ref)
    ref = viz.render_opened_interfaces(ms, res.opened, window_size=WIN)
    np.testing.assert_array_equal(viz.show(res, "opened", ms=ms, window_size=WIN).image, ref)


def test_generators_refuse_unequal_spacing():
    from microcath import geometries

    with pytest.raises(InputError, match="voxel_size: the generators place spheres and grains on cubic"):
        geometries.generate("default", shape=(16, 16, 16), voxel_size=(3e-7, 3e-7, 6e-7), seed=1,
                            progress=False)


def test_stress_takes_the_structure_spacing(ti_cpu):
    """mechanics.stress(ms) hands ms.spacing to the brick elements: a laminate of two solids
    (layers normal to x) between plates, refined by 2 along y with half the edge, gives the same
    stresses (an axis-aligned structure does not depend on the side resolution)."""
    from microcath import mechanics

    lab = np.ones((6, 4, 4), np.uint8)
    lab[3:] = 2
    phases = {1: Phase("A", "active", "NMC811"), 2: Phase("B", "electrolyte", "Li6PS5Cl")}
    kw = dict(elastic={"A": (150e9, 0.25), "B": (20e9, 0.3)}, eigenstrain={"A": -0.01, "B": 0.0},
              boundary="plates", contact=False)
    a = mechanics.stress(Microstructure(lab, (3e-7, 2e-7, 4e-7), phases), **kw)
    b = mechanics.stress(Microstructure(np.repeat(lab, 2, axis=1), (3e-7, 1e-7, 4e-7), phases), **kw)
    assert a.converged and b.converged
    for name in ("A", "B"):
        assert b.phases[name]["mean_hydrostatic"] == pytest.approx(a.phases[name]["mean_hydrostatic"],
                                                                   rel=1e-4)
    assert abs(a.phases["A"]["mean_hydrostatic"]) > 1e6  # a real stress, not a trivial zero
