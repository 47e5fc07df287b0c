"""Cost of the per-grain anisotropic stiffness: the polycrystalline recipe's stress solve with
isotropic E, nu and with each grain's rotated crystal (``anisotropic_stiffness=True``).

The structure is ``generate nmc811_pc_lpscl --shape N N N --seed 0``; the stress is the
charged state (x_Li 0.2), zero stack pressure, no contact loss (the solve alone). Every run has
its own process (peak RSS beyond the structure); the kernels are compiled first on a small box.

Usage: python benchmarks/bench_grain_stiffness.py [--sizes 64 128]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from _rss import maxrss_bytes  # noqa: E402 (scripts run from benchmarks/)


def worker(path: str, aniso: bool) -> dict:
    from microcath.geometries import generate

    from microcath import io
    from microcath.mechanics import stress

    small = generate("nmc532_pc_lpscl", shape=(48, 48, 48), seed=1, progress=False,
                     overrides={"active.material": "NMC811"})  # compile on a small polycrystal
    stress(small, state=0.2, anisotropic_stiffness=aniso)
    ms = io.load(path)
    rss0 = maxrss_bytes()
    t0 = time.perf_counter()
    r = stress(ms, state=0.2, anisotropic_stiffness=aniso)
    wall = time.perf_counter() - t0
    gb = r.interfaces["grain_boundary"]
    return {"n": ms.shape[0], "grains": ms.n_grains, "aniso": aniso, "time_s": wall, "iterations": r.n_iter,
            "converged": r.converged, "extra_bytes_per_voxel": (maxrss_bytes() - rss0) / ms.labels.size,
            "gb_opened": gb["opened_fraction"],
            "am_von_mises_MPa": r.phases["NMC811"]["mean_von_mises"] / 1e6}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--worker", nargs=2, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args.worker[0], args.worker[1] == "1")))
        return 0
    from microcath.geometries import generate

    from microcath import io

    print(f"{'size':>6} {'grains':>6} {'stiffness':>11} {'time s':>8} {'x iso':>6} {'iter':>5} "
          f"{'B/voxel':>8} {'GB opened':>9} {'AM von Mises MPa':>16}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "pc.mcath")
            io.save(generate("nmc811_pc_lpscl", shape=(n, n, n), seed=0, progress=False), path)
            rows = []
            for aniso in (False, True):
                out = subprocess.run([sys.executable, __file__, "--worker", path, "1" if aniso else "0"],
                                     capture_output=True, text=True, check=True)
                rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        for r in rows:
            kind = "per grain" if r["aniso"] else "isotropic"
            print(f"{n:>5}^3 {r['grains']:>6} {kind:>11} {r['time_s']:8.1f} "
                  f"{r['time_s'] / rows[0]['time_s']:6.2f} {r['iterations']:5d} "
                  f"{r['extra_bytes_per_voxel']:8.0f} {100 * r['gb_opened']:8.1f}% "
                  f"{r['am_von_mises_MPa']:16.1f}", flush=True)
    print(f"load average during the run: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
