"""``microcath rve``: is the box big enough? Quantities against box size over seeds."""

from __future__ import annotations

import click


@click.command("rve")
@click.argument("recipe", required=False, default="default")
@click.argument("more_sizes", nargs=-1, type=int, metavar="")
@click.option("--sizes", type=int, multiple=True, default=None,
              help="Box sides in voxels: --sizes 48 64 96 128 (default those four).")
@click.option("--seeds", type=int, default=4, show_default=True, help="Structures per size.")
@click.option("--quantity", "quantities", multiple=True, metavar="NAME",
              help="Quantity to check (repeatable; default: the active volume fraction, "
                   "utilisable_fraction, sigma_ion_eff.x).")
@click.option("--tolerance", type=float, default=0.05, show_default=True,
              help="Relative tolerance of the mean's change to the next size and of the spread.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Change a recipe parameter.")
@click.option("-o", "--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Sweep folder (default: sweep-rve-<recipe>); an existing one is resumed.")
@click.option("--workers", type=int, default=None, help="Worker processes of the local cluster.")
@click.option("--scheduler", default=None, metavar="ADDRESS", help="An existing Dask scheduler.")
@click.option("--overwrite", is_flag=True, help="Discard the results of a different study in the folder.")
def command(recipe: str, more_sizes, sizes, seeds: int, quantities, tolerance: float, sets, out_dir, workers,
            scheduler, overwrite: bool) -> None:
    """Run RECIPE at several box sizes with several seeds and state the smallest adequate size.

    A size is adequate when, there and at every larger size tested, the spread over seeds
    is below the tolerance and the mean changes less than the tolerance to the next size.
    """
    from ..geometries.recipes import parse_overrides
    from ..studies import rve
    from ..studies.box_size import DEFAULT_SIZES
    from .sweep import quiet_dask

    quiet_dask()
    sizes = list(sizes) + list(more_sizes)  # --sizes 48 64 96: the values after the first arrive as arguments
    if sizes and recipe.isdigit():  # `microcath rve --sizes 48 64`: no recipe, 64 is a size
        sizes, recipe = sizes + [int(recipe)], "default"
    res = rve(recipe, sizes=sizes or list(DEFAULT_SIZES), seeds=seeds,
              quantities=list(quantities) or None, tolerance=tolerance, overrides=parse_overrides(sets),
              out_dir=out_dir, workers=workers, scheduler=scheduler, overwrite=overwrite)
    cols = ["quantity", "size", "n", "mean", "spread", "change", "ok"]
    click.echo(res.summary[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    click.echo(res.statement)
