"""One way in for user input: arrays, labels, voxel sizes, conductivities, resistances, moduli.

Every public function of microcath and every CLI command checks its input
here, so a value is refused the same way wherever it enters. Each checker
takes the value and the *name the user knows it by* (``"voxel_size"`` in the
API, ``"--voxel-size-um"`` on the command line) and raises
:class:`~microcath.errors.InputError` (a ``ValueError``) that names it, says
what was expected and what was received.

Ranges
------
Numbers must be finite. Positive conductivities must lie in
[:data:`SIGMA_MIN`, :data:`SIGMA_MAX`] S/m: the solver stores face
conductances in float32 by default, and a conductivity below the smallest
normal float32 (1.2e-38) would be flushed to 0 and come back as
``sigma_eff = 0`` with ``converged = True``. A real insulator is 0.
Young's moduli are finite and > 0 [Pa] (0 only where ``allow_zero``, e.g. a
pore); Poisson ratios lie in (-1, 0.5).

Voxel size
----------
Voxel sizes are finite and lie in [:data:`MIN_VOXEL_SIZE`, :data:`MAX_VOXEL_SIZE`]
(1 nm .. 1 cm: the API speaks metres). A spacing is one edge (cubic voxels)
or three, ``(dx, dy, dz)``, for tomograms whose slice spacing differs from the
pixel size (FIB-SEM); :func:`spacing` (API) and :func:`spacing_um` (CLI,
``--voxel-size-um 0.01,0.01,0.02``) check both forms the same way.
There is one default anywhere, :data:`DEFAULT_VOXEL_SIZE`
(1 µm), and one place that uses it: :func:`microcath.transport.conductivity_of_labels`
(API and ``microcath conductivity`` on a plain label array), where the
effective conductivity, tortuosity factor and potential do not depend on it.
An interface resistance makes the answer depend on the voxel size, so it needs
an explicit one. Everywhere else a missing voxel size is an error that names
``voxel_size`` (API) or ``--voxel-size-um`` (CLI).

>>> from microcath import validation
>>> validation.voxel_size_um(0.5)
5e-07
>>> try:
...     validation.conductivity(1e-39, "sigma")
... except ValueError as exc:
...     print(str(exc)[:46])
sigma: 1e-39 S/m is outside [1e-30, 1e+30] S/m
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import units
from .errors import InputError

__all__ = [
    "DEFAULT_VOXEL_SIZE",
    "MAX_VOXEL_SIZE",
    "MIN_VOXEL_SIZE",
    "SIGMA_MIN",
    "SIGMA_MAX",
    "number",
    "positive",
    "nonnegative",
    "MIN_VOXEL_SIZE",
    "voxel_size",
    "voxel_size_um",
    "spacing",
    "spacing_um",
    "cubic_edge",
    "conductivity",
    "resistance",
    "youngs_modulus",
    "poisson_ratio",
    "labels",
]

#: The one default voxel size [m]; used only by ``conductivity_of_labels`` (see module doc).
DEFAULT_VOXEL_SIZE = 1e-6
#: Largest voxel edge accepted [m] (1 cm: larger means a value in µm was passed as metres).
MAX_VOXEL_SIZE = 1e-2
#: Smallest voxel edge accepted [m] (1 nm, below any tomography: smaller means metres were given
#: where µm were asked for, e.g. ``--voxel-size-um 2e-7``).
MIN_VOXEL_SIZE = 1e-9
#: Smallest positive conductivity accepted [S/m] (well above float32's smallest normal, 1.2e-38,
#: so face conductances and their products stay representable in the float32 solver).
SIGMA_MIN = 1e-30
#: Largest conductivity accepted [S/m] (float32 holds up to 3.4e38).
SIGMA_MAX = 1e30


def number(value: Any, name: str, unit: str = "") -> float:
    """``value`` as a finite float (booleans and text refused)."""
    u = f" [{unit}]" if unit else ""
    if isinstance(value, (bool, np.bool_)) or isinstance(value, (str, bytes)):
        raise InputError(f"{name}: expected a number{u}, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected a number{u}, got {value!r}") from None
    if not math.isfinite(v):
        raise InputError(f"{name}: expected a finite number{u}, got {value!r}")
    return v


def positive(value: Any, name: str, unit: str = "") -> float:
    """``value`` as a finite float > 0."""
    v = number(value, name, unit)
    if v <= 0:
        u = f" [{unit}]" if unit else ""
        raise InputError(f"{name}: expected a positive number{u}, got {value!r}")
    return v


def nonnegative(value: Any, name: str, unit: str = "") -> float:
    """``value`` as a finite float >= 0."""
    v = number(value, name, unit)
    if v < 0:
        u = f" [{unit}]" if unit else ""
        raise InputError(f"{name}: expected a number >= 0{u}, got {value!r}")
    return v


def voxel_size(value: Any, name: str = "voxel_size") -> float:
    """A voxel edge [m]: finite, within [:data:`MIN_VOXEL_SIZE`, :data:`MAX_VOXEL_SIZE`]."""
    if value is None:
        raise InputError(f"{name}: the voxel size is needed (in metres, e.g. 0.2e-6); "
                         "on the command line give --voxel-size-um")
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise InputError(f"{name}: expected a number [m], got {value!r}")
    try:
        vs = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected a number [m], got {value!r}") from None
    if not (math.isfinite(vs) and vs > 0):
        raise InputError(f"{name}: expected a positive finite size in metres (e.g. 0.2e-6), got {vs}")
    if vs > MAX_VOXEL_SIZE:
        raise InputError(
            f"{name}: {vs} m is larger than 1 cm; the API speaks metres "
            "(use microcath.units.um(0.2) for 0.2 µm)"
        )
    if vs < MIN_VOXEL_SIZE:
        um_flag = name.split(" ")[0].endswith("-um")  # also "--voxel-size-um (y)"
        raise InputError(
            f"{name}: {units.to_um(vs) if um_flag else vs:g} {'µm' if um_flag else 'm'} is below 1 nm, "
            "smaller than any voxel; "
            + ("the flag is in µm: 0.2 µm is --voxel-size-um 0.2, not 2e-7" if um_flag else
               "the API speaks metres: 0.2 µm is 2e-7 (microcath.units.um(0.2))")
        )
    return vs


def spacing(value: Any, name: str = "voxel_size") -> tuple[float, float, float]:
    """Voxel spacing [m] as ``(dx, dy, dz)``: one edge (cubic voxels) or three.

    Each edge passes :func:`voxel_size`; the error names the parameter and the axis.

    >>> spacing(2e-7)
    (2e-07, 2e-07, 2e-07)
    >>> spacing((1e-8, 1e-8, 2e-8))
    (1e-08, 1e-08, 2e-08)
    """
    if value is None or isinstance(value, (bool, np.bool_, str, bytes)) or np.ndim(value) == 0:
        return (voxel_size(value, name),) * 3
    try:
        items = [v for v in np.asarray(value, dtype=object).ravel()]
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected one voxel edge or three (dx, dy, dz) [m], "
                         f"got {value!r}") from None
    if np.ndim(value) != 1 or len(items) not in (1, 3):
        raise InputError(
            f"{name}: expected one voxel edge or three (dx, dy, dz) [m], got {len(items)} values "
            f"{value!r}"
        )
    if len(items) == 1:
        return (voxel_size(items[0], name),) * 3
    return tuple(voxel_size(v, f"{name} ({ax})") for v, ax in zip(items, "xyz", strict=True))  # type: ignore


def voxel_size_um(value: Any, name: str = "--voxel-size-um") -> float | None:
    """A voxel edge given in µm (CLI, recipes) -> metres; None stays None."""
    if value is None:
        return None
    v = number(value, name, "µm")
    if v <= 0:
        raise InputError(f"{name}: expected a positive size in µm, got {value}")
    return voxel_size(units.um(v), name)


def spacing_um(value: Any, name: str = "--voxel-size-um") -> tuple[float, float, float] | None:
    """A spacing in µm (CLI, recipes): ``0.2``, ``"0.01,0.01,0.02"`` or three numbers -> metres.

    None stays None.

    >>> spacing_um("0.01,0.01,0.02")
    (1e-08, 1e-08, 2e-08)
    """
    if value is None:
        return None
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace(" ", ",").split(",") if p.strip()]
        if len(parts) not in (1, 3):
            raise InputError(
                f"{name}: expected one voxel edge or three (dx,dy,dz) in µm, e.g. 0.2 or 0.01,0.01,0.02, "
                f"got {value!r}"
            )
        value = parts if len(parts) == 3 else parts[0]
    if np.ndim(value) == 0 and not isinstance(value, (list, tuple)):
        edges = [value]
    else:
        edges = list(value)
        if len(edges) not in (1, 3):
            raise InputError(f"{name}: expected one voxel edge or three (dx,dy,dz) in µm, got {value!r}")
    out = []
    for v, ax in zip(edges, "xyz", strict=False):
        label = name if len(edges) == 1 else f"{name} ({ax})"
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise InputError(f"{label}: expected a number [µm], got {v!r}") from None
        out.append(voxel_size_um(f, label))
    return (out[0],) * 3 if len(out) == 1 else tuple(out)  # type: ignore[return-value]


def cubic_edge(spacing: Any, owner: str = "this structure") -> float:
    """The one edge of cubic voxels [m]; unequal edges raise an error that names ``spacing``.

    Used by every ``voxel_size`` property, so that no computation takes one number for
    the voxels of a stack whose edges differ.
    """
    dx, dy, dz = spacing
    if not dx == dy == dz:
        sp = ", ".join(f"{units.to_um(s):.4g}" for s in spacing)
        raise InputError(
            f"voxel_size: {owner} has voxels that are not cubic (dx, dy, dz = {sp} µm); "
            "use .spacing, the three edges [m]"
        )
    return float(dx)


def _as_float(value: Any, name: str, unit: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}: needs a number in {unit}, got {value!r}") from None


def conductivity(value: Any, name: str = "sigma") -> float:
    """A conductivity [S/m]: 0 (insulator) or within [:data:`SIGMA_MIN`, :data:`SIGMA_MAX`]."""
    v = _as_float(value, name, "S/m")
    if not math.isfinite(v) or v < 0:
        raise InputError(
            f"{name}: must be >= 0 and finite (a conductivity in S/m), got {v} "
            "(use 0 for an insulating phase)"
        )
    if v != 0 and not SIGMA_MIN <= v <= SIGMA_MAX:
        raise InputError(
            f"{name}: {v:g} S/m is outside [{SIGMA_MIN:g}, {SIGMA_MAX:g}] S/m, the range the solver "
            "represents; use 0 for an insulator (or rescale all conductivities together: "
            "sigma_eff scales with them)"
        )
    return v


def resistance(value: Any, name: str = "interface_resistance") -> float:
    """An area-specific resistance [ohm m^2]: finite, >= 0."""
    v = _as_float(value, name, "ohm m^2")
    if not math.isfinite(v) or v < 0:
        raise InputError(f"{name}: must be finite and >= 0 [ohm m^2], got {v}")
    return v


def youngs_modulus(value: Any, name: str = "youngs_modulus", *, allow_zero: bool = False) -> float:
    """Young's modulus [Pa]: finite and > 0 (or 0 with ``allow_zero``, for a pore)."""
    v = number(value, name, "Pa")
    if v < 0 or (v == 0 and not allow_zero):
        need = ">= 0 (0 only for a pore)" if allow_zero else "> 0"
        raise InputError(f"{name}: a Young's modulus must be {need} [Pa], got {value!r}")
    return v


