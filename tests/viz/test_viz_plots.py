"""matplotlib plots (the numbers they draw are tested in tests/analysis)."""

import numpy as np
import pytest
from viz_helpers import colour_share, read_png

from microcath import InputError, viz
from microcath.viz.colors import hex_to_rgb, phase_colors


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
