"""Effective cell-model parameters from a run, on a laminate whose answers are exact.

Layers stacked along y, all running through x: NMC811 (4 voxel rows), Li6PS5Cl
(6 rows), carbon black (2 rows). Along x each phase conducts in parallel, so
sigma_ion_eff = eps_SE sigma_SE exactly (Bruggeman exponent 1, tortuosity 1),
and the NMC811/Li6PS5Cl interface is one flat plane of area Lx Lz.
"""

import json

import numpy as np
import pytest

from microcath.cell_parameters import effective_parameters, pybamm_parameters
from microcath.cli.main import cli, main
from microcath.errors import InputError
from microcath.microstructure import Microstructure
from microcath.phases import Phase, PhaseTable
from microcath.pipeline.driver import STAGES, run_main_job

N, H = 12, 0.5e-6


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    lab = np.empty((N, N, N), np.uint8)
    lab[:, :4] = 1
    lab[:, 4:10] = 2
    lab[:, 10:] = 3
    phases = PhaseTable({1: Phase("NMC811", "active", "NMC811"),
                         2: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"),
                         3: Phase("carbon_black", "carbon", "carbon_black")})
    ms = Microstructure(lab, H, phases)
    out = tmp_path_factory.mktemp("cp") / "run"
    stages = [s for s in STAGES if s.name in ("generate", "analyse", "ionic conductivity",
                                               "electronic conductivity")]
    run_main_job(structure=ms, out_dir=out, progress=False, stages=stages, strict=True)
    return out


def test_laminate_parameters_are_exact(run_dir):
    from microcath.materials import default_library

    s_se = default_library().get("Li6PS5Cl").property("sigma_ionic")
    p = effective_parameters(run_dir)
    assert p["electrolyte_volume_fraction"] == pytest.approx(0.5)
    assert p["active_volume_fraction"] == pytest.approx(4 / 12)
    assert p["ionic"]["sigma_eff_S_m"] == pytest.approx(0.5 * s_se, rel=1e-5)
    assert p["ionic"]["bruggeman_exponent"] == pytest.approx(1.0, abs=1e-4)
    assert p["ionic"]["tortuosity_factor"] == pytest.approx(1.0, rel=1e-4)
    # one flat interface plane of area (N H)^2 in a volume (N H)^3
    assert p["active_electrolyte_area_per_volume_m-1"] == pytest.approx(1.0 / (N * H), rel=1e-6)

    b = pybamm_parameters(run_dir)
    assert b["Positive electrode porosity"] == pytest.approx(0.5)
    assert b["Electrolyte conductivity [S.m-1]"] == pytest.approx(s_se)
    # PyBaMM's transport efficiency eps^b gives back the solved sigma_ion_eff
    brug = b["Positive electrode Bruggeman coefficient (electrolyte)"]
    eff = b["Electrolyte conductivity [S.m-1]"] * 0.5**brug
    assert eff == pytest.approx(0.5 * s_se, rel=1e-4)
    # PyBaMM's a = 3 eps / R reproduces the interface area
    a = 3 * b["Positive electrode active material volume fraction"] / b["Positive particle radius [m]"]
    assert a == pytest.approx(1.0 / (N * H) * p["utilisable_active_fraction"], rel=1e-6)


def test_cli_writes_both_formats(run_dir, tmp_path, capsys):
    from click.testing import CliRunner

    r = CliRunner().invoke(cli, ["export-params", str(run_dir), "--format", "pybamm"])
    assert r.exit_code == 0, r.output
    assert "Positive electrode Bruggeman coefficient (electrolyte)" in json.loads(r.output)
    out = tmp_path / "p.json"
    r = CliRunner().invoke(cli, ["export-params", str(run_dir), "-o", str(out)])
    assert r.exit_code == 0 and json.loads(out.read_text())["ionic"]["converged"] is True
    assert main(["export-params", str(run_dir), "-o", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_bad_input(tmp_path):
    with pytest.raises(InputError, match="results.json"):
        effective_parameters(tmp_path)
    (tmp_path / "results.json").write_text("{not json")
    with pytest.raises(InputError, match="not a readable"):
        effective_parameters(tmp_path)
