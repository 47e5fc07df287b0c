"""File formats: exact round trips, independent readers as oracles, bad files, atomic writes."""

import json
import os
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pytest
import tifffile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from microcath import Coating, FileFormatError, InputError, MaterialError, Microstructure, Phase, io
from microcath.io import atomic_path, parse_phase_spec, remap_labels

PHASES = {0: Phase("pore", "pore", "pore"), 1: Phase("NMC811", "active", "NMC811"),
          2: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"), 3: Phase("carbon_black", "carbon", "carbon_black")}
VS = 2.5e-7


@pytest.fixture
def ms_full(rng):
    lab = rng.integers(0, 4, size=(6, 7, 5)).astype(np.uint8)
    active = lab == 1
    grains = np.zeros(lab.shape, np.int32)
    grains[active] = rng.integers(1, 5, size=int(active.sum()))
    grains[active.nonzero()[0][:4], active.nonzero()[1][:4], active.nonzero()[2][:4]] = [1, 2, 3, 4]
    q = rng.normal(size=(4, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    particles = np.where(active, 7, 0).astype(np.int32)
    return Microstructure(lab, VS, PHASES, grains=grains, orientations=q, particles=particles,
                          coatings=(Coating("NMC811", "LiNbO3", 5e-9),),
                          provenance={"recipe": "test", "seed": 42, "parameters": {"phi": 0.6}})


def assert_same(a: Microstructure, b: Microstructure, *, extras=True):
    assert a.labels.dtype == b.labels.dtype == np.uint8
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.phases == b.phases
    assert a.voxel_size == b.voxel_size
    if extras:
        np.testing.assert_array_equal(a.grains, b.grains)
        np.testing.assert_array_equal(a.particles, b.particles)
        np.testing.assert_array_equal(a.orientations, b.orientations)


# ------------------------------------------------------------------ round trips

def test_native_round_trip_everything(ms_full, tmp_path):
    path = io.save(ms_full, tmp_path / "s.mcath")
    back = io.load(path)
    assert_same(ms_full, back)
    assert back.coatings == ms_full.coatings
    assert back.provenance == ms_full.provenance
    with h5py.File(path, "r") as f:  # the documented layout, read with h5py
        assert f.attrs["format"] == "microcath" and f.attrs["format_version"] == 1
        assert f["labels"].compression == "gzip"
        np.testing.assert_array_equal(f["labels"][()], ms_full.labels)
        assert json.loads(f.attrs["phases"])["1"] == {"name": "NMC811", "kind": "active",
                                                     "material": "NMC811"}


@pytest.mark.parametrize("suffix", [".h5", ".vti", ".npz"])
def test_metadata_formats_round_trip(ms_full, tmp_path, suffix):
    back = io.load(io.save(ms_full, tmp_path / f"s{suffix}"))
    assert_same(ms_full, back)


def test_tiff_round_trip_and_page_order(ms_full, tmp_path):
    path = io.save(ms_full, tmp_path / "s.tif")
    assert_same(ms_full, io.load(path), extras=False)
    pages = tifffile.imread(path)  # independent reader: page i is the x slice i
    assert pages.shape == ms_full.shape
    np.testing.assert_array_equal(pages[3], ms_full.labels[3])


def test_tiff_folder_round_trip(ms_full, tmp_path):
    folder = tmp_path / "stack"
    io.save(ms_full, folder)
    files = sorted(folder.glob("*.tif"))
    assert len(files) == ms_full.shape[0]
    assert (folder / ".microcath-output").is_file()  # marked as microcath's own (--overwrite policy)
    np.testing.assert_array_equal(tifffile.imread(files[2]), ms_full.labels[2])
    back = io.load(folder, phases=ms_full.phases, voxel_size=VS)
    assert_same(ms_full, back, extras=False)
    io.save(ms_full.replace(labels=ms_full.labels[:3].copy(), grains=None, orientations=None,
                            particles=None), folder)  # replacing a folder leaves no stale slices
    assert len(list(folder.glob("*.tif"))) == 3


def test_tiff_folder_natural_order(tmp_path):
    folder = tmp_path / "scan"
    folder.mkdir()
    for i in (0, 1, 2, 10):  # lexical order would put 10 before 2
        tifffile.imwrite(folder / f"img{i}.tif", np.full((3, 4), i, np.uint8))
    arr = io.read_array(folder)
    assert arr[:, 0, 0].tolist() == [0, 1, 2, 10]


@pytest.mark.parametrize("suffix", [".npy", ".raw"])
def test_bare_formats_round_trip(ms_full, tmp_path, suffix):
    path = io.save(ms_full, tmp_path / f"s{suffix}")
    kw = {"shape": ms_full.shape, "dtype": "uint8"} if suffix == ".raw" else {}
    back = io.load(path, phases=ms_full.phases, voxel_size=VS, **kw)
    assert_same(ms_full, back, extras=False)


@pytest.mark.parametrize("dtype, order, code", [("uint16", "little", "<u2"), ("uint16", "big", ">u2"),
                                                ("int32", "big", ">i4"), ("uint8", "big", "u1")])
def test_raw_byte_orders(tmp_path, rng, dtype, order, code):
    arr = rng.integers(0, 200, size=(3, 4, 5)).astype(dtype)
    path = io.write_array(tmp_path / "v.raw", arr, dtype=dtype, byte_order=order)
    on_disk = np.frombuffer(path.read_bytes(), dtype=np.dtype(code)).reshape(arr.shape)
    np.testing.assert_array_equal(on_disk, arr)  # numpy with an explicit byte order is the oracle
    np.testing.assert_array_equal(io.read_array(path, shape=arr.shape, dtype=dtype, byte_order=order), arr)
    if np.dtype(dtype).itemsize > 1:  # the wrong byte order reads different numbers
        wrong = "little" if order == "big" else "big"
        assert not np.array_equal(io.read_array(path, shape=arr.shape, dtype=dtype, byte_order=wrong), arr)


def test_raw_offset(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "h.raw").write_bytes(b"HEAD" + arr.tobytes())
    np.testing.assert_array_equal(io.read_array(tmp_path / "h.raw", shape=(2, 3, 4), dtype="uint8",
                                                offset=4), arr)


def test_raw_errors(tmp_path):
    path = tmp_path / "v.raw"
    path.write_bytes(bytes(60))
    with pytest.raises(FileFormatError, match="has 60 bytes but shape .* needs 120.*fits dtype uint8"):
        io.read_array(path, shape=(3, 4, 5), dtype="uint16")
    with pytest.raises(InputError, match="shape: a raw file holds no shape"):
        io.read_array(path, dtype="uint8")
    with pytest.raises(InputError, match="dtype: a raw file holds no dtype"):
        io.read_array(path, shape=(3, 4, 5))
    with pytest.raises(InputError, match="byte_order"):
        io.read_array(path, shape=(3, 4, 5), dtype="uint8", byte_order="middle")
    with pytest.raises(InputError, match="not a numpy dtype"):
        io.read_array(path, shape=(3, 4, 5), dtype="uint7")
    with pytest.raises(InputError, match="shape: expected three positive integers"):
        io.read_array(path, shape=(3, 20), dtype="uint8")


def test_hdf5_dataset_selection(tmp_path, rng):
    seg = rng.integers(0, 3, size=(4, 5, 6)).astype(np.uint8)
    path = tmp_path / "tomo.h5"
    with h5py.File(path, "w") as f:  # a foreign file, written with h5py
        f.create_dataset("scan/grey", data=rng.random((4, 5, 6)))
        f.create_dataset("seg", data=seg)
    with pytest.raises(InputError, match="2 3-D datasets.*scan/grey.*seg"):
        io.read_array(path)
    with pytest.raises(InputError, match="has no dataset 'labels2'"):
        io.read_array(path, dataset="labels2")
    np.testing.assert_array_equal(io.read_array(path, dataset="seg"), seg)
    ms = io.load(path, dataset="seg", phases="0=pore,1=NMC811,2=LPSCl", voxel_size=VS)
    np.testing.assert_array_equal(ms.labels, seg)
    with pytest.raises(InputError, match="labels must be integers, got dtype float64"):
        io.load(path, dataset="scan/grey", phases=PHASES, voxel_size=VS)


def test_hdf5_custom_dataset_name_on_save(ms_full, tmp_path):
    path = io.save(ms_full, tmp_path / "x.hdf5", dataset="volume")
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(f["volume"][()], ms_full.labels)
    np.testing.assert_array_equal(io.read_array(path, dataset="volume"), ms_full.labels)


def test_native_file_with_h5_suffix_is_recognised(ms_full, tmp_path):
    p = io.save(ms_full, tmp_path / "s.mcath")
    os.replace(p, tmp_path / "s.h5")
    back = io.load(tmp_path / "s.h5")
    assert back.provenance == ms_full.provenance


# ---------------------------------------------------------------------- VTI

def _vtk_read(path):
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkIOXML import vtkXMLImageDataReader

    r = vtkXMLImageDataReader()
    r.SetFileName(str(path))
    r.Update()
    return r.GetOutput(), vtk_to_numpy


def test_vti_voxel_order_with_vtk(tmp_path):
    """A known value in a known voxel: VTK's own cell id for (i, j, k) must hold labels[i, j, k]."""
    lab = np.zeros((3, 4, 5), np.uint8)
    lab[2, 1, 3] = 1
    lab[0, 3, 4] = 2
    ms = Microstructure(lab, VS, PHASES)
    path = io.save(ms, tmp_path / "o.vti")
    img, to_np = _vtk_read(path)
    assert img.GetDimensions() == (4, 5, 6)
    assert img.GetSpacing() == pytest.approx((VS, VS, VS))
    cells = to_np(img.GetCellData().GetArray("labels"))
    assert cells[img.ComputeCellId([2, 1, 3])] == 1
    assert cells[img.ComputeCellId([0, 3, 4])] == 2
    assert int(cells.sum()) == 3
    names = img.GetFieldData().GetAbstractArray("phase_names")
    assert [names.GetValue(i) for i in range(names.GetNumberOfValues())] == [
        "pore", "NMC811", "Li6PS5Cl", "carbon_black"]


def test_write_vti_fields_with_units(tmp_path, rng):
    shape = (3, 4, 5)
    phi = rng.random(shape)
    j = rng.random((3, *shape))
    path = io.write_vti(tmp_path / "f", fields={"potential": (phi, "V"), "current_density": (j, "A/m^2")},
                        spacing=1e-6)
    assert path.name == "f.vti"
    img, to_np = _vtk_read(path)
    cid = img.ComputeCellId([1, 2, 3])
    assert to_np(img.GetCellData().GetArray("potential"))[cid] == pytest.approx(phi[1, 2, 3])
    assert to_np(img.GetCellData().GetArray("current_density"))[cid] == pytest.approx(j[:, 1, 2, 3])
    data = io.read_vti(path)
    assert data["units"] == {"potential": "V", "current_density": "A/m^2"}
    np.testing.assert_array_equal(data["arrays"]["potential"], phi)
    np.testing.assert_array_equal(data["arrays"]["current_density"], np.moveaxis(j, 0, -1))


def test_write_vti_lz4_reads_back_exactly(ms_full, tmp_path, rng):
    """The run's fields.vti is LZ4-compressed: VTK's reader and read_vti get the same values."""
    phi = rng.random(ms_full.shape).astype(np.float32)
    path = io.write_vti(tmp_path / "f.vti", ms_full, fields={"potential": (phi, "V")}, compression="lz4")
    assert b'compressor="vtkLZ4DataCompressor"' in path.read_bytes()[:2000]
    img, to_np = _vtk_read(path)
    cid = img.ComputeCellId([1, 2, 3])
    assert to_np(img.GetCellData().GetArray("potential"))[cid] == phi[1, 2, 3]
    data = io.read_vti(path)
    np.testing.assert_array_equal(data["arrays"]["potential"], phi)
    np.testing.assert_array_equal(data["arrays"]["labels"], ms_full.labels)
    with pytest.raises(InputError, match="compression"):
        io.write_vti(tmp_path / "g.vti", ms_full, compression="gzip")


def test_write_vti_symmetric_tensor_in_vtk_order(tmp_path, rng):
    """A stress field (Voigt xx yy zz yz xz xy) is stored as VTK's symmetric tensor (XX YY ZZ XY
    YZ XZ, what ParaView reads) and read back in Voigt order."""
    shape = (3, 4, 5)
    sig = rng.random((*shape, 6))
    path = io.write_vti(tmp_path / "s", fields={"stress": (sig, "Pa")}, spacing=1e-6)
    img, to_np = _vtk_read(path)
    cid = img.ComputeCellId([1, 2, 3])
    xx, yy, zz, yz, xz, xy = sig[1, 2, 3]
    assert to_np(img.GetCellData().GetArray("stress"))[cid] == pytest.approx([xx, yy, zz, xy, yz, xz])
    np.testing.assert_array_equal(io.read_vti(path)["arrays"]["stress"], sig)


def test_write_vti_errors(ms_full, tmp_path):
    with pytest.raises(InputError, match="nothing to write"):
        io.write_vti(tmp_path / "a.vti")
    with pytest.raises(InputError, match=r"spatial shape \(2, 2, 2\) differs"):
        io.write_vti(tmp_path / "a.vti", ms_full, fields={"x": np.zeros((2, 2, 2))})
    with pytest.raises(InputError, match="reserved"):
        io.write_vti(tmp_path / "a.vti", ms_full, fields={"labels": np.zeros(ms_full.shape)})
    with pytest.raises(InputError, match="vector field"):
        io.write_vti(tmp_path / "a.vti", fields={"x": np.zeros((2, 2))})
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------- property test

@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lab=arrays(np.uint8, st.tuples(*[st.integers(1, 5)] * 3), elements=st.integers(0, 3)),
       vs=st.floats(1e-9, 1e-4), fmt=st.sampled_from([".mcath", ".vti", ".npz", ".h5", ".tif"]))
def test_save_load_identity(lab, vs, fmt):
    ms = Microstructure(lab, vs, PHASES)
    with tempfile.TemporaryDirectory() as d:
        back = io.load(io.save(ms, Path(d) / f"p{fmt}"))
    np.testing.assert_array_equal(back.labels, lab)
    assert back.phases == ms.phases
    assert back.voxel_size == ms.voxel_size


# --------------------------------------------------------- remap and specs

def test_remap_labels_grey_values():
    grey = np.array([[[0, 128], [255, 128]]], dtype=np.uint8)
    out = remap_labels(grey, {0: 0, 128: 1, 255: 2})
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, [[[0, 1], [2, 1]]])
    with pytest.raises(InputError, match=r"no phase is mapped to: 255 \(1 voxels\)"):
        remap_labels(grey, {0: 0, 128: 1})
    with pytest.raises(InputError, match="0..255"):
        remap_labels(grey, {0: 0, 128: 1, 255: 300})
    with pytest.raises(InputError, match="must be integers"):
        remap_labels(grey.astype(float), {0: 0})


def test_parse_phase_spec():
    remap, table = parse_phase_spec("0=pore, 128=NMC811 ,255=LPSCl,200=binder:binder,100=pore")
    assert remap == {0: 0, 100: 0, 128: 1, 200: 2, 255: 3}
    assert [(p.name, p.kind.value, p.material) for p in table.values()] == [
        ("pore", "pore", "pore"), ("NMC811", "active", "NMC811"), ("binder", "binder", None),
        ("Li6PS5Cl", "electrolyte", "Li6PS5Cl")]


@pytest.mark.parametrize("spec, err, match", [
    ("0=pore,128", InputError, "each entry is value=name"),
    ("x=pore", InputError, "not an integer grey value"),
    ("0=pore,0=NMC811", InputError, "given twice"),
    ("-1=pore", InputError, "negative"),
    ("", InputError, "empty phase spec"),
    ("0=unobtainium", MaterialError, "unknown material 'unobtainium'"),
    ("0=foo:solid", InputError, "unknown phase kind"),
])
def test_parse_phase_spec_errors(spec, err, match):
    with pytest.raises(err, match=match):
        parse_phase_spec(spec)


def test_import_16bit_with_remap(tmp_path):
    grey = np.zeros((4, 4, 4), np.uint16)
    grey[1] = 1000
    grey[2:] = 65535
    np.save(tmp_path / "g.npy", grey)
    with pytest.raises(InputError, match="0..65535 do not fit uint8.*phase spec"):
        io.load(tmp_path / "g.npy", phases=PHASES, voxel_size=VS)
    ms = io.load(tmp_path / "g.npy", phases="0=pore,1000=NMC811,65535=Li6PS5Cl", voxel_size=VS)
    assert ms.volume_fractions() == {"pore": 0.25, "NMC811": 0.25, "Li6PS5Cl": 0.5}
    with pytest.raises(InputError, match="phases: the image holds values that no phase is mapped to: 65535"):
        io.load(tmp_path / "g.npy", phases="0=pore,1000=NMC811", voxel_size=VS)


def test_float_labels_rejected(tmp_path):
    np.save(tmp_path / "f.npy", np.zeros((2, 2, 2), np.float32))
    with pytest.raises(InputError, match="labels must be integers, got dtype float32"):
        io.load(tmp_path / "f.npy", phases=PHASES, voxel_size=VS)


def test_missing_phases_voxel_size_and_bad_shape(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(InputError, match="phases: a.npy .* holds no phase table"):
        io.load(tmp_path / "a.npy", voxel_size=VS)
    with pytest.raises(InputError, match="voxel_size: a.npy .* holds no voxel size"):
        io.load(tmp_path / "a.npy", phases=PHASES)
    np.save(tmp_path / "b.npy", np.zeros((2, 2), np.uint8))
    with pytest.raises(InputError, match="3-D"):
        io.load(tmp_path / "b.npy", phases=PHASES, voxel_size=VS)
    with pytest.raises(InputError, match="cannot tell the format"):
        io.load(tmp_path / "a.xyz")
    with pytest.raises(FileNotFoundError, match="no such file"):
        io.load(tmp_path / "missing.npy")


# ------------------------------------------------------ corrupt and truncated

def _truncate(path: Path, frac=0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * frac)])


