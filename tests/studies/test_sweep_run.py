"""Sweeps for real: a local cluster and a separate scheduler + worker give the same table; a sweep
killed with SIGKILL resumes computing only the missing cases; a failing case is recorded and the
others finish; a changed study is refused with what changed."""

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TINY, worker_env

from microcath import InputError
from microcath.io.ownership import MARKER
from microcath.studies import sweep
from microcath.studies.store import INFO_COLUMNS

TIMING = ["wall_time_s", "worker"]


def numbers(df):
    return df.drop(columns=TIMING)


def assert_same_table(a, b):
    """Equal apart from timings; solver outputs to well within the solver tolerance (1e-6)."""
    a, b = numbers(a), numbers(b)
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        if pd.api.types.is_float_dtype(a[col]):
            np.testing.assert_allclose(a[col], b[col], rtol=1e-5, err_msg=col)
        else:
            assert a[col].tolist() == b[col].tolist(), col


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweeps") / "local"
    df = sweep(TINY, out_dir=out, workers=2, progress=False)
    return out, df


def test_local_cluster_table(local):
    out, df = local
    assert len(df) == 4 and (df["status"] == "done").all(), df["error"].tolist()
    assert list(df.columns[:4]) == ["case", "active.fraction", "electrolyte.fraction", "seed"]
    assert df["seed"].tolist() == [0, 1, 0, 1]
    assert set(INFO_COLUMNS) <= set(df.columns)
    assert df.attrs["units"]["sigma_ion_eff.x"] == "mS/cm"
    # physics: inside the Hashin-Shtrikman range, and tau = eps * sigma_phase / sigma_eff
    s = df["sigma_ion_eff.x"]
    assert ((df["sigma_ion_eff.x.hs_lower"] <= s) & (s <= df["sigma_ion_eff.x.hs_upper"])).all()
    assert (s > 0).all()
    # more active material by weight -> more by volume
    by = df.groupby("active.fraction")["volume_fraction.NMC811"].mean()
    assert by[0.70] > by[0.60]
    # one file per case, the table rebuilt from them is the one on disk
    assert len(list((out / "cases").glob("*.json"))) == 4
    disk = pd.read_parquet(out / "table.parquet")
    assert_same_table(disk, df)
    assert len(pd.read_csv(out / "table.csv")) == 4
    assert df["worker"].nunique() == 2  # both workers took cases


def test_existing_scheduler_gives_the_same_table(local, remote, tmp_path):
    """`microcath sweep --scheduler` on a `dask scheduler` + `dask worker` (separate processes)."""
    from microcath.cli.main import main

    address, _ = remote
    study = tmp_path / "tiny.toml"
    study.write_text(toml_of(TINY))
    assert main(["sweep", str(study), "-o", str(tmp_path / "remote"), "--scheduler", address]) == 0
    df = pd.read_parquet(tmp_path / "remote" / "table.parquet")
    assert set(df["worker"]) == {"remote-0"}
    # one worker or two, in-process client or CLI: the same table
    assert_same_table(df, local[1])


def toml_of(d):
    lines, tables = [], []
    for k, v in d.items():
        if isinstance(v, dict):
            tables.append(f"[{k}]\n" + "\n".join(f'"{kk}" = {json.dumps(vv)}' for kk, vv in v.items()))
        else:
            lines.append(f"{k} = {json.dumps(v)}")
    return "\n".join(lines) + "\n\n" + "\n\n".join(tables) + "\n"


