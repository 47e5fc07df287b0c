"""``microcath compare-crystallinity``: single-crystal vs polycrystalline, over seeds and pressures."""

from __future__ import annotations

import logging

import click


@click.command("compare-crystallinity")
@click.argument("recipes", nargs=-1)
@click.option("--seeds", type=int, default=5, show_default=True, help="Seeds per kind and pressure (>= 2).")
@click.option("--shape", nargs=3, type=int, default=None, metavar="NX NY NZ",
              help="Voxels per axis (default: the recipes', 128^3).")
@click.option("--voxel-size-um", type=float, default=None, help="Voxel edge [µm] (default: the recipes').")
@click.option("--soc", type=float, default=0.2, show_default=True,
              help="Charged state x_Li of the stress stage.")
@click.option("--stack-pressure-MPa", "pressures", type=float, multiple=True,
              help="Stack pressure(s) to compare at (repeatable; default 0 and 50).")
@click.option("-o", "--out", "out_dir", default="crystallinity", show_default=True,
              type=click.Path(file_okay=False), help="Comparison folder; an existing one is resumed.")
@click.option("--workers", type=int, default=None, help="Worker processes (default: one per core).")
@click.option("--scheduler", default=None, metavar="ADDRESS", help="An existing Dask scheduler.")
@click.option("--no-figures", is_flag=True, help="Do not keep each case's figures (faster).")
@click.option("--anisotropic-stiffness", "aniso", is_flag=True,
              help="Rotated single-crystal stiffness per grain in the stress stage (microcath stress "
                   "--anisotropic-stiffness).")
def command(recipes: tuple[str, ...], seeds: int, shape, voxel_size_um, soc: float, pressures, out_dir: str,
            workers, scheduler, no_figures: bool, aniso: bool) -> None:
    """Compare a single-crystal and a polycrystalline recipe (RECIPES: the two names,
    default nmc811_sc_lpscl nmc811_pc_lpscl) at equal composition: contact and triphase
    fractions, conductivities and utilisable fraction, and at the charged state the
    interface and grain-boundary tractions, the opened area fractions and what the
    opening costs, each at 0 and 50 MPa (or --stack-pressure-MPa). Prints mean, standard
    deviation and n per kind, and which differences are significant (Welch t-test,
    p < 0.05); writes comparison_*.csv and report/report.html in the folder.
    """
    from ..studies.crystallinity import QUANTITIES, RECIPE_PAIR, compare_crystallinity

    for name in ("distributed", "dask"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if recipes and len(recipes) != 2:
        raise click.UsageError("RECIPES: give two recipes (single crystal, polycrystalline) or none")
    comp = compare_crystallinity(recipes or RECIPE_PAIR, seeds=seeds, shape=shape,
                                 voxel_size_um=voxel_size_um, soc=soc,
                                 stack_pressures_MPa=pressures or (0.0, 50.0), out_dir=out_dir,
                                 workers=workers, scheduler=scheduler, figures=not no_figures,
                                 anisotropic_stiffness=aniso)
    for p in sorted(comp.summary["stack_pressure_MPa"].unique()):
        for q in QUANTITIES:
            click.echo(comp.statement(q, p))
    click.echo(f"report: {(comp.out_dir / 'report' / 'report.html').absolute()}")
    failed = comp.table[comp.table["status"] != "done"]
    if len(failed):
        raise RuntimeError(f"{len(failed)} case(s) failed; comparison_cases.csv names each error")
