"""The CLI shell and the foundation commands: info, import, convert, materials."""

import json

import numpy as np
import pytest
import tifffile

from microcath import __version__, io
from microcath.cli.main import _Group, cli, main
from microcath.data import example_path

REQUIRED = ["NMC811", "NMC532", "LiCoO2", "sulfur", "Li2S", "selenium", "SeS2", "Li6PS5Cl", "Li3PS4",
            "Li10GeP2S12", "Li10SnP2S12", "Li3InCl6", "carbon_black", "VGCF", "CNT", "LiNbO3", "Li3PO4",
            "pore"]


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *needles: str):
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], lines[0]


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and __version__ in out


def test_help_on_every_command(capsys):
    names = _Group.list_commands(cli, None)
    assert {"info", "import", "convert", "materials"} <= set(names)
    code, out, _ = run(capsys, "--help")
    assert code == 0 and all(n in out for n in names)
    for name in names:
        code, out, _ = run(capsys, name, "--help")
        assert code == 0, name
        assert f"microcath {name}" in out


def test_info_example_table(capsys):
    code, out, _ = run(capsys, "info", "--example")
    assert code == 0
    assert "48 x 48 x 48" in out and "0.25 µm" in out
    for name in ("pore", "NMC811", "Li6PS5Cl", "carbon_black", "seed: 20261125"):
        assert name in out
    code2, out2, _ = run(capsys, "info", "example")
    assert code2 == 0 and out2.splitlines()[1:] == out.splitlines()[1:]


def test_info_json(capsys):
    code, out, _ = run(capsys, "info", "--example", "--json")
    assert code == 0
    data = json.loads(out)
    ms = io.load_example()
    assert data["shape"] == [48, 48, 48] and data["voxel_size_um"] == pytest.approx(0.25)
    counts = np.bincount(ms.labels.ravel(), minlength=4)
    fractions = {p["name"]: p["volume_fraction"] for p in data["phases"]}
    assert fractions["NMC811"] == pytest.approx(counts[1] / ms.n_voxels)
    assert sum(fractions.values()) == pytest.approx(1.0)
    assert data["provenance"]["seed"] == 20261125


def test_info_errors(capsys, tmp_path):
    code, _, err = run(capsys, "info")
    assert code == 2
    assert_one_line_error(err, "--example")
    code, _, err = run(capsys, "info", str(tmp_path / "nope.mcath"))
    assert code == 2
    assert_one_line_error(err, "no such file")
    (tmp_path / "bad.mcath").write_bytes(b"garbage")
    code, _, err = run(capsys, "info", str(tmp_path / "bad.mcath"))
    assert code == 2
    assert_one_line_error(err, "not an HDF5 file")
    code, _, err = run(capsys, "info", "--no-such-option")
    assert code == 2 and "Traceback" not in err


def test_debug_shows_traceback(capsys, tmp_path):
    code, _, err = run(capsys, "--debug", "info", str(tmp_path / "nope.mcath"))
    assert code == 2 and "Traceback" in err


