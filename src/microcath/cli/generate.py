"""``microcath generate``: build a composite microstructure from a recipe and save it."""

from __future__ import annotations

import click

from ..errors import InputError
from ._io_options import check_output


@click.command("generate")
@click.argument("recipe", required=False)
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Output file (.mcath native, or any format microcath.io.save knows).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Change a recipe parameter (repeatable), e.g. --set active.fraction=0.75.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--shape", nargs=3, type=int, default=None, metavar="NX NY NZ",
              help="Voxels per axis (default: the recipe's).")
@click.option("--voxel-size-um", default=None, metavar="UM|DX,DY,DZ",
              help="Voxel edge [µm], or dx,dy,dz for anisotropic voxels (default: the recipe's).")
@click.option("--list", "list_", is_flag=True, help="List the shipped recipes and exit.")
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")
def command(recipe: str | None, out: str | None, sets: tuple[str, ...], seed: int, shape,
            voxel_size_um: str | None, list_: bool, overwrite: bool) -> None:
    """Generate a composite from RECIPE (a shipped name, 'default', or a .toml file).

    Prints the achieved volume fractions, sizes and counts next to the targets.
    """
    from microcath import units, validation
    from microcath.geometries import generate, list_recipes
    from microcath.geometries.recipes import DEFAULT_RECIPE, parse_overrides

    if list_:
        click.echo(f"{'default':<20} = {DEFAULT_RECIPE}")
        for name, title in list_recipes().items():
            click.echo(f"{name:<20} {title}")
        return
    if recipe is None:
        raise InputError("RECIPE: give a recipe name or .toml file (see `microcath generate --list`)")
    if out is None:
        raise InputError("--out: give the output file, e.g. -o structure.mcath")
    out = check_output(out, overwrite)  # refuse before spending time on generation
    overrides = parse_overrides(sets)
    res = generate(recipe, shape=tuple(shape) if shape else None,
                   voxel_size=validation.spacing_um(voxel_size_um),
                   seed=seed, overrides=overrides, progress=True, return_report=True)
    from microcath import io

    ms = res.structure
    io.save(ms, out)
    click.echo(f"recipe {ms.provenance['recipe']}, seed {seed}, shape {ms.shape}, "
               f"voxel {units.spacing_text(ms.spacing, 3)}")
    click.echo(res.report.table())
    click.echo(f"saved {out}")
