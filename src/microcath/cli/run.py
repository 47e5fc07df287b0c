"""``microcath run``: the main job (generate -> analyse -> conductivities -> stress -> report)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("run")
@click.argument("recipe", required=False, default="default")
@click.option("-o", "--out", "out_dir", default="microcath-run", show_default=True,
              type=click.Path(file_okay=False), help="Results folder to create.")
@click.option("--shape", nargs=3, type=int, default=None, metavar="NX NY NZ",
              help="Voxel count per axis (default: 128 128 128 for the default recipe, else the recipe's).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the generator.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Change a recipe parameter (repeatable), e.g. --set carbon_fraction=0.05.")
@click.option("--overwrite", "--force", "force", is_flag=True,
              help="Replace an existing non-empty results folder.")
@click.option("--size", "window", nargs=2, type=int, default=(900, 720), show_default=True,
              metavar="W H", help="Size of the 3-D renders in pixels.")
@click.option("--strict", is_flag=True,
              help="Stop at the first stage that fails (default: record it in the report and go on).")
@click.option("--skip", "skip", multiple=True, metavar="STAGE",
              help="Leave a stage out (repeatable): analyse, ionic, electronic or stress; it is reported "
                   "as skipped. E.g. --skip stress leaves out the slowest stage.")
def command(recipe: str, out_dir: str, shape, seed: int, sets: tuple[str, ...], force: bool,
            window, strict: bool, skip: tuple[str, ...]) -> None:
    """Run the main job on RECIPE (default: the built-in NMC811 / Li6PS5Cl / carbon composite).

    Generates the structure, analyses percolation and particle status, computes
    the ionic and electronic conductivity along x, and writes a results folder
    (results.json, structure.mcath, fields.vti, figures, report.html). Stages
    whose solver is not built yet are reported as not run; a stage that fails is
    reported and the command exits with status 1 after writing the rest (over an earlier
    results folder, the failed run goes to OUT.failed and the earlier results are kept); a
    solve that did not converge makes the exit status 3.
    """
    from ..geometries.recipes import parse_overrides
    from ..pipeline import headline_text, run_main_job

    result = run_main_job(recipe, out_dir=out_dir, shape=tuple(shape) if shape else None, seed=seed,
                          overrides=parse_overrides(sets), force=force, window_size=tuple(window),
                          progress=True, strict=strict, skip=skip)
    click.echo(headline_text(result))
    if not result.ok:
        failed = [s.name for s in result.stages if s.status == "failed"]
        kept = ("" if result.out_dir == Path(out_dir).absolute()
                else f"; the previous results in {Path(out_dir)} are kept")
        raise RuntimeError(f"stage(s) failed: {', '.join(failed)}; the report at {result.report_html} "
                           f"names the error{kept}")
    unconverged = [s.name for s in result.stages if "ConvergenceWarning" in s.reason]
    if unconverged:
        click.echo(f"not converged: {', '.join(unconverged)} (see the report); exit status 3", err=True)
        raise click.exceptions.Exit(3)
