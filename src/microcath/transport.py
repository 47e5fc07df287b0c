"""Effective ionic and electronic conductivity of a voxel microstructure.

Steady conduction ``div(sigma grad phi) = 0`` is solved on the voxel grid
(cell-centred finite volumes, harmonic-mean face conductances, optional
interfacial resistance per phase pair in series) with a unit potential drop
between the two outer faces normal to ``axis`` and no-flux (or periodic)
sides. The solver (matrix-free multigrid-preconditioned conjugate gradients,
Taichi kernels) lives in :mod:`microcath.gpu_kernels.conduction`; this module
validates input, maps phases to conductivities and builds the results.

Conventions (DOSSIER §D): ``sigma_eff = I L / (A dV)`` over the whole cross
section; tortuosity factor ``tau = eps sigma_phase / sigma_eff`` (TauFactor's);
MacMullin number ``N_M = sigma_phase / sigma_eff``.

>>> import numpy as np
>>> from microcath.transport import conductivity_of_labels
>>> lab = np.zeros((8, 4, 4), np.uint8); lab[:, :2] = 1     # two parallel slabs
>>> r = conductivity_of_labels(lab, {0: 1.0, 1: 3.0})
>>> round(r.sigma_eff, 5)                                   # arithmetic mean
2.0
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import units, validation
from .analysis.components import connected_components
from .analysis.percolation import merge_periodic, spanning_mask, spanning_roots
from .errors import ConvergenceWarning, InputError, MemoryBudgetError
from .memory import available_memory as _available_memory
from .memory import check_memory
from .microstructure import AXES, Microstructure, axis_index
from .results import ResultMixin

__all__ = [
    "ConductivityResult",
    "TensorResult",
    "conductivity",
    "conductivity_of_labels",
    "memory_required",
    "available_memory",
]

log = logging.getLogger(__name__)

CARRIERS = ("ionic", "electronic")
DTYPES = ("float32", "float64")
BOUNDARIES = ("faces", "centres", "taufactor")
#: conductivity ratio between neighbouring values in use above which the clusters of the
#: more conducting phases get the island correction of the preconditioner
ISLAND_CONTRAST = 1e2
#: island contrast above which float32 solves keep their Krylov vectors in float64 (the
#: face conductances stay float32): float32 CG loses conjugacy there (default composite,
#: electrons, contrast 3e7, 64^3: 473 -> 122 iterations, 6.8 -> 3.6 s; +12 B/voxel)
ISLAND_F64_CONTRAST = 1e5
#: island contrast from which the preconditioner interpolates islands on every level
#: (``conduction.IslandTransfer``); below it the finest-level island correction alone is as
#: good (electrolyte pockets at 1e3, 256^3: 10 iterations either way) and 3.6x faster (no
#: host set-up of every coarse level's clusters)
ISLAND_INTERPOLATION_CONTRAST = 1e5
#: a spanning conducting network (its strongly conducting part at island contrast) filling
#: less than this fraction of the volume is solved on the strength-split pieces of
#: ``gpu_kernels.aggregation`` at once: near its percolation threshold such a network is tortuous
#: on every scale and fixed 2x2x2 aggregates weld branches that meet only far away (default
#: composite with 15 wt% carbon, electrons, 128^3: 125 -> 16 iterations). Denser
#: networks start on the 2x2x2 levels and move onto the pieces only when those converge slowly
#: (``conduction.PROBE_RATE``): the electrolyte of an 82 wt% NMC811 cathode takes 19 iterations
#: there, 1.21 s at 128^3, against 13 and 2.05 s on the pieces (``bench_conductivity.py --carrier
#: ionic --set active.fraction=0.82 --set electrolyte.fraction=0.15 --coarse blocks|pieces``;
#: docs/transport.md, "Tortuous networks")
PIECES_NETWORK_FRACTION = 0.2
#: ... in volumes of at least this many voxels: below it the hierarchy is too shallow to weld
#: much, and the structured cycle, which solves a small network almost exactly, is as fast
PIECES_MIN_VOXELS = 32 ** 3
#: conductivities below this fraction of the largest one in use are solved as insulators
#: (a float64-accumulated solve resolves ~1e-16 of the largest current; 1e-20 leaves margin)
NEGLIGIBLE_CONTRAST = 1e-20


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class ConductivityResult(ResultMixin):
    """Effective conductivity along one axis.

    Attributes
    ----------
    sigma_eff : float
        Effective conductivity ``I L / (A dV)`` over the whole cross section [S/m].
    axis : str
        Transport axis (``'x'``, ``'y'`` or ``'z'``).
    carrier : str
        ``'ionic'``, ``'electronic'`` or ``'custom'`` (per-label conductivities).
    volume_fraction : float
        Volume fraction of the conducting phase(s) (all voxels with sigma > 0) [-].
    percolating_fraction : float
        Fraction of the conducting voxels in the cluster that spans the axis [-].
    sigma_phase : float or None
        Conductivity of the single conducting phase [S/m]; None when several
        phases with different conductivities conduct.
    tau : float or None
        Tortuosity factor ``eps sigma_phase / sigma_eff`` [-] (TauFactor's
        convention, not a path-length ratio); ``inf`` without percolation;
        None when several phases conduct (see ``tau_note``).
    macmullin : float or None
        MacMullin number ``sigma_phase / sigma_eff`` [-].
    tau_note : str
        Why ``tau`` is None, else empty.
    percolating : bool
        Whether a conducting path joins the two electrode faces.
    converged : bool
        Whether the residual and the flux balance reached their tolerances.
    n_iter : int
        Conjugate-gradient iterations.
    residual : float
        Final relative residual ``||b - A phi|| / ||b||`` [-].
    flux_in, flux_out : float
        Current through the inlet and outlet faces for 1 V applied [A].
    flux_balance : float
        ``|flux_in - flux_out| / max(|flux_in|, |flux_out|)`` [-].
    wall_time : float
        Wall time of the whole call [s].
    arch : str
        Taichi backend that ran the solve.
    dtype : str
        Storage precision of the solver fields.
    boundary : str
        ``'faces'`` (potential fixed on the outer faces), ``'centres'`` (fixed at
        the centres of the first and last voxel layers) or ``'taufactor'`` (at the
        centres of copies of the end layers placed outside the sample).
    shape : tuple of int
        Shape of the structure (original axis order).
    spacing : tuple of float
        Voxel edges ``(dx, dy, dz)`` [m] (``voxel_size`` gives the one edge of cubic voxels).
    potential : ndarray or None
        Potential [V] for 1 V applied along the axis (``fields=True``); NaN in
        voxels outside the spanning conducting cluster.
    current_density : ndarray or None
        Current density [A/m^2], shape ``(3, nx, ny, nz)``, at voxel centres
        (``fields=True``).
    """

    sigma_eff: float
    axis: str
    carrier: str
    volume_fraction: float
    percolating_fraction: float
    sigma_phase: float | None
    tau: float | None
    macmullin: float | None
    tau_note: str
    percolating: bool
    converged: bool
    n_iter: int
    residual: float
    flux_in: float
    flux_out: float
    flux_balance: float
    wall_time: float
    arch: str
    dtype: str
    boundary: str
    shape: tuple
    spacing: tuple
    potential: np.ndarray | None = None
    current_density: np.ndarray | None = None

    @property
    def voxel_size(self) -> float:
        """Edge of the cubic voxels [m]; raises for unequal spacing (use ``spacing``)."""
        return validation.cubic_edge(self.spacing, "this result")

    @property
    def sigma_eff_mS_cm(self) -> float:
        """Effective conductivity [mS/cm]."""
        return units.to_mS_cm(self.sigma_eff)

    def _html_rows(self) -> list[tuple[str, Any, str]]:
        na = "—"
        return [
            ("axis / carrier", f"{self.axis} / {self.carrier}", ""),
            ("σ_eff", self.sigma_eff, "S/m"), ("σ_eff", self.sigma_eff_mS_cm, "mS/cm"),
            ("volume fraction ε", self.volume_fraction, "-"),
            ("percolating share of the conductor", self.percolating_fraction, "-"),
            ("tortuosity factor τ", na if self.tau is None else self.tau, "-" if self.tau is not None else
             self.tau_note),
            ("MacMullin number", na if self.macmullin is None else self.macmullin, "-"),
            ("percolating", self.percolating, ""), ("converged", self.converged, ""),
            ("iterations", self.n_iter, ""), ("relative residual", self.residual, "-"),
            ("flux balance", self.flux_balance, "-"),
            ("shape", list(self.shape), "voxels"), ("spacing", [units.to_um(h) for h in self.spacing], "µm"),
            ("boundary / dtype / arch", f"{self.boundary} / {self.dtype} / {self.arch}", ""),
            ("wall time", self.wall_time, "s"),
        ]

    def summary(self) -> str:
        if not self.converged:
            approx = ("not available (the last iterate is physically impossible)"
                      if math.isnan(self.sigma_eff) else
                      f"~{self.sigma_eff:.4g} S/m (approximate, not the answer)")
            return (f"{self.axis}: NOT CONVERGED after {self.n_iter} iterations (residual "
                    f"{self.residual:.2e}, flux balance {self.flux_balance:.2e}); sigma_eff {approx}")
        tau = "n/a" if self.tau is None else f"{self.tau:.4g}"
        return (f"{self.axis}: sigma_eff = {self.sigma_eff:.4g} S/m ({self.sigma_eff_mS_cm:.4g} mS/cm), "
                f"eps = {self.volume_fraction:.4f}, tau = {tau}, iterations {self.n_iter}, "
                f"converged {self.converged}")


@dataclass(frozen=True)
class TensorResult(ResultMixin):
    """Diagonal of the effective conductivity tensor: one :class:`ConductivityResult` per axis."""

    x: ConductivityResult
    y: ConductivityResult
    z: ConductivityResult

    @property
    def results(self) -> tuple[ConductivityResult, ConductivityResult, ConductivityResult]:
        return (self.x, self.y, self.z)

    @property
    def sigma_eff(self) -> tuple[float, float, float]:
        """(sigma_xx, sigma_yy, sigma_zz) [S/m]."""
        return tuple(r.sigma_eff for r in self.results)  # type: ignore[return-value]

    @property
    def tau(self) -> tuple:
        return tuple(r.tau for r in self.results)

    @property
    def converged(self) -> bool:
        return all(r.converged for r in self.results)

    def __getitem__(self, axis: int | str) -> ConductivityResult:
        return self.results[axis_index(axis)]

    def _html_rows(self) -> list[tuple[str, Any, str]]:
        rows: list[tuple[str, Any, str]] = []
        for r in self.results:
            rows += [(f"σ_eff ({r.axis})", r.sigma_eff_mS_cm, "mS/cm"),
                     (f"τ ({r.axis})", "—" if r.tau is None else r.tau, "-"),
                     (f"converged ({r.axis})", r.converged, "")]
        return rows


# --------------------------------------------------------------------------- memory
def available_memory() -> tuple[int, str]:
    """Memory the solve may use on the current backend [bytes] and its name."""
    from .gpu_kernels.runtime import ensure_initialized

    ensure_initialized()
    return _available_memory()


def memory_required(shape: tuple[int, ...], dtype: str = "float32") -> int:
    """Bytes the solver allocates for a structure of ``shape`` (beyond the input labels)."""
    from .gpu_kernels.conduction import bytes_per_voxel

    return int(math.prod(shape) * bytes_per_voxel(dtype)) + (1 << 20)


def _check_memory(shape: tuple[int, ...], dtype: str, *, vector_dtype: str | None = None,
                  cracks: bool = False) -> None:
    from .gpu_kernels.conduction import bytes_per_voxel

    check_memory(shape, bytes_per_voxel(dtype, vector_dtype, cracks=cracks), f"the {dtype} conduction solver",
                 parameter="labels",
                 available=available_memory(),
                 fix="crop or downsample the structure, or use a device with more memory")


# --------------------------------------------------------------------------- validation
def _parse_axes(axis: Any) -> list[int]:
    if isinstance(axis, str) and axis.lower() == "all":
        return [0, 1, 2]
    return [axis_index(axis)]


def _check_options(tol: float, dtype: str, boundary: str, maxiter: int) -> None:
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise InputError(f"tol: expected a relative tolerance in (0, 1), e.g. 1e-6, got {tol!r}")
    if dtype not in DTYPES:
        raise InputError(f"dtype: expected 'float32' or 'float64', got {dtype!r}")
    if boundary not in BOUNDARIES:
        raise InputError(f"boundary: expected 'faces', 'centres' or 'taufactor', got {boundary!r}")
    if not (isinstance(maxiter, (int, np.integer)) and maxiter > 0):
        raise InputError(f"maxiter: expected a positive integer, got {maxiter!r}")


# --------------------------------------------------------------------------- public API
def conductivity_of_labels(labels: np.ndarray, sigma_per_label: Mapping[int, float] | Any, *,
                           voxel_size: float | None = None, axis: int | str = "x",
                           interface_resistance: Mapping[tuple[int, int], float] | None = None,
                           periodic: bool = False, boundary: str = "faces", tol: float = 1e-6,
                           dtype: str = "float32", fields: bool = False, maxiter: int = 1000,
                           carrier: str = "custom", _names: Mapping[int, str] | None = None,
                           cut_faces: tuple | None = None, face_resistance: tuple | None = None
                           ) -> ConductivityResult | TensorResult:
    """Effective conductivity of a plain labelled array with a conductivity per label.

    Parameters
    ----------
    labels : ndarray of uint8, shape (nx, ny, nz)
        Label per voxel.
    sigma_per_label : mapping or sequence
        ``{label: sigma}`` [S/m] for every label present (``0`` for insulators), or a
        sequence indexed by label.
    voxel_size : float or (float, float, float), optional
        Voxel edge [m], or the spacing ``(dx, dy, dz)`` of unequal edges. One edge scales
        interfacial resistances and the reported currents, not ``sigma_eff``, ``tau`` or the
        potential; unequal edges change the conductances of the faces normal to each axis
        (``A_d / h_d``) and so ``sigma_eff`` too. When omitted,
        :data:`microcath.validation.DEFAULT_VOXEL_SIZE` (1 µm) is used, the one default voxel
        size of microcath, and ``interface_resistance`` is refused.
    axis : {'x', 'y', 'z', 0, 1, 2, 'all'}
        Transport axis; ``'all'`` returns a :class:`TensorResult`.
    interface_resistance : mapping, optional
        ``{(label_a, label_b): R}`` area-specific resistance [ohm m^2] added in series
        on every face between the two labels (symmetric: give each pair once; entries
        for ``(a, b)`` and ``(b, a)`` add up).
    periodic : bool
        Periodic sides (default no-flux).
    boundary : {'faces', 'centres', 'taufactor'}
        Where the potential is fixed: on the outer faces (default; a uniform block
        gives exactly sigma), at the centres of the first and last voxel layers
        (length ``(n - 1) h``), or TauFactor's convention: at the centres of one
        extra layer outside each end copying the end layer (length ``(n + 1) h``).
    tol : float
        Relative residual to reach; the inlet and outlet currents must also agree to 1e-4.
    dtype : {'float32', 'float64'}
        Solver field precision (reductions are float64 either way).
    fields : bool
        Also return the potential and current-density fields.
    maxiter : int
        Conjugate-gradient iteration limit.
    cut_faces : (cx, cy, cz) of bool arrays shaped like ``labels``, optional
        Faces that conduct nothing (e.g. interfaces opened by the volume change, from
        :func:`microcath.mechanics.stress`): ``c[a][i, j, k]`` is the face between voxel
        ``(i, j, k)`` and the next one along axis ``a``. Needs ``boundary='faces'`` and
        no-flux sides.
    face_resistance : (rx, ry, rz) of float arrays shaped like ``labels``, optional
        Area-specific resistance [ohm m^2] in series on single faces (a sub-voxel binder film
        on part of a surface), same face convention as ``cut_faces``; 0 where there is none.
        Needs ``voxel_size``, ``boundary='faces'`` and no-flux sides.

    Returns
    -------
    ConductivityResult or TensorResult
    """
    t0 = time.perf_counter()
    labels = validation.labels(labels)
    rfaces = None
    if face_resistance is not None:
        if boundary != "faces" or periodic:
            raise InputError("face_resistance: only with boundary='faces' and no-flux sides (periodic=False)")
        if voxel_size is None:
            raise InputError("voxel_size: a face resistance makes the answer depend on the voxel size; "
                             "give voxel_size= in metres")
        if len(face_resistance) != 3 or any(np.shape(r) != labels.shape for r in face_resistance):
            raise InputError("face_resistance: expected three float arrays shaped like the labels")
        rfaces = tuple(np.asarray(r, np.float64) for r in face_resistance)
        if any(not (np.all(np.isfinite(r)) and r.min(initial=0.0) >= 0) for r in rfaces):
            raise InputError("face_resistance: resistances must be finite and >= 0 [ohm m^2]; "
                             "block a face with cut_faces instead")
    if cut_faces is not None:
        if boundary != "faces" or periodic:
            raise InputError("cut_faces: only with boundary='faces' and no-flux sides (periodic=False)")
        if len(cut_faces) != 3 or any(np.shape(c) != labels.shape for c in cut_faces):
            raise InputError("cut_faces: expected three boolean arrays shaped like the labels")
    _check_options(tol, dtype, boundary, maxiter)
    _check_memory(labels.shape, dtype, cracks=cut_faces is not None)  # before any volume-sized temporary
    sp = validation.spacing(validation.DEFAULT_VOXEL_SIZE if voxel_size is None else voxel_size)
    vs = sp[0]  # rint_per_h is the resistance over dx; _solve_axis rescales it per axis
    present = np.flatnonzero(np.bincount(labels.ravel(), minlength=256))
    sig = np.zeros(256)
    if isinstance(sigma_per_label, Mapping):
        given = {}
        for k, v in sigma_per_label.items():
            try:
                lab = int(k)
            except (TypeError, ValueError):
                raise InputError(f"sigma_per_label: keys must be integer labels, got {k!r}") from None
            given[lab] = validation.conductivity(v, f"sigma: label {lab}")
    else:
        arr = np.asarray(sigma_per_label, dtype=float).ravel()
        given = {i: validation.conductivity(v, f"sigma: label {i}") for i, v in enumerate(arr)}
    missing = [int(p) for p in present if int(p) not in given]
    if missing:
        raise InputError(
            f"sigma_per_label: labels {missing} occur in the image but have no conductivity; "
            "give one for every label (0 for insulators), e.g. {0: 0.0, 1: 0.13} "
            "(CLI: --sigma 0=0 --sigma 1=0.13)"
        )
    for k, v in given.items():
        if 0 <= k <= 255:
            sig[k] = v
    rint_per_h = np.zeros((256, 256))  # interface resistance / voxel edge [ohm m]
    for pair, value in (interface_resistance or {}).items():
        try:
            a, b = (int(p) for p in pair)
        except (TypeError, ValueError):
            raise InputError(
                f"interface_resistance: keys must be label pairs (a, b), got {pair!r}"
            ) from None
        if not (0 <= a <= 255 and 0 <= b <= 255):
            raise InputError(f"interface_resistance: labels must lie in 0..255, got pair {pair!r}")
        r = validation.resistance(value, f"interface_resistance: pair {pair}")  # [ohm m^2]
        if r > 0 and voxel_size is None:
            raise InputError("voxel_size: an interface resistance makes the answer depend on the voxel "
                             "size; give voxel_size= in metres (CLI: --voxel-size-um)")
        rint_per_h[a, b] += r / vs
        if a != b:
            rint_per_h[b, a] += r / vs
    axes = _parse_axes(axis)
    if 1 < _boundary_min_size(boundary) and min(labels.shape[a] for a in axes) < 3:
        raise InputError("boundary: 'centres' needs at least 3 voxels along the transport axis")
    if rfaces is not None:
        if len(set(sp)) != 1:
            raise InputError("face_resistance: only for cubic voxels (a recorded film comes from the "
                             "generators, which draw cubic voxels)")
        rfaces = tuple(r / vs for r in rfaces)  # [ohm m^2] -> per voxel edge [ohm m]
    results = [
        _solve_axis(labels, sig, rint_per_h, a, sp, periodic=periodic, boundary=boundary, tol=tol,
                    dtype=dtype, fields=fields, maxiter=maxiter, carrier=carrier, names=_names,
                    cuts=cut_faces, rfaces=rfaces)
        for a in axes
    ]
    if len(results) == 1:
        return _with_time(results[0], time.perf_counter() - t0)
    return TensorResult(*results)


def _boundary_min_size(boundary: str) -> int:
    return 3 if boundary == "centres" else 1


def phase_conductivities(ms: Microstructure, carrier: str = "ionic", *,
                         sigma: Mapping[int | str, float] | None = None,
                         materials: Any = None) -> dict[int, float]:
    """Conductivity of every phase of ``ms`` for one carrier: ``{label: sigma}`` [S/m].

    The one place where phases get their conductivities: ``sigma`` overrides (by label or
    phase name) first, then the phase's material in ``materials`` (default
    :func:`microcath.materials.default_library`); a pore without a material is 0; any
    other phase without a material and without an override is an error naming the fix.
    """
    if carrier not in CARRIERS:
        raise InputError(f"carrier: expected 'ionic' or 'electronic', got {carrier!r}")
    table = ms.phases
    overrides: dict[int, float] = {}
    for key, value in (sigma or {}).items():
        overrides[table.resolve(key)] = validation.conductivity(value, f"sigma: phase {key!r}")
    sig: dict[int, float] = {}
    lib = None
    for label, phase in table.items():
        if label in overrides:
            sig[label] = overrides[label]
        elif phase.material is None:
            if phase.kind.value == "pore":
                sig[label] = 0.0
            else:
                raise InputError(
                    f"sigma: phase {phase.name!r} (label {label}) has no material and no conductivity; "
                    f"pass sigma={{{phase.name!r}: value_in_S_per_m}}"
                )
        else:
            if lib is None:
                from .materials import library_for

                lib = library_for(ms, materials)
            sig[label] = validation.conductivity(lib.get(phase.material).sigma(carrier),
                                                 f"sigma: material {phase.material!r} ({carrier})")
    return sig


def conductivity(ms: Microstructure, *, carrier: str = "ionic", axis: int | str = "x",
                 sigma: Mapping[int | str, float] | None = None,
                 interface_resistance: Mapping[tuple[int | str, int | str], float] | None = None,
                 materials: Any = None, periodic: bool = False, boundary: str = "faces",
                 tol: float = 1e-6, dtype: str = "float32", fields: bool = False,
                 maxiter: int = 1000, cut_faces: tuple | None = None) -> ConductivityResult | TensorResult:
    """Effective ionic or electronic conductivity of a microstructure.

    Parameters
    ----------
    ms : Microstructure
        The structure.
    carrier : {'ionic', 'electronic'}
        Which conductivity of each phase's material to use.
    axis : {'x', 'y', 'z', 'all'}
        Transport axis; ``'all'`` gives the diagonal of the tensor (:class:`TensorResult`).
    sigma : mapping, optional
        ``{label or phase name: sigma}`` [S/m] overriding the materials library.
        Phases without a material (e.g. pores) default to 0.
    interface_resistance : mapping, optional
        ``{(phase_a, phase_b): R}`` area-specific resistance [ohm m^2] on every face between
        the two phases (names or labels). For the ionic carrier, each coating recorded on the
        structure adds ``thickness / sigma_ionic(coating material)`` on every face between
        the coated phase and another phase.
    materials : MaterialLibrary, optional
        Library to read conductivities from (default ``materials.default_library()``).
    periodic, boundary, tol, dtype, fields, maxiter, cut_faces
        See :func:`conductivity_of_labels`.

    Returns
    -------
    ConductivityResult or TensorResult
    """
    if not isinstance(ms, Microstructure):
        raise InputError(
            f"ms: expected a Microstructure, got {type(ms).__name__}; "
            "use conductivity_of_labels() for a plain label array"
        )
    if carrier not in CARRIERS:
        raise InputError(f"carrier: expected 'ionic' or 'electronic', got {carrier!r}")
    table = ms.phases
    lib = materials
    if lib is None and ((ms.coatings and carrier == "ionic") or ms.film is not None):
        from .materials import default_library

        lib = default_library()
    sig = phase_conductivities(ms, carrier, sigma=sigma, materials=lib)
    rint: dict[tuple[int, int], float] = {}  # [ohm m^2]
    for pair, value in (interface_resistance or {}).items():
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise InputError(
                f"interface_resistance: keys must be phase pairs such as ('NMC811', 'Li6PS5Cl'), got {pair!r}"
            )
        a, b = table.resolve(pair[0]), table.resolve(pair[1])
        r = validation.resistance(value, f"interface_resistance: pair {pair}")
        rint[(a, b)] = rint.get((a, b), 0.0) + r
    if carrier == "ionic" and ms.coatings:
        for c in ms.coatings:
            s_coat = lib.get(c.material).sigma("ionic")
            if not s_coat > 0:
                raise InputError(
                    f"coatings: coating material {c.material!r} has ionic conductivity {s_coat}; "
                    "an insulating coating blocks transport completely - give it a positive conductivity"
                )
            r = c.thickness / s_coat
            a = table.label_of(c.on)
            for b in table:
                if b != a:
                    rint[(a, b)] = rint.get((a, b), 0.0) + r
    rfaces = None
    if ms.film is not None:
        cut_faces, rfaces = _film_faces(ms, carrier, lib, cut_faces, periodic=periodic, boundary=boundary)
    names = {k: p.name for k, p in table.items()}
    return conductivity_of_labels(
        ms.labels, sig, voxel_size=ms.spacing, axis=axis, interface_resistance=rint,
        periodic=periodic, boundary=boundary, tol=tol, dtype=dtype, fields=fields, maxiter=maxiter,
        carrier=carrier, _names=names, cut_faces=cut_faces, face_resistance=rfaces,
    )


def _film_faces(ms: Microstructure, carrier: str, lib: Any, cut_faces: tuple | None, *, periodic: bool,
                boundary: str) -> tuple[tuple | None, tuple | None]:
    """A sub-voxel film as transport sees it: (cut faces, face resistances [ohm m^2]).

    A film material that does not conduct the carrier blocks its faces (joined with
    ``cut_faces``); one of conductivity ``s`` adds ``thickness / s`` in series on them.
    """
    film = ms.film
    if boundary != "faces" or periodic:
        raise InputError(f"the structure carries a sub-voxel {film.material} film, recorded face by face; "
                         "its faces are only solved with boundary='faces' and no-flux sides (periodic=False)")
    s_film = validation.conductivity(lib.get(film.material).sigma(carrier),
                                     f"sigma: film material {film.material!r} ({carrier})")
    masks = film.face_masks()
    if s_film > 0:
        return cut_faces, tuple(np.where(m, film.thickness / s_film, 0.0) for m in masks)
    if cut_faces is None:
        return masks, None
    return tuple(np.asarray(c, bool) | m for c, m in zip(cut_faces, masks, strict=True)), None


# --------------------------------------------------------------------------- implementation
def _with_time(r: ConductivityResult, wall: float) -> ConductivityResult:
    import dataclasses

    return dataclasses.replace(r, wall_time=wall)


def _permute_faces(faces: tuple | None, perm: tuple[int, ...]) -> tuple | None:
    """Face arrays (one per axis) in the solver's axis order (transport along axis 0)."""
    if faces is None:
        return None
    return tuple(np.ascontiguousarray(faces[p].transpose(perm)) for p in perm)


