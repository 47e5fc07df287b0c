"""`microcath run` and `microcath render` from the command line."""

import json

import numpy as np
import pytest
from viz_helpers import colour_share, make_composite, read_png

from microcath.cli.main import main
from microcath.viz.colors import hex_to_rgb, phase_colors

EXPECTED_STATUS = {"generate": "run", "analyse": "run", "ionic conductivity": "run",
                   "electronic conductivity": "run", "stress at a charged state": "run", "report": "run"}


def test_run_tiny_completes_and_every_stage_runs(tmp_path, capsys):
    out = tmp_path / "run"
    # small particles so that a tiny box holds a few of them
    code = main(["run", "-o", str(out), "--shape", "24", "24", "24", "--seed", "1", "--size", "240", "200",
                 "--set", "active.size.d50_um=1.2", "--set", "voxel_size_um=0.25", "--strict"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert (out / "report.html").is_file() and (out / "results.json").is_file()
    assert str(out / "report.html") in captured.out
    assert "stress at a charged state: x_Li 0.2: active/electrolyte faces opened" in captured.out
    doc = json.loads((out / "results.json").read_text())
    assert {s["name"]: s["status"] for s in doc["stages"]} == EXPECTED_STATUS
    assert doc["results"]["structure"]["shape"] == [24, 24, 24]
    assert (out / "structure.mcath").is_file() and (out / "fields.vti").is_file()
    for key in ("sigma_ionic_eff", "sigma_electronic_eff", "utilisable_active_fraction",
                "opened_active_electrolyte_fraction"):
        assert doc["results"]["headline"][key]["value"] > 0, key


def test_a_failing_stage_fails_the_command_after_writing_the_rest(tmp_path, capsys, monkeypatch):
    from microcath.pipeline import STAGES, Stage, driver

    def boom(ctx):
        raise RuntimeError("injected stage failure")

    monkeypatch.setattr(driver, "STAGES", (STAGES[0], Stage("boom", boom, needs=("structure",)), STAGES[-1]))
    out = tmp_path / "run"
    argv = ["run", "-o", str(out), "--shape", "16", "16", "16", "--size", "160", "120",
            "--set", "active.size.d50_um=1.2", "--set", "voxel_size_um=0.25"]
    assert main(argv) == 1
    assert "boom" in capsys.readouterr().err
    doc = json.loads((out / "results.json").read_text())
    status = {s["name"]: s for s in doc["stages"]}
    assert status["boom"]["status"] == "failed" and "injected" in status["boom"]["reason"]
    assert status["generate"]["status"] == status["report"]["status"] == "run"
    # --strict stops at the failure and leaves no folder
    assert main([*argv[:2], str(tmp_path / "strict"), *argv[3:], "--strict"]) == 1
    assert not (tmp_path / "strict").exists()


def test_run_refuses_non_empty_folder(tmp_path, capsys):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "x").write_text("keep me")
    assert main(["run", "-o", str(out), "--shape", "8", "8", "8"]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "x").read_text() == "keep me"


def test_set_values_are_parsed():
    from microcath.geometries.recipes import parse_overrides

    assert parse_overrides(("a=3", "b=0.5", "c=true", "d=NMC811", 'e="x y"', "f = [1, 2]")) == {
        "a": 3, "b": 0.5, "c": True, "d": "NMC811", "e": "x y", "f": [1, 2]}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_overrides(("no_equals_sign",))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from microcath import io

    d = tmp_path_factory.mktemp("render")
    ms = make_composite(16, seed=2)
    io.save(ms, d / "s.mcath")
    phi = np.broadcast_to(np.linspace(0, 1, 16)[:, None, None], ms.shape).astype(np.float32)
    j = np.zeros((3, *ms.shape), np.float32)
    j[0] = ms.labels == 1
    io.write_vti(d / "f.vti", ms, fields={"phi": (phi, "V"), "j": (j, "A/m^2")})
    return d, ms


@pytest.mark.parametrize("extra", [[], ["--phase", "NMC811"], ["--slice", "z=8"]])
def test_render_structure(files, tmp_path, capsys, extra):
    d, ms = files
    out = tmp_path / "r.png"
    assert main(["render", str(d / "s.mcath"), "-o", str(out), "--size", "300", "200", *extra]) == 0
    img = read_png(out)
    if "--slice" not in extra:
        assert img.shape == (200, 300, 3)
    nmc = hex_to_rgb(phase_colors(ms.phases)[2])
    assert colour_share(img, nmc, tol=2) > 0  # the legend or the slice shows NMC's colour


@pytest.mark.parametrize("extra", [["--field", "phi"], ["--field", "j", "--streamlines"],
                                   ["--field", "phi", "--slice", "x=3"], ["--field", "phi", "--volume"]])
def test_render_vti_fields(files, tmp_path, extra):
    d, _ = files
    out = tmp_path / "f.png"
    assert main(["render", str(d / "f.vti"), "-o", str(out), "--size", "240", "200", *extra]) == 0
    img = read_png(out)
    assert img.reshape(-1, 3).std(axis=0).max() > 5


def test_render_unknown_field_is_a_clear_error(files, tmp_path, capsys):
    d, _ = files
    assert main(["render", str(d / "f.vti"), "--field", "nope", "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "phi" in err
