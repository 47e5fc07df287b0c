"""The main job end to end: ``microcath run`` on the built-in default (128^3) in fresh processes,
whole-process wall time and the time of every stage (``results.json``), for the current code and
for the figure and file settings of session 8 (the reference, measured in the same run): no
back-face culling of the voxel surfaces, corner numbering by ``np.unique``, ``fields.vti`` with
zlib. The two alternate ``--repeats`` times; the fastest of each counts::

    python benchmarks/bench_run.py                          # --skip stress, 2 repeats
    python benchmarks/bench_run.py --with-stress --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def worker(out: str, legacy: bool, skip: list[str]) -> None:
    if legacy:
        from microcath.pipeline import export
        from microcath.viz import render

        render.CULL_BACK_FACES = False
        render._TABLE_POINTS = 0
        export.VTI_COMPRESSION = "zlib"
    from microcath.cli.main import main

    args = ["-q", "run", "-o", out, "--overwrite"]
    for s in skip:
        args += ["--skip", s]
    code = main(args)
    if code:
        raise SystemExit(code)


def one(legacy: bool, skip: list[str]) -> dict:
    tmp = tempfile.mkdtemp(prefix="bench_run_")
    out = os.path.join(tmp, "run")
    try:
        t0 = time.perf_counter()
        cmd = [sys.executable, __file__, "--worker", out] + (["--legacy"] if legacy else [])
        for s in skip:
            cmd += ["--skip", s]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        with open(os.path.join(out, "results.json")) as f:
            stages = {s["name"]: s["wall_time"] or 0.0 for s in json.load(f)["stages"]}
        vti = os.path.getsize(os.path.join(out, "fields.vti")) / 1e6
        return {"wall": wall, "stages": stages, "vti_mb": vti}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--with-stress", action="store_true")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--legacy", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--skip", action="append", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.legacy, args.skip or [])
        return 0
    skip = [] if args.with_stress else ["stress"]
    best: dict[bool, dict] = {}
    for _ in range(args.repeats):
        for legacy in (True, False):
            r = one(legacy, skip)
            if legacy not in best or r["wall"] < best[legacy]["wall"]:
                best[legacy] = r
    print(f"microcath run (default, 128^3){' --skip stress' if skip else ''}, fastest of {args.repeats}")
    for legacy, name in ((True, "session 8 figures/files"), (False, "current")):
        r = best[legacy]
        st = ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items() if v)
        print(f"  {name:24s} {r['wall']:6.2f} s  (stages: {st}; fields.vti {r['vti_mb']:.0f} MB)")
    print(f"whole process: {best[True]['wall'] / best[False]['wall']:.2f}x faster; "
          f"load average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
