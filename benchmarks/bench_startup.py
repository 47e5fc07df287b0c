"""What the first conductivity solve of a process costs beyond the solve: Taichi's Python front
end turning every kernel instantiation into IR (``materialize``, which runs in every process:
the offline kernel cache skips LLVM's optimisation, not this step) and loading the cached
kernels, against the same solve repeated in the same process (the reference).

Each carrier runs in a fresh interpreter on a generated 40^3 default composite (recipe voxel
size, seed 1); the script prints the first and the second solve, their ratio, the front-end
seconds and the number of distinct kernel instantiations (one per kernel and template/type
signature) the first solve compiled. ``stress`` is ``mechanics.stress(state=0.2)`` on the
default composite at 48^3 (seed 0; the elasticity kernels and the solves after opening)::

    python benchmarks/bench_startup.py                     # ionic, electronic and stress
    python benchmarks/bench_startup.py --carriers electronic --size 48
    python benchmarks/bench_startup.py --kernels 10        # and the 10 costliest first calls

``--kernels N`` also times the first call of every kernel instantiation (synced before and after:
loading it from the cache, plus one run of it on the small problem) and prints the ``N`` costliest
per carrier: the kernels whose compiled code is worth making smaller.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def _time_first_calls(kernel_impl) -> dict[str, float]:
    """Wrap ``Kernel.__call__`` so that a call that compiles (or loads) a new instantiation is
    synced and timed; returns ``{"module.kernel #k": seconds}``, filled as the process runs."""
    import taichi as ti

    firsts: dict[str, float] = {}
    original = kernel_impl.Kernel.__call__

    def call(self, *a, **k):
        n0 = len(self.compiled_kernels)
        ti.sync()
        t = time.perf_counter()
        out = original(self, *a, **k)
        if len(self.compiled_kernels) != n0:
            ti.sync()
            module = self.func.__module__.rsplit(".", 1)[-1]
            firsts[f"{module}.{self.func.__name__} #{len(self.compiled_kernels)}"] = time.perf_counter() - t
        return out

    kernel_impl.Kernel.__call__ = call
    return firsts


def worker(carrier: str, n: int, kernels: bool = False) -> dict:
    from taichi.lang import kernel_impl

    firsts = _time_first_calls(kernel_impl) if kernels else {}

    spent = {"s": 0.0}
    keys: set[tuple[str, str]] = set()
    original = kernel_impl.Kernel.materialize

    def timed(self, *a, **k):
        t = time.perf_counter()
        try:
            return original(self, *a, **k)
        finally:
            spent["s"] += time.perf_counter() - t
            keys.add((self.func.__name__, str(a[0] if a else k.get("key"))))

    kernel_impl.Kernel.materialize = timed
    from microcath.geometries import generate

    from microcath import transport

    if carrier == "stress":  # the stress stage: elasticity (and the solves after opening)
        from microcath.mechanics import stress

        ms = generate("default", shape=(max(n, 48),) * 3, seed=0, progress=False)
        t0 = time.perf_counter()
        first = stress(ms, state=0.2)
        t1 = time.perf_counter()
        front, n_keys = spent["s"], len(keys)
        second = stress(ms, state=0.2)
        t2 = time.perf_counter()
        a, b = (r.interfaces["active/electrolyte"]["opened_fraction"] for r in (first, second))
        if not (first.converged and second.converged) or abs(a - b) > 1e-3:
            raise SystemExit(f"the two stress solves differ (opened {a} vs {b})")
        return {"carrier": carrier, "first_s": t1 - t0, "second_s": t2 - t1, "frontend_s": front,
                "instantiations": n_keys, "iterations": -1, "first_calls": firsts}
    ms = generate("default", shape=(n, n, n), seed=1, progress=False)
    t0 = time.perf_counter()
    first = transport.conductivity(ms, carrier=carrier)
    t1 = time.perf_counter()
    front = spent["s"]
    n_keys = len(keys)
    second = transport.conductivity(ms, carrier=carrier)
    t2 = time.perf_counter()
    # the same problem twice (float atomics make the last digits differ, not the answer)
    if not (first.converged and second.converged) or abs(first.sigma_eff - second.sigma_eff) > 1e-5 * abs(
            second.sigma_eff):
        raise SystemExit(f"the two solves differ ({first.sigma_eff} vs {second.sigma_eff} S/m)")
    return {"carrier": carrier, "first_s": t1 - t0, "second_s": t2 - t1, "frontend_s": front,
            "instantiations": n_keys, "iterations": first.n_iter, "first_calls": firsts}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--carriers", nargs="+", default=["ionic", "electronic", "stress"])
    ap.add_argument("--size", type=int, default=40)
    ap.add_argument("--kernels", type=int, default=0, metavar="N",
                    help="also print the N costliest first calls of kernel instantiations per carrier")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.size, kernels=args.kernels > 0)))
        return 0
    print(f"default composite {args.size}^3, seed 1 (stress: {max(args.size, 48)}^3, seed 0); "
          "each in a fresh process")
    print(f"{'carrier':>10} {'first s':>8} {'second s':>9} {'ratio':>6} {'front end s':>12} "
          f"{'kernels':>8} {'iter':>5}")
    for carrier in args.carriers:
        out = subprocess.run([sys.executable, __file__, "--worker", carrier, "--size", str(args.size),
                              "--kernels", str(args.kernels)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{carrier:>10} {r['first_s']:8.2f} {r['second_s']:9.2f} {r['first_s'] / r['second_s']:6.1f} "
              f"{r['frontend_s']:12.2f} {r['instantiations']:8d} {r['iterations']:5d}", flush=True)
        if args.kernels:
            firsts = r["first_calls"]
            print(f"{'':>10} first calls of the {len(firsts)} instantiations: {sum(firsts.values()):.2f} s; "
                  f"the costliest {min(args.kernels, len(firsts))}:")
            for name, sec in sorted(firsts.items(), key=lambda kv: -kv[1])[:args.kernels]:
                print(f"{'':>12}{1e3 * sec:7.1f} ms  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