def test_internal_error_exit_1(capsys, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("bug")

    monkeypatch.setattr(io, "load", boom)
    code, _, err = run(capsys, "info", "--example")
    assert code == 1 and "internal error: RuntimeError: bug" in err


@pytest.fixture
def grey_tif(tmp_path):
    grey = np.zeros((10, 8, 6), np.uint8)
    grey[3:7] = 128
    grey[:, :2] = 255
    path = tmp_path / "scan.tif"
    tifffile.imwrite(path, grey)
    return path, grey


def test_import_tiff(capsys, grey_tif, tmp_path):
    path, grey = grey_tif
    out = tmp_path / "scan.mcath"
    code, stdout, _ = run(capsys, "import", str(path), "--phases", "0=pore,128=NMC811,255=Li6PS5Cl",
                          "--voxel-size-um", "0.2", "-o", str(out))
    assert code == 0 and "wrote" in stdout
    ms = io.load(out)
    assert ms.voxel_size == pytest.approx(0.2e-6)
    np.testing.assert_array_equal(ms.labels, np.select([grey == 128, grey == 255], [1, 2], 0))
    assert ms.volume_fractions()["NMC811"] == pytest.approx(np.mean(grey == 128))
    code, _, err = run(capsys, "import", str(path), "--phases", "0=pore,128=NMC811,255=Li6PS5Cl",
                       "--voxel-size-um", "0.2", "-o", str(out))
    assert code == 2
    assert_one_line_error(err, "exists", "--overwrite")
    code, _, _ = run(capsys, "import", str(path), "--phases", "0=pore,128=NMC811,255=Li6PS5Cl",
                     "--voxel-size-um", "0.2", "-o", str(out), "--overwrite")
    assert code == 0


@pytest.mark.parametrize("args, needles", [
    (["--phases", "0=pore,128=NMC811"], ["255", "no phase is mapped"]),
    (["--phases", "0=pore,128=NMC811,255=Li6PS5Cl"], ["voxel size", "--voxel-size-um"]),
    (["--voxel-size-um", "0.2"], ["phase table", "--phases"]),
    (["--phases", "0=pore,128=NMC81,255=Li6PS5Cl", "--voxel-size-um", "0.2"], ["did you mean 'NMC811'"]),
    (["--phases", "0=pore,128=NMC811,255=Li6PS5Cl", "--voxel-size-um", "-1"], ["--voxel-size-um"]),
])
def test_import_bad_input(capsys, grey_tif, tmp_path, args, needles):
    path, _ = grey_tif
    code, _, err = run(capsys, "import", str(path), *args, "-o", str(tmp_path / "x.mcath"))
    assert code == 2
    assert_one_line_error(err, *needles)
    assert not (tmp_path / "x.mcath").exists()


def test_convert_chain(capsys, tmp_path):
    ms = io.load_example()
    raw = tmp_path / "ex.raw"
    code, _, _ = run(capsys, "convert", str(example_path()), str(raw), "--out-dtype", "uint16",
                     "--out-byte-order", "big")
    assert code == 0
    assert raw.stat().st_size == ms.n_voxels * 2
    np.testing.assert_array_equal(np.fromfile(raw, dtype=">u2").reshape(ms.shape), ms.labels)
    vti = tmp_path / "ex.vti"
    code, _, _ = run(capsys, "convert", str(raw), str(vti), "--shape", "48", "48", "48", "--dtype", "uint16",
                     "--byte-order", "big", "--phases", "0=pore,1=NMC811,2=Li6PS5Cl,3=carbon_black",
                     "--voxel-size-um", "0.25")
    assert code == 0
    back = io.load(vti)
    np.testing.assert_array_equal(back.labels, ms.labels)
    assert back.phases.names == ms.phases.names
    code, _, err = run(capsys, "convert", str(raw), str(tmp_path / "y.npy"), "--shape", "48", "48", "47",
                       "--dtype", "uint16", "--phases", "0=pore", "--voxel-size-um", "0.25")
    assert code == 2
    assert_one_line_error(err, "bytes", "check shape")


def test_materials_list(capsys):
    code, out, _ = run(capsys, "materials")
    assert code == 0
    for name in REQUIRED:
        assert name in out
    code, out, _ = run(capsys, "materials", "--json")
    data = json.loads(out)
    assert set(REQUIRED) <= set(data)
    assert data["Li6PS5Cl"]["properties"]["sigma_ionic"]["value"] == pytest.approx(0.13)


def test_materials_show(capsys):
    code, out, _ = run(capsys, "materials", "lpscl")
    assert code == 0
    assert out.startswith("Li6PS5Cl  (electrolyte)") and "Rosenbach" in out
    assert "sigma_ionic = 0.0013 S/cm" in out and "verified" in out
    code, out, _ = run(capsys, "materials", "SeS2")
    assert "not in the library: density" in out
    code, out, _ = run(capsys, "materials", "NMC811", "--json")
    assert json.loads(out)["lattice_strain"]["state"] == "x_Li"


def test_materials_errors_and_user_library(capsys, tmp_path):
    code, _, err = run(capsys, "materials", "NMC81")
    assert code == 2
    assert_one_line_error(err, "unknown material 'NMC81'", "did you mean 'NMC811'")
    lib = tmp_path / "m.toml"
    lib.write_text("[Li6PS5Cl]\nsigma_ionic_mS_cm = 2.8\n")
    code, out, _ = run(capsys, "materials", "Li6PS5Cl", "--library", str(lib))
    assert code == 0 and "sigma_ionic = 2.8 mS/cm" in out and "user" in out
    lib.write_text("[Li6PS5Cl]\nsigma_ionic_mS_cm = nan\n")
    code, _, err = run(capsys, "materials", "--library", str(lib))
    assert code == 2
    assert_one_line_error(err, "finite")
