"""Run one benchmark script on an earlier commit and on the working tree, alternately, in the
same hour: this machine's timings move by a third from one hour to the next, so a change is
judged by the ratio of two runs made side by side, not against a figure from another day.

The earlier commit is checked out into a temporary git worktree; its ``microcath`` package is
put first on ``PYTHONPATH``, with ``gpu_kernels`` and ``geometries`` linked into it (the
editable install maps ``microcath.gpu_kernels`` to the working tree's folder otherwise). The
script that runs is the working tree's ``benchmarks/`` copy unless ``--base-scripts`` is given,
so both sides print the same columns.

Usage::

    python benchmarks/compare_commits.py BASE [--repeats 2] [--base-scripts] -- SCRIPT [ARGS...]
    python benchmarks/compare_commits.py be3da37 -- bench_conductivity.py --carrier electronic --sizes 256
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _worktree(base: str, where: str) -> str:
    path = os.path.join(where, "base")
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", "-q", path, base], check=True)
    pkg = os.path.join(path, "src", "microcath")
    for sub in ("gpu_kernels", "geometries"):
        link = os.path.join(pkg, sub)
        if not os.path.exists(link):
            os.symlink(os.path.join(path, sub), link)
    return path


def _run(label: str, script: list[str], cwd: str, env: dict) -> float:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, *script], cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    lines = [ln for ln in (out.stdout + out.stderr).splitlines() if not ln.startswith("[Taichi]")]
    print(f"--- {label} (exit {out.returncode}, {wall:.1f} s for the whole process)")
    print("\n".join(lines), flush=True)
    if out.returncode != 0:
        raise SystemExit(f"{label}: the benchmark failed (exit {out.returncode}); see its output above")
    return wall


def main() -> int:
    argv = sys.argv[1:]
    if "--" not in argv:
        raise SystemExit("usage: compare_commits.py BASE [--repeats N] [--base-scripts] -- SCRIPT [ARGS...]")
    cut = argv.index("--")
    ap = argparse.ArgumentParser()
    ap.add_argument("base", help="the earlier commit (any git revision)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--base-scripts", action="store_true", help="run the base commit's copy of the script")
    args = ap.parse_args(argv[:cut])
    script = argv[cut + 1:]
    if not script:
        raise SystemExit("compare_commits.py: name the benchmark script after --")
    rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", args.base], capture_output=True,
                         text=True)
    if rev.returncode != 0:
        raise SystemExit(f"compare_commits.py: {args.base!r} is not a commit of this repository")
    with tempfile.TemporaryDirectory(prefix="microcath-base-") as tmp:
        path = _worktree(args.base, tmp)
        try:
            base_env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(path, "src"), path]))
            head_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            base_cwd = os.path.join(path, "benchmarks") if args.base_scripts else HERE
            walls = {"base": [], "head": []}
            short = rev.stdout.strip()
            for r in range(args.repeats):
                walls["base"].append(_run(f"base {short}, run {r + 1}", script, base_cwd, base_env))
                walls["head"].append(_run(f"working tree, run {r + 1}", script, HERE, head_env))
            b, h = min(walls["base"]), min(walls["head"])
            print(f"whole processes, fastest of {args.repeats}: base {b:.1f} s, working tree {h:.1f} s "
                  f"({b / h:.2f}x)")
        finally:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", path], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