@pytest.mark.parametrize("suffix", [".mcath", ".h5", ".vti", ".tif", ".npz", ".npy"])
def test_truncated_files(ms_full, tmp_path, suffix):
    path = io.save(ms_full, tmp_path / f"s{suffix}")
    _truncate(path)
    kw = {"phases": PHASES, "voxel_size": VS} if suffix == ".npy" else {}
    with pytest.raises(FileFormatError, match="truncated|corrupt"):
        io.load(path, **kw)


@pytest.mark.parametrize("suffix", [".mcath", ".h5", ".vti", ".tif", ".npz", ".npy"])
def test_garbage_files(tmp_path, suffix):
    path = tmp_path / f"g{suffix}"
    path.write_bytes(b"this is not a volume\n" * 10)
    with pytest.raises(FileFormatError):
        io.load(path, phases=PHASES, voxel_size=VS)


def test_native_checksum_detects_damaged_data(ms_full, tmp_path):
    path = io.save(ms_full, tmp_path / "s.mcath")
    with h5py.File(path, "r") as f:
        info = f["labels"].id.get_chunk_info(0)
    data = bytearray(path.read_bytes())
    data[info.byte_offset + 2: info.byte_offset + 10] = b"\xff" * 8
    path.write_bytes(bytes(data))
    with pytest.raises(FileFormatError, match="corrupt"):
        io.load(path)


