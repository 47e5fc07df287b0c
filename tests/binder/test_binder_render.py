"""The binder in the pictures: drawn binder voxels and a sub-voxel film are coloured."""

import sys
from pathlib import Path

import pytest
from microcath.geometries import generate

from microcath import viz
from microcath.viz.colors import KIND_COLORS, hex_to_rgb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "viz"))
from viz_helpers import colour_share, read_png  # noqa: E402

SIZE = (320, 240)


@pytest.mark.parametrize("placement, colour", [("necks", KIND_COLORS["binder"]), ("film", "#e7b7d4")])
def test_render_binder_shows_the_binder(tmp_path, placement, colour):
    ms = generate("default", shape=(40, 40, 40), voxel_size=0.7e-6, seed=2, progress=False,
                  overrides={"binder.material": "SBR", "binder.fraction": 0.02,
                             "binder.placement": placement, "active.grains.mode": "single_crystal"})
    out = tmp_path / "b.png"
    viz.render_binder(ms, filename=out, window_size=SIZE, lighting=False, legend=False, scale_bar=False)
    img = read_png(out)
    assert colour_share(img, hex_to_rgb(colour)) > 0.01
    assert colour_share(img, hex_to_rgb("#bbbbbb")) > 0.01  # the active material


def test_report_states_the_binder_and_draws_it(tmp_path):
    from microcath.pipeline import generate as gen_stage
    from microcath.pipeline.driver import run_main_job

    r = run_main_job("nmc811_lpscl_sheet", out_dir=tmp_path / "run", shape=(40, 40, 40), seed=2,
                     overrides={"voxel_size_um": 0.7, "active.grains.mode": "single_crystal"},
                     progress=False, strict=True, window_size=SIZE, stages=(gen_stage.STAGE,))
    line = {ln.label: ln.text for ln in r.lines}["binder"]
    assert line.startswith("NBR necks at the particle contacts") and "% of the active surface covered" in line
    assert (tmp_path / "run" / "figures" / "binder.png").is_file()
    html = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert "figures/binder.png" in html and "active surface covered" in html
