"""``microcath materials``: the materials library, with values, units and sources."""

from __future__ import annotations

import json

import click

from ..results import jsonable


def _fmt(mat, key: str) -> str:
    if not mat.has(key):
        return "-"
    v = mat.value(key)
    return f"{v.file_value:.3g}"


def _list(lib) -> str:
    header = ["name", "kind", "sigma_ion S/cm", "sigma_e S/cm", "E GPa", "nu", "rho g/cm3", "dV/V"]
    rows = [[m.name, m.kind.value, _fmt(m, "sigma_ionic"), _fmt(m, "sigma_electronic"),
             _fmt(m, "youngs_modulus"), _fmt(m, "poisson_ratio"), _fmt(m, "density"),
             _fmt(m, "volume_change")] for m in lib.values()]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" if i < 2 else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*header), *(fmt.format(*r) for r in rows)]
    lines.append("")
    lines.append("'-' = not in the library (give it with your own TOML file). "
                 "`microcath materials NAME` shows every value with its source.")
    return "\n".join(lines)


def _show(mat) -> str:
    lines = [f"{mat.name}  ({mat.kind.value})"]
    if mat.formula:
        lines.append(f"formula      {mat.formula}")
    if mat.aliases:
        lines.append(f"aliases      {', '.join(mat.aliases)}")
    if mat.description:
        lines.append(f"description  {mat.description}")
    for key, v in mat.values.items():
        lines.append("")
        rng = f"  (range {v.file_range[0]:.3g}..{v.file_range[1]:.3g})" if v.file_range else ""
        lines.append(f"{key} = {v.file_value:.4g} {v.file_unit}{rng}   [SI: {v.value:.4g} {v.unit}]")
        if v.window:
            lines.append(f"  window: {v.window}")
        lines.append(f"  status: {v.status}")
        lines.append(f"  source: {v.source}")
        if v.path_state:
            pairs = ", ".join(f"{s:g} -> {p:.3g}" for s, p in zip(v.path_state, v.path_value, strict=True))
            lines.append(f"  vs {v.state} ({v.interpolation} interpolation): {pairs} {v.unit}")
        if v.note:
            lines.append(f"  note: {' '.join(v.note.split())}")
    if mat.strain_path is not None:
        sp = mat.strain_path
        lines.append("")
        lines.append(f"lattice_strain vs {sp.state} ({sp.reference}):")
        for s, a, c in zip(sp.path_state, sp.eps_a, sp.eps_c, strict=True):
            lines.append(f"  {sp.state} = {s:g}: eps_a = {a:+.4f}, eps_c = {c:+.4f}")
        lines.append(f"  status: {sp.status}")
        lines.append(f"  source: {' '.join(sp.source.split())}")
        if sp.note:
            lines.append(f"  note: {' '.join(sp.note.split())}")
    for key, rec in mat.other.items():
        lines.append("")
        lines.append(f"other: {key} = {rec.get('value')} {rec.get('unit', '')}".rstrip())
        for k in ("status", "source", "note"):
            if rec.get(k):
                lines.append(f"  {k}: {' '.join(str(rec[k]).split())}")
    missing = [k for k in ("density", "sigma_ionic", "sigma_electronic", "youngs_modulus", "poisson_ratio",
                           "volume_change") if not mat.has(k)]
    if missing:
        lines.append("")
        lines.append(f"not in the library: {', '.join(missing)} (give them in your own materials TOML file)")
    return "\n".join(lines)


@click.command("materials")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (SI values plus file values and units).")
@click.option("--library", "library", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Your own materials TOML file, merged over the shipped library.")
def command(name: str | None, as_json: bool, library: str | None) -> None:
    """List the materials library, or show every value, unit and source of material NAME."""
    from ..materials import load_library

    lib = load_library(library)
    if name is None:
        if as_json:
            click.echo(json.dumps(jsonable(lib.to_dict()), indent=2))
        else:
            click.echo(_list(lib))
        return
    mat = lib.get(name)
    if as_json:
        click.echo(json.dumps(jsonable(mat.to_dict()), indent=2))
    else:
        click.echo(_show(mat))
