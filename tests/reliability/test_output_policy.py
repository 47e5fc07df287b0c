"""Nothing lost: ``--overwrite`` replaces only what microcath wrote, checked before any work."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from reliability_helpers import SPEC, one_line_error, snapshot, structure, temporaries

from microcath import io
from microcath.errors import InputError, OutputError
from microcath.io.ownership import MARKER, check_output
from microcath.pipeline import run_main_job
from microcath.pipeline.context import Stage, StageOutput


@pytest.fixture
def victim(tmp_path):
    """A user's folder: the input file and other data."""
    d = tmp_path / "victim"
    d.mkdir()
    np.save(d / "lab3.npy", structure(8).labels)
    (d / "notes.txt").write_text("three weeks of beamtime")
    return d


def test_import_over_foreign_folder_refused(victim, cli):
    # before: the folder was taken as a TIFF-slice target and replaced whole (input included)
    before = snapshot(victim)
    code, _, err = cli("import", victim / "lab3.npy", "--phases", SPEC, "--voxel-size-um", "0.5",
                       "-o", victim, "--overwrite")
    assert code == 2
    one_line_error(err, str(victim), "did not write", "--overwrite replaces only what microcath wrote")
    assert snapshot(victim) == before


def test_import_over_folder_without_overwrite(victim, cli):
    before = snapshot(victim)
    code, _, err = cli("import", victim / "lab3.npy", "--phases", SPEC, "--voxel-size-um", "0.5",
                       "-o", victim)
    assert code == 2
    one_line_error(err, "exists", "--overwrite")
    assert snapshot(victim) == before


def test_marked_tiff_folder_is_replaced(tmp_path, cli):
    out = tmp_path / "stack"
    io.save(structure(6), out, format="tiff-folder")
    assert (out / MARKER).is_file()
    src = tmp_path / "s.mcath"
    io.save(structure(4), src)
    code, out_text, err = cli("convert", src, out, "--overwrite")
    assert code == 0, err
    assert len(list(out.glob("*.tif"))) == 4 and temporaries(tmp_path) == []


def test_overwrite_refuses_file_of_another_kind(tmp_path, cli):
    src = tmp_path / "s.mcath"
    io.save(structure(4), src)
    disguised = tmp_path / "old.npy"  # an HDF5 file under a .npy name
    disguised.write_bytes(src.read_bytes())
    code, _, err = cli("convert", src, disguised, "--overwrite")
    assert code == 2
    one_line_error(err, "holds an HDF5 file", "not a npy file")
    assert disguised.read_bytes() == src.read_bytes()


def test_out_format_over_text_file_refused(tmp_path, cli):
    src = tmp_path / "s.mcath"
    io.save(structure(4), src)
    notes = tmp_path / "notes.txt"
    notes.write_text("keep")
    code, _, err = cli("convert", src, notes, "--out-format", "raw", "--overwrite")
    assert code == 2
    one_line_error(err, "raw suffix")
    assert notes.read_text() == "keep"


def test_overwrite_replaces_previous_file_of_same_format(tmp_path, cli):
    src = tmp_path / "s.mcath"
    ms = structure(6)
    io.save(ms, src)
    dest = tmp_path / "d.npy"
    np.save(dest, np.zeros((2, 2, 2), np.uint8))
    code, out, err = cli("convert", src, dest, "--overwrite")
    assert code == 0, err
    np.testing.assert_array_equal(np.load(dest), ms.labels)