def test_killed_sweep_resumes_with_only_the_missing_cases(remote, tmp_path):
    study = copy.deepcopy(TINY) | {"name": "kill", "seeds": 4}
    path = tmp_path / "kill.toml"
    path.write_text(toml_of(study))
    out = tmp_path / "k"
    # the sweep's driver is a subprocess of its own; its cases go to the (warm) loopback cluster
    proc = subprocess.Popen([sys.executable, "-m", "microcath", "-q", "sweep", str(path), "-o", str(out),
                             "--scheduler", remote[0]], env=worker_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.time()
        while (time.time() - t0 < 180 and proc.poll() is None
               and not list((out / "cases").glob("[0-9a-f]*.json"))):
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep, mid-way
        proc.wait(timeout=30)
    before = {p.name: p.read_bytes() for p in (out / "cases").glob("*.json") if not p.name.startswith(".")}
    assert 1 <= len(before) < 8, "the kill should land after the first case and before the last"
    assert not list(out.glob("table.*")), "the table is written at the end"
    df = sweep(path, remote[1], out_dir=out, progress=False)
    info = df.attrs["sweep"]
    assert sorted(info["skipped"]) == sorted(n[:-5] for n in before)
    assert sorted(info["computed"]) == sorted(set(df["case"]) - {n[:-5] for n in before})
    assert (df["status"] == "done").all()
    for name, data in before.items():  # finished cases were not touched
        assert (out / "cases" / name).read_bytes() == data
    assert not [p for p in out.rglob(".*") if p.is_file() and p.name != MARKER], "no temporary files left"


def test_a_failing_case_is_recorded_and_the_others_finish(remote, tmp_path):
    # 9 µm particles are 15 voxels across: they do not fit twice into a periodic 24^3 box. The study
    # is valid; the packer refuses this case at run time.
    study = {"name": "fail", "recipe": "default", "shape": 24, "quantities": ["sigma_ion_eff.x"],
             "set": {"voxel_size_um": 0.6, "boundary": "periodic"},
             "grid": {"active.size.d50_um": [2.5, 9.0]}}
    df = sweep(study, remote[1], out_dir=tmp_path / "f", progress=False)
    assert df["status"].tolist() == ["done", "failed"]
    assert "does not fit" in df["error"][1] and df["error"][0] == ""
    assert np.isnan(df["sigma_ion_eff.x"][1]) and df["sigma_ion_eff.x"][0] > 0
    rec = json.loads((tmp_path / "f" / "cases" / f"{df['case'][1]}.json").read_text())
    assert rec["status"] == "failed" and "Traceback" in rec["traceback"]
    again = sweep(study, remote[1], out_dir=tmp_path / "f", progress=False, retry_failed=False)
    assert again.attrs["sweep"]["computed"] == []
    assert again["status"].tolist() == ["done", "failed"]


def test_a_changed_study_is_refused_with_what_changed(remote, tmp_path):
    study = {"name": "vf", "recipe": "default", "shape": 24, "quantities": ["volume_fraction.NMC811"],
             "set": {"voxel_size_um": 0.6}, "grid": {"carbon.attach": [0.0, 1.0]}}
    out = tmp_path / "c"
    sweep(study, remote[1], out_dir=out, progress=False, report=False)
    (out / "notes.txt").write_text("mine")
    # more values of a varied parameter: compatible, only the new case runs
    more = copy.deepcopy(study)
    more["grid"]["carbon.attach"].append(0.5)
    df = sweep(more, remote[1], out_dir=out, progress=False, report=False)
    assert len(df.attrs["sweep"]["computed"]) == 1 and len(df.attrs["sweep"]["skipped"]) == 2
    changed = copy.deepcopy(study)
    changed["set"]["porosity"] = 0.1
    with pytest.raises(InputError, match=r"different study.*fixed.porosity: '<absent>' -> 0.1"):
        sweep(changed, remote[1], out_dir=out, progress=False)
    df = sweep(changed, remote[1], out_dir=out, progress=False, report=False, overwrite=True)
    assert len(df.attrs["sweep"]["computed"]) == 2
    assert (out / "notes.txt").read_text() == "mine"  # --overwrite replaces only what microcath wrote
    assert len(list((out / "cases").glob("*.json"))) == 2
    with pytest.raises(InputError, match="not a microcath sweep folder"):
        sweep(study, remote[1], out_dir=Path(tmp_path / "c" / ".."), progress=False)


def test_report_has_a_plot_per_quantity_and_parameter(local):
    from html.parser import HTMLParser

    out, df = local
    html = out / "report" / "report.html"
    links = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            links.extend(v for k, v in attrs if (tag, k) in (("img", "src"), ("a", "href")))

    P().feed(html.read_text())
    imgs = [x for x in links if x.endswith(".png")]
    # 4 quantities against the one zipped axis (active.fraction with electrolyte.fraction)
    assert sorted(Path(x).name for x in set(imgs)) == sorted(
        f"{q}__vs__active.fraction.png" for q in TINY["quantities"])
    for link in links:
        assert (out / "report" / link).is_file(), link
    doc = json.loads((out / "report" / "results.json").read_text())
    assert len(doc["results"]["table"]) == 4 and {s["status"] for s in doc["stages"]} == {"run"}
    caption = [f["caption"] for f in doc["figures"] if "sigma_ion_eff.x" in f["file"]][0]
    assert "Hashin–Shtrikman" in caption and "with electrolyte.fraction" in caption


@pytest.mark.skipif(__import__("shutil").which("chromium") is None,
                    reason="chromium not installed (apt-get install chromium)")
def test_report_opens_in_headless_chromium_with_its_plots(local, tmp_path, screenshot):
    from PIL import Image

    out, _ = local
    shot = screenshot(out / "report" / "report.html", tmp_path / "shot.png", size=(1000, 1600))
    with Image.open(shot) as im:
        img = np.asarray(im.convert("RGB")).astype(int)
    assert img.shape == (1600, 1000, 3)
    # the series colour (Okabe-Ito sky blue) is drawn only inside the plots: the images loaded
    sky = np.abs(img - np.array([0x56, 0xB4, 0xE9])).sum(axis=-1) < 40
    assert sky.mean() > 5e-4


def test_an_imported_structure_and_kept_files(remote, tmp_path):
    """A study of a given file; the kept structure is the one the numbers were computed on."""
    from microcath import io
    from microcath.data import example_path
    from microcath.transport import conductivity

    ms = io.load(example_path())
    study = {"name": "imported", "structure": str(example_path()), "keep": ["structure"],
             "quantities": ["volume_fraction.Li6PS5Cl", "sigma_ion_eff.x"]}
    df = sweep(study, remote[1], out_dir=tmp_path / "i", progress=False, report=False)
    assert df["status"].tolist() == ["done"], df["error"].tolist()
    assert df["volume_fraction.Li6PS5Cl"][0] == pytest.approx(ms.volume_fractions()["Li6PS5Cl"], abs=1e-12)
    # the same solve called directly on the structure, in this process
    direct = conductivity(ms, carrier="ionic", axis="x")
    assert df["sigma_ion_eff.x"][0] == pytest.approx(direct.sigma_eff * 10.0, rel=1e-5)  # S/m -> mS/cm
    kept = io.load(tmp_path / "i" / "cases" / df["case"][0] / "structure.mcath")
    assert np.array_equal(kept.labels, ms.labels)
    with pytest.raises(InputError, match="imports a structure"):
        sweep(study | {"grid": {"active.fraction": [0.6]}}, remote[1], out_dir=tmp_path / "j")


def test_effective_parameters_of_every_case(local, tmp_path):
    """`export-params` on a sweep folder: one entry per case, in study order, from each case's full
    results; the conductivity is the table's (a different path through the results), and the
    Bruggeman exponent reproduces it."""
    from microcath.cell_parameters import study_parameters
    from microcath.cli.main import main

    out, df = local
    rows = study_parameters(out)
    assert [r["case"] for r in rows] == df["case"].tolist()
    assert [r["seed"] for r in rows] == df["seed"].tolist()
    for r, (_, row) in zip(rows, df.iterrows(), strict=True):
        p = r["effective_parameters"]
        assert r["params"]["active.fraction"] == row["active.fraction"]
        ion = p["ionic"]
        assert ion["sigma_eff_S_m"] == pytest.approx(0.1 * row["sigma_ion_eff.x"], rel=1e-9)  # mS/cm -> S/m
        assert p["active_volume_fraction"] == pytest.approx(row["volume_fraction.NMC811"], rel=1e-9)
        assert p["utilisable_active_fraction"] == pytest.approx(row["utilisable_fraction"], rel=1e-9)
        eps = p["electrolyte_volume_fraction"]
        assert ion["sigma_bulk_S_m"] * eps ** ion["bruggeman_exponent"] == pytest.approx(ion["sigma_eff_S_m"],
                                                                                       rel=1e-9)
        assert ion["tortuosity_factor"] == pytest.approx(eps * ion["sigma_bulk_S_m"] / ion["sigma_eff_S_m"],
                                                         rel=1e-6)
    target = tmp_path / "params.json"
    assert main(["export-params", str(out), "-o", str(target)]) == 0
    assert len(json.loads(target.read_text())) == len(df)
    # this study solved no electronic conductivity, which every PyBaMM set needs
    with pytest.raises(InputError, match="electronic"):
        study_parameters(out, fmt="pybamm")
