"""Composite voxels against binary voxels: accuracy, time and memory at the same image.

Two cases, each solved three ways in its own process (peak RSS per process):

* ``fine``: the image as it is, binary voxels (the reference for time and memory);
* ``composite``: ``stress_of_labels(..., coarsen=F)``, a grid F times coarser whose voxels
  that two solids share are laminates;
* ``coarse``: the binary image at the coarse resolution (each block's majority label).

Case ``sphere``: an NMC sphere (E 150 GPa, nu 0.25, -5 % volume) in LPSCl (20 GPa, 0.3),
radius ``R`` coarse voxels, periodic cell at zero mean strain; error of the interior
hydrostatic stress (voxels within 0.6 R) against the core-shell (Lame) solution at the image's
volume fraction (MECHANICS.md 2). Case ``composite``: the three-phase benchmark composite of
``bench_mechanics.py`` (pores stay binary in composite voxels), rigid plates; the active
phase's mean hydrostatic stress against the fine solve.

Usage::

    python benchmarks/bench_composite_voxels.py          # sphere R 8 (64^3 image), composite 128^3
    python benchmarks/bench_composite_voxels.py --radius 12 --composite-size 96
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
from _rss import maxrss_bytes  # noqa: E402 (scripts run from benchmarks/)
from bench_conductivity import composite  # noqa: E402
from bench_mechanics import EIGEN, ELASTIC  # noqa: E402

AM, SE = (150e9, 0.25), (20e9, 0.30)
EPS = 0.95 ** (1 / 3) - 1


def sphere(n: int, radius: float) -> np.ndarray:
    g = np.arange(n) + 0.5 - n / 2
    r2 = g[:, None, None] ** 2 + g[None, :, None] ** 2 + g[None, None, :] ** 2
    return np.where(r2 < radius**2, 0, 1).astype(np.uint8)


def lame_fixed_outer(f: float) -> float:
    """Core pressure [Pa] of the core-shell with a fixed outer surface (-> Eshelby as f -> 0)."""
    Kc = AM[0] / (3 * (1 - 2 * AM[1]))
    Ks, Gs = SE[0] / (3 * (1 - 2 * SE[1])), SE[0] / (2 * (1 + SE[1]))
    return 3 * Kc * EPS * (3 * Ks * f + 4 * Gs) / (3 * Kc * (1 - f) + 3 * Ks * f + 4 * Gs)


def worker(path: str, case: str, mode: str, factor: int, radius: float) -> dict:
    from microcath import composite_voxels
    from microcath.mechanics import stress_of_labels

    lab = np.load(path)
    if case == "sphere":
        el, eig, kw = {0: AM, 1: SE}, {0: EPS}, {"boundary": "periodic"}
    else:
        el, eig, kw = ELASTIC, EIGEN, {"boundary": "plates"}
    vs = 1e-6
    coarsen = 1
    if mode == "coarse":
        solid = np.zeros(256, bool)
        solid[[k for k, (E, _) in el.items() if E > 0]] = True
        lab = composite_voxels.coarsen(lab, factor, solid, (kw["boundary"] == "periodic", True, True)).labels
        vs *= factor
    elif mode == "composite":
        coarsen = factor
    stress_of_labels(sphere(16, 3) if case == "sphere" else composite(16, 1), el, eigenstrain=eig,
                     voxel_size=1e-6, coarsen=2, **kw)  # compile the kernels first (both label widths)
    stress_of_labels(sphere(16, 3) if case == "sphere" else composite(16, 1), el, eigenstrain=eig,
                     voxel_size=1e-6, **kw)
    rss0 = maxrss_bytes()
    t0 = time.perf_counter()
    r = stress_of_labels(lab, el, eigenstrain=eig, voxel_size=vs, fields=True, coarsen=coarsen, **kw)
    wall = time.perf_counter() - t0
    out = {"mode": mode, "shape": list(r.shape), "time_s": wall, "iterations": r.n_iter,
           "converged": r.converged, "extra_MB": (maxrss_bytes() - rss0) / 1e6, "composite": r.composite}
    if case == "sphere":
        n = r.shape[0]
        rad = radius * (factor if mode == "fine" else 1)
        g = np.arange(n) + 0.5 - n / 2
        inner = (g[:, None, None] ** 2 + g[None, :, None] ** 2 + g[None, None, :] ** 2) < (0.6 * rad) ** 2
        f = float(np.mean(lab == 0)) if mode != "composite" else float(np.mean(np.load(path) == 0))
        out["value_MPa"] = float(r.hydrostatic[inner].mean()) / 1e6
        out["exact_MPa"] = -lame_fixed_outer(f) / 1e6
    else:
        out["value_MPa"] = r.phases["2"]["mean_hydrostatic"] / 1e6
    return out


def _run(path, case, mode, factor, radius) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", path, case, mode, str(factor), str(radius)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--radius", type=float, default=8.0, help="sphere radius in coarse voxels")
    ap.add_argument("--factor", type=int, default=2)
    ap.add_argument("--composite-size", type=int, default=128, help="edge of the composite's image")
    ap.add_argument("--cases", nargs="+", default=["sphere", "composite"], choices=["sphere", "composite"])
    ap.add_argument("--worker", nargs=5, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        path, case, mode, factor, radius = args.worker
        print(json.dumps(worker(path, case, mode, int(factor), float(radius))))
        return 0
    F = args.factor
    for case in args.cases:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "labels.npy")
            if case == "sphere":
                n = 4 * int(np.ceil(args.radius)) * F
                np.save(path, sphere(n, args.radius * F))
                print(f"sphere: radius {args.radius:g} coarse voxels, image {n}^3 (factor {F}); "
                      "interior hydrostatic stress against the core-shell (Lame) value")
            else:
                n = args.composite_size
                np.save(path, composite(n, 0))
                print(f"composite: the bench_mechanics structure at {n}^3 (factor {F}), plates; active "
                      "phase's mean hydrostatic stress against the fine solve")
            rows = [_run(path, case, mode, F, args.radius) for mode in ("fine", "composite", "coarse")]
        ref = rows[0]
        print(f"{'mode':>10} {'grid':>10} {'time s':>8} {'x fine':>7} {'iter':>5} {'MB':>7} {'MPa':>9} "
              f"{'error':>8}  composite voxels")
        for r in rows:
            exact = r.get("exact_MPa", ref["value_MPa"])
            err = r["value_MPa"] / exact - 1
            cv = r["composite"]
            note = "-"
            if cv:
                note = (f"{cv['composite_voxels']} ({100 * cv['composite_fraction']:.1f} %), "
                        f"{cv['laminate_classes']} classes, {cv['mixed_kept_binary']} mixed kept binary")
            print(f"{r['mode']:>10} {'x'.join(map(str, r['shape'])):>10} {r['time_s']:8.2f} "
                  f"{r['time_s'] / ref['time_s']:7.3f} {r['iterations']:5d} {r['extra_MB']:7.0f} "
                  f"{r['value_MPa']:9.1f} {100 * err:+7.2f}%  {note}", flush=True)
        print()
    print(f"load average during the run: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