def test_native_marker_version_and_consistency(ms_full, tmp_path):
    plain = tmp_path / "plain.mcath"
    with h5py.File(plain, "w") as f:
        f["labels"] = ms_full.labels
    with pytest.raises(FileFormatError, match="without the microcath format marker"):
        io.load(plain)
    path = io.save(ms_full, tmp_path / "s.mcath")
    with h5py.File(path, "a") as f:
        f.attrs["format_version"] = 99
    with pytest.raises(FileFormatError, match="format version 99 is not supported"):
        io.load(path)
    path = io.save(ms_full, tmp_path / "t.mcath")
    with h5py.File(path, "a") as f:
        f.attrs["phases"] = json.dumps({"0": {"name": "pore", "kind": "pore", "material": None}})
        del f.attrs["metadata_crc32"]  # an edit by another tool: no checksum, so the content is checked
    with pytest.raises(FileFormatError, match="inconsistent.*not in the phase table"):
        io.load(path)


def test_tiff_folder_inconsistent_slices(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    tifffile.imwrite(folder / "s0.tif", np.zeros((3, 4), np.uint8))
    tifffile.imwrite(folder / "s1.tif", np.zeros((3, 5), np.uint8))
    with pytest.raises(FileFormatError, match="differs from the first slice"):
        io.read_array(folder)
    with pytest.raises(FileFormatError, match="no .tif/.tiff slices"):
        io.read_array(tmp_path)


def test_single_2d_tiff_rejected(tmp_path):
    tifffile.imwrite(tmp_path / "one.tif", np.zeros((3, 4), np.uint8))
    with pytest.raises(InputError, match="single 2-D image"):
        io.load(tmp_path / "one.tif", phases=PHASES, voxel_size=VS)


# ---------------------------------------------------------------- atomic writes

def _leftovers(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


@pytest.mark.parametrize("suffix, target", [(".npy", "numpy.lib.format.write_array_header_1_0"),
                                            (".tif", "tifffile.imwrite"),
                                            (".mcath", "h5py.File.create_dataset")])
def test_failed_write_leaves_nothing(ms_full, tmp_path, monkeypatch, suffix, target):
    """The writer dies half way: no file under the target name and no temporary file remain."""
    import importlib

    mod_name, _, attr = target.rpartition(".")
    if mod_name == "h5py.File":
        owner = h5py.Group
    else:
        owner = importlib.import_module(mod_name)
    original = getattr(owner, attr)

    def half_then_fail(*args, **kwargs):
        original(*args, **kwargs)  # something is written ...
        raise OSError("disk full")  # ... then the write fails

    monkeypatch.setattr(owner, attr, half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        io.save(ms_full, tmp_path / f"s{suffix}")
    assert _leftovers(tmp_path) == []


def test_failed_write_keeps_previous_file(ms_full, tmp_path, monkeypatch):
    path = io.save(ms_full, tmp_path / "s.npy")
    before = path.read_bytes()
    monkeypatch.setattr(np.lib.format, "write_array_header_1_0",
                        lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        io.save(ms_full, path)
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == ["s.npy"]


def test_failed_folder_write_leaves_nothing(ms_full, tmp_path, monkeypatch):
    calls = []
    original = tifffile.imwrite

    def fail_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(tifffile, "imwrite", fail_on_third)
    with pytest.raises(OSError):
        io.save(ms_full, tmp_path / "stack")
    assert _leftovers(tmp_path) == []


def test_atomic_path_context_manager(tmp_path):
    with atomic_path(tmp_path / "a.txt") as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".txt" and tmp.name.startswith(".")
        tmp.write_text("x")
        assert not (tmp_path / "a.txt").exists()
    assert (tmp_path / "a.txt").read_text() == "x"
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "b.txt") as tmp:
        tmp.write_text("half")
        raise RuntimeError
    assert _leftovers(tmp_path) == ["a.txt"]
    with pytest.raises(FileNotFoundError, match="does not exist"), atomic_path(tmp_path / "no" / "c.txt"):
        pass


def test_example_structure():
    ms = io.load_example()
    assert ms.shape == (48, 48, 48)
    assert set(ms.phases.names) == {"pore", "NMC811", "Li6PS5Cl", "carbon_black"}
    fr = ms.volume_fractions()
    assert 0.3 < fr["NMC811"] < 0.45 and 0.02 < fr["carbon_black"] < 0.04
    assert ms.provenance["seed"] and ms.provenance["script"] == "scripts/make_example_structure.py"
    assert ms.particles is not None and np.all((ms.particles > 0) == ms.mask("NMC811"))
