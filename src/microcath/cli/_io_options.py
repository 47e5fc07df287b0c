"""Options shared by the commands that read a structure (info, import, convert, ...).

``@input_options`` adds ``--phases``, ``--voxel-size-um``, ``--dataset``,
``--shape``, ``--dtype``, ``--byte-order``, ``--offset`` and ``--format``;
:func:`load_input` turns them into a :class:`~microcath.Microstructure`, and
:func:`read_input` gives the plain label array of a file that has no phase
table (``microcath conductivity`` with per-label conductivities). Every command
that reads a structure goes through these two.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import InputError

__all__ = ["input_options", "load_input", "read_input", "check_output"]

_OPTIONS = [
    click.option("--phases", default=None, metavar="SPEC",
                 help="Map grey values to phases, e.g. '0=pore,128=NMC811,255=Li6PS5Cl' (values are "
                      "remapped to labels 0, 1, 2, ...). Needed for files without a phase table."),
    click.option("--voxel-size-um", default=None, metavar="UM|DX,DY,DZ",
                 help="Voxel edge [µm], or three edges dx,dy,dz (e.g. 0.01,0.01,0.02 for a FIB-SEM "
                      "stack with 20 nm slices); needed for files without a voxel size."),
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


def load_input(path: str | Path, *, phases: str | None = None, voxel_size_um: Any = None,
               dataset: str | None = None, shape: tuple[int, ...] | None = None,
               dtype: str | None = None, byte_order: str = "little", offset: int = 0,
               fmt: str | None = None, crop: str | None = None, bin: str | None = None,
               pad: bool = False, **_: Any):
    """Read a structure with the values of :func:`input_options` (and ``import``'s
    ``--crop``/``--bin``/``--bin-pad``)."""
    from .. import io, validation

    return io.load(path, phases=phases, voxel_size=validation.spacing_um(voxel_size_um),
                   format=fmt, dataset=dataset, shape=shape or None, dtype=dtype, byte_order=byte_order,
                   offset=offset, crop=crop, bin=None if bin is None else io.parse_bin(bin, name="--bin"),
                   pad=pad)


def read_input(path: str | Path, *, phases: str | None = None, voxel_size_um: Any = None,
               dataset: str | None = None, shape: tuple[int, ...] | None = None,
               dtype: str | None = None, byte_order: str = "little", offset: int = 0,
               fmt: str | None = None, **_: Any):
    """A :class:`~microcath.Microstructure` when the file has a phase table (or ``--phases`` names
    the labels), else the plain label array as stored (validated, uint8)."""
    from .. import io, validation

    path = Path(path)
    if not path.exists():
        raise InputError(f"FILE: no such file or folder {str(path)!r}")
    if io.format_of(path, fmt) == "native" or phases is not None:
        return load_input(path, phases=phases, voxel_size_um=voxel_size_um, dataset=dataset, shape=shape,
                          dtype=dtype, byte_order=byte_order, offset=offset, fmt=fmt)
    validation.spacing_um(voxel_size_um)
    arr = io.read_array(path, format=fmt, dataset=dataset, shape=shape or None, dtype=dtype,
                        byte_order=byte_order, offset=offset)
    return validation.labels(arr, f"FILE ({path.name})")


def check_output(path: str | Path, overwrite: bool, fmt: str | None = None, *, option: str = "-o") -> Path:
    """Check an output before any work (the one policy: :func:`microcath.io.ownership.check_output`).

    ``fmt`` is what will be written (default: the format of ``path``'s suffix); ``--overwrite``
    replaces only a file of that format or a folder microcath marked as its own.
    """
    from .. import io
    from ..io.ownership import check_output as _check

    fmt = fmt or io.format_of(path)
    return _check(path, overwrite=overwrite, fmt=fmt, option=option)



def label_key(text: str, option: str) -> int | str:
    """A ``LABEL`` or phase name given on the command line (integers become labels)."""
    text = text.strip()
    if not text:
        raise InputError(f"{option}: empty label or phase name")
    return int(text) if text.lstrip("-").isdigit() else text


def parse_label_values(items: tuple[str, ...], option: str, *, example: str, unit: str,
                       n: int = 1, form: str = "VALUE") -> dict[int | str, Any]:
    """``LABEL=v`` (or ``LABEL=v1,v2`` with ``n=2``) options -> ``{label or name: float or tuple}``."""
    out: dict[int | str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        parts = value.split(",")
        if sep and not key.strip():
            raise InputError(f"{option}: the label or phase name is missing before '=' in {item!r}; "
                             f"expected LABEL_OR_PHASE={form} (e.g. {example})")
        if not sep or len(parts) != n:
            raise InputError(f"{option}: expected LABEL_OR_PHASE={form} (e.g. {example}), got {item!r}")
        try:
            nums = tuple(float(v) for v in parts)
        except ValueError:
            raise InputError(f"{option}: {value!r} in {item!r} is not {'a number' if n == 1 else 'numbers'} "
                             f"({unit})") from None
        out[label_key(key, option)] = nums[0] if n == 1 else nums
    return out
