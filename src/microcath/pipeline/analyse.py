"""Stage ``analyse``: percolation of the ionic and electronic networks, particle status and contact."""

from __future__ import annotations

import numpy as np

from .. import viz
from ..analysis import analyze
from ..report import quantity
from .context import Figure, Line, RunContext, Stage, StageOutput

CAPTIONS = {
    "particles.csv": ("one row per active particle: volume, equivalent diameter, surface and contact areas "
                      "(SI units in the headers), connectivity and status"),
    "figures/particle_status.png": ("Active particles by status along x ({counts}; {utilisable_pct:.1f} % of "
                                    "the active volume is utilisable): utilisable = connected to the "
                                    "separator through the electrolyte and to the current collector "
                                    "through the electron conductors."),
    "figures/contacts.png": ("Per-particle contact: share of each active particle's surface touching the "
                             "electrolyte, and the triphase share (electrolyte with carbon within one "
                             "voxel)."),
}
LINES = {"utilisable active material": "{utilisable_pct:.1f} % of the active volume"}


def run(ctx: RunContext) -> StageOutput:
    ms = ctx.structure
    res = analyze(ms, axis="x")
    uf = float(res.utilisable_fraction)
    figures: list[Figure] = []
    files: list[Figure] = []
    if ctx.config.figures:
        _draw(ctx, res, uf, figures, files)
    return StageOutput(
        summary={"utilisable_active_fraction": quantity(uf, "-"), "status_counts": dict(res.status_counts)},
        results={"analysis": res.to_dict(), "utilisable_active_fraction": quantity(uf, "-")},
        headline={"utilisable_active_fraction": quantity(uf, "-")},
        lines=(Line("utilisable active material",
                    LINES["utilisable active material"].format(utilisable_pct=100 * uf)),),
        figures=tuple(figures), files=tuple(files), analysis=res,
    )


def _draw(ctx: RunContext, res, uf: float, figures: list[Figure], files: list[Figure]) -> None:
    """The particle table and the status and contact figures (appended to ``figures``/``files``)."""
    ms = ctx.structure
    table = res.particles
    if res.n_particles:
        res.to_csv(ctx.path("particles.csv"))
        files.append(Figure("particles.csv", CAPTIONS["particles.csv"]))
    if table.source == "particles" and len(table) and ms.particles is not None and ms.particles.max() > 0:
        viz.render_particle_status(ms, table, filename=ctx.path("figures/particle_status.png"),
                                   window_size=ctx.config.window_size)
        counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in res.status_counts.items())
        figures.append(Figure("figures/particle_status.png", CAPTIONS["figures/particle_status.png"].format(
            counts=counts, utilisable_pct=100 * uf)))
    if len(table):
        contacts = {"electrolyte": np.clip(np.asarray(table.contact_fraction, float), 0.0, 1.0),
                    "triphase (electrolyte + carbon)": np.clip(np.asarray(table.triphase_fraction, float),
                                                               0.0, 1.0)}
        viz.plot_contact_distribution(contacts, filename=ctx.path("figures/contacts.png"))
        figures.append(Figure("figures/contacts.png", CAPTIONS["figures/contacts.png"]))


STAGE = Stage("analyse", run, needs=("structure",))
