"""``microcath convert``: one file format to another."""

from __future__ import annotations

from pathlib import Path

import click

from ._io_options import check_output, input_options, load_input


@click.command("convert")
@click.argument("src", metavar="IN", type=click.Path(exists=True))
@click.argument("dest", metavar="OUT", type=click.Path())
@click.option("--overwrite", is_flag=True, help="Replace OUT if it exists.")
@click.option("--out-format", default=None,
              help="Output format if the suffix of OUT does not tell (tiff-folder for a folder).")
@click.option("--out-dtype", default=None, help="Raw output: element type (default uint8).")
@click.option("--out-byte-order", type=click.Choice(["little", "big", "native"]), default="little",
              show_default=True, help="Raw output: byte order.")
@click.option("--out-dataset", default="labels", show_default=True, help="HDF5 output: dataset name.")
@input_options
def command(src: str, dest: str, overwrite: bool, out_format: str | None, out_dtype: str | None,
            out_byte_order: str, out_dataset: str, **opts) -> None:
    """Convert IN to OUT; formats follow the suffixes (.mcath .h5 .vti .tif .npy .npz .raw, or a folder).

    Formats without a phase table or voxel size (npy, raw, TIFF folders)
    need --phases and --voxel-size-um on input, and lose them on output.
    """
    from .. import io

    out = check_output(dest, overwrite, io.format_of(dest, out_format), option="OUT")
    ms = load_input(Path(src), **opts)
    written = io.save(ms, out, format=out_format, dataset=out_dataset, dtype=out_dtype,
                      byte_order=out_byte_order)
    click.echo(f"wrote {written} ({io.format_of(written, out_format)})")