@pytest.mark.parametrize("command", ["analyze", "conductivity", "render", "stress", "generate"])
def test_existing_output_needs_overwrite(tmp_path, cli, command):
    """Before: analyze --per-particle, conductivity --fields and render -o replaced files silently."""
    src = tmp_path / "s.mcath"
    io.save(structure(8), src)
    target = {"analyze": "p.csv", "conductivity": "f.vti", "render": "r.png", "stress": "f.vti",
              "generate": "g.mcath"}[command]
    existing = tmp_path / target
    existing.write_bytes(b"precious")
    args = {"analyze": ["analyze", src, "--per-particle", existing],
            "conductivity": ["conductivity", src, "--fields", existing],
            "render": ["render", src, "-o", existing],
            "stress": ["stress", src, "--fields", existing],
            "generate": ["generate", "default", "--shape", "8", "8", "8", "-o", existing]}[command]
    code, out, err = cli(*args)
    assert code == 2
    one_line_error(err, str(existing), "exists", "--overwrite")
    assert existing.read_bytes() == b"precious"
    assert out == ""  # refused before any work


def test_render_overwrite_refuses_non_png(tmp_path, cli):
    src = tmp_path / "s.mcath"
    io.save(structure(8), src)
    fake = tmp_path / "r.png"
    fake.write_text("not a picture")
    code, _, err = cli("render", src, "-o", fake, "--overwrite")
    assert code == 2
    one_line_error(err, "not a png file")
    assert fake.read_text() == "not a picture"


def test_conductivity_overwrite_replaces_vti(tmp_path, cli, ti_cpu):
    lab = tmp_path / "lab.npy"
    np.save(lab, structure(8).labels)
    out = tmp_path / "f.vti"
    for _ in range(2):  # the second time over microcath's own .vti
        code, _, err = cli("conductivity", lab, "--sigma", "0=0", "--sigma", "1=1e-3", "--sigma", "2=0.1",
                           "--fields", out, "--overwrite")
        assert code == 0, err
    assert "potential" in io.read_vti(out)["arrays"]


def _fake_previous_run(folder: Path) -> dict:
    folder.mkdir()
    (folder / MARKER).write_text("{}")
    (folder / "results.json").write_text(json.dumps({"microcath_version": "0", "results": {"n": 16}}))
    (folder / "report.html").write_text("<html>previous</html>")
    return snapshot(folder)


def test_run_typo_in_set_keeps_previous_results(tmp_path, cli):
    # before: the typo replaced 16 result files by a failed-run folder
    prev = tmp_path / "runA"
    before = _fake_previous_run(prev)
    code, _, err = cli("run", "default", "--set", "active.fractoin=0.5", "--force", "-o", prev)
    assert code == 2
    one_line_error(err, "fractoin", "did you mean 'fraction'")
    assert snapshot(prev) == before and temporaries(tmp_path) == []


def test_run_force_refuses_foreign_folder(victim, cli):
    before = snapshot(victim)
    code, _, err = cli("run", "-o", victim, "--force", "--shape", "8", "8", "8")
    assert code == 2
    one_line_error(err, "did not write")
    assert snapshot(victim) == before


def test_failed_run_keeps_previous_results(tmp_path):
    prev = tmp_path / "runB"
    before = _fake_previous_run(prev)

    def boom(ctx):
        raise RuntimeError("injected failure")

    stages = (Stage("ok", lambda ctx: StageOutput(summary={"x": 1})), Stage("boom", boom))
    res = run_main_job(structure=structure(6), out_dir=prev, force=True, stages=stages, progress=False)
    assert not res.ok
    assert snapshot(prev) == before
    assert res.out_dir == prev.with_name("runB.failed")
    doc = json.loads((res.out_dir / "results.json").read_text())
    assert [s["status"] for s in doc["stages"]] == ["run", "failed"]
    assert temporaries(tmp_path) == []


def test_missing_output_folder(tmp_path, cli):
    src = tmp_path / "s.mcath"
    io.save(structure(4), src)
    code, _, err = cli("convert", src, tmp_path / "nowhere" / "d.npy")
    assert code == 2
    one_line_error(err, "does not exist")


