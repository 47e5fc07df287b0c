"""``microcath stress``: stress from the active material's volume change and the contact it costs.

Native structures take their stiffness and eigenstrain from the materials library at
the given state of charge; plain labelled arrays take them from the command line::

    microcath stress cathode.mcath --soc 0.2 --stack-pressure-MPa 50 --json
    microcath stress seg.npy --voxel-size-um 0.5 --elastic 0=0,0 --elastic 1=150,0.25 \\
        --elastic 2=20,0.3 --eigenstrain 1=-0.017 --boundary plates --json
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import InputError
from ..units import GPa, MPa
from ._io_options import parse_label_values


def _parse_elastic(items: tuple[str, ...]) -> dict[int | str, tuple[float, float]]:
    raw = parse_label_values(items, "--elastic", example="1=150,0.25; 0=0,0 for a pore",
                             unit="E in GPa, nu", n=2, form="E_GPa,nu")
    return {k: (GPa(E), nu) for k, (E, nu) in raw.items()}


def _parse_eigenstrain(items: tuple[str, ...]) -> dict[int | str, float]:
    return parse_label_values(items, "--eigenstrain", example="1=-0.017", unit="linear strain",
                              form="linear_strain")


@click.command("stress")
@click.argument("file", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--soc", type=float, default=None,
              help="State of charge as the active materials' state coordinate (lithium content x_Li: "
                   "1.0 discharged, 0.2 charged NMC811; conversion for sulfur).")
@click.option("--boundary", type=click.Choice(["pressure", "plates", "periodic", "free"]), default="pressure",
              show_default=True,
              help="x faces: plates under a stack pressure, plates at a fixed gap, periodic (zero mean "
                   "strain) or free periodic (zero mean stress). y and z are always periodic.")
@click.option("--stack-pressure-MPa", "stack_pressure", type=float, default=0.0, show_default=True,
              help="Compressive stack pressure on the x plates [MPa] (--boundary pressure).")
@click.option("--strength-MPa", "strength", type=float, default=0.0, show_default=True,
              help="Interface tensile strength [MPa]: a face in tension above it opens.")
@click.option("--elastic", multiple=True, metavar="LABEL=E_GPa,nu",
              help="Elastic constants of a label or phase; repeat. E = 0 declares a pore.")
@click.option("--eigenstrain", multiple=True, metavar="LABEL=value",
              help="Linear isotropic eigenstrain of a label or phase [-]; repeat.")
@click.option("--phases", default=None, metavar="SPEC",
              help="Phase spec for files without a phase table, e.g. '0=pore,1=NMC811,2=Li6PS5Cl'.")
@click.option("--voxel-size-um", default=None,
              help="Voxel edge [µm]; needed for plain arrays.")
@click.option("--contact/--no-contact", default=True, show_default=True,
              help="Structures with materials: conductivity and utilisable fraction before and after "
                   "the opened interfaces.")
@click.option("--coarsen", type=int, default=1, show_default=True, metavar="F",
              help="Solve on a grid F times coarser per axis with composite voxels (a voxel two solids "
                   "share becomes a laminate with the image's fractions and interface normal): F^3 fewer "
                   "voxels, and more accurate than the binary image at that resolution. Statistics and "
                   "fields are on the coarse grid; no interface tractions or contact loss (--no-contact).")
@click.option("--anisotropic-stiffness", "aniso", is_flag=True,
              help="Grains of a layered oxide get a single-crystal stiffness (LiCrO2's shape scaled to the "
                   "material's E) rotated by their orientation, instead of the isotropic E, nu.")
@click.option("--tol", type=float, default=1e-6, show_default=True, help="Relative residual tolerance.")
@click.option("--float64", "float64", is_flag=True, help="Solve in float64 (default float32).")
@click.option("--maxiter", type=int, default=500, show_default=True, help="Iteration limit per solve.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option("--fields", "fields_out", type=click.Path(path_type=Path), default=None, metavar="OUT.vti",
              help="Write displacement [m], stress [Pa], hydrostatic and von Mises stress to a .vti file.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --fields file.")
def command(file: Path, soc, boundary, stack_pressure, strength, elastic, eigenstrain, phases, voxel_size_um,
            contact, coarsen, aniso, tol, float64, maxiter, as_json, fields_out, overwrite) -> None:
    """Stress from the active material's volume change in FILE, the interfaces it opens and
    (with materials) the conductivity and utilisable fraction that remain."""
    from .. import io, mechanics
    from ._io_options import check_output

    if not file.exists():
        raise InputError(f"FILE: no such file or folder {str(file)!r}")
    from .. import validation

    given = validation.spacing_um(voxel_size_um)
    if fields_out is not None:
        fields_out = io.vti_path(fields_out)
        check_output(fields_out, overwrite, "vti", option="--fields")
    el = _parse_elastic(elastic)
    eig = _parse_eigenstrain(eigenstrain)
    dtype = "float64" if float64 else "float32"
    opts = dict(boundary=boundary, stack_pressure=MPa(stack_pressure), strength=MPa(strength), tol=tol,
                dtype=dtype, maxiter=maxiter, fields=fields_out is not None, coarsen=coarsen)
    fmt = io.format_of(file)
    if fmt == "raw":
        raise InputError(f"FILE: {file.name} is a raw volume (no shape or dtype inside), and stress takes "
                         f"no --shape; import it first: microcath import {file.name} --shape NX NY NZ "
                         "--dtype uint8 --phases SPEC --voxel-size-um X -o structure.mcath")
    if fmt == "native" or phases is not None:
        ms = io.load(file, phases=phases, voxel_size=given)
        result = mechanics.stress(ms, state=soc, elastic=el, eigenstrain=eig, contact=contact,
                                  anisotropic_stiffness=aniso, **opts)
        vti_ms, spacing = ms, ms.spacing
        if coarsen > 1:
            vti_ms, spacing = None, tuple(coarsen * h for h in ms.spacing)
    else:
        if given is None:
            raise InputError(f"--voxel-size-um: {file.name} is a plain label array without a voxel size; "
                             "give it, e.g. --voxel-size-um 0.5")
        if soc is not None:
            raise InputError("--soc: a plain label array has no materials; give --eigenstrain LABEL=value")
        if aniso:
            raise InputError("--anisotropic-stiffness: a plain label array has no grains or orientations; "
                             "use a structure file (.mcath) with grains")
        labels = io.read_array(file)
        names = [k for k in list(el) + list(eig) if isinstance(k, str)]
        if names:
            raise InputError(f"--elastic/--eigenstrain: {file.name} is a plain label array, so keys must be "
                             f"integer labels, got names {names}; or give --phases to name the labels")
        spacing = given[0] if len(set(given)) == 1 else tuple(given)
        result = mechanics.stress_of_labels(labels, el, eigenstrain=eig, voxel_size=spacing, **opts)
        vti_ms = None
        spacing = tuple(coarsen * h for h in given)
    if fields_out is not None:
        fields = {"stress": (result.stress, "Pa"), "hydrostatic_stress": (result.hydrostatic, "Pa"),
                  "von_mises_stress": (result.von_mises, "Pa"), "displacement": (result.displacement, "m")}
        io.write_vti(fields_out, vti_ms, fields=fields, spacing=spacing)
    if as_json:
        out = {"file": str(file), **result.to_dict()}
        if fields_out is not None:
            out["fields"] = str(fields_out)
        click.echo(json.dumps(out, default=_json_default))
    else:
        click.echo(result.summary())
        if result.contact:
            for line in _contact_lines(result.contact):
                click.echo(line)
        if fields_out is not None:
            click.echo(f"fields written to {fields_out}")
    if not result.converged:
        raise click.exceptions.Exit(3)


def _json_default(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return str(v)


def _contact_lines(c: dict) -> list[str]:
    out = ["contact loss (before -> after opening):"]
    for k in ("sigma_ion_eff_mS_cm", "sigma_e_eff_mS_cm", "utilisable_fraction"):
        if k in c["before"]:
            out.append(f"  {k:>22}: {c['before'][k]:.4g} -> {c['after'][k]:.4g}")
    return out
