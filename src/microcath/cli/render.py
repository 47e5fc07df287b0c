"""``microcath render``: one picture of a structure or a field."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from ..errors import InputError
from ._io_options import check_output, input_options, load_input


def _load(path: Path, opts: dict):
    """A Microstructure plus the fields of a ``.vti`` file ({name: (array, unit)}).

    Structures are read with :func:`load_input` (as every command does). A ``.vti`` of fields
    only (no phase table) gets placeholder phases; its voxel size is the file's when the file
    records one in metres, else ``--voxel-size-um`` (never a guess).
    """
    from .. import io as mio
    from .. import validation
    from ..microstructure import Microstructure
    from ..phases import Phase

    if path.suffix.lower() != ".vti":
        return load_input(path, **opts), {}
    data = mio.read_vti(path)
    arrays = dict(data["arrays"])
    units = data.get("units", {})
    for name in ("labels", "particles", "grains"):
        arrays.pop(name, None)
    fields = {k: (v, units.get(k, "")) for k, v in arrays.items()}
    if "labels" in data["arrays"] and data.get("phases") is not None:
        return load_input(path, **opts), fields
    if not arrays:
        raise InputError(f"FILE: {path} holds no voxel arrays to render")
    given = validation.spacing_um(opts.get("voxel_size_um"))
    if given is None and data.get("length_unit") != "m":
        raise InputError(f"--voxel-size-um: {path.name} records its spacing in voxels, not metres; "
                         "give the voxel size, e.g. --voxel-size-um 0.5")
    spacing = given if given is not None else tuple(data["spacing"])
    shape = next(iter(arrays.values())).shape[:3]
    labels = data["arrays"].get("labels")
    lab = np.zeros(shape, np.uint8) if labels is None else validation.labels(np.asarray(labels))
    placeholder = {int(v): Phase(f"label {int(v)}", "electrolyte") for v in np.unique(lab)}
    return Microstructure(lab, spacing, placeholder), fields


def _parse_slice(text: str | None) -> tuple[str, int] | None:
    if text is None:
        return None
    ax, sep, idx = text.partition("=")
    if not sep or ax.strip().lower() not in ("x", "y", "z") or not idx.strip().lstrip("-").isdigit():
        raise InputError(f"--slice: expected AXIS=INDEX such as x=10, got {text!r}")
    return ax.strip().lower(), int(idx)


@click.command("render")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Output picture (.png).")
@click.option("--field", "field_name", default=None,
              help="Render this field of a .vti file (vector fields: their magnitude).")
@click.option("--phase", default=None, help="Render this phase alone (name or label).")
@click.option("--status", is_flag=True, help="Render the active particles by status (needs a "
              "particle_status field, as in a run's fields.vti).")
@click.option("--slice", "slice_", default=None, metavar="AXIS=INDEX",
              help="A 2-D slice plot at this voxel index (e.g. x=10) instead of a 3-D render.")
@click.option("--volume", is_flag=True, help="Volume render of the field instead of slices.")
@click.option("--streamlines", is_flag=True, help="Streamlines of a vector field (e.g. current density).")
@click.option("--no-cutaway", is_flag=True, help="Do not cut the corner away.")
@click.option("--size", nargs=2, type=int, default=(1000, 800), show_default=True, metavar="W H",
              help="Picture size in pixels (3-D renders).")
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")
@input_options
def command(file: str, out: str, field_name: str | None, phase: str | None, status: bool,
            slice_: str | None, volume: bool, streamlines: bool, no_cutaway: bool, size, overwrite: bool,
            **opts) -> None:
    """Render FILE (a structure .mcath/.tif/.npy/..., or a .vti with fields) to a picture."""
    from .. import viz

    path = Path(file)
    out_p = Path(out)
    if out_p.suffix.lower() != ".png":
        raise InputError(f"-o: expected a .png file, got {out!r}")
    check_output(out_p, overwrite, "png")
    ms, fields = _load(path, opts)
    sl = _parse_slice(slice_)
    if field_name is not None:
        if field_name not in fields:
            raise InputError(
                f"--field: {path} has no field {field_name!r}; it has {', '.join(fields) or 'none'}"
            )
        arr, unit = fields[field_name]
        arr = np.asarray(arr, dtype=np.float32)
        if streamlines:
            if arr.ndim != 4:
                raise InputError(f"--streamlines: {field_name!r} is not a vector field")
            viz.render_streamlines(ms, np.moveaxis(arr, -1, 0), unit=unit or "",
                                   filename=out_p, window_size=size)
        else:
            if arr.ndim == 4:
                arr = np.linalg.norm(arr, axis=-1)
                field_name = f"|{field_name}|"
            if sl is not None:
                viz.plot_field_slice(ms, arr, name=field_name, unit=unit, axis=sl[0], index=sl[1],
                                     filename=out_p)
            else:
                viz.render_field(ms, arr, name=field_name, unit=unit,
                                 mode="volume" if volume else "slices", filename=out_p,
                                 window_size=size)
    elif status:
        if "particle_status" not in fields:
            raise InputError(f"--status: {path} has no particle_status field (write it with microcath run)")
        if ms.particles is None:
            raise InputError(f"--status: {path} has no particle ids")
        codes = np.asarray(fields["particle_status"][0]).astype(np.int64)
        n = int(ms.particles.max())
        per = np.zeros(n + 1, np.int64)
        per[ms.particles.ravel()] = codes.ravel()
        viz.render_particle_status(ms, {i: int(per[i]) for i in range(1, n + 1) if per[i] > 0},
                                   filename=out_p, window_size=size)
    elif sl is not None:
        viz.plot_label_slice(ms, axis=sl[0], index=sl[1], filename=out_p)
    elif phase is not None:
        viz.render_phase(ms, phase, filename=out_p, window_size=size)
    else:
        viz.render_phases(ms, filename=out_p, window_size=size, cutaway=not no_cutaway)
    click.echo(f"wrote {out_p}")
