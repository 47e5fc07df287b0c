"""Solver arrays in numpy memory on the CPU (``grid.HOST_ARRAY_BYTES``, the default) against
all of them as Taichi ndarrays. Each solve runs in a fresh process after a 48^3 warm-up of the
same recipe (so it pays for fresh memory, as a CLI run does; in a process that has solved
before, Taichi reuses the freed memory); the two variants alternate ``REPEATS`` times (default
2) and the fastest of each counts. The electronic conductivity of the generated default
composite (``CARRIER=ionic`` for ions), or with ``MECHANICS=1`` ``mechanics.stress(state=0.2)``
(seed 0; the value printed is the strain energy).

Usage: python benchmarks/compare_host_arrays.py N [REPEATS]
"""

import json
import os
import subprocess
import sys
import time

CARRIER = os.environ.get("CARRIER", "electronic")
MECH = os.environ.get("MECHANICS") == "1"
NONE = 1 << 62


def worker(n: int, limit: int) -> None:
    from microcath.geometries import generate
    from microcath.gpu_kernels import grid

    from microcath import mechanics, transport

    def solve(ms):
        if MECH:
            r = mechanics.stress(ms, state=0.2)
            return r.converged, r.n_iter, r.strain_energy
        r = transport.conductivity(ms, carrier=CARRIER)
        return r.converged, r.n_iter, r.sigma_eff

    seed = 0 if MECH else 1
    ms = generate("default", shape=(n, n, n), seed=seed, progress=False)
    grid.HOST_ARRAY_BYTES = limit
    solve(generate("default", shape=(48, 48, 48), seed=seed, progress=False))
    t = time.perf_counter()
    ok, its, value = solve(ms)
    print(json.dumps({"wall": time.perf_counter() - t, "converged": ok, "its": its, "value": value}))


def main() -> None:
    if sys.argv[1] == "--worker":
        worker(int(sys.argv[2]), int(sys.argv[3]))
        return
    from microcath.gpu_kernels import grid

    n = int(sys.argv[1])
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    default = grid.HOST_ARRAY_BYTES
    best = {}
    for _ in range(repeats):
        for limit in (NONE, default):
            out = subprocess.run([sys.executable, __file__, "--worker", str(n), str(limit)], check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
            r = json.loads(out)
            if not r["converged"]:
                raise SystemExit(f"not converged: {r}")
            if limit not in best or r["wall"] < best[limit]["wall"]:
                best[limit] = r
    what = "mechanics.stress(state=0.2)" if MECH else f"{CARRIER} conductivity"
    for limit, name in ((NONE, "Taichi ndarrays"), (default, f"host arrays from {default >> 20} MiB")):
        r = best[limit]
        print(f"{n}^3 {what}, {name}: {r['wall']:.2f} s, iterations {r['its']}, value {r['value']}")
    ratio = best[NONE]["wall"] / best[default]["wall"]
    print(f"speed-up {ratio:.2f}x (fresh processes, fastest of {repeats}); load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
