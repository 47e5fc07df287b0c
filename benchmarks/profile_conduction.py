"""Where the time of one conductivity solve goes: wall time of every multigrid level operation
(smoothing, residual + restriction, prolongation, application, coarsening), the island
corrections and transfers, after a warm-up on a 48^3 structure of the same recipe.

Usage: python benchmarks/profile_conduction.py N [--carrier electronic|ionic] [--recipe default]
[--set KEY=VALUE ...] [--kernels]

``--kernels`` times every Taichi kernel of ``gpu_kernels.conduction``, ``gpu_kernels.krylov`` and
``gpu_kernels.aggregation`` (their module-level ``@ti.kernel`` functions) instead of the level methods;
the node levels of tortuous networks (``aggregation.NodeLevel``) are timed per level size.
"""

import argparse
import time

from _timing import time_kernels, timer, wrap  # noqa: E402 (scripts run from benchmarks/)
from bench_conductivity import generated  # noqa: E402
from microcath.gpu_kernels import aggregation as AG
from microcath.gpu_kernels import conduction as C
from microcath.gpu_kernels import krylov as K

from microcath import transport


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--carrier", default="electronic")
    ap.add_argument("--recipe", default="default")
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                    help="change a recipe parameter (repeatable), as `microcath generate --set`")
    ap.add_argument("--kernels", action="store_true", help="time each conduction kernel instead")
    args = ap.parse_args()
    transport.conductivity(generated(args.recipe, 48, args.sets), carrier=args.carrier)
    ms = generated(args.recipe, args.n, args.sets)
    T, N = timer()

    def timed(obj, name, label, per_level):
        if per_level == "self":  # a method of a per-level object: the level's size
            wrap(obj, name, lambda a: f"{label} {a[0].level.shape[0]}^3", T, N)
        elif per_level:
            wrap(obj, name, lambda a: f"{label} {a[0].shape[0]}^3", T, N)
        else:
            wrap(obj, name, lambda a: label, T, N)

    if args.kernels:
        time_kernels((C, K, AG), T, N)
    else:
        for m in ("apply", "residual", "smooth", "coarse_solve", "restrict_residual", "prolong_add",
                  "coarsen"):
            timed(C.ConductionLevel, m, m, True)
        for m in ("apply", "smooth", "coarse_solve", "restrict_residual", "prolong_add", "coarsen"):
            wrap(AG.NodeLevel, m, lambda a, m=m: f"node {m} {a[0].size} nodes", T, N)
        wrap(AG, "first_level", lambda a: "node first level set-up", T, N)
        timed(C.IslandTransfer, "__init__", "island transfer set-up", False)
        timed(C.IslandCorrection, "__init__", "island correction set-up", False)
        timed(C.IslandCorrection, "__call__", "island corrections", "self")
    t0 = time.perf_counter()
    r = transport.conductivity(ms, carrier=args.carrier, tol=1e-6)
    print(f"{args.n}^3 {args.recipe} {args.carrier}: {time.perf_counter() - t0:.2f} s, {r.n_iter} iterations")
    for k in sorted(T, key=lambda k: -T[k]):
        if T[k] >= 0.05:
            print(f"  {k:44s} {N[k]:5d} calls {T[k]:8.2f} s")


if __name__ == "__main__":
    main()