@contextlib.contextmanager
def _read_only_folder(tmp_path, monkeypatch):
    """A read-only tmpfs as root; else a folder whose file creation fails with EACCES."""
    ro = tmp_path / "ro"
    ro.mkdir()
    ok = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,ro", "tmpfs", str(ro)], capture_output=True).returncode == 0
    if not ok:
        import microcath.io.ownership as own

        real = os.open

        def refuse(path, *a, **k):
            if str(path).startswith(str(ro)):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real(path, *a, **k)

        monkeypatch.setattr(own.os, "open", refuse)
    try:
        yield ro
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(ro)], capture_output=True)


def test_read_only_folder_named_before_work(tmp_path, cli, monkeypatch):
    # before: the error named the hidden temporary and came after the whole computation
    lab = tmp_path / "lab.npy"
    np.save(lab, structure(8).labels)
    with _read_only_folder(tmp_path, monkeypatch) as ro:
        code, out, err = cli("conductivity", lab, "--sigma", "0=0", "--sigma", "1=1", "--sigma", "2=1",
                             "--fields", ro / "f.vti")
        assert code == 2
        line = one_line_error(err, str(ro / "f.vti"), "cannot write")
        assert ".microcath-tmp" not in line and "sigma_eff" not in out


def test_check_output_api_errors(tmp_path):
    (tmp_path / "a.vti").write_text("x")
    with pytest.raises(InputError, match="exists"):
        check_output(tmp_path / "a.vti", overwrite=False, fmt="vti")
    with pytest.raises(InputError, match="not a vti file"):
        check_output(tmp_path / "a.vti", overwrite=True, fmt="vti")
    assert check_output(tmp_path / "b.vti", overwrite=False, fmt="vti") == tmp_path / "b.vti"
    assert list(tmp_path.iterdir()) == [tmp_path / "a.vti"]  # the probe left nothing


def test_stale_temporaries_of_dead_writers_removed(tmp_path):
    # before: three killed 48^3 runs left 6.8 MB of hidden temporaries beside the results
    p = subprocess.Popen(["true"])  # a pid that surely exited
    p.wait()
    stale = tmp_path / f".microcath-tmp-{p.pid}-deadbeef-out.npy"
    stale.write_bytes(b"half")
    live = tmp_path / f".microcath-tmp-{os.getpid()}-0badf00d-out.npy"  # a live writer's: kept
    live.write_bytes(b"busy")
    other = tmp_path / f".microcath-tmp-{p.pid}-deadbeef-other.npy"  # another target's: kept
    other.write_bytes(b"x")
    (tmp_path / ".hidden").write_text("the user's")
    io.write_array(tmp_path / "out.npy", np.zeros((2, 2, 2), np.uint8))
    assert not stale.exists() and live.exists() and other.exists() and (tmp_path / ".hidden").exists()


def test_failed_verification_keeps_previous(tmp_path, monkeypatch):
    """A writer that 'succeeds' but leaves a truncated file (VTK on a full disk) is caught."""
    target = tmp_path / "f.vti"
    io.write_vti(target, structure(4))
    before = target.read_bytes()
    import pyvista as pv

    def truncated_save(self, filename, *a, **k):
        Path(filename).write_bytes(before[: len(before) // 2])

    monkeypatch.setattr(pv.ImageData, "save", truncated_save)
    with pytest.raises(OutputError, match="truncated"):
        io.write_vti(target, structure(6))
    assert target.read_bytes() == before and temporaries(tmp_path) == []


def test_killed_run_folder_removed_at_next_run(tmp_path):
    """A results folder half-built by a killed run goes at the next run to the same place."""
    from microcath.report import ReportBuilder

    p = subprocess.Popen(["true"])
    p.wait()
    stale = tmp_path / f".microcath-tmp-{p.pid}-deadbeef-res"
    (stale / "figures").mkdir(parents=True)
    (stale / "figures" / "a.png").write_bytes(b"half")
    with ReportBuilder(tmp_path / "res") as rb:
        rb.results["n"] = 1
    assert not stale.exists() and temporaries(tmp_path) == []
    assert (tmp_path / "res" / MARKER).is_file()
