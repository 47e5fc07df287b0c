"""Stages ``ionic conductivity`` and ``electronic conductivity``: effective conductivity along x.

One module, one stage per carrier (:data:`IONIC`, :data:`ELECTRONIC`). Each also
redraws the conductivity plot with every carrier solved so far and the
Hashin-Shtrikman bounds of the phase fractions.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import units, viz
from ..analysis import hashin_shtrikman_bounds
from ..microstructure import Microstructure
from ..report import quantity
from ..transport import ConductivityResult, conductivity, phase_conductivities
from .context import Figure, Line, RunContext, Stage, StageOutput

CAPTIONS = {
    "potential": ("{Carrier} potential on three orthogonal slices (1 V applied along x); grey: voxels "
                  "outside the conducting cluster that spans x."),
    "current_slice": ("{Carrier} current-density magnitude on the mid z slice (log scale, 1 V applied along "
                      "x); grey: no current (non-conducting or dead-end voxels)."),
    "streamlines": ("{Carrier} current streamlines from the x = 0 face, coloured by current density: where "
                    "the current crowds."),
    "figures/conductivity.png": ("Effective conductivities along x with the Hashin–Shtrikman bounds of the "
                                 "phase fractions (shaded) and the conductivity of the best-conducting "
                                 "phase."),
}
#: headline label per carrier
LABELS = {"ionic": "σ_ion,eff (x)", "electronic": "σ_e,eff (x)"}
LINES = {
    "sigma": "{sigma_mS_cm:.4g} mS/cm ({tau})",
    "tau": "τ = {tau:.3g}",
    "tau undefined": "τ not defined: several phases conduct",
    "note": " [{note}]",
    "not converged": "solver did not converge; approximate",
}


def phase_sigmas(ms: Microstructure, carrier: str) -> dict[str, float]:
    """``{phase name: sigma}`` [S/m] of the materials library (``transport.phase_conductivities``)."""
    return {ms.phases[k].name: v for k, v in phase_conductivities(ms, carrier).items()}


def bounds(ms: Microstructure, carrier: str) -> tuple[float, float]:
    """Hashin-Shtrikman bounds [S/m] of the phase fractions and conductivities of ``ms``."""
    sig = phase_sigmas(ms, carrier)
    fr = ms.volume_fractions()
    return hashin_shtrikman_bounds([fr[n] for n in sig], list(sig.values()))


def _conductivity_plot(ctx: RunContext, results: Mapping[str, ConductivityResult]) -> Figure:
    ms = ctx.structure
    values = {c: {"x": float(r.sigma_eff)} for c, r in results.items()}
    bnds = {c: bounds(ms, c) for c in results}
    best = {c: max(phase_sigmas(ms, c).values()) for c in results}
    viz.plot_conductivity(values, bounds=bnds, phase_sigma=best,
                          filename=ctx.path("figures/conductivity.png"))
    return Figure("figures/conductivity.png", CAPTIONS["figures/conductivity.png"], stage="conductivity")


def _line(carrier: str, res: ConductivityResult) -> Line:
    s_ms = units.to_mS_cm(float(res.sigma_eff))
    tau = LINES["tau"].format(tau=res.tau) if res.tau is not None else LINES["tau undefined"]
    text = LINES["sigma"].format(sigma_mS_cm=s_ms, tau=tau)
    if not res.converged:
        text += LINES["note"].format(note=LINES["not converged"])
    return Line(LABELS[carrier], text)


def _axis_entry(res: ConductivityResult) -> dict:
    sig = float(res.sigma_eff)
    return {"sigma_eff": quantity(sig, "S/m"), "sigma_eff_mS_cm": units.to_mS_cm(sig),
            "tau": quantity(None if res.tau is None else float(res.tau), "-"),
            "converged": bool(res.converged)}


def run_carrier(ctx: RunContext, carrier: str) -> StageOutput:
    ms = ctx.structure
    draw = ctx.config.figures
    res = conductivity(ms, carrier=carrier, axis="x", fields=draw)
    per_axis = {"x": _axis_entry(res)}
    for ax in ctx.config.axes:
        if ax not in per_axis:
            per_axis[ax] = _axis_entry(conductivity(ms, carrier=carrier, axis=ax))
    sig = float(res.sigma_eff)
    tau = float(res.tau) if res.tau is not None else None
    tau_note = res.tau_note or ("" if tau is not None else "not defined")
    sigmas = phase_sigmas(ms, carrier)
    lo, up = bounds(ms, carrier)
    entry = {
        "axis": "x",
        "sigma_eff": quantity(sig, "S/m"),
        "sigma_eff_mS_cm": units.to_mS_cm(sig),
        "tau": quantity(tau, "-"),
        "tau_note": tau_note,
        "converged": bool(res.converged),
        "hashin_shtrikman_bounds": quantity([lo, up], "S/m"),
        "phase_sigma": quantity(sigmas, "S/m"),
        "solver": res.to_dict(),
        "axes": per_axis,
    }
    headline = {f"sigma_{carrier}_eff": quantity(units.to_mS_cm(sig), "mS/cm"),
                f"tau_{carrier}": quantity(tau, "-")}
    if tau is None:
        headline[f"tau_{carrier}"]["note"] = tau_note
    if not res.converged:
        headline[f"sigma_{carrier}_eff"]["note"] = LINES["not converged"]

    numbers = {"summary": {"sigma_eff_mS_cm": units.to_mS_cm(sig), "tau": tau,
                           "converged": bool(res.converged)},
               "results": {"conductivity": {carrier: entry}}, "headline": headline,
               "lines": (_line(carrier, res),), "conductivity": {carrier: res}}
    if not draw:
        return StageOutput(**numbers)
    win = ctx.config.window_size
    fmt = {"Carrier": carrier.capitalize()}
    figures: list[Figure] = []
    fields: dict[str, tuple[np.ndarray, str]] = {}
    pot = np.asarray(res.potential)
    conducting_labels = [k for k, ph in ms.phases.items() if sigmas.get(ph.name, 0.0) > 0]
    conducting = np.isfinite(pot) & np.isin(ms.labels, conducting_labels)
    fields[f"potential_{carrier}"] = (pot.astype(np.float32), "V")
    viz.render_field(ms, pot, name=f"{carrier} potential", unit="V", mask=conducting,
                     filename=ctx.path(f"figures/potential_{carrier}.png"), window_size=win)
    figures.append(Figure(f"figures/potential_{carrier}.png", CAPTIONS["potential"].format(**fmt)))
    jv = np.asarray(res.current_density, np.float32)
    mag = np.linalg.norm(jv, axis=0)
    fields[f"current_density_{carrier}"] = (jv, "A/m^2")
    fields[f"current_density_magnitude_{carrier}"] = (mag, "A/m^2")
    viz.plot_field_slice(ms, mag, name=f"|j| {carrier}", unit="A/m²", axis="z", log_scale=True, mask=mag > 0,
                         filename=ctx.path(f"figures/current_slice_{carrier}.png"))
    figures.append(Figure(f"figures/current_slice_{carrier}.png", CAPTIONS["current_slice"].format(**fmt)))
    if sig > 0:
        viz.render_streamlines(ms, jv, axis="x", filename=ctx.path(f"figures/streamlines_{carrier}.png"),
                               window_size=win, unit="A/m²")
        figures.append(Figure(f"figures/streamlines_{carrier}.png", CAPTIONS["streamlines"].format(**fmt)))
    figures.append(_conductivity_plot(ctx, {**ctx.conductivity, carrier: res}))
    return StageOutput(**numbers, figures=tuple(figures), fields=fields)


IONIC = Stage("ionic conductivity", lambda ctx: run_carrier(ctx, "ionic"), needs=("structure",))
ELECTRONIC = Stage("electronic conductivity", lambda ctx: run_carrier(ctx, "electronic"),
                   needs=("structure",))
