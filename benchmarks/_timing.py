"""Wall-time wrappers for the profile scripts: each wrapped call syncs the device and adds its
time to a table keyed by what the caller chooses (a kernel and its array length, a level method
and the level's size)."""

from __future__ import annotations

import collections
import time


def timer() -> tuple[dict, dict]:
    """Empty tables ``(T, N)``: seconds and calls per key."""
    return collections.defaultdict(float), collections.Counter()


def wrap(obj, name: str, key_of, T: dict, N: dict) -> None:
    """Replace ``obj.name`` by a wrapper that syncs after the call and adds its wall time to
    ``T[key_of(args)]`` (and one call to ``N``)."""
    import taichi as ti

    f = getattr(obj, name)

    def w(*a, **k):
        key = key_of(a)
        t0 = time.perf_counter()
        r = f(*a, **k)
        ti.sync()
        T[key] += time.perf_counter() - t0
        N[key] += 1
        return r
    setattr(obj, name, w)


def time_kernels(modules, T: dict | None = None, N: dict | None = None) -> tuple[dict, dict]:
    """Wrap every module-level Taichi kernel of ``modules``; the key is ``module.kernel n=<length of
    the first array>``. Callers look kernels up as module globals at call time, so the wrappers see
    every call."""
    if T is None or N is None:
        T, N = timer()
    for mod in modules:
        short = mod.__name__.rsplit(".", 1)[-1]
        for name in [n for n, v in vars(mod).items() if hasattr(v, "_primal")]:  # the @ti.kernel functions
            label = f"{short}.{name}"
            wrap(mod, name, lambda a, _l=label: f"{_l} n={getattr(a[0], 'shape', ('-',))[0] if a else '-'}",
                 T, N)
    return T, N
