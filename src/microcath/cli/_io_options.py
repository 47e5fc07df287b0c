"""Options shared by the commands that read a structure (info, import, convert, ...).

``@input_options`` adds ``--phases``, ``--voxel-size-um``, ``--dataset``,
``--shape``, ``--dtype``, ``--byte-order``, ``--offset`` and ``--format``;
:func:`load_input` turns them into a :class:`~microcath.Microstructure`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import InputError

__all__ = ["input_options", "load_input", "check_output"]

_OPTIONS = [
    click.option("--phases", default=None, metavar="SPEC",
                 help="Map grey values to phases, e.g. '0=pore,128=NMC811,255=Li6PS5Cl' (values are "
                      "remapped to labels 0, 1, 2, ...). Needed for files without a phase table."),
    click.option("--voxel-size-um", type=float, default=None,
                 help="Voxel edge [µm]; needed for files without a voxel size."),
    click.option("--dataset", default=None, help="Dataset (HDF5, .npz) or cell array (.vti) to read."),
    click.option("--shape", nargs=3, type=int, default=None, metavar="NX NY NZ",
                 help="Raw files: the volume shape (C order, last axis fastest)."),
    click.option("--dtype", default=None, help="Raw files: element type (uint8, uint16, int32, ...)."),
    click.option("--byte-order", type=click.Choice(["little", "big", "native"]), default="little",
                 show_default=True, help="Raw files: byte order."),
    click.option("--offset", type=int, default=0, show_default=True,
                 help="Raw files: header bytes to skip."),
    click.option("--format", "fmt", default=None,
                 help="Input format if the suffix does not tell (native, hdf5, vti, tiff, tiff-folder, "
                      "npz, npy, raw)."),
]


def input_options(func):
    """Decorator adding the input options to a click command."""
    for opt in reversed(_OPTIONS):
        func = opt(func)
    return func


def load_input(path: str | Path, *, phases: str | None = None, voxel_size_um: float | None = None,
               dataset: str | None = None, shape: tuple[int, ...] | None = None,
               dtype: str | None = None, byte_order: str = "little", offset: int = 0,
               fmt: str | None = None, **_: Any):
    """Read a structure with the values of :func:`input_options`."""
    from .. import io

    if voxel_size_um is not None and not voxel_size_um > 0:
        raise InputError(f"--voxel-size-um: expected a positive size in µm, got {voxel_size_um}")
    return io.load(path, phases=phases, voxel_size=None if voxel_size_um is None else voxel_size_um * 1e-6,
                   format=fmt, dataset=dataset, shape=shape or None, dtype=dtype, byte_order=byte_order,
                   offset=offset)


def check_output(path: str | Path, overwrite: bool) -> Path:
    """Refuse to replace an existing output unless ``--overwrite`` was given."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError(f"-o: {path} exists; pass --overwrite to replace it")
    return path

