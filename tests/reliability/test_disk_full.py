"""Full disk: every writer fails with one line naming the target, leaves nothing, keeps the previous file.

On a real tmpfs as root (CI), else through a flush that raises ``OSError(ENOSPC)`` (see conftest).
Before: ``.vti`` writes exited 0 with a truncated file under the target name (VTK fails without
raising), HDF5 printed tracebacks and segfaulted at exit, npy/tif exited 1 "internal error".
"""

from __future__ import annotations

import numpy as np
import pytest
from reliability_helpers import one_line_error, snapshot, structure, temporaries

from microcath import io
from microcath.errors import OutputError
from microcath.report import ReportBuilder

FORMATS = [".mcath", ".h5", ".vti", ".tif", ".npz", ".npy", ".raw", ""]  # "" = a folder of TIFF slices


def _left(folder):
    return sorted(p for p in snapshot(folder) if p != "filler")


@pytest.mark.parametrize("suffix", FORMATS)
def test_api_write_on_full_disk(full_disk, suffix):
    folder, kind, fill = full_disk
    fill()
    target = folder / f"s{suffix}"
    with pytest.raises(OutputError) as info:
        io.save(structure(16), target)
    msg = str(info.value)
    assert str(target) in msg and ("no space left" in msg or "disk may be full" in msg), (kind, msg)
    assert "free" in msg
    assert not target.exists()
    assert temporaries(folder) == [] and _left(folder) == []


@pytest.mark.parametrize("suffix", [".npy", ".raw", ".tif", ".vti", ".h5", ".npz"])
def test_write_larger_than_free_space(full_disk, suffix):
    """Half the data fits: the writer fails part-way (numpy reported "N requested and M written"
    without an errno, exit 1 "internal error"; now the same one line as any full disk)."""
    folder, kind, fill = full_disk
    if kind != "tmpfs":
        fill()
    target = folder / f"big{suffix}"
    data = np.random.default_rng(0).integers(0, 256, (128, 128, 128), dtype=np.uint8)  # 2 MiB > 512 KiB
    with pytest.raises(OutputError, match="no space left|disk may be full") as info:
        io.write_array(target, data)
    assert str(target) in str(info.value)
    assert not target.exists() and temporaries(folder) == [] and _left(folder) == []


@pytest.mark.parametrize("suffix", [".vti", ".mcath", ".npy", ".tif"])
def test_overwrite_on_full_disk_keeps_previous_file(full_disk, tmp_path, cli, suffix):
    folder, kind, fill = full_disk
    src = tmp_path / "in.mcath"
    io.save(structure(16), src)
    previous = folder / f"prev{suffix}"
    io.save(structure(4, seed=9), previous)
    before = previous.read_bytes()
    fill()
    code, out, err = cli("convert", src, previous, "--overwrite")
    assert code == 2, (kind, out, err)
    one_line_error(err, str(previous))
    assert "wrote" not in out
    assert previous.read_bytes() == before
    assert temporaries(folder) == []


def test_conductivity_fields_on_full_disk(full_disk, tmp_path, cli, ti_cpu):
    folder, kind, fill = full_disk
    lab = tmp_path / "lab.npy"
    np.save(lab, structure(12).labels)
    fill()
    target = folder / "f.vti"
    code, out, err = cli("conductivity", lab, "--sigma", "0=0", "--sigma", "1=1e-3", "--sigma", "2=0.1",
                         "--fields", target)
    assert code == 2, (kind, out, err)
    one_line_error(err, str(target))
    assert not target.exists() and temporaries(folder) == []


def test_results_folder_on_full_disk(full_disk):
    folder, kind, fill = full_disk
    target = folder / "run"
    fill()
    with pytest.raises(OutputError, match="no space left"):
        with ReportBuilder(target) as rb:
            rb.path("figures/a.txt").write_bytes(np.random.default_rng(0).bytes(256 * 1024))
    assert not target.exists() and temporaries(folder) == []
