"""The stage driver: a stage plugs in with one line, a failing stage is recorded (or raised with strict),
a stage whose needs are missing is not run, and stages pass results on through the context."""

import json

import numpy as np
import pytest

from microcath import InputError, Microstructure, Phase
from microcath.pipeline import (
    STAGES,
    Figure,
    Line,
    RunContext,
    Stage,
    StageOutput,
    headline_text,
    run_main_job,
)


def make_composite(n):
    lab = np.zeros((n, n, n), np.uint8)
    lab[:, : n // 2] = 1
    return Microstructure(lab, 1e-6, {0: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"),
                                      1: Phase("NMC811", "active", "NMC811")})


def _given(ctx: RunContext) -> StageOutput:
    """A generate stage for a given structure that draws nothing (fast)."""
    return StageOutput(structure=ctx.structure, lines=(Line("structure", f"{ctx.structure.shape}"),))


def _fake_mechanics(ctx: RunContext) -> StageOutput:
    ms = ctx.structure
    ctx.path("figures/stress.png").write_bytes(b"\x89PNG fake")
    return StageOutput(summary={"max_von_mises_MPa": 1.5}, results={"mechanics": {"n": ms.n_voxels}},
                       headline={"von_mises_MPa": {"value": 1.5, "unit": "MPa"}},
                       lines=(Line("stress at a charged state", "1.5 MPa"),),
                       figures=(Figure("figures/stress.png", "Von Mises stress."),),
                       fields={"von_mises": (ms.labels.astype("float32"), "Pa")}, mechanics={"vm": 1.5})


def _reads_mechanics(ctx: RunContext) -> StageOutput:
    return StageOutput(summary={"seen": ctx.mechanics["vm"]})


def test_a_new_stage_plugs_in_and_passes_its_result_on(tmp_path):
    stages = (Stage("generate", _given), Stage("mechanics", _fake_mechanics, needs=("structure",)),
              Stage("after", _reads_mechanics, needs=("mechanics",)), STAGES[-1])
    r = run_main_job(out_dir=tmp_path / "r", structure=make_composite(10), progress=False, strict=True,
                     stages=stages)
    assert r.status == {"generate": "run", "mechanics": "run", "after": "run", "report": "run"}
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    assert doc["results"]["mechanics"] == {"n": 1000}
    assert doc["results"]["headline"]["von_mises_MPa"]["value"] == 1.5
    assert {s["name"]: s for s in doc["stages"]}["after"]["summary"] == {"seen": 1.5}
    assert [f["file"] for f in doc["figures"]] == ["figures/stress.png"]
    assert "von_mises" in {s["name"]: s for s in doc["stages"]}["report"]["summary"]["fields"]
    assert "stress at a charged state: 1.5 MPa" in headline_text(r)


def test_failing_stage_is_recorded_and_the_run_goes_on_unless_strict(tmp_path):
    def boom(ctx):
        raise ValueError("injected")

    stages = (Stage("generate", _given), Stage("boom", boom), Stage("after", _reads_mechanics,
                                                                    needs=("mechanics",)), STAGES[-1])
    r = run_main_job(out_dir=tmp_path / "r", structure=make_composite(10), progress=False, stages=stages)
    assert not r.ok
    assert r.status == {"generate": "run", "boom": "failed", "after": "not run", "report": "run"}
    rec = {s.name: s for s in r.stages}
    assert rec["boom"].reason == "ValueError: injected"
    assert "needs mechanics" in rec["after"].reason
    text = headline_text(r)
    assert "stage boom: ValueError: injected" in text and "stage after: not run: needs mechanics" in text
    with pytest.raises(ValueError, match="injected"):
        run_main_job(out_dir=tmp_path / "s", structure=make_composite(10), progress=False, stages=stages,
                     strict=True)
    assert not (tmp_path / "s").exists()


def test_skipped_stage_is_reported_and_bad_names_are_refused_before_anything_is_written(tmp_path):
    stress = Stage("stress at a charged state", _fake_mechanics, needs=("structure",))
    stages = (Stage("generate", _given), stress, Stage("after", _reads_mechanics, needs=("mechanics",)),
              STAGES[-1])
    r = run_main_job(out_dir=tmp_path / "r", structure=make_composite(10), progress=False, stages=stages,
                     skip=["stress"])
    assert r.status == {"generate": "run", "stress at a charged state": "not run", "after": "not run",
                        "report": "run"}
    rec = {s.name: s for s in r.stages}
    assert rec["stress at a charged state"].reason == "not run: skipped on request (--skip stress)"
    assert "needs mechanics" in rec["after"].reason
    assert "skipped on request" in headline_text(r)
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    assert "mechanics" not in doc["results"]
    for bad, why in (("generate", "cannot be skipped"), ("report", "cannot be skipped"),
                     ("stres", "no such stage; choose from stress, after")):
        with pytest.raises(InputError, match=why):
            run_main_job(out_dir=tmp_path / "s", structure=make_composite(10), progress=False, stages=stages,
                         skip=[bad])
    assert not (tmp_path / "s").exists()


def test_stage_needs_are_checked_names():
    with pytest.raises(InputError, match="needs"):
        Stage("x", _given, needs=("structure", "stress"))


def test_context_paths_stay_inside_the_folder(tmp_path):
    from microcath.pipeline import RunConfig

    ctx = RunContext(config=RunConfig(), folder=tmp_path)
    assert ctx.path("figures/a.png") == (tmp_path / "figures" / "a.png").resolve()
    with pytest.raises(InputError, match="outside"):
        ctx.path("../escape.png")
