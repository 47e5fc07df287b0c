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
Voxel sizes are finite, > 0 and at most :data:`MAX_VOXEL_SIZE` (1 cm: the
API speaks metres). There is one default anywhere, :data:`DEFAULT_VOXEL_SIZE`
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
    "voxel_size",
    "voxel_size_um",
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
    """A voxel edge [m]: finite, > 0, at most :data:`MAX_VOXEL_SIZE`."""
    if value is None:
        raise InputError(f"{name}: the voxel size is needed (in metres, e.g. 0.2e-6); "
                         "on the command line give --voxel-size-um")
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
        um_flag = name.endswith("-um")
        raise InputError(
            f"{name}: {units.to_um(vs) if um_flag else vs:g} {'µm' if um_flag else 'm'} is below 1 nm, "
            "smaller than any voxel; "
            + ("the flag is in µm: 0.2 µm is --voxel-size-um 0.2, not 2e-7" if um_flag else
               "the API speaks metres: 0.2 µm is 2e-7 (microcath.units.um(0.2))")
        )
    return vs


def voxel_size_um(value: Any, name: str = "--voxel-size-um") -> float | None:
    """A voxel edge given in µm (CLI, recipes) -> metres; None stays None."""
    if value is None:
        return None
    v = number(value, name, "µm")
    if v <= 0:
        raise InputError(f"{name}: expected a positive size in µm, got {value}")
    return voxel_size(units.um(v), name)


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