def _spanning_mask_cut(conducting: np.ndarray, cuts: tuple) -> np.ndarray:
    """Voxels of the conducting clusters touching both x faces, joined only through uncut faces."""
    from .analysis.faces import face_components, touching_layers

    lab, n = face_components(conducting, cuts)
    span = touching_layers(lab, n, 0) & touching_layers(lab, n, -1)
    return span[lab]


def _negligible_to_zero(sig: np.ndarray, lab_t: np.ndarray) -> np.ndarray:
    """Conductivities below :data:`NEGLIGIBLE_CONTRAST` times the largest one in use set to 0.

    Sulfur for electrons (5e-28 S/m next to carbon at 300 S/m) is an insulator for every
    purpose, but as a "conductor" it links carbon clusters to the spanning network by
    conductances of 1e-27: their constant modes have eigenvalues ~1e-30 of the carbon scale,
    below what any floating-point solve resolves (the preconditioner broke down)."""
    present = np.flatnonzero(np.bincount(lab_t.ravel(), minlength=256))
    top = float(sig[present].max()) if present.size else 0.0
    small = (sig > 0) & (sig < NEGLIGIBLE_CONTRAST * top)
    small[np.setdiff1d(np.arange(256), present)] = False
    if not small.any():
        return sig
    log.info("conductivities below %g x the largest (%g S/m) treated as insulating: labels %s",
             NEGLIGIBLE_CONTRAST, top, np.flatnonzero(small).tolist())
    out = sig.copy()
    out[small] = 0.0
    return out


