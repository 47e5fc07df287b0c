"""``microcath analyze``: morphology, percolation and per-particle contact of a structure."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import units
from ..errors import InputError
from ._io_options import check_output, input_options, load_input


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise InputError(f"phase list: expected comma-separated phase names or kinds, got {value!r}")
    return items


def _pct(x: float) -> str:
    return f"{100.0 * x:6.2f} %"


def format_result(res, name: str) -> str:
    """Readable text report of an :class:`~microcath.analysis.AnalysisResult`."""
    m = res.morphology
    lines = [
        f"file          {name}",
        f"shape         {' x '.join(map(str, res.shape))} voxels, "
        f"voxel {units.spacing_text(res.spacing)}, "
        f"axis {res.axis} (separator at 0, collector at the end), {res.connectivity}-connectivity",
        "",
        "phase                      vol %    surface µm^-1 (per image volume)",
    ]
    for ph, f in m.volume_fractions.items():
        lines.append(f"  {ph:<22} {_pct(f)}   {units.to_per_um(m.specific_surface_area.get(ph, 0.0)):10.4f}")
    lines.append("")
    lines.append("interface                                   µm^2/µm^3   (raw faces)")
    for k, v in m.specific_interface_area.items():
        raw = m.interface_area_faces[k] / m.volume
        lines.append(f"  {k:<40} {units.to_per_um(v):10.4f}   ({units.to_per_um(raw):.4f})")
    lines.append(f"  TPB length density (active|electrolyte|carbon)  {m.tpb_length_density_um:.4f} µm/µm^3")
    lines.append("")
    lines.append("network      phases                 vol %   percolating   dead-end   isolated   connected")
    for label, net, frac in (("ionic", res.ionic, res.ionic_connected_fraction),
                             ("electronic", res.electronic, res.electronic_connected_fraction)):
        lines.append(
            f"  {label:<10} {(','.join(net.phases) or 'none')[:22]:<22} {_pct(net.volume_fraction)} "
            f"{_pct(net.fraction_percolating)}   {_pct(net.fraction_dead_end)} {_pct(net.fraction_isolated)}"
            f"   {_pct(frac)}"
        )
    lines.append("  (fractions of the image volume; 'connected' = share of the network reaching its feed "
                 "face:"
                 " ions from the separator, electrons from the collector)")
    lines.append("")
    lines.append(f"active particles: {res.n_particles} ({res.particles.source})")
    for s, c in res.status_counts.items():
        lines.append(f"  {s:<25} {c:6d}   {_pct(res.status_volume_fractions[s])} of active volume")
    sd = res.size_distribution
    if sd:
        um = {k: units.to_um(sd[k]) for k in ("mean", "d10", "d50", "d90")}
        lines.append(f"  equivalent diameter µm: mean {um['mean']:.3f}, d10 {um['d10']:.3f}, "
                     f"d50 {um['d50']:.3f}, d90 {um['d90']:.3f} (volume-weighted)")
    lines.append(f"  utilisable active fraction        {_pct(res.utilisable_fraction)}")
    lines.append(f"  mean active-electrolyte contact   {_pct(res.mean_contact_fraction)} of particle surface")
    lines.append(f"  mean triphase share               {_pct(res.mean_triphase_fraction)} of surface faces")
    return "\n".join(lines)


@click.command("analyze")
@click.argument("file", type=click.Path())
@click.option("--axis", type=click.Choice(["x", "y", "z"]), default="x", show_default=True,
              help="Through-thickness axis (separator at index 0, current collector at the last index).")
@click.option("--connectivity", type=click.Choice(["6", "18", "26"]), default="6", show_default=True,
              help="Voxel connectivity of the networks.")
@click.option("--ionic", "ionic", default=None, metavar="PHASES",
              help="Ionic conductors, comma-separated names or kinds (default: electrolyte).")
@click.option("--electronic", "electronic", default=None, metavar="PHASES",
              help="Electronic conductors (default: carbon,active).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--per-particle", "per_particle", default=None, type=click.Path(), metavar="OUT.csv",
              help="Write the per-particle table to this CSV file.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --per-particle file.")
@input_options
def command(file: str, axis: str, connectivity: str, ionic: str | None, electronic: str | None,
            as_json: bool, per_particle: str | None, overwrite: bool, **opts) -> None:
    """Volume fractions, interfaces, TPB, percolation and per-particle status of FILE."""
    from ..analysis import analyze

    path = Path(file)
    if not path.exists():
        raise InputError(f"FILE: {path} does not exist")
    if per_particle is not None:
        check_output(per_particle, overwrite, "csv", option="--per-particle")
    ms = load_input(path, **opts)
    res = analyze(ms, axis=axis, connectivity=int(connectivity), ionic_phases=_split(ionic),
                  electronic_phases=_split(electronic))
    if per_particle is not None:
        res.to_csv(per_particle)
    if as_json:
        out = {"file": str(path), **res.to_dict()}
        if per_particle is not None:
            out["per_particle_csv"] = str(per_particle)
        click.echo(json.dumps(out, indent=2))
    else:
        click.echo(format_result(res, str(path)))
        if per_particle is not None:
            click.echo(f"\nper-particle table written to {per_particle}")
