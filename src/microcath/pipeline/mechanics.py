"""Stage ``stress at a charged state``: stress from the active material's volume change on charge,
the interfaces it opens, and what that costs in conductivity and utilisable active material.

The charged state is the end of each active material's state path with the largest
volume change (x_Li = 0.2 for NMC811) unless the run config names one (``RunConfig.soc``).
Plates on the x faces free to move under the config's stack pressure (zero by default),
y and z periodic.
"""

from __future__ import annotations

import numpy as np

from .. import units, viz
from ..mechanics import StressResult, stress
from ..microstructure import Microstructure
from ..phases import PhaseKind
from ..report import quantity
from .context import Figure, Line, RunContext, Stage, StageOutput

NAME = "stress at a charged state"
CAPTIONS = {
    "figures/opened_interfaces.png": ("Active material after the volume change of charge (state {state}): "
                                      "red voxels lost contact on at least one face that opened in "
                                      "tension (active/electrolyte, active/carbon, active/active or grain "
                                      "boundary)."),
    "figures/hydrostatic_stress.png": ("Hydrostatic stress tr(σ)/3 on the mid z slice at state {state} "
                                       "(tension positive); pores grey."),
}
LINES = {
    "summary": ("x_Li {state:g}: active/electrolyte faces opened {ae:.1f} %{gb}; utilisable active "
                "{u0:.1f} % -> {u1:.1f} %; σ_e,eff {e0:.3g} -> {e1:.3g} mS/cm"),
    "gb": ", grain boundaries {gb:.1f} %",
    "no state": ("not run: no active material with a volume-change or lattice-strain path over the "
                 "state of charge"),
    "not converged": " [solver did not converge; approximate]",
}


def charged_state(ms: Microstructure, materials=None) -> float | None:
    """State coordinate of the charged end of the active materials' paths (largest |volume change|)."""
    from ..materials import default_library

    lib = materials or default_library()
    best, state = 0.0, None
    for ph in ms.phases.values():
        if ph.kind != PhaseKind.ACTIVE or ph.material is None:
            continue
        mat = lib.get(ph.material)
        if mat.has("volume_change") and mat.value("volume_change").path_state:
            pv = mat.value("volume_change")
            for s, v in zip(pv.path_state, pv.path_value, strict=True):
                if abs(v) > best:
                    best, state = abs(v), float(s)
    return state


def _line(res: StressResult) -> Line:
    c = res.contact or {"before": {}, "after": {}}
    gb = res.interfaces.get("grain_boundary")
    ae = res.interfaces.get("active/electrolyte", {}).get("opened_fraction")
    text = LINES["summary"].format(
        state=res.state, ae=100 * (ae or 0.0),
        gb=LINES["gb"].format(gb=100 * gb["opened_fraction"]) if gb and gb["n_faces"] else "",
        u0=100 * c["before"].get("utilisable_fraction", float("nan")),
        u1=100 * c["after"].get("utilisable_fraction", float("nan")),
        e0=c["before"].get("sigma_e_eff_mS_cm", float("nan")),
        e1=c["after"].get("sigma_e_eff_mS_cm", float("nan")))
    if not res.converged:
        text += LINES["not converged"]
    return Line(NAME, text)


def run(ctx: RunContext) -> StageOutput:
    ms = ctx.structure
    cfg = ctx.config
    state = charged_state(ms) if cfg.soc is None else float(cfg.soc)
    if state is None:
        return StageOutput(not_run=LINES["no state"], lines=(Line(NAME, LINES["no state"]),))
    draw = cfg.figures
    res = stress(ms, state=state, stack_pressure=cfg.stack_pressure, contact=True, fields=draw,
                 contact_before=ctx.conductivity, anisotropic_stiffness=cfg.anisotropic_stiffness)
    fmt = {"state": f"x_Li {state:g}"}
    figures = []
    fields = {}
    if draw:
        viz.render_opened_interfaces(ms, res.opened, filename=ctx.path("figures/opened_interfaces.png"),
                                     window_size=cfg.window_size)
        figures.append(Figure("figures/opened_interfaces.png",
                              CAPTIONS["figures/opened_interfaces.png"].format(**fmt)))
        hyd = res.hydrostatic
        solid = np.isin(ms.labels, [k for k, p in ms.phases.items() if p.kind != PhaseKind.PORE])
        viz.plot_field_slice(ms, units.to_MPa(hyd), name="hydrostatic stress", unit="MPa", axis="z",
                             mask=solid, cmap="RdBu_r", filename=ctx.path("figures/hydrostatic_stress.png"))
        figures.append(Figure("figures/hydrostatic_stress.png",
                              CAPTIONS["figures/hydrostatic_stress.png"].format(**fmt)))
        fields = {"hydrostatic_stress": (hyd.astype(np.float32), "Pa"),
                  "von_mises_stress": (res.von_mises.astype(np.float32), "Pa")}
    d = res.to_dict()
    c = res.contact or {}
    headline = {
        "opened_active_electrolyte_fraction": quantity(
            res.interfaces.get("active/electrolyte", {}).get("opened_fraction"), "-"),
        "utilisable_active_fraction_after_opening": quantity(c.get("after", {}).get("utilisable_fraction"),
                                                              "-"),
    }
    if res.interfaces.get("grain_boundary", {}).get("n_faces"):
        gb = res.interfaces["grain_boundary"]["opened_fraction"]
        headline["opened_grain_boundary_fraction"] = quantity(gb, "-")
    return StageOutput(
        summary={"state": state, "converged": res.converged, "iterations": res.n_iter},
        results={"mechanics": d}, headline=headline, lines=(_line(res),), figures=tuple(figures),
        fields=fields, mechanics=res,
    )


STAGE = Stage(NAME, run, needs=("structure",))
