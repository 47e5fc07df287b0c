"""Spacing in files and on the command line; crop, bin and label merging on import; bad input."""

import math

import numpy as np
import pytest
import tifffile

from microcath import Microstructure, Phase, io, validation
from microcath.analysis import morphology
from microcath.cli.main import main
from microcath.errors import InputError
from microcath.io.region import block_majority
from microcath.transport import conductivity

PHASES = {0: Phase("pore", "pore"), 1: Phase("NMC811", "active", "NMC811"),
          2: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"), 3: Phase("carbon", "carbon", "carbon_black")}
SPACING = (1e-8, 1.7e-8, 2.9123456789012345e-8)


def structure(shape=(8, 6, 4), spacing=SPACING, seed=1):
    lab = np.random.default_rng(seed).integers(0, 4, size=shape).astype(np.uint8)
    return Microstructure(lab, spacing, PHASES)


@pytest.mark.parametrize("suffix", [".vti", ".mcath", ".h5", ".npz", ".tif"])
def test_spacing_round_trips_exactly(tmp_path, suffix):
    ms = structure()
    path = io.save(ms, tmp_path / f"s{suffix}")
    back = io.load(path)
    assert back.spacing == SPACING  # exact, not approximately
    np.testing.assert_array_equal(back.labels, ms.labels)
    assert not back.is_cubic
    with pytest.raises(InputError, match="spacing"):
        back.voxel_size  # noqa: B018


def test_vti_spacing_is_what_paraview_reads(tmp_path):
    import pyvista as pv

    path = io.write_vti(tmp_path / "s.vti", structure())
    assert tuple(pv.read(path).spacing) == SPACING


def test_cubic_files_still_carry_the_one_number(tmp_path):
    import h5py

    ms = structure(spacing=2e-7)
    path = io.save(ms, tmp_path / "c.mcath")
    with h5py.File(path) as f:
        assert f.attrs["voxel_size_m"] == 2e-7
    assert io.load(path).voxel_size == 2e-7


def test_imagej_tiff_spacing_is_read(tmp_path):
    lab = np.random.default_rng(2).integers(0, 3, size=(5, 6, 7)).astype(np.uint8)
    path = tmp_path / "fib.tif"
    # ImageJ: pixel width 0.01 µm (columns = z here), height 0.012 µm (rows = y), slices 0.02 µm (x)
    tifffile.imwrite(path, lab, imagej=True, resolution=(1 / 0.01, 1 / 0.012),
                     metadata={"spacing": 0.02, "unit": "micron", "axes": "ZYX"})
    ms = io.load(path, phases="0=pore,1=NMC811,2=Li6PS5Cl")
    assert ms.spacing == pytest.approx((2e-8, 1.2e-8, 1e-8), rel=1e-6)


def test_cli_import_crop_bin_and_merged_labels(tmp_path, capsys):
    rng = np.random.default_rng(5)
    grey = rng.integers(0, 4, size=(12, 10, 8)).astype(np.uint8)
    src = tmp_path / "stack.npy"
    np.save(src, grey)
    out = tmp_path / "fib.mcath"
    assert main(["import", str(src), "--voxel-size-um", "0.01,0.01,0.02", "--crop", "2:10,0:10,0:8",
                 "--bin", "1,1,2", "--phases", "0=pore,1=NMC811,2=NMC811,3=Li6PS5Cl", "-o", str(out)]) == 0
    assert "0.01 × 0.01 × 0.04 µm" in capsys.readouterr().out
    ms = io.load(out)
    assert ms.spacing == pytest.approx((1e-8, 1e-8, 4e-8), rel=1e-12)
    assert ms.shape == (8, 10, 4)
    assert list(ms.phases.names) == ["pore", "NMC811", "Li6PS5Cl"]
    steps = ms.provenance["import_steps"]
    assert steps[0] == {"crop": [[2, 10], [0, 10], [0, 8]]}
    assert steps[1]["merged"] == {"NMC811": [1, 2]}
    assert steps[2]["bin"]["factor"] == [1, 1, 2]
    # against the same operations done by hand: merge, crop, majority vote of z pairs
    merged = np.array([0, 1, 1, 2], np.uint8)[grey[2:10]]
    pairs = np.sort(merged.reshape(8, 10, 4, 2), axis=-1)
    expect = pairs[..., 0]  # of two voxels, the lower label wins a tie, the common one otherwise
    np.testing.assert_array_equal(ms.labels, expect)


def test_block_majority_matches_a_count_per_block():
    rng = np.random.default_rng(9)
    a = rng.integers(0, 5, size=(6, 9, 4)).astype(np.uint8)
    got = block_majority(a, (2, 3, 2))
    for i, j, k in np.ndindex(got.shape):
        block = a[2 * i:2 * i + 2, 3 * j:3 * j + 3, 2 * k:2 * k + 2].ravel()
        counts = np.bincount(block, minlength=5)
        assert got[i, j, k] == int(np.argmax(counts))  # argmax: the lowest label of a tie


def test_crop_and_bin_commute_with_the_analysis_of_a_structure_uniform_at_the_binning_scale(ti_cpu):
    rng = np.random.default_rng(11)
    coarse_lab = rng.integers(0, 4, size=(8, 6, 5)).astype(np.uint8)
    f = (2, 1, 3)
    fine_lab = coarse_lab
    for ax, k in enumerate(f):
        fine_lab = np.repeat(fine_lab, k, axis=ax)
    fine = Microstructure(fine_lab, SPACING, PHASES)
    binned = io.binning(fine, f)
    coarse = Microstructure(coarse_lab, tuple(h * k for h, k in zip(SPACING, f, strict=True)), PHASES)
    np.testing.assert_array_equal(binned.labels, coarse_lab)
    assert binned.spacing == pytest.approx(coarse.spacing, rel=1e-15)
    # crop and bin commute (a crop on block boundaries)
    a = io.binning(io.crop(fine, "2:14,0:6,3:12"), f)
    b = io.crop(binned, "1:7,0:6,1:4")
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.spacing == b.spacing
    # the analysis of the binned structure is that of the fine one
    mf, mb = morphology(fine), morphology(binned)
    assert mb.volume_fractions == mf.volume_fractions
    assert mb.volume == pytest.approx(mf.volume, rel=1e-12)
    for key, v in mf.interface_area_faces.items():
        assert mb.interface_area_faces[key] == pytest.approx(v, rel=1e-6)  # float32 face areas
    assert mb.tpb_length == pytest.approx(mf.tpb_length, rel=1e-12)
    # and conductivity of an axis-aligned structure (a laminate) is unchanged by binning
    lam = np.repeat(np.repeat(np.array([2, 2, 0, 2, 3, 2], np.uint8)[None, :, None], 4, 0), 6, 2)
    lam_fine = Microstructure(np.repeat(lam, 2, axis=1), SPACING, PHASES)
    sig = {"Li6PS5Cl": 0.2, "carbon": 5.0}
    for axis in "xyz":
        r1 = conductivity(lam_fine, axis=axis, sigma=sig, dtype="float64", tol=1e-10)
        r2 = conductivity(io.binning(lam_fine, (1, 2, 1)), axis=axis, sigma=sig, dtype="float64", tol=1e-10)
        assert r2.sigma_eff == pytest.approx(r1.sigma_eff, rel=1e-6)


@pytest.mark.parametrize("bad, match", [((1e-8, 0.0, 1e-8), r"voxel_size \(y\): expected a positive"),
                                        ((1e-8, 1e-8, -2e-8), r"voxel_size \(z\): expected a positive"),
                                        ((math.nan, 1e-8, 1e-8), r"voxel_size \(x\)"),
                                        ((1e-8, 5e-10, 1e-8), "below 1 nm"),
                                        ((1e-8, 1e-8, 0.02), "larger than 1 cm"),
                                        ((1e-8, 1e-8), "one voxel edge or three")])
def test_bad_spacings_are_refused(bad, match):
    with pytest.raises(InputError, match=match):
        Microstructure(np.zeros((2, 2, 2), np.uint8), bad, PHASES)


@pytest.mark.parametrize("text, match", [("0.01,0,0.02", "--voxel-size-um \\(y\\)"),
                                         ("0.01,0.01", "one voxel edge or three"),
                                         ("0.01,abc,0.02", "expected a number"),
                                         ("0.0001,0.01,0.01", "below 1 nm"),
                                         ("nan", "finite")])
def test_bad_cli_spacings_are_refused(text, match):
    with pytest.raises(InputError, match=match):
        validation.spacing_um(text)


def test_bad_crop_bin_and_converted_labels(tmp_path, capsys):
    ms = structure(shape=(8, 6, 5))
    with pytest.raises(InputError, match=r"crop: axis y: 0:7 is outside the array \(0:6\)"):
        io.crop(ms, "0:8,0:7,0:5")
    with pytest.raises(InputError, match="crop: axis x"):
        io.crop(ms, "5:3,0:6,0:5")
    with pytest.raises(InputError, match="bin: the factor does not divide the shape \\(z: 5 voxels by 2\\)"):
        io.binning(ms, 2)
    padded = io.binning(ms, 2, pad=True)
    assert padded.shape == (4, 3, 3) and padded.provenance["import_steps"][-1]["bin"]["padded"] == [0, 0, 1]
    with pytest.raises(InputError, match="integers >= 1"):
        io.binning(ms, 1.5)
    # a label stack saved as 0/127/254 after a conversion
    src = tmp_path / "grey.npy"
    np.save(src, np.array([0, 127, 254], np.uint8)[np.random.default_rng(0).integers(0, 3, (4, 4, 4))])
    near = r"closest mapping is 127 -> 128 \(NMC811\), 254 -> 255 \(Li6PS5Cl\)"
    with pytest.raises(InputError, match=near):
        io.load(src, phases="0=pore,128=NMC811,255=Li6PS5Cl", voxel_size=1e-8)
    np.save(tmp_path / "l.npy", np.array([0, 127, 254], np.uint8)[np.ones((4, 4, 4), int)])
    assert main(["import", str(tmp_path / "l.npy"), "--phases", "0=pore,1=NMC811", "--voxel-size-um", "0.01",
                 "-o", str(tmp_path / "l.mcath")]) == 2
    err = capsys.readouterr().err
    assert "127" in err and "closest mapping" in err
    assert main(["import", str(src), "--phases", "0=pore,127=NMC811,254=Li6PS5Cl", "--voxel-size-um",
                 "0.01,0.01", "-o", str(tmp_path / "x.mcath")]) == 2
    assert "--voxel-size-um" in capsys.readouterr().err
