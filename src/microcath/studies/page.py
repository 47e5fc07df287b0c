"""The sweep's report: each quantity against each varied parameter, and an HTML page.

Written with :class:`microcath.report.ReportBuilder` into ``DIR/report/`` (atomic: the old
report is replaced only when the new one is complete), like ``microcath run``'s report.
"""

from __future__ import annotations

import re
import shutil

from .. import viz
from ..report import STATUS_FAILED, STATUS_RUN, ReportBuilder, StageRecord
from .spec import Study
from .store import REPORT_DIR, TABLE_CSV, TABLE_PARQUET, SweepFolder
from .summary import trend

__all__ = ["write_report", "CAPTIONS"]

CAPTIONS = {
    "trend": ("{quantity} against {param}: mean over the seeds with error bars of one standard deviation "
              "(n = number of seeds that finished){band}."),
    "band": "; shaded: the Hashin–Shtrikman range of each case's phase fractions and conductivities",
}


def _label(name: str, unit: str) -> str:
    return f"{name} [{unit}]" if unit and unit != "-" else name


def _file(quantity: str, param: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{quantity}__vs__{param}")
    return f"figures/{slug}.png"


def write_report(study: Study, df, folder: SweepFolder) -> None:
    """Plots and ``report.html`` of a sweep's table."""
    units = df.attrs.get("units", {})
    axes = study.plot_axes or [("seed", [])]
    done = int((df["status"] == "done").sum())
    with ReportBuilder(folder.root / REPORT_DIR, title=f"microcath sweep: {study.name}", force=True,
                       steps="case") as rb:
        rb.add_headline("cases", f"{len(df)} ({done} finished, {len(df) - done} failed)")
        rb.add_headline("varied", ", ".join(study.varied) or "nothing (repetitions over seeds)")
        rb.add_headline("seeds", ", ".join(map(str, study.seeds)))
        rb.add_headline("quantities", ", ".join(_label(q.name, q.unit) for q in study.quantities))
        rb.add_headline("table", f"{TABLE_PARQUET} and {TABLE_CSV} in {folder.root}")
        for _, row in df.iterrows():
            desc = ", ".join(f"{p} = {row[p]}" for p in study.varied)
            rb.add_stage(StageRecord(f"{row['case']} ({desc + ', ' if desc else ''}seed {row['seed']})",
                                     STATUS_RUN if row["status"] == "done" else STATUS_FAILED,
                                     reason=str(row["error"] or ""),
                                     wall_time=None if row["wall_time_s"] != row["wall_time_s"]
                                     else float(row["wall_time_s"])))
        if done:
            for q in study.quantities:
                for p, companions in axes:
                    others = [v for v, _ in study.plot_axes if v != p]
                    series = trend(df, q.name, p, others)
                    if not any(len(s["x"]) for s in series.values()):
                        continue
                    f = _file(q.name, p)
                    viz.plot_trend(series, xlabel=p, ylabel=_label(q.name, units.get(q.name, q.unit)),
                                   filename=rb.path(f))
                    band = CAPTIONS["band"] if q.bounds is not None else ""
                    with_ = f" (with {', '.join(companions)})" if companions else ""
                    rb.add_figure(f, CAPTIONS["trend"].format(quantity=q.name, param=p + with_, band=band))
        for name in (TABLE_CSV, TABLE_PARQUET):
            if (folder.root / name).is_file():
                shutil.copyfile(folder.root / name, rb.path(name))
                rb.add_file(name, "the sweep's table, one row per case")
        rb.results["study"] = study.to_dict()
        rb.results["table"] = df.to_dict(orient="records")
