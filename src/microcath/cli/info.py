"""``microcath info``: what a structure file holds."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import units
from ..errors import InputError
from ..results import jsonable
from ._io_options import input_options, load_input


def _table(rows: list[list[str]], header: list[str]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" if i < 4 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return [fmt.format(*header), *(fmt.format(*r) for r in rows)]


def _provenance_lines(prov: dict, indent: str = "  ") -> list[str]:
    lines = []
    for k, v in prov.items():
        if isinstance(v, dict):
            lines.append(f"{indent}{k}:")
            lines.extend(_provenance_lines(v, indent + "  "))
        else:
            lines.append(f"{indent}{k}: {v}")
    return lines


def describe(ms, name: str) -> str:
    """Human-readable description of a structure (what ``microcath info`` prints)."""
    s = ms.summary()
    shape = " x ".join(str(n) for n in s["shape"])
    box = " x ".join(f"{x:.4g}" for x in s["size_um"])
    rows = [[str(p["label"]), p["name"], p["kind"], p["material"] or "-", f"{100 * p['volume_fraction']:.2f}"]
            for p in s["phases"]]
    lines = [
        f"file        {name}",
        f"shape       {shape} voxels ({ms.n_voxels} voxels)",
        f"voxel size  {units.spacing_text(ms.spacing)}   (box {box} µm)",
        "phases",
        *("  " + line for line in _table(rows, ["label", "name", "kind", "material", "vol %"])),
        f"grains      {s['n_grains'] or 'none'}",
        f"particles   {s['n_particles'] if s['n_particles'] is not None else 'none'}",
        "coatings    " + ("none" if not s["coatings"] else
                          "; ".join(f"{c['material']} on {c['on']}, {units.to_nm(c['thickness_m']):.3g} nm"
                                    for c in s["coatings"])),
        *([f"film        {s['film']['material']} on {', '.join(s['film']['on'])}, "
           f"{units.to_nm(s['film']['thickness_m']):.3g} nm, coverage {100 * s['film']['coverage']:.1f} % "
           "(sub-voxel, recorded face by face)"] if s.get("film") else []),
        "provenance",
        *_provenance_lines(s["provenance"]),
    ]
    return "\n".join(lines)


@click.command("info")
@click.argument("file", required=False, type=click.Path())
@click.option("--example", is_flag=True, help="Describe the example structure shipped with microcath.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@input_options
def command(file: str | None, example: bool, as_json: bool, **opts) -> None:
    """Show shape, voxel size, phases, volume fractions and provenance of FILE.

    FILE is any supported format (.mcath, .h5, .vti, .tif, a folder of TIFF
    slices, .npy, .npz, .raw); `microcath info --example` (or `info example`)
    describes the small structure shipped with microcath.
    """
    from .. import io
    from ..data import example_path

    if file is not None and example:
        raise InputError("info: give FILE or --example, not both")
    if file is None and not example:
        raise InputError("info: give a FILE to describe, or --example for the shipped example structure")
    if example or (file == "example" and not Path(file).exists()):
        path = example_path()
    else:
        path = Path(file)
    ms = load_input(path, **opts)
    if as_json:
        out = {"file": str(path), "format": io.format_of(path, opts.get("fmt")), **ms.summary()}
        click.echo(json.dumps(jsonable(out), indent=2))
    else:
        click.echo(describe(ms, str(path)))
