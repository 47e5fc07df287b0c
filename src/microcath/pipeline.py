"""The main job: generate -> analyse -> conductivities -> stress -> report.

:func:`run_main_job` is what ``microcath run`` does. Each stage uses the
capability behind it when that part of microcath is built; a stage whose
capability is missing is recorded as *not run* with the reason (never faked),
and the report says so. The results folder is written atomically (see
:mod:`microcath.report`).
"""

from __future__ import annotations

import importlib
import logging
import os
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .analysis.bounds import hashin_shtrikman_bounds
from .errors import InputError
from .microstructure import Microstructure
from .phases import PhaseKind
from .progress import progress as _progress
from .progress import stage as _stage
from .report import (
    STATUS_FAILED,
    STATUS_NOT_RUN,
    STATUS_RUN,
    ReportBuilder,
    StageRecord,
    quantity,
)
from .results import ResultMixin, jsonable

__all__ = ["run_main_job", "RunResult", "DEFAULT_SHAPE", "DEFAULT_RECIPE", "STAGES"]

log = logging.getLogger(__name__)

DEFAULT_RECIPE = "default"
#: Size of ``microcath run`` with the default recipe: measured 49 s for the whole run
#: (generate 17 s, analyse 4 s, ionic 8 s, electronic 16 s, report 3 s) on a shared
#: 2-core machine, CPU backend. Other recipes use their own shape.
DEFAULT_SHAPE = (128, 128, 128)
STAGES = ("generate", "analyse", "ionic conductivity", "electronic conductivity",
          "stress at a charged state", "report")
MECHANICS_NOT_BUILT = "not run (mechanics solver not built yet)"


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
    """

    out_dir: Path
    report_html: Path
    stages: tuple[StageRecord, ...]
    headline: dict = field(default_factory=dict)
    wall_time: float = 0.0

    @property
    def ok(self) -> bool:
        """No stage failed (stages not built yet do not count as failures)."""
        return all(s.status != STATUS_FAILED for s in self.stages)

    def to_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "report_html": str(self.report_html),
                "stages": [s.to_dict() for s in self.stages], "headline": jsonable(self.headline),
                "wall_time": self.wall_time}


class _NotBuilt(Exception):
    """A capability's module is not importable yet."""


def _capability(module: str, attr: str, what: str) -> Callable:
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        if exc.name and (exc.name == module or module.startswith(exc.name)):
            raise _NotBuilt(f"not run: {what} not built yet") from None
        raise
    fn = getattr(mod, attr, None)
    if fn is None:
        raise _NotBuilt(f"not run: {what} not built yet ({module}.{attr} missing)")
    return fn


# --------------------------------------------------------------------------- stages
def _generate(recipe: str, shape: tuple[int, int, int] | None, seed: int,
              overrides: Mapping[str, Any], *, progress: bool = True) -> Microstructure:
    """Build the structure with ``microcath.geometries.generate`` (passing what it accepts)."""
    import inspect

    gen = _capability("microcath.geometries", "generate", "structure generation (geometries)")
    if recipe == DEFAULT_RECIPE:
        try:
            from microcath.geometries import recipes as _recipes

            if DEFAULT_RECIPE not in _recipes.list_recipes():
                recipe = _recipes.DEFAULT_RECIPE
        except (ImportError, AttributeError):
            pass
    try:
        params = inspect.signature(gen).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        params = {}
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())

    def ok(name: str) -> bool:
        return accepts_any or name in params

    kwargs: dict[str, Any] = {}
    if ok("seed"):
        kwargs["seed"] = seed
    elif ok("rng"):
        kwargs["rng"] = seed
    if shape is not None:
        if not ok("shape"):
            raise InputError("shape: this version of the generator takes the shape from the recipe; "
                             "use --set shape=[nx,ny,nz]")
        kwargs["shape"] = tuple(shape)
    if overrides:
        if not ok("overrides"):
            raise InputError("--set: this version of the generator takes no overrides")
        kwargs["overrides"] = dict(overrides)
    if ok("progress"):
        kwargs["progress"] = progress
    return gen(recipe, **kwargs)


def _status_per_particle(res: Any) -> dict[int, str] | None:
    """``{particle id: status}`` from an AnalysisResult (ids of ``ms.particles`` only)."""
    table = getattr(res, "particles", None)
    if table is None or getattr(table, "source", "particles") != "particles":
        return None
    ids = np.asarray(table.particle_id)
    status = np.asarray(table.status)
    return {int(i): str(s) for i, s in zip(ids, status, strict=True)}


