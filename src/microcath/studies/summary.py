"""Mean and spread over seeds of a sweep's table, per varied parameter."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["trend", "BOUND_SUFFIXES"]

BOUND_SUFFIXES = (".hs_lower", ".hs_upper")


def trend(df, quantity: str, param: str, others: list[str]) -> dict[str, dict[str, Any]]:
    """``{series label: {"x", "mean", "spread", "n", "lower", "upper"}}`` of ``quantity`` against ``param``.

    Rows that failed are left out. ``others`` (the other varied parameters) split the series
    (one line per combination); ``spread`` is the sample standard deviation over the seeds (0 for one seed),
    ``lower``/``upper`` the mean Hashin-Shtrikman bounds when the table has them.
    """
    ok = df[df["status"] == "done"]
    groups = ok.groupby(others, sort=False, dropna=False) if others else [((), ok)]
    has_b = quantity + BOUND_SUFFIXES[0] in df.columns
    out: dict[str, dict[str, Any]] = {}
    for key, sub in groups:
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{p} = {v}" for p, v in zip(others, key, strict=True))
        g = sub.groupby(param, sort=True, dropna=False)[quantity]
        s = {"x": np.asarray(list(g.groups)), "mean": g.mean().to_numpy(float),
             "spread": g.std(ddof=1).fillna(0.0).to_numpy(float), "n": g.count().to_numpy(int)}
        if has_b:
            b = sub.groupby(param, sort=True, dropna=False)
            s["lower"] = b[quantity + BOUND_SUFFIXES[0]].mean().to_numpy(float)
            s["upper"] = b[quantity + BOUND_SUFFIXES[1]].mean().to_numpy(float)
        s["x"] = np.asarray(g.mean().index)
        out[label] = s
    return out