def _island_split(sig: np.ndarray, present: np.ndarray) -> tuple[float, float]:
    """(largest ratio between neighbouring distinct positive conductivities in use, the
    geometric mean of that pair) [-, S/m]; (1, 0) with fewer than two values."""
    vals = np.unique(sig[present])
    vals = vals[vals > 0]
    if vals.size < 2:
        return 1.0, 0.0
    ratios = vals[1:] / vals[:-1]
    g = int(np.argmax(ratios))
    return float(ratios[g]), float(math.sqrt(vals[g] * vals[g + 1]))


def _island_threshold(sig: np.ndarray, present: np.ndarray) -> float | None:
    """Conductivity above which voxels count as "strong" for the island correction.

    The distinct positive conductivities in use are sorted and split at the largest ratio
    between neighbours; when that ratio exceeds :data:`ISLAND_CONTRAST` the threshold is
    the geometric mean of the two values (e.g. electrons: carbon 300 S/m vs NMC 1e-5 S/m
    and electrolyte 3e-7 S/m -> 0.05 S/m), else None (no islands to treat)."""
    ratio, thr = _island_split(sig, present)
    return thr if ratio >= ISLAND_CONTRAST else None


def _islands(lab_t: np.ndarray, keep: np.ndarray, sig: np.ndarray, off: int,
             periodic: bool) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Clusters of strongly conducting kept voxels that do not span the axis, on the
    unknown grid (Dirichlet layers ``off`` removed): (flat indices, cluster per index,
    number of clusters) for ``conduction.IslandCorrection``, or None."""
    present = np.flatnonzero(np.bincount(lab_t.ravel(), minlength=256))
    thr = _island_threshold(sig, present)
    if thr is None:
        return None
    n = lab_t.shape[0]
    strong_lut = sig > thr
    strong = strong_lut[lab_t[off:n - off]]
    strong &= keep[off:n - off]
    if not strong.any():
        return None
    lab, n = connected_components(strong, connectivity=6)
    roots = merge_periodic(lab, n, (1, 2) if periodic else ())
    del strong
    # island = a strong cluster that does not span; a per-label lookup keeps the
    # temporaries at 1 B/voxel (spanning clusters, often most of the volume, drop out)
    island_label = ~spanning_roots(lab, roots, 0)
    island_label[0] = False
    if not island_label.any():
        return None
    flat = lab.ravel()
    idx = np.flatnonzero(island_label[flat])
    ids = roots[flat[idx]]
    del lab, flat
    uniq, cid = np.unique(ids, return_inverse=True)
    return idx.astype(np.int32), cid.astype(np.int32), int(uniq.size)


def _network_fraction(lab_t: np.ndarray, keep: np.ndarray, sig: np.ndarray, off: int,
                      islands: tuple[np.ndarray, np.ndarray, int] | None) -> float:
    """Fraction of the unknown grid (Dirichlet layers ``off`` removed) that the spanning
    network fills: at island contrast its strongly conducting voxels that span (the strong
    voxels outside :func:`_islands`' clusters), when there are any; else every kept voxel
    (the matrix carries the current around the islands)."""
    n = lab_t.shape[0]
    kept = keep[off:n - off]
    thr = _island_threshold(sig, np.flatnonzero(np.bincount(lab_t.ravel(), minlength=256)))
    if thr is not None:
        strong = (sig > thr)[lab_t[off:n - off]]
        strong &= kept
        spanning = np.count_nonzero(strong) - (len(islands[0]) if islands is not None else 0)
        if spanning > 0:
            return spanning / kept.size
    return np.count_nonzero(kept) / kept.size


def _solve_axis(labels: np.ndarray, sig: np.ndarray, rint_per_dx: np.ndarray, a: int,
                spacing: tuple[float, float, float], *,
                periodic: bool, boundary: str, tol: float, dtype: str, fields: bool, maxiter: int,
                carrier: str, names: Mapping[int, str] | None, cuts: tuple | None = None,
                rfaces: tuple | None = None) -> ConductivityResult:
    import warnings

    from .gpu_kernels.conduction import solve_conduction
    from .gpu_kernels.runtime import ensure_initialized

    t0 = time.perf_counter()
    arch = ensure_initialized()
    perm = (a,) + tuple(i for i in range(3) if i != a)
    h0, h1, h2 = (spacing[p] for p in perm)  # voxel edges in the solver's axis order [m]
    rint_per_h = rint_per_dx * (spacing[0] / h0) if spacing[0] != h0 else rint_per_dx
    lab_t = np.ascontiguousarray(labels.transpose(perm))
    n_cond = int(np.count_nonzero((sig > 0)[lab_t]))
    eps = n_cond / lab_t.size
    pad = boundary == "taufactor"
    if pad:  # TauFactor: one layer copying each end layer, potential fixed at its centre
        lab_t = np.concatenate([lab_t[:1], lab_t, lab_t[-1:]])
    nx, ny, nz = lab_t.shape
    sig_given = sig
    sig = _negligible_to_zero(sig, lab_t)
    conducting = (sig > 0)[lab_t]  # bool lookup: 1 byte per voxel
    cond_labels = [int(v) for v in np.flatnonzero(np.bincount(lab_t.ravel(), minlength=256)) if sig[v] > 0]
    sig_values = {float(sig[v]) for v in cond_labels}
    if len(sig_values) == 1:
        sigma_phase: float | None = sig_values.pop()
        tau_note = ""
    else:
        sigma_phase = None
        which = ", ".join((names or {}).get(v, str(v)) for v in cond_labels) or "none"
        tau_note = (f"tau is defined for a single conducting phase; conducting phases here: {which}"
                    if cond_labels else "no conducting phase")
    cuts_t = None
    if cuts is not None:
        cuts_t = _permute_faces(tuple(np.asarray(c, bool) for c in cuts), perm)
        keep = _spanning_mask_cut(conducting, cuts_t)
    else:
        keep = spanning_mask(conducting, axis=0, periodic=periodic)
    n_keep = int(np.count_nonzero(keep[1:-1] if pad else keep))
    if n_keep == 0 and sig is not sig_given and cuts is None and spanning_mask(
            (sig_given > 0)[lab_t], axis=0, periodic=periodic).any():
        small = sorted({float(sig_given[v]) for v in np.flatnonzero(sig_given != sig)})
        raise InputError(
            f"sigma: along {AXES[a]} the current must cross a phase of {small[0]:g} S/m, less than "
            f"{NEGLIGIBLE_CONTRAST:g} x the largest conductivity ({float(sig_given.max()):g} S/m); no "
            "floating-point solve resolves that contrast, and calling it 0 would be wrong. Give such "
            "phases 0 (insulating) or raise them to within 1e20 of the largest"
        )
    common = dict(axis=AXES[a], carrier=carrier, volume_fraction=eps,
                  percolating_fraction=(n_keep / n_cond) if n_cond else 0.0, sigma_phase=sigma_phase,
                  tau_note=tau_note, arch=arch, dtype=dtype, boundary=boundary,
                  shape=tuple(int(s) for s in labels.shape), spacing=tuple(spacing))
    if n_keep == 0:
        pot = cur = None
        if fields:
            pot = np.full(labels.shape, np.nan)
            cur = np.zeros((3,) + labels.shape)
        return ConductivityResult(
            sigma_eff=0.0, tau=math.inf if sigma_phase is not None else None,
            macmullin=math.inf if sigma_phase is not None else None, percolating=False,
            converged=True, n_iter=0, residual=0.0, flux_in=0.0, flux_out=0.0, flux_balance=0.0,
            wall_time=time.perf_counter() - t0, potential=pot, current_density=cur, **common,
        )
    del conducting
    off = 0 if boundary == "faces" else 1
    islands = _islands(lab_t, keep, sig, off, periodic)
    vector_dtype = None
    island_contrast = _island_split(sig, np.asarray(cond_labels, dtype=np.intp))[0]
    if dtype == "float32" and islands is not None:
        if island_contrast >= ISLAND_F64_CONTRAST:
            try:  # float64 Krylov vectors when they fit, else plain float32
                _check_memory(labels.shape, dtype, vector_dtype="float64", cracks=cuts_t is not None)
                vector_dtype = "float64"
            except MemoryBudgetError:
                log.info("float32 Krylov vectors at island contrast >= %g: float64 ones do not fit",
                         ISLAND_F64_CONTRAST)
    # coarse levels: the strength-split pieces for a sparse network, the 2x2x2 levels with a switch
    # to the pieces when they converge slowly (None) for any other, never with cut faces (they
    # choose for themselves), periodic sides or small volumes
    pieces: bool | None = False
    if cuts_t is None and not periodic and lab_t.size >= PIECES_MIN_VOXELS:
        try:
            _check_memory(labels.shape, dtype, vector_dtype=vector_dtype, cracks=True)
            pieces = (True if _network_fraction(lab_t, keep, sig, off, islands) < PIECES_NETWORK_FRACTION
                      else None)
        except MemoryBudgetError:
            log.info("the strength-split coarse levels do not fit in memory; solving with 2x2x2 "
                     "aggregates only (same answer; more iterations for tortuous networks)")
    sol = solve_conduction(lab_t, keep.view(np.uint8), sig, rint_per_h, periodic=(periodic, periodic),
                           dtype=dtype, tol=tol, maxiter=maxiter, want_potential=fields,
                           dirichlet_layers=bool(off), islands=islands, vector_dtype=vector_dtype,
                           cuts=cuts_t, face_resistance=_permute_faces(rfaces, perm),
                           spacing_ratio=(h0 / h1, h0 / h2),
                           interpolate_islands=island_contrast >= ISLAND_INTERPOLATION_CONTRAST,
                           pieces=pieces)
    # [voxels] between the Dirichlet positions (N + 1 for 'taufactor'); the solver's fluxes are in
    # units of the x-face conductance h1 h2 / h0, so sigma_eff = flux * length / (ny nz) for any spacing
    length = nx - 1 if off else nx
    scale = length / (ny * nz)
    amp = h1 * (h2 / h0)  # [m] current [A] per unit of solver flux and S/m
    sigma_eff = 0.5 * (sol.flux_in + sol.flux_out) * scale
    fb = abs(sol.flux_in - sol.flux_out) / max(abs(sol.flux_in), abs(sol.flux_out), 1e-300)
    if not sol.converged:
        top = float(sig[cond_labels].max())  # Wiener: 0 <= sigma_eff <= the largest conductivity
        impossible = not 0.0 <= sigma_eff <= top * (1 + 1e-6)
        note = (f"; the last iterate gives sigma_eff = {sigma_eff:.4g} S/m, outside the physical "
                f"range [0, {top:.4g}] S/m, so sigma_eff is reported as NaN" if impossible else
                "; the result is approximate")
        warnings.warn(
            f"conductivity along {AXES[a]}: the solver stopped before convergence ({sol.reason}; "
            f"residual {sol.residual:.2e}, flux balance {fb:.2e} after {sol.n_iter} iterations){note}"
            " - raise maxiter, or use dtype='float64'",
            ConvergenceWarning, stacklevel=4,
        )
        if impossible:
            sigma_eff = math.nan
    tau = macm = None
    if math.isnan(sigma_eff):
        tau = macm = math.nan if sigma_phase is not None else None
    elif sigma_phase is not None:
        tau = eps * sigma_phase / sigma_eff if sigma_eff > 0 else math.inf
        macm = sigma_phase / sigma_eff if sigma_eff > 0 else math.inf
    pot = cur = None
    if fields:
        pot, cur = _fields(sol, keep, off, (h0, h1, h2), perm)
        if pad:
            pot = np.ascontiguousarray(np.take(pot, np.arange(1, nx - 1), axis=a))
            cur = np.ascontiguousarray(np.take(cur, np.arange(1, nx - 1), axis=a + 1))
    return ConductivityResult(
        sigma_eff=float(sigma_eff), tau=tau, macmullin=macm, percolating=True,
        converged=sol.converged, n_iter=sol.n_iter, residual=float(sol.residual),
        flux_in=float(sol.flux_in * amp), flux_out=float(sol.flux_out * amp), flux_balance=float(fb),
        wall_time=time.perf_counter() - t0, potential=pot, current_density=cur, **common,
    )


def _fields(sol, keep: np.ndarray, off: int, h: tuple[float, float, float], perm: tuple[int, ...]):
    """Potential [V] and centre current density [A/m^2] in the original axis order
    (``h``: the voxel edges in the solver's axis order [m])."""
    h0, h1, h2 = h
    phi_in = sol.potential  # interior unknowns (all layers, or inner layers with 'centres')
    gx, gy, gz = (g.astype(np.float64) for g in sol.faces)
    n_in = phi_in.shape[0]
    # potentials with the Dirichlet values on both ends along x
    ext = np.empty((n_in + 2,) + phi_in.shape[1:])
    ext[0], ext[-1], ext[1:-1] = 1.0, 0.0, phi_in
    # solver conductances are in units of h1 h2 / h0 (module doc of gpu_kernels.conduction):
    # J_d = g_d dphi / h0 * (h_d / h0) across a face normal to d
    jx_face = gx * (ext[:-1] - ext[1:]) / h0  # (n_in + 1, ny, nz)
    jy_face = gy * (np.roll(phi_in, 1, axis=1) - phi_in) / h0 * (h1 / h0)  # face below j
    jz_face = gz * (np.roll(phi_in, 1, axis=2) - phi_in) / h0 * (h2 / h0)
    jx = 0.5 * (jx_face[:-1] + jx_face[1:])
    jy = 0.5 * (jy_face + np.roll(jy_face, -1, axis=1))
    jz = 0.5 * (jz_face + np.roll(jz_face, -1, axis=2))
    if off:
        pad = ((1, 1), (0, 0), (0, 0))
        phi = np.pad(phi_in, pad)
        phi[0], phi[-1] = 1.0, 0.0
        jx = np.pad(jx, pad)
        jx[0], jx[-1] = jx_face[0], jx_face[-1]
        jy, jz = np.pad(jy, pad), np.pad(jz, pad)
    else:
        phi = phi_in.copy()
    phi[~keep] = np.nan
    inv = np.argsort(perm)
    cur = np.stack([jx, jy, jz])  # components in the permuted axis order
    cur = cur[inv]  # component order back to x, y, z
    cur = np.ascontiguousarray(cur.transpose((0,) + tuple(1 + i for i in inv)))
    return np.ascontiguousarray(phi.transpose(inv)), cur