def poisson_ratio(value: Any, name: str = "poisson_ratio") -> float:
    """Poisson ratio [-] in the open interval (-1, 0.5) (0.5 is incompressible: no finite bulk modulus)."""
    v = number(value, name)
    if not -1.0 < v < 0.5:
        raise InputError(f"{name}: a Poisson ratio must lie in (-1, 0.5), got {value!r}")
    return v


def labels(value: Any, name: str = "labels") -> np.ndarray:
    """A 3-D integer label volume as uint8 (values 0..255), shape (nx, ny, nz); bool is labels 0/1."""
    if not isinstance(value, np.ndarray):
        raise InputError(f"{name}: expected a numpy array of uint8, got {type(value).__name__}")
    if value.ndim != 3:
        raise InputError(
            f"{name}: expected a 3-D array (nx, ny, nz), got {value.ndim}-D shape {value.shape}; "
            "a 2-D image can be passed as labels[None] or labels[..., None]"
        )
    if 0 in value.shape:
        raise InputError(f"{name}: every axis needs at least one voxel, got shape {value.shape}")
    if value.dtype == np.bool_:
        return value.view(np.uint8)
    if value.dtype != np.uint8:
        if not np.issubdtype(value.dtype, np.integer):
            raise InputError(f"{name}: expected integer labels (uint8), got dtype {value.dtype}")
        lo, hi = int(value.min()), int(value.max())
        if lo < 0 or hi > 255:
            raise InputError(f"{name}: values must lie in 0..255, got {lo}..{hi}")
        value = value.astype(np.uint8)
    return value
