"""Where the time of one stress solve goes: the wall time of every Taichi kernel of the
elasticity solver (``gpu_kernels.elasticity``, ``rigid``, ``krylov``), per kernel and array
length, and what is left for the host (set-up, post-processing), after a warm-up at 16^3.

Usage::

    python benchmarks/profile_mechanics.py N              # bench_mechanics.py's composite, plates
    python benchmarks/profile_mechanics.py N --run-stage  # the default recipe as `microcath run`
                                                          # solves it (charged state, pressure plates,
                                                          # contact loss: its conduction solves too)
"""

import argparse
import time

from _timing import time_kernels  # noqa: E402 (scripts run from benchmarks/)
from bench_conductivity import composite, generated  # noqa: E402 (scripts run from benchmarks/)
from bench_mechanics import EIGEN, ELASTIC  # noqa: E402
from microcath.gpu_kernels import conduction, elasticity, krylov, rigid

from microcath import mechanics


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--run-stage", action="store_true", help="the default recipe, as `microcath run` does")
    args = ap.parse_args()

    def solve(n):
        if args.run_stage:
            from microcath.pipeline.mechanics import charged_state

            ms = generated("default", n)
            return mechanics.stress(ms, state=charged_state(ms), contact=True)
        return mechanics.stress_of_labels(composite(n, 1), ELASTIC, eigenstrain=EIGEN, voxel_size=1e-6,
                                          boundary="plates")

    solve(40 if args.run_stage else 16)  # compile first (the default recipe's particles need 40^3)
    T, N = time_kernels((elasticity, rigid, krylov) + ((conduction,) if args.run_stage else ()))
    if args.run_stage:
        ms = generated("default", args.n)  # generated before the clock starts
        from microcath.pipeline.mechanics import charged_state

        state = charged_state(ms)
        t0 = time.perf_counter()
        r = mechanics.stress(ms, state=state, contact=True)
    else:
        lab = composite(args.n, 1)
        t0 = time.perf_counter()
        r = mechanics.stress_of_labels(lab, ELASTIC, eigenstrain=EIGEN, voxel_size=1e-6, boundary="plates")
    wall = time.perf_counter() - t0
    kern = sum(T.values())
    print(f"{args.n}^3 {'default recipe, run stage' if args.run_stage else 'bench composite, plates'}: "
          f"{wall:.2f} s, {r.n_iter} iterations, kernels {kern:.2f} s, the rest (host) {wall - kern:.2f} s")
    for k in sorted(T, key=lambda k: -T[k]):
        if T[k] >= 0.05:
            print(f"  {k:44s} {N[k]:5d} calls {T[k]:8.2f} s")


if __name__ == "__main__":
    main()
