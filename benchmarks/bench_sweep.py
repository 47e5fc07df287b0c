"""Wall time of a sweep on 1 and 2 workers, and the per-case overhead of the Dask path.

The study: the default recipe (NMC811 / Li6PS5Cl / carbon black), 3 compositions (active and
electrolyte weight fractions zipped) x 3 carbon attachments x 2 seeds = 18 cases, the ionic
and electronic conductivity along x. The reference, measured in the same run: every case
called directly in this process (``studies.case.run_case``: the pipeline's stages, no Dask),
after one warm-up case outside the timed region so that the kernels are compiled. Then the
same cases as ``studies.sweep`` on a local cluster of 1 worker (all cores' threads) and of 2
workers (one thread each); cluster start-up and the workers' kernel compilation (one warm-up
case each) are timed apart, so the per-case overhead compares warm with warm. The tables of
the three paths are compared (same numbers apart from timings).

Usage::

    python benchmarks/bench_sweep.py                # 96^3, as the issue asks
    python benchmarks/bench_sweep.py --size 48      # a smaller box, same physical size

``--size N`` keeps the physical box (96 voxels of 0.3 µm = 28.8 µm): the voxel is 28.8/N µm.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np


def study(size: int, quantities: list[str]) -> dict:
    return {
        "name": f"bench-{size}",
        "recipe": "default",
        "shape": size,
        "seeds": 2,
        "quantities": list(quantities),
        "set": {"voxel_size_um": round(0.3 * 96 / size, 6)},
        "zip": {"active.fraction": [0.64, 0.679, 0.72], "electrolyte.fraction": [0.33, 0.291, 0.25]},
        "grid": {"carbon.attach": [0.0, 0.5, 1.0]},
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=96, help="box side in voxels (default 96)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="local cluster sizes")
    ap.add_argument("--quantities", nargs="+", default=["sigma_ion_eff.x", "sigma_e_eff.x"],
                    help="what each case computes (default the ionic and electronic conductivity)")
    args = ap.parse_args(argv)
    os.environ.setdefault("MICROCATH_ARCH", "cpu")
    import pandas as pd

    from microcath.studies import load_study, sweep
    from microcath.studies.case import run_case, task_of
    from microcath.studies.execute import _local_cluster, plan

    st = load_study(study(args.size, args.quantities))
    cases = st.cases()
    n = len(cases)
    pl = plan(st, cases, n, 1)
    print(f"{n} cases at {args.size}^3; {pl.text()}", flush=True)
    tasks = [task_of(st, c) for c in cases]
    warm = run_case(tasks[0])  # compile the kernels outside the timed region
    assert warm["status"] == "done", warm["error"]
    t0 = time.perf_counter()
    direct = [run_case(t) for t in tasks]
    t_direct = time.perf_counter() - t0
    bad = [r["error"] for r in direct if r["status"] != "done"]
    assert not bad, bad
    print(f"direct (pipeline in this process, warm): {t_direct:.1f} s, {t_direct / n:.2f} s/case", flush=True)
    out = {"size": args.size, "cases": n, "direct_s": t_direct, "load_average": os.getloadavg()[0]}
    tables = {}
    with tempfile.TemporaryDirectory() as tmp:
        for w in args.workers:
            t0 = time.perf_counter()
            cluster, client = _local_cluster(w, pl.bytes_per_case)
            t_start = time.perf_counter() - t0
            t0 = time.perf_counter()
            client.run(run_case, tasks[0])  # each worker compiles its kernels, as this process did
            t_warm = time.perf_counter() - t0
            t0 = time.perf_counter()
            df = sweep(st, client, out_dir=os.path.join(tmp, f"w{w}"), progress=False, report=False)
            t_sweep = time.perf_counter() - t0
            client.close()
            cluster.close()
            assert (df["status"] == "done").all(), df["error"].tolist()
            tables[w] = df
            per_case = (t_sweep - t_direct) / n if w == 1 else None  # both warm, same threads
            out[f"workers_{w}"] = {"cluster_start_s": t_start, "worker_warm_up_s": t_warm, "sweep_s": t_sweep,
                                   "ratio_to_direct": t_sweep / t_direct}
            if per_case is not None:
                out["dask_overhead_per_case_s"] = per_case
            print(f"{w} worker(s): cluster start {t_start:.1f} s, kernel warm-up {t_warm:.1f} s, sweep "
                  f"{t_sweep:.1f} s (ratio to direct {t_sweep / t_direct:.2f})"
                  + (f"; Dask path overhead per case {per_case:+.3f} s" if per_case is not None else ""),
                  flush=True)
    direct_q = pd.DataFrame([r["quantities"] for r in direct])
    for w, df in tables.items():
        for q in st.quantities:
            d = np.max(np.abs(df[q.name].to_numpy() / direct_q[q.name].to_numpy() - 1))
            out[f"workers_{w}"][f"max_rel_diff_{q.name}"] = float(d)
            print(f"  {w} worker(s) vs direct, {q.name}: max relative difference {d:.2e}")
    if 1 in tables and 2 in tables:
        print(f"speed-up 2 workers vs 1: {out['workers_1']['sweep_s'] / out['workers_2']['sweep_s']:.2f}x")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
