"""The bad-input matrix: each case exits 2 with one line that names the problem (and the fix),
and leaves the working folder exactly as it was."""

from __future__ import annotations

import os

import numpy as np
import pytest
from reliability_helpers import SPEC, one_line_error, snapshot, structure

from microcath import Microstructure, Phase, analysis, io, transport, validation
from microcath.errors import FileFormatError, InputError, MemoryBudgetError

S3 = ("--sigma", "0=0", "--sigma", "1=1e-3", "--sigma", "2=0.1")
ONE = ("--sigma", "1=1", "--sigma", "2=1")
INFO = ("--phases", SPEC, "--voxel-size-um")


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A folder of inputs, good and bad; the tests run inside it."""
    ms = structure(8)
    io.save(ms, tmp_path / "s.mcath")
    np.save(tmp_path / "lab.npy", ms.labels)
    ms.labels.tofile(tmp_path / "lab.raw")
    np.save(tmp_path / "f.npy", ms.labels.astype(float))
    np.save(tmp_path / "big.npy", ms.labels.astype(np.int16) * 150)
    np.save(tmp_path / "flat.npy", ms.labels[0])
    (tmp_path / "d.npy").mkdir()
    (tmp_path / "ex.h5").write_bytes((tmp_path / "s.mcath").read_bytes())
    (tmp_path / "t.mcath").write_bytes((tmp_path / "s.mcath").read_bytes()[:500])
    no_el = Microstructure(ms.labels, 0.5e-6, {0: Phase("pore", "pore", "pore"),
                                               1: Phase("NMC811", "active", "NMC811"),
                                               2: Phase("carbon_black", "carbon", "carbon_black")})
    io.save(no_el, tmp_path / "noel.mcath")
    monkeypatch.chdir(tmp_path)
    return tmp_path


CASES = {
    # --- misleading messages of the issue (before -> now) --------------------------------------
    "sigma-without-label": (("conductivity", "lab.npy", "--sigma", "=1"),
                            ("label or phase name is missing",)),
    "resistance-in-flag-unit": (("conductivity", "lab.npy", "--sigma", "0=1", *ONE, "--interface-resistance",
                                 "0:1=-5", "--voxel-size-um", "1"), ("ohm cm^2", "-5")),
    "voxel-inf": (("info", "lab.npy", *INFO, "inf"), ("finite", "µm")),
    "voxel-metres-in-um-flag": (("info", "lab.npy", *INFO, "2e-7"), ("below 1 nm", "--voxel-size-um 0.2")),
    "voxel-negative": (("info", "lab.npy", *INFO, "-1"), ("positive", "µm")),
    "folder-as-file": (("info", "d.npy", *INFO, "1"), ("is a folder",)),
    "folder-as-file-conductivity": (("conductivity", "d.npy", *S3), ("is a folder",)),
    "raw-needs-shape": (("conductivity", "lab.raw", *S3), ("--shape",)),
    "stress-raw": (("stress", "lab.raw", "--voxel-size-um", "1"), ("import it first", "--shape")),
    "npy-format-on-hdf5": (("info", "ex.h5", "--format", "npy", *INFO, "1"), ("looks like an HDF5",
                                                                              "--format hdf5")),
    "material-typo": (("info", "lab.npy", "--phases", "0=pore,1=NMC8111,2=Li6PS5Cl", "--voxel-size-um", "1"),
                      ("did you mean 'NMC811'",)),
    "phase-typo": (("analyze", "s.mcath", "--ionic", "Li6PS5C"), ("did you mean 'Li6PS5Cl'",)),
    "phase-typo-sigma": (("conductivity", "s.mcath", "--sigma", "Li6PS5C=1"), ("did you mean 'Li6PS5Cl'",)),
    "no-electrolyte-named-ionic": (("analyze", "noel.mcath", "--ionic", "electrolyte"), ("--ionic",)),
    "set-key-typo": (("generate", "default", "--set", "active.fractoin=0.5", "-o", "g.mcath"),
                     ("did you mean 'fraction'",)),
    # --- numbers outside what the solver represents --------------------------------------------
    "sigma-1e-39": (("conductivity", "lab.npy", "--sigma", "0=1e-39", *ONE), ("1e-39", "outside")),
    "sigma-1e39": (("conductivity", "lab.npy", "--sigma", "0=1e39", *ONE), ("outside",)),
    "sigma-1e-50": (("conductivity", "lab.npy", "--sigma", "0=1e-50", *ONE), ("outside",)),
    "sigma-nan": (("conductivity", "lab.npy", "--sigma", "0=nan", *ONE), ("finite",)),
    "sigma-negative": (("conductivity", "lab.npy", "--sigma", "0=-1", *ONE), (">= 0",)),
    "sigma-text": (("conductivity", "lab.npy", "--sigma", "0=abc", *ONE), ("not a number",)),
    "sigma-missing-label": (("conductivity", "lab.npy", "--sigma", "0=1"), ("no conductivity", "--sigma")),
    "sigma-name-on-plain-array": (("conductivity", "lab.npy", "--sigma", "pore=1"), ("integer labels",
                                                                                     "--phases")),
    "tol-negative": (("conductivity", "lab.npy", *S3, "--tol", "-1"), ("tol",)),
    "maxiter-zero": (("conductivity", "lab.npy", *S3, "--maxiter", "0"), ("maxiter",)),
    # --- files ---------------------------------------------------------------------------------
    "missing-file": (("info", "nofile.npy"), ("no such file",)),
    "unknown-suffix": (("info", "x.xyz"), ("cannot tell the format",)),
    "raw-wrong-size": (("info", "lab.raw", "--shape", "9", "9", "9", "--dtype", "uint8", *INFO, "1"),
                       ("512 bytes", "check shape")),
    "raw-bad-dtype": (("info", "lab.raw", "--shape", "8", "8", "8", "--dtype", "uint9", *INFO, "1"),
                      ("not a numpy dtype",)),
    "truncated-native": (("info", "t.mcath"), ("truncated or corrupt",)),
    "float-labels": (("conductivity", "f.npy", *S3), ("integer labels",)),
    "labels-above-255": (("conductivity", "big.npy", *S3), ("0..255",)),
    "2d-labels": (("conductivity", "flat.npy", *S3), ("3-D",)),
    "import-without-phases": (("import", "lab.npy", "--voxel-size-um", "1"), ("--phases",)),
    "import-without-voxel-size": (("import", "lab.npy", "--phases", SPEC), ("--voxel-size-um",)),
    "import-unmapped-value": (("import", "lab.npy", "--phases", "0=pore,1=NMC811", "--voxel-size-um", "1",
                               "-o", "y.mcath"), ("no phase is mapped",)),
    "unknown-out-format": (("convert", "s.mcath", "o.npy", "--out-format", "xyz"), ("unknown format",)),
    # --- outputs and options -------------------------------------------------------------------
    "render-not-png": (("render", "s.mcath", "-o", "x.jpg"), (".png",)),
    "render-bad-slice": (("render", "s.mcath", "-o", "x.png", "--slice", "q=1"), ("AXIS=INDEX",)),
    "per-particle-missing-folder": (("analyze", "s.mcath", "--per-particle", "nodir/p.csv"),
                                    ("does not exist",)),
    "fields-missing-folder": (("conductivity", "lab.npy", *S3, "--fields", "nodir/f.vti"),
                              ("does not exist",)),
    "run-tiny-shape": (("run", "--shape", "2", "2", "2", "-o", "runx"), (">= 4",)),
    "unknown-recipe": (("generate", "nosuch", "-o", "g.mcath"), ("unknown recipe",)),
    "info-file-and-example": (("info", "s.mcath", "--example"), ("not both",)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_cli_bad_input(work, cli, name):
    args, needles = CASES[name]
    before = snapshot(work)
    code, out, err = cli(*args)
    assert code == 2, (out, err)
    line = one_line_error(err, *needles)
    if name == "npy-format-on-hdf5":
        assert "allow_pickle" not in line
    assert snapshot(work) == before  # nothing written, nothing lost


def test_no_electrolyte_is_an_answer(work, cli):
    # before: analyze refused a structure without electrolyte; 0 % utilisable is the answer
    code, out, err = cli("analyze", "noel.mcath")
    assert code == 0, err
    assert "utilisable active fraction          0.00 %" in out


# --- the Python API ------------------------------------------------------------------------------

def test_api_analyze_plain_array():
    # before: a bare AttributeError
    with pytest.raises(InputError, match="expected a Microstructure.*phases"):
        analysis.analyze(structure(6).labels)


@pytest.mark.parametrize("bad", [1e-39, 1e39, 1e-300, float("inf")])
def test_api_sigma_out_of_range(bad):
    # before: 1e-39 gave sigma_eff = 0 "converged and percolating", 1e39 gave inf, 1e-300 (float64) 16x off
    with pytest.raises(InputError, match="sigma"):
        transport.conductivity_of_labels(structure(6).labels, {0: bad, 1: 1.0, 2: 1.0}, dtype="float64")


def test_api_series_contrast_beyond_precision_refused(ti_cpu):
    # before: 1 S/m in series with 1e-50 S/m gave 0; within the accepted range, 1 in series with 1e-25
    # (contrast 1e25, beyond any floating-point solve) still gave 0 as "converged"
    lab = np.zeros((8, 4, 4), np.uint8)
    lab[4:] = 1
    with pytest.raises(InputError, match="no floating-point solve resolves"):
        transport.conductivity_of_labels(lab, {0: 1.0, 1: 1e-25})
    # the same phases side by side: the tiny one is negligible and the parallel mean exact
    lab = np.zeros((8, 4, 4), np.uint8)
    lab[:, 2:] = 1
    assert transport.conductivity_of_labels(lab, {0: 1.0, 1: 1e-25}).sigma_eff == pytest.approx(0.5, rel=1e-6)


def test_bool_labels_everywhere(ti_cpu, tmp_path, cli):
    # before: import accepted bool arrays, conductivity and Microstructure refused them
    mask = np.zeros((6, 4, 4), bool)
    mask[:, :2] = True
    ms = Microstructure(mask, 1e-6, {0: Phase("pore", "pore", "pore"),
                                     1: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl")})
    assert ms.labels.dtype == np.uint8 and ms.labels.sum() == mask.sum()
    r = transport.conductivity_of_labels(mask, {0: 0.0, 1: 2.0})
    assert r.sigma_eff == pytest.approx(1.0, rel=1e-5)  # parallel: half the cross-section at 2 S/m
    np.save(tmp_path / "m.npy", mask)
    code, out, err = cli("conductivity", tmp_path / "m.npy", "--sigma", "0=0", "--sigma", "1=2")
    assert code == 0, err
    assert "sigma_eff = 1 S/m" in out


def test_api_voxel_size_below_nm():
    with pytest.raises(InputError, match="below 1 nm"):
        validation.voxel_size(2e-13)
    with pytest.raises(InputError, match="--voxel-size-um 0.2"):
        validation.voxel_size_um(2e-7)


def test_api_folder_and_foreign_vti(tmp_path):
    (tmp_path / "a.vti").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        io.read_vti(tmp_path / "a.vti")
    np.save(tmp_path / "b.npy", np.zeros((2, 2, 2), np.uint8))
    os.replace(tmp_path / "b.npy", tmp_path / "b.vti")
    with pytest.raises(FileFormatError, match="looks like a NumPy"):
        io.read_vti(tmp_path / "b.vti")
    io.write_vti(tmp_path / "c.vti", structure(4))
    (tmp_path / "c.vti").write_bytes((tmp_path / "c.vti").read_bytes()[:60])  # header cut short
    with pytest.raises(FileFormatError, match="corrupt or truncated"):  # before: "not a .vti file"
        io.read_vti(tmp_path / "c.vti")


def test_huge_raw_refused_before_allocation(tmp_path, cli, monkeypatch):
    # before: analyze/info on a 64 GB raw tried the allocation ("Unable to allocate 59.6 GiB")
    import microcath.memory

    monkeypatch.setattr(microcath.memory, "available_memory", lambda device=True: (16 << 30, "test memory"))
    raw = tmp_path / "huge.raw"
    with open(raw, "wb") as fh:  # a sparse file of 4000^3 bytes: nothing is really written
        fh.truncate(4000 ** 3)
    for cmd in ("info", "analyze"):
        code, _, err = cli(cmd, raw, "--shape", "4000", "4000", "4000", "--dtype", "uint8", *INFO, "1")
        assert code == 2
        one_line_error(err, "4000x4000x4000", "largest cube")


def test_conductivity_memory_checked_before_temporaries(monkeypatch):
    # before: a 1000^3 memmap built an 8-byte-per-voxel temporary before its memory check
    lab = np.zeros((64, 64, 64), np.uint8)

    def boom(*a, **k):
        raise AssertionError("a volume-sized temporary before the memory check")

    monkeypatch.setattr(transport, "available_memory", lambda: (2 << 20, "test memory"))
    monkeypatch.setattr(np, "bincount", boom)
    with pytest.raises(MemoryBudgetError, match="largest cube"):
        transport.conductivity_of_labels(lab, {0: 1.0})


@pytest.mark.parametrize("suffix", [".mcath", ".h5"])
def test_silent_damage_is_detected(tmp_path, suffix):
    """Found by the fuzz tests: a flipped bit in an HDF5 chunk index read back as zeros with no error.
    Every dataset and the metadata now carry a CRC-32 (microcath.io.checksum), checked on reading."""
    import h5py

    path = tmp_path / f"s{suffix}"
    io.save(structure(6), path)
    with h5py.File(path, "a") as f:  # change the data behind the checksum's back
        f["labels"][0, 0, 0] = (int(f["labels"][0, 0, 0]) + 1) % 3
    with pytest.raises(FileFormatError, match="does not match its checksum"):
        io.load(path)
    io.save(structure(6), path)
    with h5py.File(path, "a") as f:
        f.attrs["voxel_size_m"] = 1e-6
    with pytest.raises(FileFormatError, match="metadata does not match"):
        io.load(path)


def test_tiff_folder_slice_damage_detected(tmp_path):
    import tifffile

    folder = tmp_path / "stack"
    io.save(structure(6), folder, format="tiff-folder")
    first = sorted(folder.glob("*.tif"))[0]
    tifffile.imwrite(first, np.zeros((6, 6), np.uint8))  # a slice replaced by another image
    with pytest.raises(FileFormatError, match="checksum"):
        io.load(folder, phases=SPEC, voxel_size=0.5e-6)
    (folder / "extra.tif").write_bytes(first.read_bytes())
    with pytest.raises(FileFormatError, match="not those microcath wrote"):
        io.load(folder, phases=SPEC, voxel_size=0.5e-6)
