"""``microcath export-params``: a run's effective parameters for a continuum cell model."""

from __future__ import annotations

import json

import click

from ..cell_parameters import (
    effective_parameters,
    is_sweep_folder,
    pybamm_parameters,
    study_parameters,
    write_parameters,
)
from ._io_options import check_output


@click.command("export-params")
@click.argument("results", type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["json", "pybamm"]), default="json", show_default=True,
              help="microcath's effective parameters with units, or a PyBaMM-style parameter dictionary.")
@click.option("-o", "--out", default=None, type=click.Path(), help="File to write (default: print).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def command(results: str, fmt: str, out: str | None, overwrite: bool) -> None:
    """Effective parameters (volume fractions, conductivities, Bruggeman exponents,
    interface area, utilisable fraction) of a `microcath run` results folder
    (or its results.json), as JSON or as PyBaMM positive-electrode parameters.
    Given a sweep folder (`microcath sweep`, `compare-crystallinity`'s kinds),
    one entry per finished case with its parameters and seed.

    The PyBaMM mapping (docs/cell_parameters.md): porosity = electrolyte
    fraction, Bruggeman (electrolyte) reproduces sigma_ion_eff, the electrode
    conductivity is sigma_e_eff as it is, the active fraction counts only the
    utilisable particles, the radius reproduces the active/electrolyte area.
    """
    if out is not None:
        check_output(out, overwrite, fmt="json")
        write_parameters(results, out, fmt=fmt)
        click.echo(f"wrote {out}")
        return
    if is_sweep_folder(results):
        data = study_parameters(results, fmt=fmt)
    else:
        data = effective_parameters(results) if fmt == "json" else pybamm_parameters(results)
    click.echo(json.dumps(data, indent=2))
