"""`microcath stress` on plain labelled arrays and on structures with materials."""

import json

import numpy as np
import pytest

from microcath.cli.main import main


def _run(capsys, args):
    rc = main(args)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_plain_array_laminate_json(ti_cpu, tmp_path, capsys):
    lab = np.zeros((8, 8, 8), np.uint8)
    lab[:, :, :4] = 1
    f = tmp_path / "lam.npy"
    np.save(f, lab)
    rc, out, _ = _run(capsys, ["stress", str(f), "--voxel-size-um", "0.5", "--elastic", "0=150,0.25",
                               "--elastic", "1=20,0.3", "--eigenstrain", "0=-0.017", "--boundary", "free",
                               "--json"])
    assert rc == 0
    d = json.loads(out)
    assert d["converged"] and d["iterations"] > 0
    # DOSSIER C5: the free laminate's in-plane stresses are +-425 MPa, so the means are
    # (425 + 425 + 0) / 3 in the AM and the opposite in the SE
    assert d["phases"]["0"]["mean_hydrostatic_MPa"] == pytest.approx(850 / 3, rel=1e-4)
    assert d["phases"]["1"]["mean_hydrostatic_MPa"] == pytest.approx(-850 / 3, rel=1e-4)
    assert d["interfaces"]["0/1"]["opened_fraction"] == 0.0  # sigma_zz = 0: nothing in tension
    assert set(d["phases"]["0"]["hydrostatic_percentiles_MPa"]) == {"5", "25", "50", "75", "95"}


@pytest.mark.parametrize("args,needle", [
    (["--elastic", "0=150"], "E_GPa,nu"),
    (["--elastic", "0=150,0.25"], "--elastic 1="),
    (["--elastic", "0=150,0.6", "--elastic", "1=20,0.3"], "Poisson"),
    (["--elastic", "0=nan,0.3", "--elastic", "1=20,0.3"], "Young"),
])
def test_plain_array_bad_elastic_input(ti_cpu, tmp_path, capsys, args, needle):
    lab = np.zeros((4, 4, 4), np.uint8)
    lab[:, :, :2] = 1
    f = tmp_path / "lam.npy"
    np.save(f, lab)
    rc, _, err = _run(capsys, ["stress", str(f), "--voxel-size-um", "0.5", *args])
    assert rc == 2 and needle in err


def test_plain_array_needs_voxel_size(tmp_path, capsys):
    f = tmp_path / "lam.npy"
    np.save(f, np.zeros((4, 4, 4), np.uint8))
    rc, _, err = _run(capsys, ["stress", str(f), "--elastic", "0=150,0.25"])
    assert rc == 2 and "--voxel-size-um" in err


def test_structure_soc_outside_the_path_and_missing_modulus(ti_cpu, tmp_path, capsys):
    from microcath import io
    from microcath.microstructure import Microstructure
    from microcath.phases import Phase

    lab = np.zeros((6, 6, 6), np.uint8)
    lab[:, :, :3] = 1
    ms = Microstructure(lab, 0.5e-6, {0: Phase("NMC811", "active", "NMC811"),
                                      1: Phase("Li2S", "electrolyte", "Li2S")})
    f = tmp_path / "s.mcath"
    io.save(ms, f)
    rc, _, err = _run(capsys, ["stress", str(f), "--soc", "0.05"])
    assert rc == 2 and "Li2S" in err and "--elastic" in err  # Li2S has no modulus on purpose
    rc, _, err = _run(capsys, ["stress", str(f), "--soc", "0.05", "--elastic", "Li2S=20,0.3"])
    assert rc == 2 and "outside the documented path" in err


def test_coarsen_plain_array_and_structure(ti_cpu, tmp_path, capsys):
    """--coarsen 2: composite voxels on the coarse grid (the AM/SE interface inside coarse layer
    3, clamped cell: its normal stress is the closed form's, as every layer's); a shape that is
    not a multiple, or the contact loss, are refused with the fix."""
    from microcath import io
    from microcath.microstructure import Microstructure
    from microcath.phases import Phase

    lab = np.ones((8, 8, 16), np.uint8)
    lab[:, :, :7] = 0  # 7 of 16 fine layers AM: coarse layer 3 is half AM
    f = tmp_path / "cut.npy"
    np.save(f, lab)
    vti = tmp_path / "cut.vti"
    rc, out, _ = _run(capsys, ["stress", str(f), "--voxel-size-um", "0.25", "--elastic", "0=150,0.25",
                               "--elastic", "1=20,0.3", "--eigenstrain", "0=-0.017", "--boundary", "periodic",
                               "--coarsen", "2", "--json", "--fields", str(vti)])
    assert rc == 0
    d = json.loads(out)
    assert d["converged"] and d["shape"] == [4, 4, 8] and d["voxel_size_um"] == pytest.approx(0.5)
    assert d["composite_voxels"]["composite_voxels"] == 16 and d["interfaces"] == {}
    # closed form of the clamped laminate (7/16 AM): sigma_zz = -sum f t/P / sum f/P
    lam = {k: E * nu / ((1 + nu) * (1 - 2 * nu)) for k, (E, nu) in ((0, (150e9, .25)), (1, (20e9, .3)))}
    mu = {k: E / (2 * (1 + nu)) for k, (E, nu) in ((0, (150e9, .25)), (1, (20e9, .3)))}
    P = {k: lam[k] + 2 * mu[k] for k in lam}
    fr = {0: 7 / 16, 1: 9 / 16}
    t = {0: (3 * lam[0] + 2 * mu[0]) * -0.017, 1: 0.0}
    S = -sum(fr[k] * t[k] / P[k] for k in fr) / sum(fr[k] / P[k] for k in fr)
    assert d["mean_stress_MPa"][2] == pytest.approx(S / 1e6, rel=1e-5)
    assert vti.exists()
    np.save(f, lab[:, :, :15])
    rc, _, err = _run(capsys, ["stress", str(f), "--voxel-size-um", "0.25", "--elastic", "0=150,0.25",
                               "--elastic", "1=20,0.3", "--coarsen", "2"])
    assert rc == 2 and "multiple of 2" in err
    ms = Microstructure(lab, 0.25e-6, {0: Phase("NMC811", "active", "NMC811"),
                                       1: Phase("LPSCl", "electrolyte", "Li6PS5Cl")})
    s = tmp_path / "s.mcath"
    io.save(ms, s)
    rc, _, err = _run(capsys, ["stress", str(s), "--soc", "0.2", "--coarsen", "2"])
    assert rc == 2 and "--no-contact" in err


def test_anisotropic_stiffness_flag_needs_a_structure(tmp_path, capsys):
    f = tmp_path / "lab.npy"
    np.save(f, np.ones((4, 4, 4), np.uint8))
    rc, _, err = _run(capsys, ["stress", str(f), "--voxel-size-um", "0.5", "--elastic", "1=150,0.25",
                               "--anisotropic-stiffness"])
    assert rc == 2 and "no grains or orientations" in err
