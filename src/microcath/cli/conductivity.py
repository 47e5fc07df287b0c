"""``microcath conductivity``: effective ionic/electronic conductivity, tortuosity factor.

Works on native ``.mcath`` structures (conductivities from the materials
library, overridable) and on any plain labelled array (``.npy``, ``.tif``, ...)
given only per-label conductivities::

    microcath conductivity seg.npy --sigma 0=0 --sigma 1=0.13 --sigma 2=1e-4 --axis all --json
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import validation
from ..errors import InputError
from ..microstructure import Microstructure
from ..units import ohm_cm2
from ._io_options import check_output, input_options, label_key, parse_label_values, read_input


def _parse_sigma(items: tuple[str, ...]) -> dict[int | str, float]:
    return parse_label_values(items, "--sigma", example="1=0.13", unit="S/m", form="S_per_m")


def _parse_resistance(items: tuple[str, ...]) -> dict[tuple, float]:
    out: dict[tuple, float] = {}
    for item in items:
        pair, sep, value = item.partition("=")
        a, sep2, b = pair.partition(":")
        if not (sep and sep2):
            raise InputError(
                "--interface-resistance: expected A:B=ohm_cm2 (e.g. NMC811:Li6PS5Cl=20 or 1:2=20), "
                f"got {item!r}"
            )
        try:
            r = float(value)
        except ValueError:
            raise InputError(
                f"--interface-resistance: {value!r} in {item!r} is not a number (ohm cm^2)"
            ) from None
        validation.nonnegative(r, f"--interface-resistance {item}", "ohm cm^2")
        out[(label_key(a, "--interface-resistance"), label_key(b, "--interface-resistance"))] = ohm_cm2(r)
    return out


@click.command("conductivity")
@click.argument("file", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--carrier", type=click.Choice(["ionic", "electronic"]), default="ionic", show_default=True,
              help="Which conductivity of each phase's material to use (structures with a phase table).")
@click.option("--axis", type=click.Choice(["x", "y", "z", "all"]), default="x", show_default=True,
              help="Transport axis; 'all' gives the diagonal of the tensor.")
@click.option("--sigma", "sigma", multiple=True, metavar="LABEL_OR_PHASE=S_per_m",
              help="Conductivity of a label or phase [S/m]; repeat. Plain arrays need one for every label.")
@click.option("--interface-resistance", "resistance", multiple=True, metavar="A:B=ohm_cm2",
              help="Area-specific resistance between two labels/phases [ohm cm^2]; repeat.")
@click.option("--tol", type=float, default=1e-6, show_default=True, help="Relative residual tolerance.")
@click.option("--float64", "float64", is_flag=True, help="Solve in float64 (default float32 fields).")
@click.option("--periodic", is_flag=True, help="Periodic sides (default no-flux).")
@click.option("--boundary", type=click.Choice(["faces", "centres", "taufactor"]), default="faces",
              show_default=True,
              help="Potential fixed on the outer faces, at the centres of the first/last layers, or "
                   "TauFactor's way (at the centres of copies of the end layers outside the sample).")
@click.option("--maxiter", type=int, default=1000, show_default=True, help="Iteration limit.")
@click.option("--allow-unconverged", is_flag=True,
              help="Exit 0 even when a solve did not converge (default: exit status 3).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option("--fields", "fields_out", type=click.Path(path_type=Path), default=None, metavar="OUT.vti",
              help="Write potential [V] and current density [A/m^2] (1 V applied) to a .vti file.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --fields file.")
@input_options
def command(file: Path, carrier: str, axis: str, sigma: tuple[str, ...], resistance: tuple[str, ...],
            tol: float, float64: bool, periodic: bool, boundary: str, maxiter: int,
            allow_unconverged: bool, as_json: bool,
            fields_out: Path | None, overwrite: bool, **opts) -> None:
    """Effective conductivity and tortuosity factor of FILE along one or all axes.

    A plain label array without --voxel-size-um gets 1 µm (microcath.validation.DEFAULT_VOXEL_SIZE):
    sigma_eff and tau do not depend on it; --interface-resistance needs --voxel-size-um.
    """
    from .. import io, transport

    if fields_out is not None:  # before the solve: a refused output costs nothing
        fields_out = check_output(io.vti_path(fields_out), overwrite, "vti", option="--fields")
    data = read_input(file, **opts)
    sig = _parse_sigma(sigma)
    res = _parse_resistance(resistance)
    dtype = "float64" if float64 else "float32"
    want_fields = fields_out is not None
    solve = dict(axis=axis, periodic=periodic, boundary=boundary, tol=tol, dtype=dtype,
                 fields=want_fields, maxiter=maxiter)
    if isinstance(data, Microstructure):
        ms = data
        result = transport.conductivity(ms, carrier=carrier, sigma=sig, interface_resistance=res, **solve)
        mode, used_carrier, vti_ms = "structure", carrier, ms
    else:
        labels = data
        names = [k for k in list(sig) + [x for p in res for x in p] if isinstance(k, str)]
        if names:
            raise InputError(
                f"--sigma/--interface-resistance: {file.name} is a plain label array, so keys must be "
                f"integer labels, got names {names}; or give --phases to name the labels"
            )
        if not sig:
            raise InputError(
                f"--sigma: {file.name} holds a plain label array; give a conductivity for every label, "
                "e.g. --sigma 0=0 --sigma 1=0.13 (S/m)"
            )
        result = transport.conductivity_of_labels(labels, sig, voxel_size=validation.spacing_um(
            opts.get("voxel_size_um")), interface_resistance=res, **solve)
        mode, used_carrier, vti_ms = "labels", "custom", None
    per_axis = result.results if isinstance(result, transport.TensorResult) else (result,)
    spacing = per_axis[0].spacing
    if want_fields:
        fields = {}
        for r in per_axis:
            suffix = "" if len(per_axis) == 1 else f"_{r.axis}"
            fields[f"potential{suffix}"] = (r.potential, "V")
            fields[f"current_density{suffix}"] = (r.current_density, "A/m^2")
        io.write_vti(fields_out, vti_ms, fields=fields, spacing=spacing)
    if as_json:
        out = {
            "file": str(file),
            "mode": mode,
            "carrier": used_carrier,
            "dtype": dtype,
            "boundary": boundary,
            "arch": per_axis[0].arch,
            "axes": {r.axis: r.to_dict() for r in per_axis},
        }
        if want_fields:
            out["fields"] = str(fields_out)
        click.echo(json.dumps(out))
        _exit_if_unconverged(per_axis, allow_unconverged)
        return
    click.echo(f"{file.name}: {used_carrier} conductivity, {dtype}, boundary {boundary}, "
               f"arch {per_axis[0].arch}")
    for r in per_axis:
        click.echo("  " + r.summary())
        if r.tau_note:
            click.echo(f"    ({r.tau_note})")
    if want_fields:
        click.echo(f"fields written to {fields_out}")
    _exit_if_unconverged(per_axis, allow_unconverged)


def _exit_if_unconverged(per_axis, allow: bool) -> None:
    """Exit status 3 (as ``microcath stress``) when a solve did not converge, unless allowed."""
    bad = [r.axis for r in per_axis if not r.converged]
    if bad and not allow:
        click.echo(f"not converged along {', '.join(bad)}: the numbers are not the answer; raise "
                   "--maxiter, use --float64, or pass --allow-unconverged (exit status 3)", err=True)
        raise click.exceptions.Exit(3)
