"""Cost of the finest elasticity level: one operator application with and without the
homogeneous-node stencil, and (``--compile``) the compile cost of building the level and applying
it once in a fresh process with an empty Taichi cache.

Structure: the benchmark composite of ``bench_mechanics.py`` (fixed plates along x, float32
element data and vectors). The ``--compile`` path uses only ``ElasticityLevel(...)`` and
``level.apply``, so it runs unchanged on older commits of the repository (compare by running the
script with ``PYTHONPATH=<other checkout>/src:<other checkout>``).

Usage::

    python benchmarks/profile_elasticity_apply.py 64            # application time, stencil off / on
    python benchmarks/profile_elasticity_apply.py 8 --compile   # fresh-cache compile of the fine level
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def _level(n: int, seed: int = 0):
    import taichi as ti
    from bench_conductivity import composite  # noqa: E402 (scripts run from benchmarks/)
    from bench_mechanics import ELASTIC
    from microcath.gpu_kernels import elasticity as el
    from microcath.gpu_kernels.runtime import ensure_initialized

    ensure_initialized()
    lab = composite(n, seed)
    lam, mu = np.zeros(256), np.zeros(256)
    for k, (E, nu) in ELASTIC.items():
        if E > 0:
            lam[k] = E * nu / ((1 + nu) * (1 - 2 * nu)) / 1e9
            mu[k] = E / (2 * (1 + nu)) / 1e9

    def nd(a, dt):
        d = ti.ndarray(dt, (a.size,))
        d.from_numpy(np.ascontiguousarray(a).ravel())
        return d

    mx = n + 1
    mask = nd(np.full(mx * n * n, 7, np.uint8), ti.u8)
    lvl = el.ElasticityLevel((mx, n, n), n, False, mask, ti.f32, ke=nd(el.label_matrices(lam, mu), ti.f64),
                             lab=nd(lab, ti.u8), lam=nd(lam, ti.f64), mu=nd(mu, ti.f64), vector_dtype=ti.f32)
    return lvl


def applications(n: int) -> None:
    import taichi as ti
    from microcath.gpu_kernels import elasticity as el

    for flag in (False, True):
        el.HOMOGENEOUS_STENCIL = flag
        lvl = _level(n)
        x, y = lvl.new_vector(), lvl.new_vector()
        x.from_numpy(np.random.default_rng(0).standard_normal(3 * lvl.n_nodes).astype(np.float32))
        lvl.apply(x, y)
        ti.sync()
        t0 = time.perf_counter()
        for _ in range(10):
            lvl.apply(x, y)
        ti.sync()
        frac = float((lvl.hom.to_numpy() != el.NOT_HOMOGENEOUS).mean()) if flag else 0.0
        print(f"{n}^3 fine application, stencil {'on ' if flag else 'off'}: "
              f"{(time.perf_counter() - t0) / 10:.4f} s (nodes on the stencil path: {100 * frac:.0f} %)")


def compile_worker(n: int) -> None:
    import resource

    t0 = time.perf_counter()
    lvl = _level(n)
    x, y = lvl.new_vector(), lvl.new_vector()
    lvl.apply(x, y)
    import taichi as ti

    ti.sync()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"fresh cache: fine level built and applied once in {time.perf_counter() - t0:.1f} s, "
          f"peak {peak:.2f} GB")


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    if "--compile-worker" in sys.argv:
        compile_worker(n)
    elif "--compile" in sys.argv:
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, TI_OFFLINE_CACHE_FILE_PATH=cache)
            out = subprocess.run([sys.executable, __file__, str(n), "--compile-worker"], env=env,
                                 capture_output=True, text=True, check=True)
            print(out.stdout.strip().splitlines()[-1])
    else:
        applications(n)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
