"""Per-kernel wall times for the profile scripts: wrap every ``@ti.kernel`` function of a module."""

from __future__ import annotations

import collections
import time


def time_kernels(modules) -> tuple[dict, dict]:
    """Replace each module-level Taichi kernel of ``modules`` by a wrapper that syncs and adds its
    wall time to ``T["module.kernel n=<length of the first array>"]`` (calls in ``N``). Callers
    look kernels up as module globals at call time, so the wrappers see every call."""
    import taichi as ti

    T, N = collections.defaultdict(float), collections.Counter()
    for mod in modules:
        short = mod.__name__.rsplit(".", 1)[-1]
        for name in [n for n, v in vars(mod).items() if hasattr(v, "_primal")]:  # the @ti.kernel functions
            f = getattr(mod, name)

            def w(*a, _f=f, _name=f"{short}.{name}", **k):
                key = f"{_name} n={getattr(a[0], 'shape', ('-',))[0] if a else '-'}"
                t0 = time.perf_counter()
                r = _f(*a, **k)
                ti.sync()
                T[key] += time.perf_counter() - t0
                N[key] += 1
                return r
            setattr(mod, name, w)
    return T, N
