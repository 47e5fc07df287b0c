"""microcath vs PoreSpy ``tortuosity_fd`` on the same random binary structures, same run.

Structures: overlapping spheres (radius 6 voxels, centres uniform, fixed seed)
in a matrix, as in PEERS.md; transport along x. The conducting phase has
sigma = 1, the other sigma = 0. For each structure and size this prints the
tortuosity factor and sigma_eff from

* microcath ``conductivity_of_labels`` (tol 1e-6, float32) in its own
  convention, ``boundary='faces'`` (potential on the outer faces, length N), and
  in PoreSpy's, ``boundary='centres'`` (potential at the centres of the first
  and last voxel layers, length N - 1);
* PoreSpy ``porespy.simulations.tortuosity_fd(im, axis=0)`` (OpenPNM
  ``CubicTemplate`` + ``FickianDiffusion``, PyAMG Ruge-Stuben solve, its
  defaults: ``ftol=1e-3`` inlet/outlet flux mismatch),

with the relative differences, both wall times, the time ratio and the peak
resident memory of each tool. ``--tight`` also solves both to tolerance 1e-10
(microcath ``'centres'`` in float64), which shows that they solve the same
discrete problem (agreement ~1e-7) and that the default-settings difference
is the solvers' stopping error.

Conventions (checked in PoreSpy 3.2.0 ``simulations/_dns.py`` and OpenPNM
3.6.4 ``_skgraph/generators/_cubic.py``): the network pores sit at the voxel
centres (``coords = index + 0.5``); the inlet is ``coords[:, axis] <= 1`` and
the outlet ``coords[:, axis] >= N - 1``, i.e. exactly the first and last voxel
layers, held at 1 and 0, and ``D_eff = rate * (N - 1) / A``. PoreSpy divides
by the *effective* porosity (conducting voxels left after
``trim_nonpercolating_paths``); microcath's ``tau`` uses the whole conducting
volume fraction. The "same-eps" difference compares sigma_eff (= D_eff), i.e.
tau with the same porosity; the "as returned" tau column shows each tool's own
definition.

Each solve runs in its own subprocess (a warm-up on a 16^3 structure first, so
Taichi compilation and imports are not timed); memory is the peak resident set
(VmHWM) of that process, total and the part added by the timed call.

PoreSpy is not a dependency of microcath; install it in a separate venv::

    python3 -m venv /work/peers-venv
    /work/peers-venv/bin/pip install porespy openpnm
    /work/peers-venv/bin/pip install -e .
    /work/peers-venv/bin/python benchmarks/compare_porespy.py --sizes 64 128
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _rss import maxrss_bytes  # noqa: E402 (scripts run from benchmarks/)
from bench_conductivity import overlapping_spheres  # noqa: E402

# name: (sphere volume fraction, conducting phase)
STRUCTURES = {
    "matrix-63": (0.37, "matrix"),   # PEERS.md: ~63 % matrix conducting
    "matrix-45": (0.55, "matrix"),
    "spheres-42": (0.45, "spheres"),  # the spheres conduct (~42 %, ~10 % of it in dead ends)
}
SEED = 7


def structure(name: str, n: int, seed: int = SEED) -> np.ndarray:
    """Boolean image, True = conducting phase, shape (n, n, n)."""
    frac, phase = STRUCTURES[name]
    spheres = overlapping_spheres((n, n, n), 6.0, frac, np.random.default_rng(seed))
    return spheres if phase == "spheres" else ~spheres


def _run_microcath(im: np.ndarray, boundary: str, tight: bool = False) -> dict:
    from microcath.transport import conductivity_of_labels

    opts = {"tol": 1e-10, "dtype": "float64"} if tight else {"tol": 1e-6}
    t0 = time.perf_counter()
    r = conductivity_of_labels(im.astype(np.uint8), {0: 0.0, 1: 1.0}, axis="x", boundary=boundary, **opts)
    wall = time.perf_counter() - t0
    return {"sigma_eff": r.sigma_eff, "tau": r.tau, "eps": r.volume_fraction,
            "eps_eff": r.volume_fraction * r.percolating_fraction, "time_s": wall,
            "n_iter": r.n_iter, "converged": bool(r.converged), "flux_balance": r.flux_balance}


def _run_porespy(im: np.ndarray, tight: bool = False) -> dict:
    import logging

    import porespy as ps

    logging.getLogger("porespy").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    r = ps.simulations.tortuosity_fd(im, axis=0, **({"tol": 1e-10} if tight else {}))
    wall = time.perf_counter() - t0
    return {"sigma_eff": 1.0 / r.formation_factor, "tau": float(r.tortuosity),
            "eps": float(r.original_porosity), "eps_eff": float(r.effective_porosity),
            "time_s": wall, "solve_time_s": float(r.time), "converged": bool(r.converged)}


def worker(tool: str, path: str) -> dict:
    """Run one tool on the image in ``path`` (after a small warm-up) and report time + memory."""
    im = np.load(path)
    warm = structure("matrix-63", 16, seed=1)
    base, tight = tool.removesuffix("-tight"), tool.endswith("-tight")
    if base == "porespy":
        def run(x):
            return _run_porespy(x, tight)
    else:
        def run(x):
            return _run_microcath(x, base, tight)
    run(warm)
    rss0 = maxrss_bytes()
    out = run(im)
    rss1 = maxrss_bytes()
    out.update(tool=tool, peak_rss_mb=rss1 / 2**20, added_rss_mb=(rss1 - rss0) / 2**20)
    return out


def _in_subprocess(tool: str, path: str) -> dict:
    env = dict(os.environ)
    env.setdefault("MICROCATH_ARCH", "cpu")
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", tool, path]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"{tool} worker failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _detail(tool: str, r: dict) -> str:
    extra = (f" {r['n_iter']} it fb {r['flux_balance']:.1e}" if "n_iter" in r
             else f" (solve only {r['solve_time_s']:.2f}s)")
    conv = "" if r["converged"] else " NOT CONVERGED"
    return f"{tool} sigma_eff {r['sigma_eff']:.6f}{extra} +{r['added_rss_mb']:.0f} MB{conv}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--structures", nargs="+", default=list(STRUCTURES), choices=list(STRUCTURES))
    ap.add_argument("--tight", action="store_true",
                    help="also run both at tight tolerance (PoreSpy tol=1e-10; microcath 'centres', "
                         "float64, tol 1e-10) to separate the solvers' stopping error from the rest")
    ap.add_argument("--json", help="also write all results to this JSON file")
    ap.add_argument("--worker", nargs=2, metavar=("TOOL", "NPY"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    try:
        import porespy
    except ImportError:
        print("PoreSpy is not installed: pip install porespy openpnm (in a separate venv)", file=sys.stderr)
        return 1
    import openpnm

    print(f"porespy {porespy.__version__}, openpnm {openpnm.__version__}, numpy {np.__version__}; "
          f"seed {SEED}; axis x; microcath tol 1e-6 float32; PoreSpy defaults (ftol 1e-3)")
    rows = []
    hdr = (f"{'structure':>10} {'size':>6} {'eps':>6} {'eps_eff':>7} | {'tau mc faces':>12} "
           f"{'tau mc centres':>14} {'tau PoreSpy':>11} | {'diff faces':>10} {'diff centres':>12} | "
           f"{'t faces':>7} {'t centres':>9} {'t PoreSpy':>9} {'ratio':>6} | "
           f"{'MB faces':>8} {'MB centr':>8} {'MB PoreSpy':>10}")
    print(hdr)
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.structures:
            for n in args.sizes:
                im = structure(name, n)
                path = os.path.join(tmp, f"{name}_{n}.npy")
                np.save(path, im)
                res = {t: _in_subprocess(t, path) for t in ("faces", "centres")}
                if res["faces"]["sigma_eff"] == 0.0:  # PoreSpy raises on a non-percolating image
                    print(f"{name:>10} {n:>5}^3 does not percolate along x (microcath sigma_eff = 0)")
                    continue
                res["porespy"] = _in_subprocess("porespy", path)
                if args.tight:
                    res["centres-tight"] = _in_subprocess("centres-tight", path)
                    res["porespy-tight"] = _in_subprocess("porespy-tight", path)
                    row_tight = ((res["centres-tight"]["sigma_eff"] - res["porespy-tight"]["sigma_eff"])
                                 / res["porespy-tight"]["sigma_eff"])
                f, c, p = res["faces"], res["centres"], res["porespy"]
                # same-eps comparison: sigma_eff (= eps / tau with one eps for both tools)
                d_f = (f["sigma_eff"] - p["sigma_eff"]) / p["sigma_eff"]
                d_c = (c["sigma_eff"] - p["sigma_eff"]) / p["sigma_eff"]
                row = {"structure": name, "n": n, "results": res, "rel_diff_sigma_faces": d_f,
                       "rel_diff_sigma_centres": d_c}
                if args.tight:
                    row["rel_diff_sigma_tight"] = row_tight
                rows.append(row)
                print(f"{name:>10} {n:>5}^3 {f['eps']:6.4f} {p['eps_eff']:7.4f} | {f['tau']:12.5f} "
                      f"{c['tau']:14.5f} {p['tau']:11.5f} | {d_f:+10.3%} {d_c:+12.4%} | "
                      f"{f['time_s']:6.2f}s {c['time_s']:8.2f}s {p['time_s']:8.2f}s "
                      f"{p['time_s'] / c['time_s']:5.1f}x | {f['peak_rss_mb']:8.0f} "
                      f"{c['peak_rss_mb']:8.0f} {p['peak_rss_mb']:10.0f}", flush=True)
    print("diff = relative difference of sigma_eff (= tau compared at the same porosity), microcath vs "
          "PoreSpy; ratio = PoreSpy time / microcath 'centres' time; MB = peak RSS of the process")
    print("details (sigma_eff, iterations, flux balance, memory added by the timed call):")
    for row in rows:
        print(f"  {row['structure']:>10} {row['n']:>4}^3: "
              + "; ".join(_detail(t, row["results"][t]) for t in ("faces", "centres", "porespy")))
        if "rel_diff_sigma_tight" in row:
            r = row["results"]
            print(f"  {'':>10} {'':>4}   tight: centres {r['centres-tight']['sigma_eff']:.8f}, PoreSpy "
                  f"{r['porespy-tight']['sigma_eff']:.8f}, diff {row['rel_diff_sigma_tight']:+.1e} "
                  f"({r['centres-tight']['time_s']:.2f}s / {r['porespy-tight']['time_s']:.2f}s)")
    print(f"load average: {os.getloadavg()}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
