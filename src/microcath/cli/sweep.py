"""``microcath sweep``: many structures from a study file, on all cores or an existing Dask cluster."""

from __future__ import annotations

import logging

import click


def quiet_dask() -> None:
    """Dask's own INFO lines (workers starting and stopping) stay out of microcath's log."""
    import distributed  # noqa: F401 - it sets its loggers' levels when imported; set ours after

    for name in ("distributed", "dask"):
        logging.getLogger(name).setLevel(logging.WARNING)


@click.command("sweep")
@click.argument("study", type=click.Path(dir_okay=False))
@click.option("-o", "--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Sweep folder (default: sweep-<study name>); an existing one is resumed.")
@click.option("--workers", type=int, default=None,
              help="Worker processes of the local cluster (default: one per core).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Send the cases to an existing Dask scheduler, e.g. tcp://10.0.0.5:8786.")
@click.option("--overwrite", is_flag=True,
              help="Discard the results of a different study in the folder (only what microcath wrote).")
@click.option("--keep-failed", is_flag=True,
              help="Do not run cases that failed before again (default: retry them).")
@click.option("--check", is_flag=True, help="Validate the study and print the plan; run nothing.")
def command(study: str, out_dir: str | None, workers: int | None, scheduler: str | None, overwrite: bool,
            keep_failed: bool, check: bool) -> None:
    """Run every case of STUDY (a TOML study file) and write one table with its plots.

    The whole file is validated first (unknown keys with the closest valid name, values a
    case cannot have); the number of cases, the memory per case and a time estimate are
    printed before the first case runs. Each finished case is written at once, so an
    interrupted sweep run again computes only the missing cases. Cases that fail are
    recorded with their error (the command then exits with status 1).
    """
    from ..studies import sweep
    from ..studies.execute import output_dir, preview

    quiet_dask()
    st, pl = preview(study, out_dir=out_dir, workers=workers, retry_failed=not keep_failed)
    if check:  # (a run logs the same line itself)
        click.echo(f"study {st.name}: {pl.text()}", err=True)
        return
    df = sweep(st, out_dir=out_dir, workers=workers, scheduler=scheduler, overwrite=overwrite,
               retry_failed=not keep_failed)
    info = df.attrs["sweep"]
    root = output_dir(st, out_dir).absolute()
    click.echo(f"{len(df)} cases: {len(info['computed'])} computed, {len(info['skipped'])} already finished, "
               f"{len(info['failed'])} failed")
    click.echo(f"table: {root / 'table.parquet'} (and table.csv)")
    click.echo(f"report: {root / 'report' / 'report.html'}")
    if info["failed"]:
        errors = df.loc[df["status"] != "done", ["case", "error"]]
        for _, row in errors.head(5).iterrows():
            click.echo(f"  failed {row['case']}: {row['error']}", err=True)
        raise RuntimeError(f"{len(info['failed'])} case(s) failed; the table's error column names each")
