"""3-D renders: non-blank PNGs of the asked size with the expected phase colours."""

import sys

import numpy as np
import pytest
from viz_helpers import colour_share, read_png

from microcath import InputError, viz
from microcath.viz.colors import STATUS_COLORS, hex_to_rgb, phase_colors

SIZE = (320, 240)  # (width, height)
MIN_SHARE = 0.002  # a drawn phase covers at least 0.2 % of the picture


def _check_png(path, size=SIZE):
    img = read_png(path)
    assert img.shape == (size[1], size[0], 3)
    assert img.reshape(-1, 3).std(axis=0).max() > 5, "blank picture"
    return img


def test_phases_render_shows_each_solid_phase_colour_and_not_the_pores(composite, tmp_path):
    out = tmp_path / "phases.png"
    img = viz.render_phases(composite, filename=out, window_size=SIZE, lighting=False, legend=False,
                            scale_bar=False)
    png = _check_png(out)
    assert img.shape == png.shape
    pal = phase_colors(composite.phases)
    shares = {composite.phases[k].name: colour_share(png, hex_to_rgb(c)) for k, c in pal.items()}
    present = [n for n in ("Li6PS5Cl", "NMC811", "carbon")]
    assert all(shares[n] > MIN_SHARE for n in present), shares
    assert shares["pore"] < MIN_SHARE / 4, shares  # pores are not drawn
    n_phase_colours = sum(s > MIN_SHARE for s in shares.values())
    assert n_phase_colours == 3


def test_default_render_with_lighting_legend_and_ruler(composite, tmp_path):
    out = tmp_path / "default.png"
    viz.render_phases(composite, filename=out, window_size=(400, 300))
    img = _check_png(out, (400, 300))
    # the legend patches carry the exact phase colours even with lighting on
    for k in (1, 2, 3):
        assert colour_share(img, hex_to_rgb(phase_colors(composite.phases)[k])) > 0


def test_one_phase_alone(composite, tmp_path):
    out = tmp_path / "nmc.png"
    viz.render_phase(composite, "NMC811", filename=out, window_size=SIZE, lighting=False, legend=False,
                     scale_bar=False)
    img = _check_png(out)
    pal = phase_colors(composite.phases)
    assert colour_share(img, hex_to_rgb(pal[2])) > MIN_SHARE
    assert colour_share(img, hex_to_rgb(pal[1])) == 0.0
    assert colour_share(img, hex_to_rgb(pal[3])) == 0.0


def test_particle_status_four_colours(composite, tmp_path):
    n = int(composite.particles.max())
    names = ["utilisable", "ionically_isolated", "electronically_isolated", "dead"]
    status = {i: names[(i - 1) % 4] for i in range(1, n + 1)}
    out = tmp_path / "status.png"
    viz.render_particle_status(composite, status, filename=out, window_size=SIZE, lighting=False,
                               legend=False, scale_bar=False)
    img = _check_png(out)
    for name in names:
        assert colour_share(img, hex_to_rgb(STATUS_COLORS[name])) > MIN_SHARE / 2, name


def test_particle_status_rejects_unknown_names(composite):
    with pytest.raises(InputError, match="status"):
        viz.render_particle_status(composite, {1: "sleepy"}, window_size=SIZE)


@pytest.mark.parametrize("mode", ["slices", "volume"])
def test_field_render(composite, tmp_path, mode):
    nx = composite.shape[0]
    phi = np.broadcast_to(np.linspace(0, 1, nx)[:, None, None], composite.shape)
    out = tmp_path / f"field_{mode}.png"
    viz.render_field(composite, phi, name="potential", unit="V", mode=mode,
                     mask=composite.labels == 1 if mode == "slices" else None, filename=out,
                     window_size=SIZE)
    img = _check_png(out)
    # cividis runs from dark blue to yellow: both ends must show up
    assert colour_share(img, (0, 34, 78), tol=40) > 0 or mode == "volume"
    assert np.any((img[..., 0] > 200) & (img[..., 1] > 180) & (img[..., 2] < 120))


def test_streamlines_render(composite, tmp_path):
    j = np.zeros((3, *composite.shape), np.float32)
    j[0] = composite.labels == 1
    out = tmp_path / "stream.png"
    viz.render_streamlines(composite, j, filename=out, window_size=SIZE, n_seeds=30)
    img = _check_png(out)
    non_white = np.any(img < 200, axis=-1)
    assert non_white.mean() > 0.01


def test_field_shape_is_checked(composite):
    with pytest.raises(InputError, match="shape"):
        viz.render_field(composite, np.zeros((3, 3, 3)), window_size=SIZE)


def test_importing_microcath_and_viz_does_not_load_pyvista_or_matplotlib():
    import subprocess

    code = ("import sys, microcath, microcath.viz, microcath.report, microcath.pipeline; "
            "print('pyvista' in sys.modules, 'matplotlib' in sys.modules, 'vtk' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


@pytest.mark.parametrize("table_points", [1 << 25, 0])  # the mark table, and the sort it replaces
def test_surface_corner_numbering_matches_numpy_unique(monkeypatch, table_points):
    from microcath.viz import render

    monkeypatch.setattr(render, "_TABLE_POINTS", table_points)
    ids = np.random.default_rng(3).integers(0, 5000, 20000)
    uniq, inv = render._compact(ids, 5000)
    ref_u, ref_inv = np.unique(ids, return_inverse=True)
    np.testing.assert_array_equal(uniq, ref_u)
    np.testing.assert_array_equal(inv, ref_inv)
    np.testing.assert_array_equal(uniq[inv], ids)


def test_back_face_culling_leaves_the_picture_unchanged(composite, monkeypatch):
    """The voxel surface is closed with outward quads: without culling, the same picture."""
    from microcath.viz import render

    culled = viz.render_phase(composite, "Li6PS5Cl", window_size=SIZE, lighting=True)
    monkeypatch.setattr(render, "CULL_BACK_FACES", False)
    full = viz.render_phase(composite, "Li6PS5Cl", window_size=SIZE, lighting=True)
    differ = np.abs(culled.astype(int) - full.astype(int)).max(axis=2) > 8
    assert differ.mean() < 1e-3, differ.mean()
