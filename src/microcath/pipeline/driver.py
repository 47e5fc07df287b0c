"""The driver of ``microcath run``: the stage list, the loop, the results folder.

:data:`STAGES` is the run. :func:`run_main_job` hands a :class:`~.context.RunContext`
to each stage in turn, records its status (run / not run / failed, with the
reason and the warnings it raised), writes what it returned into the results
folder (atomically, see :mod:`microcath.report`) and goes on. A failing stage
is recorded and the run continues (the user still gets the rest); with
``strict=True`` the error is raised instead, which is what the tests use.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..microstructure import Microstructure
from ..progress import progress as _progress
from ..progress import stage as _stage
from ..report import STATUS_FAILED, STATUS_NOT_RUN, STATUS_RUN, ReportBuilder, StageRecord, check_target
from ..results import ResultMixin, jsonable
from . import analyse, conductivity, export, generate, mechanics
from .context import Line, RunConfig, RunContext, Stage, StageOutput

__all__ = ["run_main_job", "run_stages", "RunResult", "headline_text", "STAGES", "DEFAULT_SHAPE",
           "DEFAULT_RECIPE"]

log = logging.getLogger(__name__)

DEFAULT_RECIPE = "default"
#: A run with a failed stage over earlier results writes its folder under ``out_dir`` + this
#: suffix and keeps the earlier results (``--force`` never trades good results for a failure).
FAILED_SUFFIX = ".failed"
#: Size of ``microcath run`` with the default recipe: measured 49 s for the whole run
#: (generate 17 s, analyse 4 s, ionic 8 s, electronic 16 s, report 3 s) on a shared
#: 2-core machine, CPU backend. Other recipes use their own shape.
DEFAULT_SHAPE = (128, 128, 128)

#: The run, in order. A new stage is one module in this package and one line here.
STAGES: tuple[Stage, ...] = (
    generate.STAGE,
    analyse.STAGE,
    conductivity.IONIC,
    conductivity.ELECTRONIC,
    mechanics.STAGE,
    export.STAGE,
)


@dataclass(frozen=True)
class RunResult(ResultMixin):
    """What a run produced.

    Attributes
    ----------
    out_dir : Path
        The results folder.
    report_html : Path
        ``out_dir / "report.html"``.
    stages : tuple of StageRecord
        Every stage with status run / not run / failed and why.
    headline : dict
        Headline numbers with units (volume fractions, utilisable fraction,
        effective conductivities [mS/cm] and tortuosity factors).
    wall_time : float
        Seconds for the whole run [s].
    lines : tuple of Line
        The headline lines, in stage order.
    """

    out_dir: Path
    report_html: Path
    stages: tuple[StageRecord, ...]
    headline: dict = field(default_factory=dict)
    wall_time: float = 0.0
    lines: tuple[Line, ...] = ()

    @property
    def ok(self) -> bool:
        """No stage failed (stages not built yet do not count as failures)."""
        return all(s.status != STATUS_FAILED for s in self.stages)

    @property
    def status(self) -> dict[str, str]:
        """``{stage name: status}``."""
        return {s.name: s.status for s in self.stages}

    def to_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "report_html": str(self.report_html),
                "stages": [s.to_dict() for s in self.stages], "headline": jsonable(self.headline),
                "wall_time": self.wall_time, "lines": [[ln.label, ln.text] for ln in self.lines]}


def _warning_notes(caught: list) -> list[str]:
    """Messages of the warnings a stage raised (solver non-convergence and the like), de-duplicated.

    Library deprecation chatter from third-party modules is left out.
    """
    out: list[str] = []
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
            continue
        msg = f"{w.category.__name__}: {w.message}"
        if msg not in out:
            out.append(msg)
    return out


def _merge_results(results: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, Mapping) and isinstance(results.get(key), dict):
            results[key].update(value)
        else:
            results[key] = dict(value) if isinstance(value, Mapping) else value


def _run_one(st: Stage, ctx: RunContext, *, strict: bool) -> tuple[StageRecord, StageOutput | None]:
    missing = [n for n in st.needs if not ctx.has(n)]
    if missing:
        why = f"not run: needs {' and '.join(missing)}, which no earlier stage produced"
        if strict:
            raise RuntimeError(f"stage {st.name}: {why}")
        return StageRecord(st.name, STATUS_NOT_RUN, reason=why), None
    t0 = time.perf_counter()
    try:
        with _stage(st.name), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = st.run(ctx)
    except Exception as exc:  # noqa: BLE001 - recorded in the report, the run goes on (strict: raised)
        if strict:
            raise
        log.error("stage %s failed: %s: %s", st.name, type(exc).__name__, exc,
                  exc_info=log.isEnabledFor(logging.DEBUG))
        return StageRecord(st.name, STATUS_FAILED, reason=f"{type(exc).__name__}: {exc}",
                           wall_time=time.perf_counter() - t0), None
    if out.not_run:
        return StageRecord(st.name, STATUS_NOT_RUN, reason=out.not_run), out
    notes = _warning_notes(caught)
    for note in notes:
        log.warning("%s: %s", st.name, note)
    summary = dict(out.summary) | ({"warnings": notes} if notes else {})
    return StageRecord(st.name, STATUS_RUN, wall_time=time.perf_counter() - t0,
                       reason="; ".join(f"warning: {n}" for n in notes), summary=jsonable(summary)), out


def run_stages(stages: Sequence[Stage], ctx: RunContext, rb: ReportBuilder, *, strict: bool = False,
               progress: bool = True) -> tuple[RunContext, list[StageRecord], dict, list[Line]]:
    """Run ``stages`` on ``ctx``, writing into ``rb``; returns (context, records, headline, lines)."""
    records: list[StageRecord] = []
    headline: dict[str, Any] = {}
    lines: list[Line] = []
    for st in _progress(list(stages), total=len(stages), desc="microcath run", enabled=progress):
        rec, out = _run_one(st, ctx, strict=strict)
        if rec.status != STATUS_RUN:
            log.warning("%s: %s", st.name, rec.reason)
        records.append(rec)
        rb.add_stage(rec)
        if out is None:
            continue
        for f in out.figures:
            if not any(g.file == f.file for g in rb.figures):
                rb.add_figure(f.file, f.caption, stage=f.stage or st.name)
        for f in out.files:
            rb.add_file(f.file, f.caption, stage=f.stage or st.name)
        _merge_results(rb.results, out.results)
        headline.update(out.headline)
        lines.extend(out.lines)
        ctx = ctx.updated(out)
    return ctx, records, headline, lines


#: stages a run cannot leave out: every other stage needs the structure, and the report is the run's output
UNSKIPPABLE = ("generate", "report")


def stage_key(st: Stage) -> str:
    """Short name of a stage for ``--skip``: the first word of its name (``"stress"``)."""
    return st.name.split()[0]


def _skipped(st: Stage, flag: str) -> Stage:
    why = f"not run: skipped on request (--skip {flag})"
    return Stage(st.name, lambda ctx: StageOutput(not_run=why), needs=())


def _without(stages: Sequence[Stage], skip: Sequence[str]) -> tuple[Stage, ...]:
    """``stages`` with those named in ``skip`` (name or :func:`stage_key`) replaced by a stage that
    reports itself skipped; an unknown or unskippable name is an error that lists the choices."""
    keys = {stage_key(st): st for st in stages} | {st.name: st for st in stages}
    choices = ", ".join(stage_key(st) for st in stages if stage_key(st) not in UNSKIPPABLE)
    chosen = {}
    for name in skip:
        st = keys.get(str(name).strip())
        if st is None:
            raise InputError(f"--skip {name!r}: no such stage; choose from {choices}")
        if stage_key(st) in UNSKIPPABLE:
            raise InputError(f"--skip {name!r}: the {st.name} stage cannot be skipped; choose from {choices}")
        chosen[st.name] = str(name).strip()
    return tuple(_skipped(st, chosen[st.name]) if st.name in chosen else st for st in stages)


def run_main_job(recipe: str = DEFAULT_RECIPE, *, out_dir: str | os.PathLike = "microcath-run",
                 shape: tuple[int, int, int] | None = None, seed: int = 0,
                 overrides: Mapping[str, Any] | None = None, force: bool = False,
                 progress: bool = True, window_size: tuple[int, int] = (900, 720),
                 structure: Microstructure | None = None, strict: bool = False,
                 stages: Sequence[Stage] | None = None, skip: Sequence[str] = ()) -> RunResult:
    """Run the main job and write a results folder.

    Parameters
    ----------
    recipe : str
        Name (or TOML path) of a geometry recipe; ``"default"`` is the
        built-in NMC811 / Li6PS5Cl / carbon composite.
    out_dir : path
        Results folder to create (refused if it exists and is not empty,
        unless ``force``).
    shape : (int, int, int), optional
        Voxel count per axis; default ``DEFAULT_SHAPE`` (128^3) for the default recipe,
        else the recipe's.
    seed : int
        Random seed of the generator.
    overrides : mapping, optional
        Recipe parameters to change (``--set key=value`` on the command line).
    force : bool
        Replace an existing folder.
    progress : bool
        Progress bar / log lines per stage.
    window_size : (int, int)
        Size of the 3-D renders [px].
    structure : Microstructure, optional
        Use this structure instead of generating one.
    strict : bool
        Raise the first stage error instead of recording it and going on (no folder is
        written then).
    stages : sequence of Stage, optional
        The stages to run (default :data:`STAGES`).
    skip : sequence of str
        Stages to leave out, by name or by its first word (``"stress"``, ``"electronic"``,
        ...: :func:`stage_key`); they are reported as not run, skipped on request. The
        generate and report stages cannot be skipped.

    Returns
    -------
    RunResult
    """
    out = Path(out_dir)
    stages = _without(STAGES if stages is None else stages, skip)
    check_target(out, force=force)
    previous = out.is_dir() and any(out.iterdir())
    if structure is None:  # every input is checked before an existing folder is touched
        from ..geometries.recipes import load_recipe

        load_recipe(recipe).with_overrides(dict(overrides or {}))
    if shape is not None:
        shape = tuple(int(s) for s in shape)  # type: ignore[assignment]
        if len(shape) != 3 or min(shape) < 4:
            raise InputError(f"shape: expected three voxel counts >= 4, got {shape}")
    if shape is None and structure is None and recipe == DEFAULT_RECIPE:
        shape = DEFAULT_SHAPE
    t_run = time.perf_counter()
    title = f"microcath run: recipe {recipe!r}" if structure is None else "microcath run: given structure"
    config = RunConfig(recipe=recipe, shape=shape, seed=seed, overrides=dict(overrides or {}),
                       window_size=tuple(window_size), progress=progress)
    with ReportBuilder(out, title=title, force=force) as rb:
        rb.results["run"] = {"recipe": recipe, "seed": seed, "shape": list(shape) if shape else None,
                             "overrides": dict(overrides or {})}
        ctx = RunContext(config=config, folder=rb.tmp, structure=structure)
        _, records, headline, lines = run_stages(stages, ctx, rb, strict=strict, progress=progress)
        rb.results["headline"] = headline
        for ln in lines:
            rb.add_headline(ln.label, ln.text)
        if previous and any(r.status == STATUS_FAILED for r in records):
            kept = rb.target
            failed_dir = rb.retarget(out.absolute().with_name(out.name + FAILED_SUFFIX))
            log.warning("a stage failed: the previous results in %s are kept; this run's report is in %s",
                        kept, failed_dir)
    out = rb.target
    wall = time.perf_counter() - t_run
    return RunResult(out_dir=out.absolute(), report_html=out.absolute() / "report.html",
                     stages=tuple(records), headline=headline, wall_time=wall, lines=tuple(lines))


def headline_text(result: RunResult) -> str:
    """The lines ``microcath run`` prints at the end."""
    out = [f"{ln.label}: {ln.text}" for ln in result.lines]
    labelled = {ln.label for ln in result.lines}
    for s in result.stages:
        if s.status != STATUS_RUN and s.name not in labelled:
            out.append(f"stage {s.name}: {s.reason or s.status}")
    out.append(f"report: {result.report_html}")
    return "\n".join(out)
