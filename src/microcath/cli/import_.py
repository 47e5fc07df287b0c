"""``microcath import``: a tomogram or label volume -> a native ``.mcath`` structure."""

from __future__ import annotations

from pathlib import Path

import click

from .. import units
from ._io_options import check_output, input_options, load_input


@click.command("import")
@click.argument("input", type=click.Path(exists=True))
@click.option("-o", "--out", "out", type=click.Path(), default=None,
              help="Output file (default: INPUT with the suffix .mcath).")
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")
@input_options
def command(input: str, out: str | None, overwrite: bool, **opts) -> None:
    """Import INPUT (TIFF stack or folder, .npy/.npz, raw, HDF5, .vti) as a microcath structure.

    Example: microcath import scan.tif --phases "0=pore,128=NMC811,255=Li6PS5Cl"
    --voxel-size-um 0.2 -o scan.mcath
    """
    from .. import io

    src = Path(input)
    dest = check_output(Path(out) if out else src.with_suffix(".mcath"), overwrite)
    ms = load_input(src, **opts)
    io.save(ms, dest)
    fr = ", ".join(f"{k} {100 * v:.1f}%" for k, v in ms.volume_fractions().items())
    vox = f"{' x '.join(map(str, ms.shape))} voxels of {units.spacing_text(ms.spacing)}"
    click.echo(f"wrote {dest}: {vox}; {fr}")
