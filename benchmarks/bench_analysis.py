"""Benchmark of microcath.analysis: full analysis at 512^3 and the labelling kernel vs scipy.

Usage::

    python benchmarks/bench_analysis.py            # 512^3 analysis + labelling at 256^3 and 512^3
    python benchmarks/bench_analysis.py --n 256    # smaller analysis
    python benchmarks/bench_analysis.py --skip-label

The structure (random overlapping NMC spheres with particle ids, Li6PS5Cl
matrix, carbon and pore blobs from smoothed noise) is built outside the timed
region. Kernels are compiled (warm-up on a small structure) before timing;
every timing is the best of ``--repeat`` runs. The labelling comparison
reports ``t(microcath) / t(scipy.ndimage.label)`` measured in the same process
on the same random masks (site density 0.3, near the 6-connectivity threshold).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
from microcath.gpu_kernels import ensure_initialized
from scipy import ndimage

from microcath import Microstructure, Phase
from microcath.analysis import analyze, connected_components

PHASES = {0: Phase("pore", "pore"), 1: Phase("NMC811", "active", "NMC811"),
          2: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"), 3: Phase("carbon_black", "carbon", "carbon_black")}


def build(n: int, seed: int = 7, active: float = 0.5, r_mean: float = 9.0) -> Microstructure:
    """Random spheres (ids 1..k) in an electrolyte matrix with ~4 % carbon and ~4 % pores."""
    rng = np.random.default_rng(seed)
    labels = np.full((n, n, n), 2, np.uint8)
    pid = np.zeros((n, n, n), np.int32)
    k = 0
    target = active * n**3
    filled = 0
    while filled < target:
        r = rng.uniform(0.6, 1.4) * r_mean
        c = rng.uniform(0, n, 3)
        lo = np.maximum(np.floor(c - r).astype(int), 0)
        hi = np.minimum(np.ceil(c + r).astype(int) + 1, n)
        g = np.ogrid[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
        m = ((g[0] + 0.5 - c[0]) ** 2 + (g[1] + 0.5 - c[1]) ** 2 + (g[2] + 0.5 - c[2]) ** 2) < r * r
        sub = pid[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
        new = m & (sub == 0)
        if not new.any():
            continue
        k += 1
        sub[new] = k
        filled += int(new.sum())
    labels[pid > 0] = 1
    # carbon and pores: smoothed noise on a coarse grid, upsampled by repetition
    f = 4
    for phase, frac in ((3, 0.04), (0, 0.04)):
        coarse = ndimage.gaussian_filter(rng.standard_normal((n // f,) * 3).astype(np.float32), 1.0)
        field = coarse.repeat(f, 0).repeat(f, 1).repeat(f, 2)
        free = labels == 2
        thr = np.quantile(field[free][:: max(1, free.sum() // 1_000_000)], 1 - frac / (1 - active))
        labels[free & (field > thr)] = phase
    return Microstructure(labels, 0.1e-6, PHASES, particles=pid)


def best(fn, repeat):
    ts = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return min(ts), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=512, help="edge of the analysed cube [voxels]")
    ap.add_argument("--label-sizes", type=int, nargs="*", default=[256, 512])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--skip-label", action="store_true")
    ap.add_argument("--skip-analysis", action="store_true")
    ap.add_argument("--json", default=None, help="write the figures to this JSON file")
    args = ap.parse_args()
    arch = ensure_initialized()
    info = {"arch": arch, "cpus": os.cpu_count(), "machine": platform.machine(), "results": {}}
    print(f"arch {arch}, {os.cpu_count()} CPUs")
    analyze(build(48, seed=1))  # compile the kernels
    for conn in (6, 18, 26):
        connected_components(np.ones((4, 4, 4), bool), connectivity=conn)

    if not args.skip_analysis:
        t = time.perf_counter()
        ms = build(args.n)
        print(f"built {args.n}^3 structure in {time.perf_counter() - t:.1f} s (not timed): "
              f"{int(ms.particles.max())} particles, fractions "
              + ", ".join(f"{k} {v:.3f}" for k, v in ms.volume_fractions().items()))
        dt, res = best(lambda: analyze(ms), args.repeat)
        print(f"full analysis {args.n}^3: {dt:.1f} s  (utilisable {res.utilisable_fraction:.3f}, "
              f"{res.n_particles} particles, TPB {res.morphology.tpb_length_density_um:.3f} µm/µm^3)")
        info["results"][f"analyze_{args.n}"] = {"seconds": dt, "n_particles": res.n_particles,
                                                "utilisable_fraction": res.utilisable_fraction}
        del ms, res

    if not args.skip_label:
        rng = np.random.default_rng(3)
        for n in args.label_sizes:
            m = rng.random((n, n, n), dtype=np.float32) < 0.3
            for conn, rank in ((6, 1), (18, 2), (26, 3)):
                st = ndimage.generate_binary_structure(3, rank)
                t_ti, (a, na) = best(lambda m=m, conn=conn: connected_components(m, connectivity=conn),
                                     args.repeat)
                del a
                t_sp, (b, nb) = best(lambda m=m, st=st: ndimage.label(m, st), args.repeat)
                del b
                assert na == nb
                ratio = t_ti / t_sp
                print(f"label {n}^3 p=0.3 {conn:2d}-conn: microcath {t_ti:.2f} s, scipy {t_sp:.2f} s, "
                      f"ratio {ratio:.2f} ({na} clusters)")
                info["results"][f"label_{n}_{conn}"] = {"microcath_s": t_ti, "scipy_s": t_sp, "ratio": ratio}
            del m
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(info, fh, indent=1)


if __name__ == "__main__":
    main()
