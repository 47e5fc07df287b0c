"""Is the box big enough? The quantities against box size, over seeds, and the smallest adequate size.

A representative volume element (RVE) check is a sweep over cubic box sizes with several seeds
each. For every quantity and size it gives the mean and the relative spread over the seeds
(sample standard deviation / |mean|) and the relative change of the mean to the next larger
size. A size is *adequate* for a quantity when, at that size and every larger one tested, the
spread is below the tolerance and the mean changes less than the tolerance to the next size
(the largest size has no next one: it can end a run of adequate sizes but not start one, so
at least two sizes must agree). The statement names the smallest adequate size of each
quantity and of all together.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..results import ResultMixin

__all__ = ["rve", "RVEResult", "adequate_size", "DEFAULT_SIZES", "DEFAULT_TOLERANCE"]

DEFAULT_SIZES = (48, 64, 96, 128)
DEFAULT_TOLERANCE = 0.05


@dataclass(frozen=True)
class RVEResult(ResultMixin):
    """What :func:`rve` found.

    Attributes
    ----------
    table : pandas.DataFrame
        The sweep's table (one row per size and seed).
    summary : pandas.DataFrame
        One row per quantity and size: ``quantity``, ``size``, ``n``, ``mean``, ``spread``
        (relative), ``change`` (relative, to the next size), ``ok``.
    adequate : dict
        ``{quantity: smallest adequate size or None}``; ``"all"``: for every quantity.
    tolerance : float
    statement : str
    """

    table: Any
    summary: Any
    adequate: dict
    tolerance: float
    statement: str

    def to_dict(self) -> dict[str, Any]:
        return {"adequate": self.adequate, "tolerance": self.tolerance, "statement": self.statement,
                "summary": self.summary.to_dict(orient="records")}


def adequate_size(sizes: Sequence[int], means: Sequence[float], spreads: Sequence[float], tol: float
                  ) -> tuple[int | None, list[float], list[bool]]:
    """The smallest adequate size (module docstring), the relative changes and the per-size verdicts."""
    n = len(sizes)
    change = []
    for i in range(n):
        if i + 1 < n and math.isfinite(means[i]) and math.isfinite(means[i + 1]) and means[i + 1] != 0:
            change.append(abs(means[i + 1] - means[i]) / abs(means[i + 1]))
        else:
            change.append(math.nan if i + 1 < n else 0.0)
    ok = [bool(spreads[i] < tol and change[i] < tol) for i in range(n)]
    best = None
    for i in range(n - 2, -1, -1):  # the run of ok sizes that ends at the largest
        if all(ok[i:]):
            best = int(sizes[i])
        else:
            break
    return best, change, ok


def rve(recipe: str = "default", *, sizes: Sequence[int] = DEFAULT_SIZES, seeds: int = 4,
        quantities: Sequence[str] | None = None,
        tolerance: float = DEFAULT_TOLERANCE, overrides: Mapping[str, Any] | None = None, client: Any = None,
        out_dir: str | os.PathLike | None = None, workers: int | None = None, scheduler: str | None = None,
        overwrite: bool = False, progress: bool = True) -> RVEResult:
    """Run the RVE check of a recipe (a sweep over cubic box sizes, see the module docstring).

    Parameters
    ----------
    recipe : str
        Recipe name or TOML path.
    sizes : sequence of int
        Box sides [voxels], at least two.
    seeds : int
        Structures per size (at least 2: the spread needs them).
    quantities : sequence of str, optional
        What to check (names as in a study); default the active material's volume fraction,
        ``utilisable_fraction`` and ``sigma_ion_eff.x``.
    tolerance : float
        Relative tolerance of the mean's change and of the spread, in (0, 1).
    overrides : mapping, optional
        Recipe values for every case (``--set``).
    client, out_dir, workers, scheduler, overwrite, progress
        As for :func:`microcath.studies.sweep`.
    """
    from .execute import sweep

    if quantities is None:
        quantities = default_quantities(recipe)
    sizes = sorted({int(s) for s in sizes})
    if len(sizes) < 2:
        raise InputError(f"sizes: give at least two box sizes, got {list(sizes)}")
    if isinstance(seeds, bool) or int(seeds) != seeds or seeds < 2:
        raise InputError(f"seeds: the spread over seeds needs at least 2, got {seeds!r}")
    if not 0 < tolerance < 1:
        raise InputError(f"tolerance: expected a relative tolerance in (0, 1), e.g. 0.05, got {tolerance}")
    study = {"name": f"rve-{os.path.splitext(os.path.basename(str(recipe)))[0]}", "recipe": str(recipe),
             "seeds": int(seeds), "quantities": list(quantities), "grid": {"shape": sizes}}
    if overrides:
        study["set"] = dict(overrides)
    df = sweep(study, client, out_dir=out_dir, workers=workers, scheduler=scheduler, overwrite=overwrite,
               progress=progress)
    return summarise(df, list(quantities), tolerance)


def default_quantities(recipe: str) -> list[str]:
    """The active material's volume fraction, the utilisable fraction and sigma_ion_eff.x."""
    from ..geometries import load_recipe
    from ..materials import default_library

    active = default_library().get(load_recipe(recipe).params["active"]["material"]).name
    return [f"volume_fraction.{active}", "utilisable_fraction", "sigma_ion_eff.x"]


def summarise(df, quantities: Sequence[str], tolerance: float) -> RVEResult:
    """The RVE verdicts of a sweep's table over ``shape`` (cubic sizes)."""
    import pandas as pd

    ok_rows = df[df["status"] == "done"]
    rows, adequate, lines = [], {}, []
    for q in quantities:
        g = ok_rows.groupby("shape", sort=True)[q]
        sizes = [int(s) for s in g.mean().index]
        means = g.mean().to_list()
        spreads = [abs(s / m) if m else math.inf for s, m in zip(g.std(ddof=1).fillna(math.inf), means,
                                                                  strict=True)]
        best, change, ok = adequate_size(sizes, means, spreads, tolerance)
        adequate[q] = best
        for i, s in enumerate(sizes):
            rows.append({"quantity": q, "size": s, "n": int(g.count().iloc[i]), "mean": means[i],
                         "spread": spreads[i], "change": change[i], "ok": ok[i]})
        if best is None:
            lines.append(f"{q}: no tested size is adequate (largest {sizes[-1] if sizes else '-'}^3: spread "
                         f"{_pct(spreads[-1] if spreads else math.nan)}); try larger boxes or more seeds")
        else:
            i = sizes.index(best)
            lines.append(f"{q}: smallest adequate box {best}^3 voxels (mean changes {_pct(change[i])} to "
                         f"{sizes[i + 1]}^3, spread over seeds {_pct(spreads[i])})")
    sizes_all = [adequate[q] for q in quantities]
    adequate["all"] = None if any(s is None for s in sizes_all) else max(sizes_all)
    head = (f"smallest adequate box for all quantities: {adequate['all']}^3 voxels"
            if adequate["all"] else "no tested size is adequate for every quantity")
    statement = f"{head} (tolerance {tolerance:.0%} on the mean's change and the spread)\n" + "\n".join(lines)
    cols = ["quantity", "size", "n", "mean", "spread", "change", "ok"]
    return RVEResult(table=df, summary=pd.DataFrame(rows, columns=cols), adequate=adequate,
                     tolerance=tolerance, statement=statement)


def _pct(v: float) -> str:
    return f"{100 * v:.1f} %" if math.isfinite(v) else "n/a"
