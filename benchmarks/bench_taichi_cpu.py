"""Two costs of Taichi's CPU backend that shaped the solvers' kernels and arrays (docs/transport.md):

1. ``x[c] += v`` is an atomic add. Taichi demotes it to a plain update only where it can prove
   that the index is the iteration's own (a flat ``for c in range(n)``); in the nested ``(i, j)`` /
   ``k`` loops of the stencil kernels it stays a compare-and-swap loop. The script adds 1 to every
   entry of an N^3 float32 array: nested loops with ``+=``, nested loops with ``x[c] = x[c] + 1``
   (what the prolongations write since session 9), and a flat loop (the reference).
2. Creating a fresh array: ``ti.ndarray`` against ``grid.zeros`` (numpy memory from 8 MiB on the
   CPU, ``grid.HostArray``), each array kept alive (as a solver keeps its vectors), first touch
   included (``krylov.fill``).

Usage: python benchmarks/bench_taichi_cpu.py [N] [ARRAYS]   (default 256, 4 arrays of N^3 float64)
"""

import sys
import time

import taichi as ti

N = int(sys.argv[1]) if len(sys.argv) > 1 else 256
ARRAYS = int(sys.argv[2]) if len(sys.argv) > 2 else 4


def best_ms(f, *args, reps=5):
    f(*args)
    ti.sync()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        f(*args)
        ti.sync()
        best = min(best, time.perf_counter() - t)
    return 1e3 * best


def main() -> None:
    from microcath.gpu_kernels import ensure_initialized, grid, krylov

    ensure_initialized("cpu")

    @ti.kernel
    def nested_atomic(x: ti.types.ndarray(ndim=1), n: ti.i32):
        for i, j in ti.ndrange(n, n):
            base = (i * n + j) * n
            for k in range(n):
                x[base + k] += 1.0

    @ti.kernel
    def nested_plain(x: ti.types.ndarray(ndim=1), n: ti.i32):
        for i, j in ti.ndrange(n, n):
            base = (i * n + j) * n
            for k in range(n):
                x[base + k] = x[base + k] + 1.0

    @ti.kernel
    def flat(x: ti.types.ndarray(ndim=1), m: ti.i32):
        for c in range(m):
            x[c] += 1.0

    x = ti.ndarray(ti.f32, (N**3,))
    t_atomic = best_ms(nested_atomic, x, N)
    t_plain = best_ms(nested_plain, x, N)
    t_flat = best_ms(flat, x, N**3)
    print(f"add 1 to {N}^3 float32: nested +=  {t_atomic:7.1f} ms   nested x = x + 1  {t_plain:7.1f} ms   "
          f"flat loop (reference) {t_flat:6.1f} ms")
    print(f"  nested += is {t_atomic / t_flat:.1f}x the flat loop; the plain update {t_plain / t_flat:.1f}x")

    mb = N**3 * 8 / 2**20
    times = {}
    for name, make in (("ti.ndarray", lambda: ti.ndarray(ti.f64, (N**3,))),
                       ("grid.zeros", lambda: grid.zeros(ti.f64, (N**3,)))):
        kept, t = [], time.perf_counter()
        for _ in range(ARRAYS):
            a = make()
            krylov.fill(a, 0.0)
            kept.append(a)
        ti.sync()
        times[name] = (time.perf_counter() - t) / ARRAYS * 1e3
        del kept
    print(f"create and fill a fresh {mb:.0f} MiB float64 array (mean of {ARRAYS}, all kept): "
          f"ti.ndarray {times['ti.ndarray']:.0f} ms, grid.zeros {times['grid.zeros']:.0f} ms "
          f"({times['ti.ndarray'] / times['grid.zeros']:.1f}x)")


if __name__ == "__main__":
    main()