def _phase_sigmas(ms: Microstructure, carrier: str, sigma: Mapping[str, float] | None) -> dict[str, float]:
    """Conductivity [S/m] of every phase for the HS bounds (materials library + overrides)."""
    out: dict[str, float] = {}
    lib = None
    for _k, ph in ms.phases.items():
        if sigma and ph.name in sigma:
            out[ph.name] = float(sigma[ph.name])
            continue
        if ph.kind is PhaseKind.PORE or ph.material is None:
            out[ph.name] = 0.0
            continue
        if lib is None:
            from .materials import default_library

            lib = default_library()
        try:
            out[ph.name] = float(lib.get(ph.material).sigma(carrier) or 0.0)
        except (KeyError, ValueError):
            out[ph.name] = 0.0
    return out


# --------------------------------------------------------------------------- main
def run_main_job(recipe: str = DEFAULT_RECIPE, *, out_dir: str | os.PathLike = "microcath-run",
                 shape: tuple[int, int, int] | None = None, seed: int = 0,
                 overrides: Mapping[str, Any] | None = None, force: bool = False,
                 progress: bool = True, window_size: tuple[int, int] = (900, 720),
                 structure: Microstructure | None = None) -> RunResult:
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
        Use this structure instead of generating one (the generate stage then
        records "given").

    Returns
    -------
    RunResult
    """
    from .report import check_target

    out = Path(out_dir)
    check_target(out, force=force)
    if shape is not None:
        shape = tuple(int(s) for s in shape)  # type: ignore[assignment]
        if len(shape) != 3 or min(shape) < 4:
            raise InputError(f"shape: expected three voxel counts >= 4, got {shape}")
    if shape is None and structure is None and recipe == DEFAULT_RECIPE:
        shape = DEFAULT_SHAPE
    t_run = time.perf_counter()
    title = f"microcath run: recipe {recipe!r}" if structure is None else "microcath run: given structure"
    ctx: dict[str, Any] = {"ms": structure, "fields": {}, "cond": {}}
    headline: dict[str, Any] = {}
    records: list[StageRecord] = []

    with ReportBuilder(out, title=title, force=force) as rb:
        rb.results["run"] = {"recipe": recipe, "seed": seed,
                             "shape": list(shape) if shape else None,
                             "overrides": dict(overrides or {})}

        def do(name: str, fn: Callable[[], dict | None], needs: str | None = None) -> None:
            if needs is not None and ctx.get(needs) is None:
                rec = StageRecord(name, STATUS_NOT_RUN, reason="not run: needs a structure, and the "
                                  "generate stage did not produce one")
            else:
                t0 = time.perf_counter()
                try:
                    with _stage(name), warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        summary = fn() or {}
                    notes = _warning_notes(caught)
                    for note in notes:
                        log.warning("%s: %s", name, note)
                    if notes:
                        summary = dict(summary) | {"warnings": notes}
                    rec = StageRecord(name, STATUS_RUN, wall_time=time.perf_counter() - t0,
                                      reason="; ".join(f"warning: {n}" for n in notes),
                                      summary=jsonable(summary))
                except _NotBuilt as nb:
                    rec = StageRecord(name, STATUS_NOT_RUN, reason=str(nb))
                except Exception as exc:  # noqa: BLE001 - recorded in the report, run goes on
                    log.error("stage %s failed: %s: %s", name, type(exc).__name__, exc,
                              exc_info=log.isEnabledFor(logging.DEBUG))
                    rec = StageRecord(name, STATUS_FAILED, reason=f"{type(exc).__name__}: {exc}",
                                      wall_time=time.perf_counter() - t0)
            if rec.status != STATUS_RUN:
                log.warning("%s: %s", name, rec.reason)
            records.append(rec)
            rb.add_stage(rec)

        steps = [
            ("generate", lambda: _stage_generate(rb, ctx, recipe, shape, seed, overrides or {},
                                                 window_size, headline, progress), None),
            ("analyse", lambda: _stage_analyse(rb, ctx, window_size, headline), "ms"),
            ("ionic conductivity", lambda: _stage_conductivity(rb, ctx, "ionic", window_size,
                                                               headline), "ms"),
            ("electronic conductivity", lambda: _stage_conductivity(rb, ctx, "electronic",
                                                                    window_size, headline), "ms"),
            ("stress at a charged state", _stage_mechanics, None),
            ("report", lambda: _stage_report(rb, ctx), "ms"),
        ]
        for name, fn, needs in _progress(steps, total=len(steps), desc="microcath run",
                                         enabled=progress):
            do(name, fn, needs)
        rb.results["headline"] = headline
        for label, text in _headline_lines(headline):
            rb.add_headline(label, text)
    wall = time.perf_counter() - t_run
    return RunResult(out_dir=out.absolute(), report_html=out.absolute() / "report.html",
                     stages=tuple(records), headline=headline, wall_time=wall)


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


def _stage_generate(rb: ReportBuilder, ctx: dict, recipe: str, shape, seed: int,
                    overrides: Mapping[str, Any], window_size, headline: dict, progress: bool) -> dict:
    from . import viz

    ms = ctx["ms"]
    if ms is None:
        ms = _generate(recipe, shape, seed, overrides, progress=progress)
        ctx["ms"] = ms
    fr = ms.volume_fractions()
    rb.results["structure"] = ms.summary() | {"file": "structure.mcath"}
    rb.results["volume_fractions"] = quantity(fr, "-")
    headline["volume_fractions"] = quantity(fr, "-")
    headline["shape"] = list(ms.shape)
    headline["voxel_size_um"] = ms.voxel_size * 1e6
    try:
        from . import io as mio

        mio.save(ms, rb.path("structure.mcath"))
        rb.add_file("structure.mcath", "the structure (microcath native HDF5: labels, particles, "
                    "grains, phase table, provenance)", stage="generate")
    except (ImportError, AttributeError) as exc:
        log.warning("structure file not written: %s", exc)
    viz.render_phases(ms, filename=rb.path("figures/structure.png"), window_size=window_size)
    size = " × ".join(f"{s * 1e6:.3g}" for s in ms.size)
    rb.add_figure("figures/structure.png",
                  f"The composite, {ms.shape[0]}×{ms.shape[1]}×{ms.shape[2]} voxels of "
                  f"{ms.voxel_size * 1e6:.3g} µm ({size} µm), corner cut away; pores not drawn. "
                  "x is through-thickness (separator at x = 0).", stage="generate")
    for k, ph in ms.phases.items():
        if ph.kind is PhaseKind.ELECTROLYTE and fr.get(ph.name, 0) > 0:
            viz.render_phase(ms, k, filename=rb.path("figures/electrolyte.png"), window_size=window_size)
            rb.add_figure("figures/electrolyte.png",
                          f"The solid electrolyte ({ph.name}) alone: the ion-conducting network.",
                          stage="generate")
            break
    viz.plot_label_slice(ms, axis="z", filename=rb.path("figures/slice_labels.png"))
    rb.add_figure("figures/slice_labels.png", "Mid-plane slice of the phases (z normal).",
                  stage="generate")
    if ms.particles is not None and ms.particles.max() > 0:
        viz.plot_particle_size_distribution(ms, filename=rb.path("figures/particle_sizes.png"))
        rb.add_figure("figures/particle_sizes.png",
                      "Active particle size distribution (volume-equivalent sphere diameters).",
                      stage="generate")
    return {"shape": list(ms.shape), "voxel_size_um": ms.voxel_size * 1e6,
            "volume_fractions": quantity(fr, "-")}


def _stage_analyse(rb: ReportBuilder, ctx: dict, window_size, headline: dict) -> dict:
    from . import viz

    analyze = _capability("microcath.analysis", "analyze", "analysis (percolation, morphology)")
    ms = ctx["ms"]
    res = analyze(ms, axis="x")
    ctx["analysis"] = res
    rb.results["analysis"] = res.to_dict()
    summary: dict[str, Any] = {}
    uf = float(res.utilisable_fraction)
    headline["utilisable_active_fraction"] = quantity(uf, "-")
    summary["utilisable_active_fraction"] = quantity(uf, "-")
    summary["status_counts"] = dict(res.status_counts)
    rb.results["utilisable_active_fraction"] = quantity(uf, "-")
    if hasattr(res, "to_csv") and res.n_particles:
        res.to_csv(rb.path("particles.csv"))
        rb.add_file("particles.csv", "one row per active particle: volume, equivalent diameter, "
                    "surface and contact areas (SI units in the headers), connectivity and status",
                    stage="analyse")
    status = _status_per_particle(res)
    if status and ms.particles is not None and ms.particles.max() > 0:
        from .analysis import status_codes as _status_codes

        ctx["status_codes"] = _status_codes(status, int(ms.particles.max()))
        viz.render_particle_status(ms, status, filename=rb.path("figures/particle_status.png"),
                                   window_size=window_size)
        counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in res.status_counts.items())
        rb.add_figure("figures/particle_status.png",
                      f"Active particles by status along x ({counts}; {100 * uf:.1f} % of the active "
                      "volume is utilisable): utilisable = connected to the separator through the "
                      "electrolyte and to the current collector through the electron conductors.",
                      stage="analyse")
    contacts = _contact_fractions(res)
    if contacts:
        viz.plot_contact_distribution(contacts, filename=rb.path("figures/contacts.png"))
        rb.add_figure("figures/contacts.png",
                      "Per-particle contact: share of each active particle's surface touching the "
                      "electrolyte, and the triphase share (electrolyte with carbon within one voxel).",
                      stage="analyse")
    return summary


def _contact_fractions(res: Any) -> dict[str, np.ndarray]:
    table = getattr(res, "particles", None)
    if table is None or len(table) == 0:
        return {}
    return {"electrolyte": np.clip(np.asarray(table.contact_fraction, float), 0.0, 1.0),
            "triphase (electrolyte + carbon)": np.clip(np.asarray(table.triphase_fraction, float),
                                                       0.0, 1.0)}


def _stage_conductivity(rb: ReportBuilder, ctx: dict, carrier: str, window_size, headline: dict) -> dict:
    from . import viz

    conductivity = _capability("microcath.transport", "conductivity",
                               "transport (effective conductivity)")
    ms = ctx["ms"]
    res = conductivity(ms, carrier=carrier, axis="x", fields=True)
    sig = float(res.sigma_eff)
    tau = float(res.tau) if res.tau is not None else None
    tau_note = getattr(res, "tau_note", "") or ("" if tau is not None else "not defined")
    d = res.to_dict() if hasattr(res, "to_dict") else {}
    sigmas = _phase_sigmas(ms, carrier, None)
    fr = ms.volume_fractions()
    names = list(sigmas)
    try:
        lo, up = hashin_shtrikman_bounds([fr[n] for n in names], [sigmas[n] for n in names])
    except InputError:
        lo, up = float("nan"), float("nan")
    entry = {
        "axis": "x",
        "sigma_eff": quantity(sig, "S/m"),
        "sigma_eff_mS_cm": sig * 10.0,
        "tau": quantity(tau, "-"),
        "tau_note": tau_note,
        "converged": bool(getattr(res, "converged", True)),
        "hashin_shtrikman_bounds": quantity([lo, up], "S/m"),
        "phase_sigma": quantity(sigmas, "S/m"),
        "solver": d,
    }
    rb.results.setdefault("conductivity", {})[carrier] = entry
    ctx["cond"][carrier] = (sig, lo, up, max(sigmas.values()) if sigmas else 0.0)
    headline[f"sigma_{carrier}_eff"] = quantity(sig * 10.0, "mS/cm")
    headline[f"tau_{carrier}"] = quantity(tau, "-")
    if tau is None:
        headline[f"tau_{carrier}"]["note"] = tau_note
    if not getattr(res, "converged", True):
        headline[f"sigma_{carrier}_eff"]["note"] = "solver did not converge; approximate"
    pot = getattr(res, "potential", None)
    jv = getattr(res, "current_density", None)
    if pot is not None:
        conducting = np.isfinite(np.asarray(pot)) & sigmas_mask(ms, sigmas)
        ctx["fields"][f"potential_{carrier}"] = (np.asarray(pot, np.float32), "V")
        viz.render_field(ms, pot, name=f"{carrier} potential", unit="V", mask=conducting,
                         filename=rb.path(f"figures/potential_{carrier}.png"), window_size=window_size)
        rb.add_figure(f"figures/potential_{carrier}.png",
                      f"{carrier.capitalize()} potential on three orthogonal slices (1 V applied along x); "
                      "grey: voxels outside the conducting cluster that spans x.",
                      stage=f"{carrier} conductivity")
    if jv is not None:
        jv = np.asarray(jv, np.float32)
        mag = np.linalg.norm(jv, axis=0)
        ctx["fields"][f"current_density_{carrier}"] = (jv, "A/m^2")
        ctx["fields"][f"current_density_magnitude_{carrier}"] = (mag, "A/m^2")
        viz.plot_field_slice(ms, mag, name=f"|j| {carrier}", unit="A/m²", axis="z", log_scale=True,
                             mask=mag > 0, filename=rb.path(f"figures/current_slice_{carrier}.png"))
        rb.add_figure(f"figures/current_slice_{carrier}.png",
                      f"{carrier.capitalize()} current-density magnitude on the mid z slice (log scale, "
                      "1 V applied along x); grey: no current (non-conducting or dead-end voxels).",
                      stage=f"{carrier} conductivity")
        if sig > 0:
            viz.render_streamlines(ms, jv, axis="x", filename=rb.path(f"figures/streamlines_{carrier}.png"),
                                   window_size=window_size, unit="A/m²")
            rb.add_figure(f"figures/streamlines_{carrier}.png",
                          f"{carrier.capitalize()} current streamlines from the x = 0 face, coloured by "
                          "current density: where the current crowds.", stage=f"{carrier} conductivity")
    _conductivity_plot(rb, ctx)
    return {"sigma_eff_mS_cm": sig * 10.0, "tau": tau, "converged": bool(getattr(res, "converged", True))}


def sigmas_mask(ms: Microstructure, sigmas: Mapping[str, float]) -> np.ndarray:
    """Voxels of phases with a positive conductivity."""
    labels = [k for k, ph in ms.phases.items() if sigmas.get(ph.name, 0.0) > 0]
    return np.isin(ms.labels, labels)


def _conductivity_plot(rb: ReportBuilder, ctx: dict) -> None:
    from . import viz

    cond = ctx["cond"]
    if not cond:
        return
    values = {c: {"x": v[0]} for c, v in cond.items()}
    bounds = {c: (v[1], v[2]) for c, v in cond.items() if np.isfinite(v[2])}
    viz.plot_conductivity(values, bounds=bounds, phase_sigma={c: v[3] for c, v in cond.items()},
                          filename=rb.path("figures/conductivity.png"))
    if not any(f.file == "figures/conductivity.png" for f in rb.figures):
        rb.add_figure("figures/conductivity.png",
                      "Effective conductivities along x with the Hashin–Shtrikman bounds of the "
                      "phase fractions (shaded) and the conductivity of the best-conducting phase.",
                      stage="conductivity")


def _stage_mechanics() -> dict:
    raise _NotBuilt(MECHANICS_NOT_BUILT)


def _stage_report(rb: ReportBuilder, ctx: dict) -> dict:
    from . import io as mio

    ms = ctx["ms"]
    fields = dict(ctx["fields"])
    codes = ctx.get("status_codes")
    if codes is not None and ms.particles is not None:
        fields["particle_status"] = (codes[ms.particles].astype(np.uint8),
                                     "0 none, 1 utilisable, 2 ionically isolated, "
                                     "3 electronically isolated, 4 dead")
    write_vti = getattr(mio, "write_vti", None)
    if write_vti is None:
        raise _NotBuilt("not run: VTK export (microcath.io.write_vti) not built yet")
    write_vti(rb.path("fields.vti"), ms, fields=fields)
    names = ", ".join(["labels"] + (["particles"] if ms.particles is not None else [])
                      + (["grains"] if ms.grains is not None else []) + list(fields))
    rb.add_file("fields.vti", f"VTK image data for ParaView, cell arrays: {names}", stage="report")
    return {"fields": list(fields)}


def _headline_lines(h: Mapping[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if "shape" in h:
        out.append(("structure", f"{'×'.join(map(str, h['shape']))} voxels of "
                                 f"{h['voxel_size_um']:.3g} µm"))
    if "volume_fractions" in h:
        fr = h["volume_fractions"]["value"]
        out.append(("volume fractions", ", ".join(f"{k} {100 * v:.1f} %" for k, v in fr.items())))
    if "utilisable_active_fraction" in h:
        out.append(("utilisable active material",
                    f"{100 * h['utilisable_active_fraction']['value']:.1f} % of the active volume"))
    for carrier, label in (("ionic", "σ_ion,eff (x)"), ("electronic", "σ_e,eff (x)")):
        if f"sigma_{carrier}_eff" in h:
            s = h[f"sigma_{carrier}_eff"]["value"]
            tau = h[f"tau_{carrier}"]["value"]
            if isinstance(tau, (int, float)):
                tau_s = f"τ = {tau:.3g}"
            elif tau is None:
                tau_s = "τ not defined: several phases conduct"
            else:
                tau_s = f"τ = {tau}"
            note = h[f"sigma_{carrier}_eff"].get("note")
            out.append((label, f"{s:.4g} mS/cm ({tau_s})" + (f" [{note}]" if note else "")))
    out.append(("stress at a charged state", MECHANICS_NOT_BUILT))
    return out


def headline_text(result: RunResult) -> str:
    """The lines ``microcath run`` prints at the end."""
    lines = [f"{k}: {v}" for k, v in _headline_lines(result.headline)]
    for s in result.stages:
        if s.status != STATUS_RUN and s.name != "stress at a charged state":
            lines.append(f"stage {s.name}: {s.reason or s.status}")
    lines.append(f"report: {result.report_html}")
    return "\n".join(lines)
