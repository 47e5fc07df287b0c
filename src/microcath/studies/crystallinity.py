"""Single-crystal vs polycrystalline active material: one study, with statistics.

The comparison runs a shipped recipe pair (:data:`RECIPE_PAIR`: the same
composition, electrolyte and carbon; single crystals of their own size vs
polycrystalline secondaries tessellated into primary grains) over seeds and
stack pressures through the sweep machinery (:func:`microcath.studies.sweep`,
one sweep per kind, resumable), and reports per kind and pressure the mean,
the standard deviation and the number of seeds of every quantity, and for each
quantity and pressure whether the two kinds differ significantly (Welch's
two-sample t-test, p < 0.05, said plainly with the p value; with few seeds the
test has little power, and "not significant" then means "not shown", not
"equal").

Quantities (:data:`QUANTITIES`): active/electrolyte contact and triphase
fractions, sigma_ion_eff and sigma_e_eff (x), utilisable fraction; at the
charged state the opened active/electrolyte and grain-boundary area fractions,
the grain-boundary face count, the interface traction percentiles, and the
conductivities and utilisable fraction after contact loss.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["RECIPE_PAIR", "QUANTITIES", "CrystallinityComparison", "compare_crystallinity"]

#: (single-crystal, polycrystalline) recipes shipped for the comparison
RECIPE_PAIR = ("nmc811_sc_lpscl", "nmc811_pc_lpscl")
KINDS = ("single_crystal", "polycrystalline")
PERCENTILES = ("5", "25", "50", "75", "95")
_AE = "mechanics.interfaces.active/electrolyte.traction_percentiles_MPa"
_GB = "mechanics.interfaces.grain_boundary.traction_percentiles_MPa"

#: the numbers compared (sweep quantity names), with a label for tables and figures
QUANTITIES: dict[str, str] = {
    "contact_fraction": "active/electrolyte contact fraction",
    "triphase_fraction": "triphase fraction",
    "sigma_ion_eff.x": "σ_ion,eff before [mS/cm]",
    "sigma_e_eff.x": "σ_e,eff before [mS/cm]",
    "utilisable_fraction_before": "utilisable fraction before",
    "opened_fraction.active/electrolyte": "opened active/electrolyte area fraction",
    "opened_fraction.grain_boundary": "opened grain-boundary area fraction",
    "mechanics.interfaces.grain_boundary.n_faces": "grain-boundary faces",
    "sigma_ion_eff_after": "σ_ion,eff after opening [mS/cm]",
    "sigma_e_eff_after": "σ_e,eff after opening [mS/cm]",
    "utilisable_fraction_after": "utilisable fraction after opening",
}
AE_TRACTION = [f"{_AE}.{p}" for p in PERCENTILES]
GB_TRACTION = [f"{_GB}.{p}" for p in PERCENTILES]


@dataclass
class CrystallinityComparison:
    """What :func:`compare_crystallinity` returns.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per case of both sweeps, with a ``kind`` column.
    summary : pandas.DataFrame
        Per kind, stack pressure and quantity: ``mean``, ``std``, ``n``.
    tests : pandas.DataFrame
        Per stack pressure and quantity: both means, Welch's ``t`` and ``p``, and
        ``significant`` (p < 0.05).
    out_dir : Path
        The comparison folder (``single_crystal/`` and ``polycrystalline/`` sweeps,
        ``comparison.csv``, ``report/``).
    """

    table: Any
    summary: Any
    tests: Any
    out_dir: Path

    def statement(self, quantity: str, pressure: float) -> str:
        """One plain sentence on whether the kinds differ in ``quantity`` at ``pressure``."""
        t = self.tests
        row = t[(t["quantity"] == quantity) & (t["stack_pressure_MPa"] == pressure)]
        if row.empty:
            return f"{quantity} at {pressure:g} MPa: not compared"
        r = row.iloc[0]
        label = QUANTITIES.get(quantity, quantity)
        if r["p"] != r["p"]:
            return (f"{label} at {pressure:g} MPa: no test (single crystal {_fmt(r['mean_sc'])}, "
                    f"polycrystalline {_fmt(r['mean_pc'])}; {r['note']})")
        verdict = "differ significantly" if r["significant"] else "do not differ significantly"
        return (f"{label} at {pressure:g} MPa: single crystal {_fmt(r['mean_sc'])} ± {_fmt(r['std_sc'])}, "
                f"polycrystalline {_fmt(r['mean_pc'])} ± {_fmt(r['std_pc'])} (n = {int(r['n_sc'])}, "
                f"{int(r['n_pc'])}); they {verdict} (Welch t-test p = {r['p']:.2g})")


def _fmt(x: float) -> str:
    if x != x:
        return "n/a"
    return f"{x:.3g}"


def _study(kind: str, recipe: str, *, seeds: Sequence[int], shape, voxel_size_um, soc: float,
           pressures: Sequence[float], overrides: Mapping[str, Any], figures: bool,
           anisotropic_stiffness: bool = False) -> dict:
    q = list(QUANTITIES) + AE_TRACTION + (GB_TRACTION if kind == "polycrystalline" else [])
    st: dict[str, Any] = {"name": f"crystallinity-{kind}", "recipe": recipe, "seeds": list(seeds),
                          "quantities": q, "set": {"soc": soc, **dict(overrides)},
                          "grid": {"stack_pressure_MPa": [float(p) for p in pressures]},
                          "keep": ["figures"] if figures else []}
    if shape is not None:
        st["shape"] = list(shape) if not isinstance(shape, int) else shape
    if voxel_size_um is not None:
        st["set"]["voxel_size_um"] = float(voxel_size_um)
    if anisotropic_stiffness:
        st["set"]["anisotropic_stiffness"] = True
    return st


def compare_crystallinity(recipes: Sequence[str] = RECIPE_PAIR, *, seeds: int | Sequence[int] = 5,
                          shape: int | Sequence[int] | None = None, voxel_size_um: float | None = None,
                          soc: float = 0.2, stack_pressures_MPa: Sequence[float] = (0.0, 50.0),
                          out_dir: str | os.PathLike = "crystallinity", overrides: Mapping | None = None,
                          client: Any = None, workers: int | None = None, scheduler: str | None = None,
                          figures: bool = True, report: bool = True, progress: bool = True,
                          anisotropic_stiffness: bool = False) -> CrystallinityComparison:
    """Compare a single-crystal and a polycrystalline recipe over seeds and stack pressures.

    Parameters
    ----------
    recipes : (str, str)
        Single-crystal and polycrystalline recipe (default :data:`RECIPE_PAIR`).
    seeds : int or list of int
        Number of seeds (0, 1, ...) or the seeds.
    shape, voxel_size_um : optional
        Box and voxel size (default: the recipes').
    soc : float
        Charged state (``x_Li``) of the stress stage.
    stack_pressures_MPa : list of float
        Stack pressures to compare at.
    out_dir : path
        The comparison folder; an existing one is resumed (finished cases are not rerun).
    overrides : mapping, optional
        Recipe changes for both kinds (``{"key": value}``), or per kind
        (``{"single_crystal": {...}, "polycrystalline": {...}}``).
    client, workers, scheduler :
        As for :func:`microcath.studies.sweep`.
    figures : bool
        Keep each case's figures (the 3-D render of the opened interfaces among them).
    report : bool
        Write the figures and ``report/report.html`` of the comparison.
    anisotropic_stiffness : bool
        Rotated single-crystal stiffness per grain in the stress stage (see
        :func:`microcath.mechanics.stress`); both kinds then need grains with orientations.
    """
    import pandas as pd

    from .execute import sweep

    if len(recipes) != 2:
        raise InputError(f"recipes: expected a single-crystal and a polycrystalline recipe, got {recipes!r}")
    seed_list = list(range(int(seeds))) if isinstance(seeds, (int, float)) else [int(s) for s in seeds]
    if len(seed_list) < 2:
        raise InputError("seeds: a comparison with statistics needs at least 2 seeds")
    pressures = [float(p) for p in stack_pressures_MPa]
    if not pressures or any(not math.isfinite(p) or p < 0 for p in pressures):
        raise InputError("stack_pressures_MPa: expected non-negative pressures in MPa, "
                         f"got {stack_pressures_MPa!r}")
    ov = dict(overrides or {})
    per_kind = {k: dict(ov.get(k, {})) for k in KINDS}
    common = {k: v for k, v in ov.items() if k not in KINDS}
    root = Path(out_dir)
    tables = []
    for kind, recipe in zip(KINDS, recipes, strict=True):
        st = _study(kind, recipe, seeds=seed_list, shape=shape, voxel_size_um=voxel_size_um, soc=soc,
                    pressures=pressures, overrides={**common, **per_kind[kind]}, figures=figures,
                    anisotropic_stiffness=anisotropic_stiffness)
        df = sweep(st, client, out_dir=root / kind, workers=workers, scheduler=scheduler, progress=progress)
        df = df.copy()
        df.insert(0, "kind", kind)
        df.insert(1, "recipe", recipe)
        tables.append(df)
    table = pd.concat(tables, ignore_index=True)
    summary, tests = _statistics(table, pressures)
    comp = CrystallinityComparison(table=table, summary=summary, tests=tests, out_dir=root)
    _write_tables(comp)
    if report:
        from .crystallinity_page import write_comparison_report

        write_comparison_report(comp)
    return comp


def _statistics(table, pressures):
    import numpy as np
    import pandas as pd
    from scipy import stats

    done = table[table["status"] == "done"]
    names = [q for q in list(QUANTITIES) + AE_TRACTION + GB_TRACTION if q in table.columns]
    rows, tests = [], []
    for p in pressures:
        at = done[np.isclose(done["stack_pressure_MPa"].astype(float), p)]
        for q in names:
            vals = {}
            for kind in KINDS:
                v = at.loc[at["kind"] == kind, q].astype(float).to_numpy() if q in at else np.array([])
                v = v[np.isfinite(v)]
                vals[kind] = v
                rows.append({"kind": kind, "stack_pressure_MPa": p, "quantity": q,
                             "mean": float(v.mean()) if v.size else float("nan"),
                             "std": float(v.std(ddof=1)) if v.size > 1 else float("nan"), "n": int(v.size)})
            a, b = vals["single_crystal"], vals["polycrystalline"]
            t = pv = float("nan")
            note = ""
            if a.size >= 2 and b.size >= 2:
                if np.ptp(a) == 0 and np.ptp(b) == 0:
                    note = "no spread in either kind"
                    pv = 0.0 if a[0] != b[0] else 1.0
                else:
                    t, pv = (float(x) for x in stats.ttest_ind(a, b, equal_var=False))
            else:
                note = "fewer than 2 finite values in a kind"
            tests.append({"stack_pressure_MPa": p, "quantity": q,
                          "mean_sc": float(a.mean()) if a.size else float("nan"),
                          "std_sc": float(a.std(ddof=1)) if a.size > 1 else float("nan"), "n_sc": int(a.size),
                          "mean_pc": float(b.mean()) if b.size else float("nan"),
                          "std_pc": float(b.std(ddof=1)) if b.size > 1 else float("nan"), "n_pc": int(b.size),
                          "t": t, "p": pv, "significant": bool(pv == pv and pv < 0.05), "note": note})
    return pd.DataFrame(rows), pd.DataFrame(tests)


def _write_tables(comp: CrystallinityComparison) -> None:
    from ..io.atomic import atomic_path

    comp.out_dir.mkdir(parents=True, exist_ok=True)
    for name, df in (("comparison_cases.csv", comp.table), ("comparison_summary.csv", comp.summary),
                     ("comparison_tests.csv", comp.tests)):
        with atomic_path(comp.out_dir / name) as tmp:
            df.to_csv(tmp, index=False)
