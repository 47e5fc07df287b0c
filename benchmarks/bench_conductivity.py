"""Speed, iterations and memory of the conduction solver on a three-phase composite.

Structure: solid-electrolyte matrix (sigma = 1 S/m) with overlapping active
spheres (radius 6 voxels, ~35 %, sigma = 1e-3 S/m) and pores (radius 3, ~7 %,
sigma = 0): three phases, conductivity contrast 1e3. Transport along x,
tol 1e-6, float32 fields. Every size runs in its own subprocess so that the
peak resident memory (``ru_maxrss``) measured before and after the solve gives
the memory the solve adds beyond the input labels (pre-pass included: the
connected-component labels of the conducting voxels, 4 bytes/voxel, live
until the solver allocates).

Usage::

    python benchmarks/bench_conductivity.py              # 64^3, 128^3, 256^3
    python benchmarks/bench_conductivity.py --sizes 64 128 --arch cpu

With ``--carrier ionic|electronic`` the structure is instead a generated composite
(``--recipe``, default ``default``: NMC811 / Li6PS5Cl / carbon black, seed 1, recipe voxel
size) solved with the materials library's conductivities of that carrier; ``--recipe vgcf``
is the default composite with VGCF fibres instead of carbon-black agglomerates::

    python benchmarks/bench_conductivity.py --carrier electronic            # 64, 128, 256
    python benchmarks/bench_conductivity.py --carrier electronic --recipe s_c_li3ps4 --sizes 64 128
    python benchmarks/bench_conductivity.py --carrier electronic --recipe vgcf --sizes 64 128
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

import numpy as np
from _rss import WorkerError, maxrss_bytes, run_worker, size_parser  # noqa: E402 (scripts run from benchmarks/)

SIGMA = {0: 0.0, 1: 1.0, 2: 1e-3}  # pore, electrolyte matrix, active material


def overlapping_spheres(shape, radius, fraction, rng):
    """Boolean mask of overlapping spheres (centres uniform) covering ~``fraction``."""
    from scipy import ndimage

    vol = float(np.prod(shape))
    n = int(round(-np.log(1.0 - fraction) * vol / (4.0 / 3.0 * np.pi * radius**3)))
    seeds = np.ones(shape, bool)
    idx = tuple(rng.integers(0, s, n) for s in shape)
    seeds[idx] = False
    return ndimage.distance_transform_edt(seeds) < radius


def composite(n: int, seed: int = 0, *, three_phase: bool = True) -> np.ndarray:
    """Labels: 1 matrix, 2 active spheres, 0 pores (three_phase) -- uint8, shape (n, n, n)."""
    rng = np.random.default_rng(seed)
    shape = (n, n, n)
    lab = np.ones(shape, np.uint8)
    lab[overlapping_spheres(shape, 6.0, 0.37 if not three_phase else 0.35, rng)] = 2
    if three_phase:
        lab[overlapping_spheres(shape, 3.0, 0.07, rng)] = 0
    return lab


#: recipe aliases of the benchmark: name -> (shipped recipe, overrides)
RECIPES = {
    "vgcf": ("default", {"carbon.form": "fibres", "carbon.material": "VGCF", "carbon.diameter_um": 0.3}),
}


def generated(recipe: str, n: int, settings=()):
    from microcath.geometries import generate
    from microcath.geometries.recipes import parse_overrides

    name, overrides = RECIPES.get(recipe, (recipe, {}))
    overrides = {**overrides, **parse_overrides(settings)}
    return generate(name, shape=(n, n, n), seed=1, overrides=overrides or None, progress=False)


def warm_up_structure(recipe: str, settings=()):
    """The 40^3 structure on which a worker compiles its kernels: the recipe's own, or the default
    composite's where the recipe's particles do not fit in 40^3 (e.g. ``lco_lno_lgps``)."""
    from microcath.errors import InputError

    try:
        return generated(recipe, 40, settings)
    except InputError:
        return generated("default", 40)


def worker_recipe(path: str, dtype: str, carrier: str) -> dict:
    from microcath import io, transport

    ms = io.load(path)
    small = io.load(path + ".small.mcath")
    transport.conductivity(small, carrier=carrier, dtype=dtype)  # compile the kernels first
    rss0 = maxrss_bytes()
    t0 = time.perf_counter()
    r = transport.conductivity(ms, carrier=carrier, dtype=dtype, tol=1e-6)
    wall = time.perf_counter() - t0
    rss1 = maxrss_bytes()
    n = ms.labels.shape[0]
    return {
        "n": n, "dtype": dtype, "arch": r.arch, "time_s": wall, "iterations": r.n_iter,
        "sigma_eff": r.sigma_eff, "converged": r.converged, "residual": r.residual,
        "flux_balance": r.flux_balance, "extra_bytes_per_voxel": (rss1 - rss0) / ms.labels.size,
    }


def worker(path: str, dtype: str) -> dict:
    from microcath.transport import conductivity_of_labels

    lab = np.load(path)  # the structure is built by the parent: only the labels are resident here
    n = lab.shape[0]
    # compile the kernels on a small problem so that the timing is the solve only
    conductivity_of_labels(composite(16, 1), SIGMA, dtype=dtype)
    rss0 = maxrss_bytes()
    t0 = time.perf_counter()
    r = conductivity_of_labels(lab, SIGMA, dtype=dtype, tol=1e-6)
    wall = time.perf_counter() - t0
    rss1 = maxrss_bytes()
    return {
        "n": n, "dtype": dtype, "arch": r.arch, "time_s": wall, "iterations": r.n_iter,
        "sigma_eff": r.sigma_eff, "converged": r.converged, "residual": r.residual,
        "flux_balance": r.flux_balance, "extra_bytes_per_voxel": (rss1 - rss0) / lab.size,
        "fractions": {int(k): float(np.mean(lab == k)) for k in (0, 1, 2)},
    }


def main(argv=None) -> int:
    ap = size_parser(__doc__.split("\n")[0])
    ap.add_argument("--carrier", default=None, choices=["ionic", "electronic"],
                    help="solve a generated composite for this carrier (materials library)")
    ap.add_argument("--recipe", default="default",
                    help="recipe with --carrier: a shipped name (default, s_c_li3ps4, ...) or 'vgcf'")
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                    help="change a recipe parameter (repeatable), as `microcath generate --set`")
    ap.add_argument("--coarse", choices=["auto", "blocks", "pieces"], default="auto",
                    help="coarse levels: the solver's choice (auto), never the strength-split pieces "
                         "(blocks: the 2x2x2 levels of before session 15), or the pieces at once wherever "
                         "they are allowed (pieces)")
    args = ap.parse_args(argv)
    if args.coarse != "auto":
        from microcath import transport

        if args.coarse == "blocks":
            transport.PIECES_MIN_VOXELS = float("inf")
        else:
            transport.PIECES_NETWORK_FRACTION = float("inf")
    if args.arch:
        os.environ["MICROCATH_ARCH"] = args.arch
    if args.worker is not None:
        if args.carrier:
            print(json.dumps(worker_recipe(args.worker, args.dtype, args.carrier)))
        else:
            print(json.dumps(worker(args.worker, args.dtype)))
        return 0
    if args.carrier:
        sets = "".join(f", {item}" for item in args.sets)
        coarse = "" if args.coarse == "auto" else f", coarse levels: {args.coarse}"
        print(f"recipe {args.recipe}{sets}, carrier {args.carrier}, seed 1, tol 1e-6, {args.dtype}{coarse}")
    rows = []
    print(f"{'size':>6} {'arch':>5} {'time s':>8} {'iter':>5} {'sigma_eff S/m':>14} {'conv':>5} "
          f"{'flux bal':>9} {'B/voxel':>8}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            extra = []
            if args.carrier:
                from microcath import io

                path = os.path.join(tmp, f"composite_{n}.mcath")
                io.save(generated(args.recipe, n, args.sets), path)
                io.save(warm_up_structure(args.recipe, args.sets), path + ".small.mcath")
                extra = ["--carrier", args.carrier, "--coarse", args.coarse]
            else:
                path = os.path.join(tmp, f"composite_{n}.npy")
                np.save(path, composite(n))
            try:
                row = run_worker(__file__, path, args.dtype, extra)
            except WorkerError as exc:  # e.g. a structure through which the carrier has no path
                print(f"{n:>5}^3 not solved: {exc}", flush=True)
                continue
        rows.append(row)
        print(f"{n:>5}^3 {row['arch']:>5} {row['time_s']:8.2f} {row['iterations']:5d} "
              f"{row['sigma_eff']:14.6g} "
              f"{str(row['converged']):>5} {row['flux_balance']:9.1e} {row['extra_bytes_per_voxel']:8.1f}",
              flush=True)
    if len(rows) > 1:
        growth = rows[-1]["iterations"] / max(rows[0]["iterations"], 1)
        print(f"iteration growth {rows[0]['n']}^3 -> {rows[-1]['n']}^3: {growth:.2f}x")
    print(f"load average during the run: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
