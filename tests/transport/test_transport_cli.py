"""``microcath conductivity`` on plain label arrays and native structures."""

import json

import numpy as np
import pytest

from microcath import Microstructure, Phase, io
from microcath.cli.main import main


@pytest.fixture
def laminate_npy(tmp_path):
    lab = np.zeros((12, 6, 5), np.uint8)
    lab[6:] = 1
    path = tmp_path / "lam.npy"
    np.save(path, lab)
    return path


def test_json_on_plain_array(ti_cpu, laminate_npy, capsys):
    code = main(["conductivity", str(laminate_npy), "--sigma", "0=0.2", "--sigma", "1=1e-3",
                 "--axis", "all", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    ax = out["axes"]
    assert set(ax) == {"x", "y", "z"}
    assert ax["x"]["sigma_eff"] == pytest.approx(12 / (6 / 0.2 + 6 / 1e-3), rel=1e-4)
    assert ax["y"]["sigma_eff"] == pytest.approx((0.2 + 1e-3) / 2, rel=1e-4)
    for rec in ax.values():
        assert rec["converged"] is True
        assert rec["volume_fraction"] == pytest.approx(1.0)
        assert rec["tau"] is None  # two conducting phases
        assert isinstance(rec["n_iter"], int)


def test_interface_resistance_and_tau(ti_cpu, laminate_npy, capsys):
    # one insulating phase: tau defined; an interface resistance between 0 and 1 is never crossed
    code = main(["conductivity", str(laminate_npy), "--sigma", "0=0.2", "--sigma", "1=0", "--axis", "y",
                 "--interface-resistance", "0:1=100", "--voxel-size-um", "0.5", "--json"])
    assert code == 0
    rec = json.loads(capsys.readouterr().out)["axes"]["y"]
    assert rec["sigma_eff"] == pytest.approx(0.1, rel=1e-5)
    assert rec["tau"] == pytest.approx(1.0, rel=1e-5)
    code = main(["conductivity", str(laminate_npy), "--sigma", "0=0.2", "--sigma", "1=0", "--json"])
    rec = json.loads(capsys.readouterr().out)["axes"]["x"]
    assert rec["sigma_eff"] == 0 and rec["tau"] == "inf" and rec["percolating"] is False


def test_series_interface_resistance_units(ti_cpu, laminate_npy, capsys):
    # R = 10 ohm cm^2 = 1e-3 ohm m^2 between layers of 6 voxels of 0.5 µm each
    code = main(["conductivity", str(laminate_npy), "--sigma", "0=0.2", "--sigma", "1=0.1",
                 "--interface-resistance", "0:1=10", "--voxel-size-um", "0.5", "--json", "--float64"])
    assert code == 0
    rec = json.loads(capsys.readouterr().out)["axes"]["x"]
    h = 0.5e-6
    assert rec["sigma_eff"] == pytest.approx(12 * h / (6 * h / 0.2 + 6 * h / 0.1 + 1e-3), rel=1e-4)


def test_text_output_and_fields(ti_cpu, tmp_path, capsys):
    lab = np.zeros((8, 4, 4), np.uint8)
    lab[:, :, 2:] = 1
    phases = {0: Phase("pore", "pore"), 1: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl")}
    ms = Microstructure(lab, 1e-6, phases)
    path = tmp_path / "s.mcath"
    io.save(ms, path)
    out_vti = tmp_path / "f.vti"
    code = main(["conductivity", str(path), "--sigma", "Li6PS5Cl=0.3", "--fields", str(out_vti)])
    assert code == 0
    text = capsys.readouterr().out
    assert "sigma_eff = 0.15 S/m" in text and "tau = 1" in text
    import pyvista as pv

    grid = pv.read(out_vti)
    assert "potential" in grid.cell_data and "current_density" in grid.cell_data


@pytest.mark.parametrize("args, message", [
    (["--sigma", "0=0.2"], "no conductivity"),
    (["--sigma", "0=abc"], "not a number"),
    (["--sigma", "0=0.2", "--sigma", "1=-1"], ">= 0"),
    (["--sigma", "SE=0.2"], "integer labels"),
    ([], "give a conductivity for every label"),
    (["--sigma", "0=1", "--sigma", "1=1", "--interface-resistance", "0-1=3"], "A:B=ohm_cm2"),
])
def test_bad_cli_input(ti_cpu, laminate_npy, capsys, args, message):
    assert main(["conductivity", str(laminate_npy), *args]) == 2
    assert message in capsys.readouterr().err
