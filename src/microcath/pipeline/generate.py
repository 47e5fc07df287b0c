"""Stage ``generate``: build the structure from the recipe (or take the given one), save it, draw it."""

from __future__ import annotations

from .. import io as mio
from .. import units, viz
from ..geometries import generate
from ..phases import PhaseKind
from ..report import quantity
from .context import Figure, Line, RunContext, Stage, StageOutput

CAPTIONS = {
    "figures/structure.png": ("The composite, {nx}×{ny}×{nz} voxels of {voxel} ({size_um} µm), "
                              "corner cut away; pores not drawn. x is through-thickness (separator at "
                              "x = 0)."),
    "figures/electrolyte.png": "The solid electrolyte ({phase}) alone: the ion-conducting network.",
    "figures/slice_labels.png": "Mid-plane slice of the phases (z normal).",
    "figures/particle_sizes.png": "Active particle size distribution (volume-equivalent sphere diameters).",
    "figures/binder.png": ("The active material and the {material} binder ({placement}): {what}; "
                           "{coverage}."),
    "structure.mcath": ("the structure (microcath native HDF5: labels, particles, grains, phase table, "
                        "provenance)"),
}
LINES = {
    "binder": "{material} {placement}: {content}; {coverage}",
    "structure": "{shape} voxels of {voxel}",
    "volume fractions": "{fractions}",
}


def run(ctx: RunContext) -> StageOutput:
    cfg = ctx.config
    ms = ctx.structure
    if ms is None:
        ms = generate(cfg.recipe, shape=cfg.shape, seed=cfg.seed, overrides=dict(cfg.overrides),
                      progress=cfg.progress)
    fr = ms.volume_fractions()
    voxel_um = [units.to_um(h) for h in ms.spacing]
    voxel_um = voxel_um[0] if ms.is_cubic else voxel_um  # one number for cubic voxels, as before
    voxel = units.spacing_text(ms.spacing, 3)
    binder = _binder_info(ms)
    lines = ((Line("binder", LINES["binder"].format(**binder)),) if binder else ()) + (
        Line("structure", LINES["structure"].format(shape="×".join(map(str, ms.shape)), voxel=voxel)),
        Line("volume fractions", LINES["volume fractions"].format(
            fractions=", ".join(f"{k} {100 * v:.1f} %" for k, v in fr.items()))),
    )
    size = {"shape": list(ms.shape), "voxel_size_um": voxel_um}
    numbers = {
        "summary": size | {"volume_fractions": quantity(fr, "-")},
        "results": {"structure": ms.summary(), "volume_fractions": quantity(fr, "-")},
        "headline": {"volume_fractions": quantity(fr, "-")} | size,
    }
    if not cfg.figures:
        return StageOutput(**numbers, lines=lines, structure=ms)
    mio.save(ms, ctx.path("structure.mcath"))
    numbers["results"]["structure"]["file"] = "structure.mcath"
    files = (Figure("structure.mcath", CAPTIONS["structure.mcath"]),)

    win = cfg.window_size
    figures = []
    viz.render_phases(ms, filename=ctx.path("figures/structure.png"), window_size=win)
    nx, ny, nz = ms.shape
    size_um = " × ".join(f"{units.to_um(s):.3g}" for s in ms.size)
    figures.append(Figure("figures/structure.png", CAPTIONS["figures/structure.png"].format(
        nx=nx, ny=ny, nz=nz, voxel=voxel, size_um=size_um)))
    for k, ph in ms.phases.items():
        if ph.kind is PhaseKind.ELECTROLYTE and fr.get(ph.name, 0) > 0:
            viz.render_phase(ms, k, filename=ctx.path("figures/electrolyte.png"), window_size=win)
            figures.append(Figure("figures/electrolyte.png",
                                  CAPTIONS["figures/electrolyte.png"].format(phase=ph.name)))
            break
    viz.plot_label_slice(ms, axis="z", filename=ctx.path("figures/slice_labels.png"))
    figures.append(Figure("figures/slice_labels.png", CAPTIONS["figures/slice_labels.png"]))
    if ms.particles is not None and ms.particles.max() > 0:
        viz.plot_particle_size_distribution(ms, filename=ctx.path("figures/particle_sizes.png"))
        figures.append(Figure("figures/particle_sizes.png", CAPTIONS["figures/particle_sizes.png"]))

    if binder:
        viz.render_binder(ms, filename=ctx.path("figures/binder.png"), window_size=win)
        figures.append(Figure("figures/binder.png", CAPTIONS["figures/binder.png"].format(**binder)))
    return StageOutput(**numbers, lines=lines, figures=tuple(figures), files=files, structure=ms)


def _binder_info(ms) -> dict | None:
    """What the report says of the binder (from the generation report), or None without binder."""
    from ..geometries import GenerationReport

    try:
        b = GenerationReport.from_provenance(ms).binder
    except Exception:  # noqa: BLE001 - an imported structure has no generation report
        b = {}
    if not b:
        return None
    basis = "wt%" if b.get("basis") == "weight" else "vol% of the solids"
    content = f"{100 * b['content_reached_vol']:.2f} vol% ({100 * b['content_target']:.3g} {basis})"
    cov = b.get("active_coverage")
    coverage = (f"{100 * cov:.1f} % of the active surface covered" if cov is not None
                else "the active surface is not covered (a carbon-binder domain)")
    if b["placement"] == "film" and not b.get("drawn"):
        what = f"a {1000 * b['thickness_um']:.3g} nm film, thinner than a voxel, shaded on the particles"
    elif b["placement"] == "cbd":
        what = f"inside the carbon-binder domain ({100 * b['cbd_porosity']:.0f} % internal porosity)"
    else:
        what = "binder voxels"
    names = {"film": "film", "necks": "necks at the particle contacts", "cbd": "carbon-binder domain"}
    return {"material": b["material"], "placement": names[b["placement"]], "content": content,
            "coverage": coverage, "what": what}


STAGE = Stage("generate", run)
