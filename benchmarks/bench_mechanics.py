"""Speed, iterations and memory of the elasticity solver on a three-phase composite.

Structure (as ``bench_conductivity.py``): a solid-electrolyte matrix (E = 15 GPa,
nu = 0.3) with overlapping active spheres (radius 6 voxels, ~35 %, E = 150 GPa,
nu = 0.25, eigenstrain -1.6952 %: NMC811's -5 % volume on charge) and pores
(radius 3, ~7 %, zero stiffness): stiffness contrast 10. Rigid plates on the x
faces at a fixed gap, periodic y and z, tol 1e-6, float32. Every size runs in
its own subprocess; the peak resident memory before and after gives what the
whole ``stress_of_labels`` call adds beyond the labels (device arrays on the CPU
backend plus the host post-processing: strains, stresses, tractions, rigid
modes). The solver's own device plan is ``elasticity.bytes_per_voxel()``.

Usage::

    python benchmarks/bench_mechanics.py                 # 64^3, 128^3, 256^3
    python benchmarks/bench_mechanics.py --sizes 64 128 --arch cpu
    python benchmarks/bench_mechanics.py --sizes 64 128 --seeds 0 1   # two structures per size
    python benchmarks/bench_mechanics.py --sizes 128 --boundary pressure  # plates under 50 MPa

The iteration count can depend on the structure as well as the size (128^3: seed 0
took 18 iterations and seed 1 9 until the hinged groups got their local solve, now 9
and 9), so ``--seeds`` runs several structures per size and the growth is printed per
seed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

import numpy as np
from _rss import maxrss_bytes, run_worker, size_parser  # noqa: E402 (scripts run from benchmarks/)
from bench_conductivity import composite  # noqa: E402

ELASTIC = {0: (0.0, 0.0), 1: (15e9, 0.30), 2: (150e9, 0.25)}  # pore, SE matrix, active
EIGEN = {2: 0.95 ** (1 / 3) - 1}
STACK_PRESSURE = 50e6  # --boundary pressure [Pa]


def worker(path: str, dtype: str, boundary: str = "plates") -> dict:
    from microcath.gpu_kernels.elasticity import bytes_per_voxel

    from microcath.mechanics import VECTOR_DTYPE, stress_of_labels

    lab = np.load(path)
    n = lab.shape[0]
    # compile the kernels on a small problem so that the timing is the solve only
    kw = dict(eigenstrain=EIGEN, voxel_size=1e-6, boundary=boundary, dtype=dtype,
              stack_pressure=STACK_PRESSURE if boundary == "pressure" else 0.0)
    stress_of_labels(composite(16, 1), ELASTIC, **kw)
    rss0 = maxrss_bytes()
    t0 = time.perf_counter()
    r = stress_of_labels(lab, ELASTIC, **kw)
    wall = time.perf_counter() - t0
    rss1 = maxrss_bytes()
    try:
        plan = bytes_per_voxel(dtype, VECTOR_DTYPE, boundary == "pressure")
    except TypeError:  # a commit before the plate column (compare_commits.py)
        plan = bytes_per_voxel(dtype, VECTOR_DTYPE)
    return {
        "n": n, "dtype": dtype, "arch": r.arch, "time_s": wall, "iterations": r.n_iter,
        "levels": r.n_levels, "converged": r.converged, "residual": r.residual,
        "force_balance": r.force_balance, "extra_bytes_per_voxel": (rss1 - rss0) / lab.size,
        "planned_device_bytes_per_voxel": plan,
        "mean_sigma_xx_MPa": r.mean_stress[0] / 1e6,
        "active_hydrostatic_MPa": r.phases["2"]["mean_hydrostatic"] / 1e6,
        "fractions": {int(k): float(np.mean(lab == k)) for k in (0, 1, 2)},
    }


def main(argv=None) -> int:
    ap = size_parser(__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0], help="structure seeds per size")
    ap.add_argument("--boundary", default="plates", choices=["plates", "pressure"],
                    help="plates at a fixed gap (default) or plates under 50 MPa (one more unknown)")
    args = ap.parse_args(argv)
    if args.arch:
        os.environ["MICROCATH_ARCH"] = args.arch
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.dtype, args.boundary)))
        return 0
    rows = []
    print(f"{'size':>6} {'seed':>4} {'arch':>5} {'time s':>8} {'iter':>5} {'levels':>6} {'conv':>5} "
          f"{'force bal':>9} {'AM hyd MPa':>10} {'sxx MPa':>9} {'B/voxel':>8} {'plan':>6}")
    for n, seed in ((n, seed) for n in args.sizes for seed in args.seeds):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, f"composite_{n}.npy")
            np.save(path, composite(n, seed))
            row = run_worker(__file__, path, args.dtype, ("--boundary", args.boundary))
        row["seed"] = seed
        rows.append(row)
        print(f"{n:>5}^3 {seed:>4} {row['arch']:>5} {row['time_s']:8.1f} {row['iterations']:5d} "
              f"{row['levels']:6d} {str(row['converged']):>5} {row['force_balance']:9.1e} "
              f"{row['active_hydrostatic_MPa']:10.1f} {row['mean_sigma_xx_MPa']:9.3f} "
              f"{row['extra_bytes_per_voxel']:8.0f} {row['planned_device_bytes_per_voxel']:6.0f}", flush=True)
    for seed in args.seeds:
        mine = [r for r in rows if r["seed"] == seed]
        if len(mine) > 1:
            growth = mine[-1]["iterations"] / max(mine[0]["iterations"], 1)
            print(f"seed {seed}: iteration growth {mine[0]['n']}^3 -> {mine[-1]['n']}^3: {growth:.2f}x "
                  "(target < 1.5x)")
    print(f"load average during the run: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
