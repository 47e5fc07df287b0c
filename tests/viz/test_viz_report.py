"""Results folders: atomic, complete, with an HTML page whose links all resolve."""

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from viz_helpers import make_composite

from microcath import InputError
from microcath.pipeline import run_main_job
from microcath.report import ReportBuilder, StageRecord, quantity


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if (tag == "img" and k == "src") or (tag == "a" and k == "href"):
                self.links.append(v)


def links_of(html_path: Path) -> list[str]:
    p = _Links()
    p.feed(html_path.read_text(encoding="utf-8"))
    return p.links


def _leftovers(parent: Path, name: str) -> list[Path]:
    return [p for p in parent.iterdir() if p.name.startswith((f".{name}.", ".microcath-tmp-"))]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "res"
    ms = make_composite(16, seed=3)
    result = run_main_job(out_dir=out, structure=ms, progress=False, window_size=(320, 240), strict=True)
    return out, result, ms


def test_every_stage_ran(run_folder):
    _, result, _ = run_folder
    assert result.ok
    assert result.status == {"generate": "run", "analyse": "run", "ionic conductivity": "run",
                             "electronic conductivity": "run", "stress at a charged state": "run",
                             "report": "run"}


def test_report_links_exist_and_images_load(run_folder):
    out, result, _ = run_folder
    html = out / "report.html"
    assert html.is_file() and result.report_html == html.absolute()
    links = links_of(html)
    imgs = [x for x in links if x.endswith(".png")]
    assert len(imgs) >= 3
    for link in links:
        assert (out / link).is_file(), link
    from PIL import Image

    for link in imgs:
        with Image.open(out / link) as im:
            im.verify()


def test_results_json_has_units_stages_and_provenance(run_folder):
    out, result, ms = run_folder
    doc = json.loads((out / "results.json").read_text())
    stages = {s["name"]: s for s in doc["stages"]}
    assert stages["generate"]["status"] == "run"
    assert stages["stress at a charged state"]["status"] == "run"
    mech = doc["results"]["mechanics"]
    assert mech["state"] == 0.2 and mech["converged"]  # NMC811's charged end of the x_Li path
    # NMC811 shrinks on charge: the particles pull away from the electrolyte (tension opens faces)
    assert mech["phases"]["NMC811"]["mean_hydrostatic_MPa"] > 0
    ae = mech["interfaces"]["active/electrolyte"]["opened_fraction"]
    assert 0 < ae <= 1
    c = mech["contact"]
    assert c["after"]["utilisable_fraction"] <= c["before"]["utilisable_fraction"]
    vf = doc["results"]["volume_fractions"]
    assert vf["unit"] == "-"
    for name, frac in ms.volume_fractions().items():
        assert vf["value"][name] == pytest.approx(frac)
    assert doc["results"]["structure"]["provenance"]["recipe"] == "test-synthetic"
    for rec in doc["figures"] + doc["files"]:
        assert (out / rec["file"]).is_file()
    # every stage that did not run says why
    for s in doc["stages"]:
        assert s["status"] == "run" or s["reason"]
    html = (out / "report.html").read_text()
    assert "opened" in html


def test_structure_file_and_vti_hold_the_structure(run_folder):
    import pyvista as pv

    from microcath import io

    out, _, ms = run_folder
    back = io.load(out / "structure.mcath")
    assert np.array_equal(back.labels, ms.labels)
    grid = pv.read(out / "fields.vti")
    # the voxel containing a physical point carries that voxel's label
    i, j, k = 3, 11, 7
    s = ms.voxel_size
    cid = grid.find_containing_cell(((i + 0.5) * s, (j + 0.5) * s, (k + 0.5) * s))
    assert grid.cell_data["labels"][cid] == ms.labels[i, j, k]


