"""``microcath conductivity``: effective ionic/electronic conductivity, tortuosity factor.

Works on native ``.mcath`` structures (conductivities from the materials
library, overridable) and on any plain labelled array (``.npy``, ``.tif``, ...)
given only per-label conductivities::

    microcath conductivity seg.npy --sigma 0=0 --sigma 1=0.13 --sigma 2=1e-4 --axis all --json
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

from ..errors import InputError
from ..units import ohm_cm2


def _key(text: str, option: str) -> int | str:
    text = text.strip()
    if not text:
        raise InputError(f"{option}: empty label or phase name")
    return int(text) if text.lstrip("-").isdigit() else text


def _parse_sigma(items: tuple[str, ...]) -> dict[int | str, float]:
    out: dict[int | str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--sigma: expected LABEL_OR_PHASE=S_per_m (e.g. 1=0.13), got {item!r}")
        try:
            out[_key(key, "--sigma")] = float(value)
        except ValueError:
            raise InputError(f"--sigma: {value!r} in {item!r} is not a number (S/m)") from None
    return out


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
        out[(_key(a, "--interface-resistance"), _key(b, "--interface-resistance"))] = ohm_cm2(r)
    return out


def _jsonnum(v):
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else ("inf" if v > 0 else "nan")


def _axis_record(r) -> dict:
    return {
        "sigma_eff_S_per_m": _jsonnum(r.sigma_eff),
        "sigma_eff_mS_per_cm": _jsonnum(r.sigma_eff_mS_cm),
        "tau": _jsonnum(r.tau),
        "macmullin": _jsonnum(r.macmullin),
        "volume_fraction": r.volume_fraction,
        "percolating": r.percolating,
        "converged": r.converged,
        "iterations": r.n_iter,
        "residual": _jsonnum(r.residual),
        "flux_balance": _jsonnum(r.flux_balance),
        "wall_time_s": r.wall_time,
        "tau_note": r.tau_note or None,
    }


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
@click.option("--phases", default=None, metavar="SPEC",
              help="Phase spec for files without a phase table, e.g. '0=pore,1=NMC811,2=Li6PS5Cl'.")
@click.option("--voxel-size-um", type=float, default=None,
              help="Voxel edge [µm] (plain arrays: default 1; scales interfacial resistances and currents).")
@click.option("--tol", type=float, default=1e-6, show_default=True, help="Relative residual tolerance.")
@click.option("--float64", "float64", is_flag=True, help="Solve in float64 (default float32 fields).")
@click.option("--periodic", is_flag=True, help="Periodic sides (default no-flux).")
@click.option("--boundary", type=click.Choice(["faces", "centres", "taufactor"]), default="faces",
              show_default=True,
              help="Potential fixed on the outer faces, at the centres of the first/last layers, or "
                   "TauFactor's way (at the centres of copies of the end layers outside the sample).")
@click.option("--maxiter", type=int, default=1000, show_default=True, help="Iteration limit.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option("--fields", "fields_out", type=click.Path(path_type=Path), default=None, metavar="OUT.vti",
              help="Write potential [V] and current density [A/m^2] (1 V applied) to a .vti file.")
def command(file: Path, carrier: str, axis: str, sigma: tuple[str, ...], resistance: tuple[str, ...],
            phases: str | None, voxel_size_um: float | None, tol: float, float64: bool, periodic: bool,
            boundary: str, maxiter: int, as_json: bool, fields_out: Path | None) -> None:
    """Effective conductivity and tortuosity factor of FILE along one or all axes."""
    from .. import io, transport

    if not file.exists():
        raise InputError(f"FILE: no such file or folder {str(file)!r}")
    if voxel_size_um is not None and not voxel_size_um > 0:
        raise InputError(f"--voxel-size-um: expected a positive size in µm, got {voxel_size_um}")
    sig = _parse_sigma(sigma)
    res = _parse_resistance(resistance)
    dtype = "float64" if float64 else "float32"
    want_fields = fields_out is not None
    fmt = io.format_of(file)
    opts = dict(axis=axis, periodic=periodic, boundary=boundary, tol=tol, dtype=dtype,
                fields=want_fields, maxiter=maxiter)
    if fmt == "native" or phases is not None:
        vs = None if voxel_size_um is None else voxel_size_um * 1e-6
        ms = io.load(file, phases=phases, voxel_size=vs)
        result = transport.conductivity(ms, carrier=carrier, sigma=sig, interface_resistance=res, **opts)
        mode, spacing, used_carrier, vti_ms = "structure", ms.voxel_size, carrier, ms
    else:
        labels = io.read_array(file)
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
        spacing = (voxel_size_um if voxel_size_um is not None else 1.0) * 1e-6
        result = transport.conductivity_of_labels(labels, sig, voxel_size=spacing,
                                                  interface_resistance=res, **opts)
        mode, used_carrier, vti_ms = "labels", "custom", None
    per_axis = result.results if isinstance(result, transport.TensorResult) else (result,)
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
            "axes": {r.axis: _axis_record(r) for r in per_axis},
        }
        if want_fields:
            out["fields"] = str(fields_out)
        click.echo(json.dumps(out))
        return
    click.echo(f"{file.name}: {used_carrier} conductivity, {dtype}, boundary {boundary}, "
               f"arch {per_axis[0].arch}")
    for r in per_axis:
        click.echo("  " + r.summary())
        if r.tau_note:
            click.echo(f"    ({r.tau_note})")
    if want_fields:
        click.echo(f"fields written to {fields_out}")
