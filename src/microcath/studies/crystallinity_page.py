"""Figures and the report page of the single-crystal vs polycrystalline comparison."""

from __future__ import annotations

import shutil

import numpy as np

from ..report import STATUS_FAILED, STATUS_RUN, ReportBuilder, StageRecord
from .crystallinity import AE_TRACTION, GB_TRACTION, KINDS, QUANTITIES, CrystallinityComparison

__all__ = ["write_comparison_report"]

COLOURS = {"single_crystal": "tab:blue", "polycrystalline": "tab:red"}
LABELS = {"single_crystal": "single crystal", "polycrystalline": "polycrystalline"}
BARS = [
    ("opened", ["opened_fraction.active/electrolyte", "opened_fraction.grain_boundary"]),
    ("utilisable", ["utilisable_fraction_before", "utilisable_fraction_after"]),
    ("contact", ["contact_fraction", "triphase_fraction"]),
    ("sigma_ion", ["sigma_ion_eff.x", "sigma_ion_eff_after"]),
    ("sigma_e", ["sigma_e_eff.x", "sigma_e_eff_after"]),
]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _bars(comp: CrystallinityComparison, quantities: list[str], path) -> None:
    plt = _plt()
    s = comp.summary
    pressures = sorted(s["stack_pressure_MPa"].unique())
    fig, axes = plt.subplots(1, len(quantities), figsize=(4.2 * len(quantities), 3.6), squeeze=False)
    for ax, q in zip(axes[0], quantities, strict=True):
        width = 0.38
        for i, kind in enumerate(KINDS):
            sub = s[(s["kind"] == kind) & (s["quantity"] == q)].set_index("stack_pressure_MPa")
            m = [sub["mean"].get(p, np.nan) for p in pressures]
            e = [sub["std"].get(p, np.nan) for p in pressures]
            x = np.arange(len(pressures)) + (i - 0.5) * width
            ax.bar(x, m, width, yerr=np.nan_to_num(e), capsize=3, color=COLOURS[kind], label=LABELS[kind])
        ax.set_xticks(np.arange(len(pressures)), [f"{p:g} MPa" for p in pressures])
        ax.set_title(QUANTITIES.get(q, q), fontsize=9)
        if q.startswith("sigma_e"):
            ax.set_yscale("log")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _tractions(comp: CrystallinityComparison, path) -> None:
    """Interface traction distributions: the 5/25/50/75/95th percentiles, mean over seeds."""
    plt = _plt()
    s = comp.summary
    pressures = sorted(s["stack_pressure_MPa"].unique())
    fig, axes = plt.subplots(1, len(pressures), figsize=(5 * len(pressures), 3.8), squeeze=False, sharey=True)
    series = [("single_crystal", AE_TRACTION, "SC active/electrolyte"),
              ("polycrystalline", AE_TRACTION, "PC active/electrolyte"),
              ("polycrystalline", GB_TRACTION, "PC grain boundaries")]
    for ax, p in zip(axes[0], pressures, strict=True):
        for j, (kind, names, _label) in enumerate(series):
            sub = s[(s["kind"] == kind) & (s["stack_pressure_MPa"] == p)].set_index("quantity")
            v = [sub["mean"].get(n, np.nan) for n in names]
            if not np.isfinite(v).any():
                continue
            col = COLOURS[kind] if names is AE_TRACTION else "tab:purple"
            ax.plot([j, j], [v[0], v[4]], color=col, lw=1)
            ax.add_patch(plt.Rectangle((j - 0.25, v[1]), 0.5, v[3] - v[1], color=col, alpha=0.5))
            ax.plot([j - 0.25, j + 0.25], [v[2], v[2]], color="k", lw=1.5)
        ax.axhline(0.0, color="k", ls=":", lw=0.8)
        ax.set_xticks(range(len(series)), [x[2] for x in series], fontsize=8, rotation=15)
        ax.set_title(f"stack pressure {p:g} MPa", fontsize=9)
    axes[0][0].set_ylabel("normal traction [MPa] (tension > 0 opens)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_comparison_report(comp: CrystallinityComparison) -> None:
    """``report/``: the statements, bar charts with error bars, traction distributions, 3-D renders."""
    t = comp.table
    pressures = sorted(comp.summary["stack_pressure_MPa"].unique())
    with ReportBuilder(comp.out_dir / "report", title="microcath: single crystal vs polycrystalline",
                       force=True, steps="case") as rb:
        n = {k: sorted(set(t.loc[(t["kind"] == k) & (t["status"] == "done"), "seed"])) for k in KINDS}
        rb.add_headline("recipes", ", ".join(f"{LABELS[k]}: {r}" for k, r in
                                             t.groupby("kind")["recipe"].first().items()))
        rb.add_headline("seeds", "; ".join(f"{LABELS[k]} {len(v)}" for k, v in n.items()))
        rb.add_headline("test", "Welch's two-sample t-test per quantity and pressure; significant means "
                                "p < 0.05. With few seeds 'not significant' means not shown, not equal.")
        for p in pressures:
            for q in QUANTITIES:
                rb.add_headline(f"{q} @ {p:g} MPa", comp.statement(q, p))
        for _, row in t.iterrows():
            name = f"{LABELS[row['kind']]}, {row['stack_pressure_MPa']:g} MPa, seed {row['seed']}"
            rb.add_stage(StageRecord(name,
                                     STATUS_RUN if row["status"] == "done" else STATUS_FAILED,
                                     reason=str(row.get("error") or "")))
        for name, qs in BARS:
            f = f"figures/bars_{name}.png"
            _bars(comp, qs, rb.path(f))
            rb.add_figure(f, "Mean over seeds with error bars of one standard deviation, per kind and "
                             "stack pressure: " + "; ".join(QUANTITIES[q] for q in qs) + ".")
        _tractions(comp, rb.path("figures/tractions.png"))
        rb.add_figure("figures/tractions.png",
                      "Normal traction on the active/electrolyte faces and on the grain boundaries at the "
                      "charged state: 5th-95th percentile (line), 25th-75th (box), median (bar), mean of "
                      "the seeds' percentiles. Faces in tension (> 0) open.")
        for kind in KINDS:
            done = t[(t["kind"] == kind) & (t["status"] == "done")]
            done = done.sort_values(["seed", "stack_pressure_MPa"])
            # per pressure the first seed whose case kept its render (a resumed study may have
            # finished its first cases without figures)
            kept = done["case"].map(lambda c, k=kind: (comp.out_dir / k / "cases" / str(c) / "figures"
                                                      / "opened_interfaces.png").is_file())
            done = done[kept.astype(bool)]
            for _, row in done.drop_duplicates("stack_pressure_MPa").iterrows():
                src = comp.out_dir / kind / "cases" / str(row["case"]) / "figures" / "opened_interfaces.png"
                f = f"figures/opened_{kind}_{row['stack_pressure_MPa']:g}MPa.png"
                shutil.copyfile(src, rb.path(f))
                rb.add_figure(f, f"{LABELS[kind]}, seed {row['seed']}, {row['stack_pressure_MPa']:g} MPa: "
                                 "active material at the charged state with the opened interfaces marked.")
        for name in ("comparison_cases.csv", "comparison_summary.csv", "comparison_tests.csv"):
            shutil.copyfile(comp.out_dir / name, rb.path(name))
            rb.add_file(name, "comparison table")
        rb.results["tests"] = comp.tests.to_dict(orient="records")
        rb.results["summary"] = comp.summary.to_dict(orient="records")