def test_vti_known_value_in_known_voxel(tmp_path):
    import pyvista as pv

    from microcath import io

    ms = make_composite(12, seed=1)
    field = np.zeros((12, 12, 12), np.float32)
    field[2, 7, 9] = 42.0          # a known value in a known voxel
    vec = np.zeros((3, 12, 12, 12), np.float32)
    vec[1, 5, 0, 11] = -3.0        # y component at voxel (5, 0, 11)
    path = io.write_vti(tmp_path / "f.vti", ms, fields={"phi": (field, "V"), "j": (vec, "A/m^2")})
    grid = pv.read(path)
    assert tuple(grid.dimensions) == (13, 13, 13)
    s = ms.voxel_size
    cid = grid.find_containing_cell(((2 + 0.5) * s, (7 + 0.5) * s, (9 + 0.5) * s))
    assert grid.cell_data["phi"][cid] == 42.0
    assert np.count_nonzero(grid.cell_data["phi"]) == 1
    cid = grid.find_containing_cell(((5 + 0.5) * s, 0.5 * s, (11 + 0.5) * s))
    assert tuple(grid.cell_data["j"][cid]) == (0.0, -3.0, 0.0)
    assert np.array_equal(np.asarray(grid.cell_data["labels"]).reshape(ms.shape, order="F"), ms.labels)


def test_failure_while_writing_leaves_no_folder(tmp_path, monkeypatch):
    import microcath.report as report

    target = tmp_path / "crash"

    def boom(self):
        raise RuntimeError("injected failure while writing report.html")

    monkeypatch.setattr(report.ReportBuilder, "_html", boom)
    with pytest.raises(RuntimeError, match="injected"):
        run_main_job(out_dir=target, structure=make_composite(12), progress=False, window_size=(200, 160))
    assert not target.exists()
    assert _leftovers(tmp_path, "crash") == []


def test_exception_in_builder_block_leaves_previous_folder_untouched(tmp_path):
    target = tmp_path / "keep"
    target.mkdir()
    (target / ".microcath-output").write_text("{}")  # an earlier run of microcath
    (target / "old.txt").write_text("previous run")
    with pytest.raises(OSError, match="injected"):
        with ReportBuilder(target, force=True) as rb:
            rb.path("figures/a.png").write_bytes(b"x")
            raise OSError("injected: disk full")
    assert (target / "old.txt").read_text() == "previous run"
    assert _leftovers(tmp_path, "keep") == []


def test_refuses_non_empty_folder_unless_forced(tmp_path):
    target = tmp_path / "full"
    target.mkdir()
    (target / "old.txt").write_text("x")
    with pytest.raises(InputError, match="--force"):
        ReportBuilder(target)
    with pytest.raises(InputError, match="did not write"):  # not microcath's: never replaced
        ReportBuilder(target, force=True)
    assert (target / "old.txt").read_text() == "x"
    (target / ".microcath-output").write_text("{}")  # an earlier run of microcath
    with ReportBuilder(target, force=True) as rb:
        rb.add_stage(StageRecord("s", "run", wall_time=0.1))
        rb.results["n"] = quantity(3, "-")
    assert not (target / "old.txt").exists()
    assert json.loads((target / "results.json").read_text())["results"]["n"] == {"value": 3, "unit": "-"}
    assert _leftovers(tmp_path, "full") == []


def test_stage_status_is_validated():
    with pytest.raises(InputError, match="status"):
        StageRecord("x", "maybe")


@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="chromium not installed (apt-get install chromium)")
def test_report_opens_in_headless_chromium_with_images(run_folder, tmp_path, screenshot):
    from viz_helpers import read_png

    out, _, _ = run_folder
    shot = screenshot(out / "report.html", tmp_path / "shot.png", size=(1000, 1600))
    img = read_png(shot)
    assert img.shape == (1600, 1000, 3)
    # the electrolyte's (shaded) sky blue appears only in the figures: the images were loaded
    r, g, b = (img[..., c].astype(int) for c in range(3))
    assert np.mean((b > 150) & (b - r > 80) & (g > 100)) > 0.02
