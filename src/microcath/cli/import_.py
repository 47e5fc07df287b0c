"""``microcath import``: a tomogram or label volume -> a native ``.mcath`` structure."""

from __future__ import annotations

from pathlib import Path

import click

from .. import units
from ..errors import InputError
from ._io_options import check_output, input_options, load_input


@click.command("import")
@click.argument("input", type=click.Path(exists=True))
@click.option("-o", "--out", "out", type=click.Path(), default=None,
              help="Output file (default: INPUT with the suffix .mcath).")
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")
@click.option("--crop", default=None, metavar="X0:X1,Y0:Y1,Z0:Z1",
              help="Region of interest in voxels of INPUT (stops exclusive), e.g. 0:256,0:256,40:168.")
@click.option("--bin", "bin_", default=None, metavar="F|FX,FY,FZ",
              help="Bin by an integer factor per axis with a majority vote per label, e.g. 2 or 1,1,2 "
                   "(the voxel size grows by the factors).")
@click.option("--bin-pad", is_flag=True,
              help="Let --bin pad an axis its factor does not divide (repeats the last layer).")
@input_options
def command(input: str, out: str | None, overwrite: bool, crop: str | None, bin_: str | None,
            bin_pad: bool, **opts) -> None:
    """Import INPUT (TIFF stack or folder, .npy/.npz, raw, HDF5, .vti) as a microcath structure.

    Example: microcath import scan.tif --phases "0=pore,128=NMC811,255=Li6PS5Cl"
    --voxel-size-um 0.2 -o scan.mcath

    A FIB-SEM stack with 10 nm pixels and 20 nm slices, two grey values merged into one
    phase, a region of interest and 2x binning in-plane:
    microcath import fib.tif --voxel-size-um 0.01,0.01,0.02 --crop 0:512,0:512,0:256
    --bin 2,2,1 --phases "0=pore,1=NMC811,2=NMC811,3=Li6PS5Cl" -o fib.mcath
    """
    from .. import io

    src = Path(input)
    dest = check_output(Path(out) if out else src.with_suffix(".mcath"), overwrite)
    if bin_pad and bin_ is None:
        raise InputError("--bin-pad: only together with --bin")
    ms = load_input(src, crop=crop, bin=bin_, pad=bin_pad, **opts)
    io.save(ms, dest)
    fr = ", ".join(f"{k} {100 * v:.1f}%" for k, v in ms.volume_fractions().items())
    vox = f"{' x '.join(map(str, ms.shape))} voxels of {units.spacing_text(ms.spacing)}"
    click.echo(f"wrote {dest}: {vox}; {fr}")
