"""A solve that did not converge says so in the text and the exit status, and never reports a
physically impossible number as the answer.

Before: ``microcath conductivity ... --maxiter 1`` printed sigma_eff = -0.2071 S/m with exit 0, and
``microcath stress`` meant to exit 3 when not converged but the entry point returned 0.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from microcath import transport
from microcath.errors import ConvergenceWarning

SIG = {0: 1.0, 1: 0.0, 2: 1e-4}


@pytest.fixture
def lab(tmp_path):
    labels = np.random.default_rng(0).integers(0, 3, (12, 12, 12)).astype(np.uint8)
    path = tmp_path / "lab.npy"
    np.save(path, labels)
    return labels, path


def test_api_impossible_iterate_is_nan(ti_cpu, lab):
    labels, _ = lab
    with pytest.warns(ConvergenceWarning, match="outside the physical range"):
        r = transport.conductivity_of_labels(labels, SIG, maxiter=1)
    assert not r.converged and math.isnan(r.sigma_eff)
    # the converged answer lies inside Wiener's bounds [0, max sigma], which the iterate did not
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        good = transport.conductivity_of_labels(labels, SIG)
    assert good.converged and 0 < good.sigma_eff < 1.0


def test_cli_not_converged_exit_3(ti_cpu, lab, cli):
    _, path = lab
    args = ("conductivity", path, "--sigma", "0=1", "--sigma", "1=0", "--sigma", "2=1e-4", "--maxiter", "1")
    with pytest.warns(ConvergenceWarning):
        code, out, err = cli(*args)
    assert code == 3
    assert "NOT CONVERGED" in out and "not available" in out and "sigma_eff = -" not in out
    assert "not converged along x" in err and "--allow-unconverged" in err
    with pytest.warns(ConvergenceWarning):
        code, out, err = cli(*args, "--json")
    assert code == 3
    rec = json.loads(out)["axes"]["x"]
    assert rec["converged"] is False and rec["sigma_eff"] == "nan"
    with pytest.warns(ConvergenceWarning):
        code, out, _ = cli(*args, "--allow-unconverged")
    assert code == 0 and "NOT CONVERGED" in out


def test_cli_converged_exit_0(ti_cpu, lab, cli):
    _, path = lab
    code, out, _ = cli("conductivity", path, "--sigma", "0=1", "--sigma", "1=0", "--sigma", "2=1e-4")
    assert code == 0 and "converged True" in out


def test_stress_not_converged_exit_3(lab, cli, monkeypatch):
    """The exit-status plumbing of ``microcath stress`` (its solver's non-convergence is tested in
    tests/mechanics); a stand-in result keeps this test free of the elasticity kernels' compile time."""
    from microcath import mechanics

    class Unconverged:
        converged, contact = False, None

        def summary(self):
            return "stress: NOT CONVERGED"

    _, path = lab
    monkeypatch.setattr(mechanics, "stress_of_labels", lambda *a, **k: Unconverged())
    code, out, _ = cli("stress", path, "--voxel-size-um", "1", "--elastic", "0=10,0.3", "--elastic",
                       "1=150,0.25", "--elastic", "2=20,0.3", "--eigenstrain", "1=-0.01")
    assert code == 3 and "NOT CONVERGED" in out


def test_run_not_converged_exit_3(cli, monkeypatch, tmp_path):
    """``microcath run`` exits 3 when a stage recorded a ConvergenceWarning (exit-status plumbing;
    the stage records warnings as tests/pipeline shows)."""
    import microcath.pipeline as pipeline
    from microcath.pipeline.driver import RunResult
    from microcath.report import StageRecord

    rec = StageRecord("ionic conductivity", "run", reason="warning: ConvergenceWarning: stopped early")
    monkeypatch.setattr(pipeline, "run_main_job", lambda *a, **k: RunResult(
        out_dir=tmp_path / "r", report_html=tmp_path / "r" / "report.html", stages=(rec,)))
    code, out, err = cli("run", "-o", tmp_path / "r")
    assert code == 3 and "not converged: ionic conductivity" in err
