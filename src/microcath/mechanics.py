"""Stress from the active material's volume change: elasticity with eigenstrain on the voxel grid.

Small-strain linear elasticity, one trilinear brick per voxel (the kernels and
the multigrid are in :mod:`microcath.gpu_kernels.elasticity`). Stiffness per
phase (isotropic ``E``, ``nu`` from the materials library or overrides; pores
have zero stiffness exactly); eigenstrain per phase and state of charge:

* isotropic ``eps* = (1 + dV/V)^(1/3) - 1`` from the library's volume-change
  path, or
* per grain ``R diag(eps_a, eps_a, eps_c) R^T`` from the library's lattice-strain
  path and each grain's quaternion (polycrystalline NMC), when the structure
  has grains and the material a lattice-strain path.

Boundary conditions (``boundary=``; axes 1 and 2 are always periodic, and the
mean in-plane strain is zero there: the layer is held laterally, as a cathode
on its current collector):

* ``'pressure'`` (default): rigid frictionless plates on the two x faces that
  move until their force equals ``stack_pressure * A`` (0: free to expand along
  x); one solve with the plate's displacement as one more unknown
  (:meth:`gpu_kernels.elasticity.ElasticSolver.solve_pressure`);
* ``'plates'``: plates at a fixed gap (the pellet cannot change thickness);
* ``'periodic'``: periodic along x too, with a prescribed macroscopic strain
  (default 0: the fully constrained periodic cell);
* ``'free'``: periodic with zero mean stress (free expansion of the cell; 7
  solves: the constrained cell plus the six unit strains of the effective
  stiffness).

Sign convention: tension positive; the hydrostatic stress is ``tr(sigma)/3``.
Stresses are evaluated at voxel centres; the normal traction on a face is the
mean of the two cells' ``sigma_nn`` (their difference is reported as an error
indicator).
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import validation
from .errors import ConvergenceWarning, InputError
from .hinged_groups import HingedGroups
from .microstructure import Microstructure
from .phases import PhaseKind

__all__ = ["StressResult", "stress", "stress_of_labels", "effective_stiffness", "BOUNDARIES",
           "lame", "eigenstrain_field", "EigenstrainField", "PERCENTILES"]

#: add the exact local solve on groups hinged by edges or corners to the preconditioner
#: (:mod:`microcath.hinged_groups`); off only to measure what it does
HINGED_CORRECTION = True

#: interface types that open in tension
OPENING_INTERFACES = ("active/electrolyte", "active/carbon", "active/active", "grain_boundary")

log = logging.getLogger(__name__)

BOUNDARIES = ("pressure", "plates", "periodic", "free")
PERCENTILES = (5, 25, 50, 75, 95)
_VOIGT = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


# --------------------------------------------------------------------------- inputs
def lame(E: float, nu: float, where: str) -> tuple[float, float]:
    """Lame constants ``(lam, mu)`` [Pa] of an isotropic solid, validated (``E = 0``: a pore)."""
    E = validation.youngs_modulus(E, f"{where}: Young's modulus", allow_zero=True)
    if E == 0:
        return 0.0, 0.0
    nu = validation.poisson_ratio(nu, f"{where}: Poisson ratio")
    return E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))


def _linear_from_volume(dv: float) -> float:
    return (1.0 + dv) ** (1.0 / 3.0) - 1.0


def _quat_matrices(q: np.ndarray) -> np.ndarray:
    w, x, y, z = (q[:, i] for i in range(4))
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], -2)


class EigenstrainField:
    """Eigenstrain per voxel held as an index per voxel and a table: voxel ``v`` has the strain
    ``table[index[v]]`` (6 tensor components xx, yy, zz, yz, xz, xy). The index is the label
    itself for an eigenstrain per phase (no copy), or a label-or-grain number when grains carry
    their own anisotropic strain: 4 B/voxel instead of the 48 B of a full float64 field. The
    solver reads it slab by slab (:meth:`slab`)."""

    def __init__(self, index: np.ndarray, table: np.ndarray):
        self.index = index
        self.table = np.ascontiguousarray(table, dtype=np.float64)
        self.shape = tuple(index.shape) + (6,)

    @classmethod
    def of(cls, labels: np.ndarray, iso: np.ndarray, *, grains: np.ndarray | None = None,
           grain_strain: np.ndarray | None = None) -> EigenstrainField:
        """``iso[label]`` on the diagonal, replaced by ``grain_strain[grain - 1]`` (n, 6) where
        ``grains > 0`` and the grain has an anisotropic strain (rows of NaN mean: keep iso)."""
        table = np.zeros((256, 6))
        table[:, :3] = np.asarray(iso, dtype=np.float64)[:256, None]
        if grains is None or grain_strain is None or not len(grain_strain):
            return cls(labels, table)
        gs = np.asarray(grain_strain, dtype=np.float64)
        ok = np.concatenate([[False], ~np.isnan(gs[:, 0])])  # per grain number (0: no grain)
        index = labels.astype(np.int32)
        sel = ok[grains]
        index[sel] = 255 + grains[sel]  # row 256 + grain - 1
        return cls(index, np.vstack([table, np.nan_to_num(gs)]))

    @classmethod
    def zero(cls, labels: np.ndarray) -> EigenstrainField:
        return cls(labels, np.zeros((1, 6)))

    @classmethod
    def dense(cls, eps: np.ndarray) -> EigenstrainField:
        """A full (nx, ny, nz, 6) field as it is (no compression)."""
        f = cls.__new__(cls)
        f.index, f.table, f.shape, f._dense = None, None, tuple(eps.shape), eps
        return f

    def slab(self, sl: slice) -> np.ndarray:
        """(len, ny, nz, 6) float64 eigenstrain of the voxels ``[sl]`` along x."""
        dense = getattr(self, "_dense", None)
        if dense is not None:
            return np.asarray(dense[sl], dtype=np.float64)
        if self.table.shape[0] == 1:
            return np.zeros((len(range(*sl.indices(self.shape[0]))),) + self.shape[1:])
        return self.table[self.index[sl]]

    def full(self) -> np.ndarray:
        return self.slab(slice(0, self.shape[0]))


def eigenstrain_field(labels: np.ndarray, iso: np.ndarray, *, grains: np.ndarray | None = None,
                      grain_strain: np.ndarray | None = None) -> np.ndarray:
    """(nx, ny, nz, 6) eigenstrain [xx, yy, zz, yz, xz, xy] (tensor components) per voxel:
    ``iso[label]`` on the diagonal, replaced by ``grain_strain[grain - 1]`` (n, 6) where
    ``grains > 0`` and the grain has an anisotropic strain (rows of NaN mean: keep iso).
    The full field of :class:`EigenstrainField` (which the solver uses, 4 B/voxel at most)."""
    return EigenstrainField.of(labels, iso, grains=grains, grain_strain=grain_strain).full()


#: single-crystal stiffness shape of a layered oxide (hexagonal, c axis along the crystal z) [GPa]:
#: LiCrO2 (Materials Project via ELATE, MECHANICS.md 3; tensors of NMC itself were not found).
#: Only its shape is used: :func:`layered_oxide_stiffness` scales it to the material's
#: polycrystalline Young's modulus.
LAYERED_OXIDE_SHAPE_GPA = {"C11": 351.0, "C12": 106.0, "C13": 69.0, "C33": 203.0, "C44": 54.0}


def hexagonal_stiffness(C11: float, C12: float, C13: float, C33: float, C44: float) -> np.ndarray:
    """(6, 6) Voigt stiffness (xx yy zz yz xz xy, engineering shear) of a transversely isotropic
    crystal with its axis along z; ``C66 = (C11 - C12) / 2``."""
    C = np.zeros((6, 6))
    C[0, 0] = C[1, 1] = C11
    C[0, 1] = C[1, 0] = C12
    C[0, 2] = C[2, 0] = C[1, 2] = C[2, 1] = C13
    C[2, 2] = C33
    C[3, 3] = C[4, 4] = C44
    C[5, 5] = 0.5 * (C11 - C12)
    return C


def hill_moduli(C: np.ndarray) -> tuple[float, float]:
    """Voigt-Reuss-Hill bulk and shear moduli of a random polycrystal of the crystal ``C``
    (6, 6 Voigt, engineering shear)."""
    Kv = (C[0, 0] + C[1, 1] + C[2, 2] + 2 * (C[0, 1] + C[1, 2] + C[0, 2])) / 9
    Gv = (C[0, 0] + C[1, 1] + C[2, 2] - C[0, 1] - C[1, 2] - C[0, 2] + 3 * (C[3, 3] + C[4, 4] + C[5, 5])) / 15
    S = np.linalg.inv(C)
    Kr = 1 / (S[0, 0] + S[1, 1] + S[2, 2] + 2 * (S[0, 1] + S[1, 2] + S[0, 2]))
    Gr = 15 / (4 * (S[0, 0] + S[1, 1] + S[2, 2]) - 4 * (S[0, 1] + S[1, 2] + S[0, 2])
               + 3 * (S[3, 3] + S[4, 4] + S[5, 5]))
    return 0.5 * (Kv + Kr), 0.5 * (Gv + Gr)


def layered_oxide_stiffness(E: float) -> np.ndarray:
    """(6, 6) crystal-frame stiffness [Pa] of :data:`LAYERED_OXIDE_SHAPE_GPA` scaled so that the
    Hill average's Young's modulus is ``E`` [Pa] (its Poisson ratio is the shape's, 0.262)."""
    C = hexagonal_stiffness(**LAYERED_OXIDE_SHAPE_GPA)
    K, G = hill_moduli(C)
    return C * (E / (9 * K * G / (3 * K + G)))


def rotate_stiffness(C: np.ndarray, R: np.ndarray) -> np.ndarray:
    """(n, 6, 6) ``C`` (6, 6 Voigt, engineering shear) rotated by the (n, 3, 3) matrices ``R``
    (crystal -> sample): ``C'_ijkl = R_ia R_jb R_kc R_ld C_abcd``."""
    from .composite_voxels import from_voigt, to_voigt

    return to_voigt(np.einsum("nia,njb,nkc,nld,abcd->nijkl", R, R, R, R, from_voigt(C), optimize=True))


def _grain_tensors(q: np.ndarray, eps_a: float, eps_c: float) -> np.ndarray:
    """(n, 6) ``R diag(eps_a, eps_a, eps_c) R^T`` for unit quaternions (crystal -> sample)."""
    R = _quat_matrices(np.asarray(q, dtype=np.float64))
    c = R[:, :, 2]  # crystal c axis in the sample frame
    T = eps_a * np.eye(3)[None] + (eps_c - eps_a) * c[:, :, None] * c[:, None, :]
    return np.stack([T[:, i, j] for i, j in _VOIGT], -1)


# --------------------------------------------------------------------------- result
@dataclass(frozen=True)
class StressResult:
    """Stress state of a structure under eigenstrain and boundary loads.

    Per-phase statistics are keyed by phase name (or ``str(label)`` for plain arrays);
    stresses in Pa (``*_MPa`` in :meth:`to_dict`). ``interfaces`` maps an interface type
    (``'active/electrolyte'``, ``'grain_boundary'``, ... or ``'a/b'`` label pairs) to
    ``{'area': m^2, 'opened_fraction': -, 'mean_traction': Pa, 'percentiles': {..}}``.
    """

    boundary: str
    state: float | None
    stack_pressure: float
    strength: float
    phases: dict[str, dict[str, Any]]
    interfaces: dict[str, dict[str, Any]]
    mean_stress: tuple[float, ...]  # Voigt [Pa]
    mean_strain: tuple[float, ...]  # Voigt, tensor components [-]
    strain_energy: float  # [J]
    plate_displacement: float | None  # [m] (pressure/plates: change of the gap)
    force_balance: float | None  # |F_0 + F_L| / |F| on the plates
    converged: bool
    n_iter: int
    residual: float
    n_levels: int
    wall_time: float
    shape: tuple[int, int, int]
    voxel_size: float | tuple[float, float, float]  # [m]; three edges for anisotropic voxels
    arch: str
    dtype: str
    reason: str = ""
    displacement: np.ndarray | None = field(default=None, repr=False)  # (nx, ny, nz, 3) [m] at centres
    stress: np.ndarray | None = field(default=None, repr=False)  # (nx, ny, nz, 6) [Pa]
    opened: tuple | None = field(default=None, repr=False)  # 3 bool arrays: face (+axis side) opened
    contact: dict[str, Any] | None = None  # before/after conductivity and utilisable fraction
    composite: dict[str, Any] | None = None  # composite voxels (coarsen > 1): counts and factor

    @property
    def hydrostatic(self) -> np.ndarray | None:
        return None if self.stress is None else self.stress[..., :3].mean(axis=-1)

    @property
    def von_mises(self) -> np.ndarray | None:
        return None if self.stress is None else _von_mises(self.stress)

    def _repr_html_(self) -> str:  # the summary table a notebook shows
        from .results import html_summary

        return html_summary(self)

    def to_dict(self) -> dict[str, Any]:
        def mpa(v):
            return None if v is None else float(v) / 1e6

        out: dict[str, Any] = {
            "boundary": self.boundary, "state": self.state,
            "stack_pressure_MPa": mpa(self.stack_pressure), "strength_MPa": mpa(self.strength),
            "phases": {}, "interfaces": {},
            "mean_stress_MPa": [mpa(v) for v in self.mean_stress],
            "mean_strain": list(self.mean_strain),
            "strain_energy_J": self.strain_energy,
            "plate_displacement_um": None if self.plate_displacement is None
            else self.plate_displacement * 1e6,
            "force_balance": self.force_balance, "converged": self.converged, "iterations": self.n_iter,
            "residual": self.residual, "n_levels": self.n_levels, "wall_time_s": self.wall_time,
            "shape": list(self.shape),
            "voxel_size_um": (self.voxel_size * 1e6 if np.ndim(self.voxel_size) == 0
                              else [v * 1e6 for v in self.voxel_size]), "arch": self.arch,
            "dtype": self.dtype,
        }
        if self.reason:
            out["reason"] = self.reason
        for name, st in self.phases.items():
            out["phases"][name] = {
                "volume_fraction": st["volume_fraction"],
                "mean_hydrostatic_MPa": mpa(st["mean_hydrostatic"]),
                "mean_von_mises_MPa": mpa(st["mean_von_mises"]),
                "hydrostatic_percentiles_MPa": {k: mpa(v) for k, v in st["hydrostatic_percentiles"].items()},
                "von_mises_percentiles_MPa": {k: mpa(v) for k, v in st["von_mises_percentiles"].items()},
            }
        for name, it in self.interfaces.items():
            out["interfaces"][name] = {
                "area_um2": it["area"] * 1e12, "n_faces": it["n_faces"],
                "opened_fraction": it["opened_fraction"],
                "mean_traction_MPa": mpa(it["mean_traction"]),
                "traction_percentiles_MPa": None if it["percentiles"] is None
                else {k: mpa(v) for k, v in it["percentiles"].items()},
                "mean_jump_MPa": mpa(it["mean_jump"]),
            }
        if self.contact is not None:
            out["contact"] = self.contact
        if self.composite is not None:
            out["composite_voxels"] = self.composite
        return out

    def summary(self) -> str:
        lines = [f"stress ({self.boundary}, state {self.state}, stack pressure "
                 f"{self.stack_pressure / 1e6:g} MPa): {'converged' if self.converged else 'NOT converged'} "
                 f"in {self.n_iter} iterations"]
        for name, st in self.phases.items():
            lines.append(f"  {name:>14}: hydrostatic {st['mean_hydrostatic'] / 1e6:+9.1f} MPa, "
                         f"von Mises {st['mean_von_mises'] / 1e6:8.1f} MPa")
        for name, it in self.interfaces.items():
            if not it["n_faces"]:
                lines.append(f"  {name:>22}: no faces")
                continue
            lines.append(f"  {name:>22}: opened {100 * it['opened_fraction']:5.1f} % of "
                         f"{it['n_faces']} faces, mean traction {it['mean_traction'] / 1e6:+8.1f} MPa")
        return "\n".join(lines)


def _von_mises(s: np.ndarray) -> np.ndarray:
    xx, yy, zz, yz, xz, xy = (s[..., i] for i in range(6))
    return np.sqrt(0.5 * ((xx - yy) ** 2 + (yy - zz) ** 2 + (zz - xx) ** 2) + 3 * (yz**2 + xz**2 + xy**2))


# --------------------------------------------------------------------------- discrete problem
class _Problem:
    """Loads, post-processing and null space of one discrete problem (numpy, host side)."""

    def __init__(self, labels: np.ndarray, lam: np.ndarray, mu: np.ndarray, periodic_x: bool,
                 spacing: tuple[float, float, float] = (1.0, 1.0, 1.0),
                 class_stiffness: np.ndarray | None = None):
        """``class_stiffness``: (m, 6, 6) Voigt stiffness (engineering shear) of the element classes
        beyond the labels (composite voxels' laminates, grains' rotated crystals); ``labels``
        then holds int32 classes (``256 + j``: row ``j``) and ``lam``, ``mu`` are 0 on those rows,
        so every isotropic expression below gives 0 there and the class's own term is added on
        those elements."""
        from .gpu_kernels.elasticity import centre_gradients, element_matrix

        self.h = tuple(float(v) for v in spacing)  # element edges in the length unit of u
        self.vol = self.h[0] * self.h[1] * self.h[2]
        self.labels = labels
        self.lam, self.mu = lam, mu
        self.per_x = periodic_x
        self.nx, self.ny, self.nz = labels.shape
        self.mx = self.nx if periodic_x else self.nx + 1
        self.g = centre_gradients(self.h)  # B0
        self.gv = self.vol * self.g  # V B0: the load of a uniform element stress
        self.solid = (lam[labels] != 0) | (mu[labels] != 0)
        self.stiff_scale = float(np.max(lam + 2 * mu))
        self.classC = self.classK = None
        if class_stiffness is not None and len(class_stiffness):
            from .composite_voxels import FIRST_CLASS

            self.first_class = FIRST_CLASS
            self.classK = element_matrix(class_stiffness, self.h)  # (m, 24, 24)
            Ct = np.array(class_stiffness, dtype=np.float64)
            Ct[:, :, 3:] *= 2.0  # acting on tensor shear components
            self.classC = Ct
            self.solid |= labels >= FIRST_CLASS
            diag = class_stiffness[:, :3, :3].diagonal(axis1=1, axis2=2)
            self.stiff_scale = max(self.stiff_scale, float(np.max(diag)))
        self._solver = None  # kept between the loads of one operator (see _solve)
        self._solver_key = None

    # nodes of element corners: shifts that respect the periodic axes
    def _scatter(self, contrib: np.ndarray, a: int, out: np.ndarray) -> None:
        di, dj, dk = (a >> 2) & 1, (a >> 1) & 1, a & 1
        c = np.roll(contrib, (dj, dk), axis=(1, 2))
        if self.per_x:
            out += np.roll(c, di, axis=0)
        else:
            out[di:di + self.nx] += c

    def _scatter_slab(self, contrib: np.ndarray, a: int, sl: slice, out: np.ndarray) -> None:
        """``out[node of corner a of element e] += contrib[e]`` for the elements ``[sl]`` along x."""
        di, dj, dk = (a >> 2) & 1, (a >> 1) & 1, a & 1
        rows = np.arange(sl.start, sl.stop) + di
        if self.per_x:
            rows %= self.mx
        out[rows] += np.roll(contrib, (dj, dk), axis=(1, 2))

    def _gather(self, nodal: np.ndarray, a: int) -> np.ndarray:
        di, dj, dk = (a >> 2) & 1, (a >> 1) & 1, a & 1
        if self.per_x:
            v = np.roll(nodal, -di, axis=0)
        else:
            v = nodal[di:di + self.nx]
        return np.roll(v, (-dj, -dk), axis=(1, 2))

    def _gather_slab(self, nodal: np.ndarray, a: int, sl: slice) -> np.ndarray:
        """``_gather(nodal, a)[sl]`` without gathering the whole grid."""
        di, dj, dk = (a >> 2) & 1, (a >> 1) & 1, a & 1
        rows = np.arange(sl.start, sl.stop) + di
        v = nodal[rows % self.mx] if self.per_x else nodal[rows]
        return np.roll(v, (-dj, -dk), axis=(1, 2))

    def slabs(self):
        """Slices along x of ~64k elements each: the post-processing works slab by slab, so its
        temporaries stay a few MB whatever the size of the grid."""
        step = max(1, int(2**16 // (self.ny * self.nz)))
        for x0 in range(0, self.nx, step):
            yield slice(x0, min(self.nx, x0 + step))

    def _class_part(self, labels: np.ndarray):
        """Elements of ``labels`` in a class beyond the labels (bool) and their table rows."""
        sel = labels >= self.first_class
        return sel, labels[sel] - self.first_class

    def stress_free_stress(self, eps_star: np.ndarray, E_macro: np.ndarray | None,
                           labels: np.ndarray | None = None) -> np.ndarray:
        """(..., 3, 3) ``C : (eps* - E)`` per element of ``labels`` (default all) from the
        (..., 6) eigenstrain ``eps_star`` of those elements."""
        e = eps_star.copy()
        if E_macro is not None:
            e -= np.asarray(E_macro)[None, None, None, :]
        T = _voigt_to_tensor(e)
        labels = self.labels if labels is None else labels
        lam = self.lam[labels][..., None, None]
        mu = self.mu[labels][..., None, None]
        tr = np.trace(T, axis1=-2, axis2=-1)[..., None, None]
        out = lam * tr * np.eye(3) + 2 * mu * T
        if self.classC is not None:
            sel, rows = self._class_part(labels)
            out[sel] = _voigt_to_tensor(np.einsum("nij,nj->ni", self.classC[rows], e[sel]))
        return out

    def load(self, eps: EigenstrainField, E_macro: np.ndarray | None) -> np.ndarray:
        """Nodal forces ``sum_e V B0^T C (eps* - E)`` (mx, ny, nz, 3), slab by slab."""
        f = np.zeros((self.mx, self.ny, self.nz, 3))
        for sl in self.slabs():
            sig_star = self.stress_free_stress(eps.slab(sl), E_macro, self.labels[sl])
            for a in range(8):
                self._scatter_slab(sig_star @ self.gv[a], a, sl, f)
        return f

    def strain_slab(self, u: np.ndarray, sl: slice) -> np.ndarray:
        """(len, ny, nz, 6) centre strain (tensor components) of the elements ``[sl]``."""
        out = np.zeros((sl.stop - sl.start, self.ny, self.nz, 6))
        for a in range(8):
            ua = self._gather_slab(u, a, sl)
            g = self.g[a]
            for n, (i, j) in enumerate(_VOIGT):
                out[..., n] += 0.5 * (g[j] * ua[..., i] + g[i] * ua[..., j])
        return out

    def stress_slab(self, u: np.ndarray, eps: EigenstrainField, E_macro: np.ndarray | None,
                    sl: slice) -> tuple[np.ndarray, np.ndarray]:
        """Centre stress and centre strain (without ``E_macro``) of the elements ``[sl]``."""
        strain = self.strain_slab(u, sl)
        e = strain - eps.slab(sl)
        if E_macro is not None:
            e += np.asarray(E_macro)
        labels = self.labels[sl]
        lam = self.lam[labels][..., None]
        mu = self.mu[labels][..., None]
        lsel = None
        if self.classC is not None:
            lsel, rows = self._class_part(labels)
            lsig = np.einsum("nij,nj->ni", self.classC[rows], e[lsel])
        tr = e[..., :3].sum(axis=-1, keepdims=True)
        e *= 2 * mu
        e[..., :3] += lam * tr
        if lsel is not None:
            e[lsel] = lsig
        return e, strain

    def stress_field(self, u: np.ndarray, eps: EigenstrainField,
                     E_macro: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(nx, ny, nz, 6) centre stress and the mean strain (6,) (without ``E_macro``)."""
        sig = np.empty((self.nx, self.ny, self.nz, 6))
        total = np.zeros(6)
        for sl in self.slabs():
            sig[sl], strain = self.stress_slab(u, eps, E_macro, sl)
            total += strain.reshape(-1, 6).sum(axis=0)
        return sig, total / self.labels.size

    def mean_stress(self, u: np.ndarray, eps: EigenstrainField, E_macro: np.ndarray | None) -> np.ndarray:
        """(6,) volume mean of the centre stress, slab by slab."""
        total = np.zeros(6)
        for sl in self.slabs():
            total += self.stress_slab(u, eps, E_macro, sl)[0].reshape(-1, 6).sum(axis=0)
        return total / self.labels.size

    def energy(self, u: np.ndarray, eps: EigenstrainField, E_macro: np.ndarray | None) -> float:
        """Exact discrete strain energy ``1/2 sum_e int (eps - eps*):C:(eps - eps*)`` [Pa voxel^3]."""
        from .gpu_kernels.elasticity import element_matrices

        kl, km = element_matrices(self.h)
        total = 0.0
        loc = np.array([[(a >> 2) & 1, (a >> 1) & 1, a & 1] for a in range(8)], dtype=float)
        Et = None if E_macro is None else _voigt_to_tensor(np.asarray(E_macro, dtype=float)[None])[0]
        for sl in self.slabs():  # ~64k elements (~12 MB a temporary) per slab
            eps_star = eps.slab(sl)
            ue = np.stack([self._gather_slab(u, a, sl) for a in range(8)], axis=3).reshape(-1, 24)
            if Et is not None:  # the macroscopic displacement E x inside each element
                ue = ue + (loc @ Et.T).ravel()
            lab = self.labels[sl].ravel()
            lam, mu = self.lam[lab], self.mu[lab]
            quad = lam * ((ue @ kl) * ue).sum(1) + mu * ((ue @ km) * ue).sum(1)  # BLAS, not einsum's loop
            if self.classK is not None:
                lsel, rows = self._class_part(lab)
                quad[lsel] = np.einsum("ni,nij,nj->n", ue[lsel], self.classK[rows], ue[lsel])
            sig_star = self.stress_free_stress(eps_star, None, self.labels[sl]).reshape(-1, 3, 3)
            f_dot = sum(np.einsum("ei,ei->e", ue[:, 3 * a:3 * a + 3], sig_star @ self.gv[a])
                        for a in range(8))
            const = self.vol * np.einsum("eij,eij->e", sig_star,
                                         _voigt_to_tensor(eps_star).reshape(-1, 3, 3))
            total += float(0.5 * quad.sum() - f_dot.sum() + 0.5 * const.sum())
        return total

    def element_stiffness(self, labels: np.ndarray) -> np.ndarray:
        """(n, 24, 24) element matrices of the elements with the (n,) ``labels``."""
        from .gpu_kernels.elasticity import element_matrices

        kl, km = element_matrices(self.h)
        K = self.lam[labels, None, None] * kl + self.mu[labels, None, None] * km
        if self.classK is not None:
            sel, rows = self._class_part(labels)
            K[sel] = self.classK[rows]
        return K

    def centre_displacement(self, u: np.ndarray) -> np.ndarray:
        return sum(self._gather(u, a) for a in range(8)) / 8.0

    # -- null space: rigid motions of every solid piece (projected out of CG)
    def nullspace(self):
        return _RigidModes(self)

    def release(self) -> None:
        """Free the solver kept between loads (its device arrays) before the post-processing."""
        self._solver = None


def _voigt_to_tensor(v: np.ndarray) -> np.ndarray:
    T = np.empty(v.shape[:-1] + (3, 3))
    for n, (i, j) in enumerate(_VOIGT):
        T[..., i, j] = v[..., n]
        T[..., j, i] = v[..., n]
    return T


class _RigidModes:
    """Zero-energy modes of the discrete operator: for every solid piece (elements joined
    through shared nodes, periodic wrap included) the translations and rotations about its
    centroid that the boundary conditions leave free. Candidates are tested on the operator
    itself (``||A v|| <= 1e-4 (lam + 2 mu)_max ||v||`` per piece), so pieces that span a periodic axis or
    rest on a plate keep only the motions that are truly free."""

    def __init__(self, prob: _Problem):
        self.prob = prob

    def __call__(self, level):
        import taichi as ti
        from scipy import ndimage

        from .gpu_kernels import krylov, rigid

        prob = self.prob
        shape = (prob.mx, prob.ny, prob.nz)
        lab, n = ndimage.label(prob.solid, structure=np.ones((3, 3, 3), bool))
        lab = _merge_periodic(lab, n, periodic=(prob.per_x, True, True)).astype(np.int32)
        # the piece of a node is that of the solid elements around it (all the same piece)
        counts = np.zeros(shape, np.int32)
        sums = np.zeros_like(counts)
        solid = (lab > 0).astype(np.int32)
        for a in range(8):
            prob._scatter(solid, a, counts)
            prob._scatter(lab, a, sums)
        del solid
        n_pieces = int(lab.max())
        del lab
        pid = np.where(counts > 0, sums // np.maximum(counts, 1), 0).astype(np.int32).ravel()
        del counts, sums
        self.n_pieces = n_pieces
        if n_pieces == 0:
            return None
        # reference node of every piece (its first node); modes use positions relative to it
        # as minimum images along the periodic axes, so a piece that straddles a periodic
        # boundary rotates as one body (a piece that spans a periodic axis fails the operator
        # test below, as it should). Per node the device keeps only the piece id (4 B/node).
        _, first = np.unique(pid, return_index=True)
        ref = np.zeros((n_pieces + 1, 3))
        ref[pid[first]] = np.stack(np.unravel_index(first, shape), axis=1)
        self._npc = npc = n_pieces + 1
        self._pid = ti.ndarray(ti.i32, (pid.size,))
        self._pid.from_numpy(pid)
        del pid
        self._ref = ti.ndarray(ti.f64, (3 * npc,))
        self._ref.from_numpy(ref.ravel())
        self._mask = level.mask
        self._dims = (prob.mx, prob.ny, prob.nz, int(prob.per_x), *prob.h)
        self._block = rigid.block_size()
        self._dt = level.vdtype
        # operator test per piece: ||A m|| <= 1e-4 (lam + 2 mu)_max ||m|| on that piece
        vec, out = level.work_vectors()  # no two more full-size vectors
        keep = np.zeros((npc, 6), bool)
        ascale = prob.stiff_scale
        acc = ti.ndarray(ti.f64, (npc,))
        for k in range(6):
            rigid.piece_mode(vec, self._pid, self._mask, self._ref, k, *self._dims, self._dt)
            level.apply(vec, out)
            rn = self._norm2(out, acc)
            vn = self._norm2(vec, acc)
            keep[:, k] = (vn > 0) & (np.sqrt(rn) <= 1e-4 * ascale * np.sqrt(vn))
        krylov.fill(vec, 0.0)
        krylov.fill(out, 0.0)
        keep[0] = False
        # per-piece orthonormal basis (Gram-Schmidt through the 6x6 Gram matrices)
        g = ti.ndarray(ti.f64, (36 * npc,))
        krylov.fill(g, 0.0)
        rigid.piece_gram(self._pid, self._mask, self._ref, g, *self._dims, self._block)
        gram = g.to_numpy().reshape(npc, 6, 6)
        del g
        coef = np.zeros((npc, 6, 6))  # q_k = sum_j coef[k, j] m_j
        for p in np.flatnonzero(keep.any(axis=1)):
            ks = np.flatnonzero(keep[p])
            G = gram[p][np.ix_(ks, ks)]
            wv, V = np.linalg.eigh(G)
            good = wv > wv.max() * 1e-10
            C = (V[:, good] / np.sqrt(wv[good])).T  # rows: orthonormal combinations
            coef[p][:C.shape[0], ks] = C
        self.n_modes = int(np.count_nonzero(np.abs(coef).sum(-1) > 0))
        log.debug("rigid modes: %d pieces, %d modes", n_pieces, self.n_modes)
        self._coef = coef
        self._s = ti.ndarray(ti.f64, (6 * npc,))
        self._c = ti.ndarray(ti.f64, (6 * npc,))
        return self.project

    def _norm2(self, v, acc) -> np.ndarray:
        from .gpu_kernels import krylov, rigid

        krylov.fill(acc, 0.0)
        rigid.piece_norm2(v, self._pid, self._mask, acc, self._block)
        return acc.to_numpy()

    def project(self, v) -> None:
        """Remove the rigid modes from the flat device vector ``v`` in place: the per-piece
        coefficients ``M^T v`` in one pass, the subtraction in a second (both on the device;
        only 6 numbers per piece cross to the host)."""
        from .gpu_kernels import krylov, rigid

        krylov.fill(self._s, 0.0)
        rigid.piece_dot(v, self._pid, self._mask, self._ref, self._s, *self._dims, self._block)
        s = self._s.to_numpy().reshape(self._npc, 6)
        c = np.einsum("pkj,pj->pk", self._coef, s)  # coefficients of q_k
        back = np.einsum("pkj,pk->pj", self._coef, c)  # in terms of m_j
        self._c.from_numpy(back.ravel())
        rigid.piece_subtract(v, self._pid, self._mask, self._ref, self._c, *self._dims, v.dtype)


def _shifted(a: np.ndarray, shifts: tuple[int, int], wraps) -> np.ndarray:
    """``np.roll`` of a 2-D array along the axes that wrap; along the others the entries shift
    out and 0 comes in (a diagonal neighbour across a periodic face is not one across a plate)."""
    out = a
    for axis, (s, wrap) in enumerate(zip(shifts, wraps, strict=True)):
        if s == 0:
            continue
        out = np.roll(out, s, axis=axis)
        if not wrap:
            idx = [slice(None)] * 2
            idx[axis] = slice(0, s) if s > 0 else slice(s, None)
            out[tuple(idx)] = 0
    return out


def _merge_periodic(lab: np.ndarray, n: int, periodic: tuple[bool, bool, bool],
                    shifts: tuple[int, ...] = (-1, 0, 1)) -> np.ndarray:
    """Merge 26-connected labels that meet across periodic faces; relabel 1..m. ``shifts=(0,)``
    merges only across shared faces (6-connected labels)."""
    if n == 0:
        return lab
    parent = np.arange(n + 1)

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for ax, per in enumerate(periodic):
        if not per or lab.shape[ax] < 2:
            continue
        first = np.take(lab, 0, axis=ax)
        last = np.take(lab, -1, axis=ax)
        wraps = [p for a, p in enumerate(periodic) if a != ax]  # the face's own two axes
        for s1 in shifts:
            for s2 in shifts:
                sh = _shifted(last, (s1, s2), wraps)
                sel = (first > 0) & (sh > 0)
                for u, v in set(zip(first[sel].tolist(), sh[sel].tolist(), strict=True)):
                    ru, rv = find(u), find(v)
                    if ru != rv:
                        parent[ru] = rv
    roots = np.array([find(i) for i in range(n + 1)])
    _, inv = np.unique(roots, return_inverse=True)
    return inv[lab]


# --------------------------------------------------------------------------- driver
#: storage of the finest level's Krylov and smoother vectors; None: the solve's ``dtype`` (float32
#: storage with float64 reductions and a float64 iterate, float64 throughout on request). At
#: 64^3 (benchmark composite, seed 0) float32 vectors took the same 9 iterations as float64 ones,
#: the stresses agree to 2e-6 of the largest and the plate force balance is 5e-6 (6e-8 with
#: float64 vectors); they save 84 B/voxel.
VECTOR_DTYPE: str | None = None


def _solve(prob: _Problem, load, mask: np.ndarray, *, dtype: str, tol: float, maxiter: int,
           plate_force: float | None = None):
    """``load``: a function that returns the nodal forces, so that the solver holds the only
    reference and frees them once they are on the device (24 B/node). The hierarchy is built
    on the first solve of ``prob`` and kept for the next loads (:meth:`_Problem.release` frees
    it). ``plate_force``: the last plate moves as one body under this x force (the
    ``'pressure'`` boundary; ``mask`` holds its x dofs at 0 in the grid operator)."""
    from .gpu_kernels.elasticity import ElasticSolver

    solver = prob._solver
    if solver is None or prob._solver_key != (id(mask), dtype):
        prob._solver = None  # free the old hierarchy before building the new one
        solver = ElasticSolver(prob.labels, prob.lam, prob.mu, periodic_x=prob.per_x, mask=mask, dtype=dtype,
                               nullspace=prob.nullspace(),
                               local=HingedGroups(prob) if HINGED_CORRECTION else None,
                               vector_dtype=VECTOR_DTYPE, spacing=prob.h, extra_matrices=prob.classK)
        prob._solver, prob._solver_key = solver, (id(mask), dtype)
    if plate_force is not None:
        # the plate's motion lifted into the volume as a uniform strain 1/L along x: its nodal
        # forces are those of a uniform eigenstrain -1/L (exact: the strain is constant per element)
        macro = np.zeros(6)
        macro[0] = -1.0 / (prob.nx * prob.h[0])
        zero = EigenstrainField.zero(prob.labels)
        return solver.solve_pressure(load, column=lambda: prob.load(zero, macro), force=plate_force,
                                     tol=tol, maxiter=maxiter)
    return solver.solve(load, tol=tol, maxiter=maxiter)


def _plates_connected(solid: np.ndarray) -> bool:
    """Whether one solid piece (elements joined through shared nodes, across the periodic y and z
    faces too) touches both x plates."""
    from scipy import ndimage

    lab, n = ndimage.label(solid, structure=np.ones((3, 3, 3), bool))
    lab = _merge_periodic(lab, n, periodic=(False, True, True))
    first, last = lab[0], lab[-1]
    return np.intersect1d(first[first > 0], last[last > 0]).size > 0


def stress_of_labels(labels: np.ndarray, elastic: Mapping[int, tuple[float, float]], *,
                     eigenstrain: Mapping[int, float] | None = None, voxel_size: float,
                     eigenstrain_field_: np.ndarray | EigenstrainField | None = None,
                     boundary: str = "pressure",
                     stack_pressure: float = 0.0, strength: float = 0.0,
                     macro_strain: tuple[float, ...] | None = None, tol: float = 1e-6,
                     dtype: str = "float32", maxiter: int = 500, fields: bool = False,
                     names: Mapping[int, str] | None = None, interface_types=None,
                     state: float | None = None, coarsen: int = 1,
                     stiffness_classes: tuple[np.ndarray, np.ndarray] | None = None) -> StressResult:
    """Stress in a plain labelled array.

    Parameters
    ----------
    labels : ndarray of uint8, shape (nx, ny, nz)
        Label per voxel.
    elastic : mapping
        ``{label: (E [Pa], nu)}`` for every label present (``E = 0``: a pore).
    eigenstrain : mapping, optional
        ``{label: eps}`` linear isotropic eigenstrain [-].
    voxel_size : float or 3 floats
        Voxel edge [m], or the three edges ``(dx, dy, dz)`` of anisotropic voxels (each voxel is
        then a brick element with those edges).
    boundary : {'pressure', 'plates', 'periodic', 'free'}
        See the module doc.
    stack_pressure : float
        Compressive pressure on the x plates [Pa] (``boundary='pressure'``).
    strength : float
        Interface tensile strength [Pa]: a face whose normal traction exceeds it opens.
    macro_strain : 6 floats, optional
        Macroscopic strain (Voigt order xx yy zz yz xz xy, tensor components) of a
        ``'periodic'`` cell.
    coarsen : int
        Solve on a grid this many times coarser per axis with composite voxels
        (:mod:`microcath.composite_voxels`): a coarse voxel that two solids share is a laminate
        of the two with the image's volume fractions and interface normal. ``voxel_size`` is the
        image's; the result (shape, fields, statistics) is on the coarse grid, and interface
        tractions are not evaluated (the interfaces lie inside the composite voxels).
    stiffness_classes : (classes, table), optional
        Anisotropic stiffness per voxel group: ``classes`` (nx, ny, nz) int32 is the label of a
        voxel with the isotropic ``elastic`` constants or ``256 + j`` for a voxel with the (6, 6)
        Voigt stiffness ``table[j]`` [Pa] (engineering shear), e.g. one rotated crystal per grain
        (:func:`stress` with ``anisotropic_stiffness=True``).
    """
    from .gpu_kernels.runtime import ensure_initialized

    t0 = time.perf_counter()
    arch = ensure_initialized()
    labels = _check_labels(labels)
    if boundary not in BOUNDARIES:
        raise InputError(f"boundary: expected one of {', '.join(BOUNDARIES)}, got {boundary!r}")
    if dtype not in ("float32", "float64"):
        raise InputError(f"dtype: expected 'float32' or 'float64', got {dtype!r}")
    if not (0 < tol < 1):
        raise InputError(f"tol: expected a relative residual in (0, 1), got {tol}")
    spacing = _voxel_spacing(voxel_size)
    vs = min(spacing)  # the length unit of the discrete problem (element edges spacing / vs)
    stack_pressure = validation.nonnegative(stack_pressure, "stack_pressure", "Pa")
    strength = validation.nonnegative(strength, "strength", "Pa")
    if stack_pressure and boundary != "pressure":
        raise InputError("stack_pressure: only with boundary='pressure' (plates that move under a force)")
    coarsen = _check_coarsen(coarsen, eigenstrain_field_)
    if min(labels.shape) < 2 * coarsen:
        raise InputError(f"labels: need at least {2 * coarsen} voxels along every axis, got {labels.shape}")
    present = [int(v) for v in np.flatnonzero(np.bincount(labels.ravel(), minlength=256))]
    lam = np.zeros(256)
    mu = np.zeros(256)
    for lab in present:
        if lab not in elastic:
            raise InputError(
                f"elastic: label {lab} occurs in the image but has no elastic constants; give "
                f"{{label: (E_Pa, nu)}} for every label (CLI: --elastic {lab}=E_GPa,nu; E = 0 for a pore)"
            )
        lam[lab], mu[lab] = lame(*elastic[lab], where=f"elastic constants of label {lab}")
    if not (lam[present] != 0).any() and not (mu[present] != 0).any():
        raise InputError("elastic: every phase has zero stiffness; at least one solid is needed")
    iso = np.zeros(256)
    for lab, e in (eigenstrain or {}).items():
        e = float(e)
        if not (math.isfinite(e) and abs(e) < 0.5):
            raise InputError(f"eigenstrain: label {lab}: expected a linear strain with |eps| < 0.5, got {e}")
        iso[int(lab)] = e
    periodic_x = boundary in ("periodic", "free")
    composite = None
    class_stiffness = None
    if coarsen > 1:
        from . import composite_voxels

        _check_memory(tuple(s // coarsen for s in labels.shape), dtype, composite=True,
                      pressure=boundary == "pressure")
        composite = composite_voxels.coarsen(labels, coarsen, (lam != 0) | (mu != 0),
                                             (periodic_x, True, True))
        class_stiffness, lam_eps = composite_voxels.laminate_tables(composite, lam, mu, iso)
        table = np.zeros((256 + composite.n_classes, 6))
        table[:256, :3] = iso[:, None]
        table[256:] = lam_eps
        labels = composite.classes
        lam = np.concatenate([lam, np.zeros(composite.n_classes)])
        mu = np.concatenate([mu, np.zeros(composite.n_classes)])
        spacing = tuple(coarsen * h for h in spacing)
        vs = min(spacing)
        eps = EigenstrainField(labels, table)
        log.info("composite voxels: %d of %d coarse voxels are laminates (%d classes), %d mixed kept binary",
                 composite.n_composite, labels.size, composite.n_classes, composite.n_binary)
    else:
        n_table = 0 if stiffness_classes is None else len(stiffness_classes[1])
        _check_memory(labels.shape, dtype, composite=stiffness_classes is not None, table_rows=n_table,
                      pressure=boundary == "pressure")
        if eigenstrain_field_ is None:
            eps = EigenstrainField.of(labels, iso)
        elif isinstance(eigenstrain_field_, EigenstrainField):
            eps = eigenstrain_field_
        else:
            eps = np.asarray(eigenstrain_field_)
            if eps.shape != labels.shape + (6,):
                raise InputError(f"eigenstrain_field_: expected shape {labels.shape + (6,)}, got {eps.shape}")
            eps = EigenstrainField.dense(eps)
    solver_labels = labels
    if stiffness_classes is not None:
        if composite is not None:
            raise InputError("stiffness_classes: not together with coarsen (composite voxels mix isotropic "
                             "phases only)")
        classes, table = np.asarray(stiffness_classes[0]), np.asarray(stiffness_classes[1], dtype=np.float64)
        if classes.shape != labels.shape or table.ndim != 3 or table.shape[1:] != (6, 6):
            raise InputError(f"stiffness_classes: expected classes shaped {labels.shape} and a (m, 6, 6) "
                             f"table, got {classes.shape} and {table.shape}")
        plain = classes < 256
        if (classes[plain] != labels[plain]).any() or classes.max() >= 256 + len(table) or classes.min() < 0:
            raise InputError("stiffness_classes: a class below 256 must be the voxel's label and one above "
                             "must index the table")
        if not np.isfinite(table).all() or (np.linalg.eigvalsh(0.5 * (table + table.transpose(0, 2, 1)))
                                           [np.unique(classes[~plain]) - 256].min(initial=1.0) <= 0):
            raise InputError("stiffness_classes: every stiffness in use must be finite and positive definite")
        solver_labels = np.ascontiguousarray(classes, dtype=np.int32)
        lam = np.concatenate([lam, np.zeros(len(table))])
        mu = np.concatenate([mu, np.zeros(len(table))])
        class_stiffness = table
    prob = _Problem(solver_labels, lam, mu, periodic_x, tuple(h / vs for h in spacing),
                    class_stiffness=class_stiffness)
    mask = np.full((prob.mx, prob.ny, prob.nz), 7, np.uint8)
    if not periodic_x:
        mask[0] &= 6
        mask[-1] &= 6
    E_macro = None
    if boundary == "periodic" and macro_strain is not None:
        E_macro = np.asarray(macro_strain, dtype=float)
        if E_macro.shape != (6,) or not np.isfinite(E_macro).all():
            raise InputError("macro_strain: expected 6 finite numbers (xx, yy, zz, yz, xz, xy)")
    n_iter = 0
    sols = []
    plate_disp = None
    if boundary == "free":
        C, s_unit = _stiffness_from_solves(prob, mask, dtype=dtype, tol=tol, maxiter=maxiter, sols=sols)
        w = np.linalg.eigvalsh(0.5 * (C + C.T))
        if not w.min() > 1e-6 * w.max():
            raise InputError("boundary: the solid does not hold the periodic cell together along every "
                             "axis (its effective stiffness is singular), so a zero mean stress does "
                             "not fix the cell's strain; use boundary='periodic' or 'pressure'")
        sol0 = _solve(prob, lambda: prob.load(eps, None), mask, dtype=dtype, tol=tol, maxiter=maxiter)
        sols.append(sol0)
        s0 = prob.mean_stress(sol0.u, eps, None)
        E_macro = -np.linalg.solve(C, s0)
        u = sol0.u + sum(E_macro[k] * s_unit[k] for k in range(6))
    elif boundary == "pressure":
        if not _plates_connected(prob.solid):
            raise InputError("boundary: the structure does not connect the two plates, so a stack "
                             "pressure cannot be carried; use boundary='periodic' or 'plates'")
        # the last plate's x displacement is one more unknown, its force the stack pressure
        # times the cross-section (the volume mean of sigma_xx is that force over the section)
        area = prob.ny * prob.nz * prob.h[1] * prob.h[2]
        sol = _solve(prob, lambda: prob.load(eps, None), mask, dtype=dtype, tol=tol, maxiter=maxiter,
                     plate_force=-stack_pressure * area)
        sols.append(sol)
        u = sol.u
        plate_disp = sol.plate * vs
    else:
        sol = _solve(prob, lambda: prob.load(eps, E_macro), mask, dtype=dtype, tol=tol, maxiter=maxiter)
        sols.append(sol)
        u = sol.u
        if boundary == "plates":
            plate_disp = 0.0
    prob.release()
    n_iter = sum(s.n_iter for s in sols)
    converged = all(s.converged for s in sols)
    residual = max(s.residual for s in sols)
    reason = "; ".join(s.reason for s in sols if s.reason)
    sig, mean_strain = prob.stress_field(u, eps, E_macro)
    if E_macro is not None:
        mean_strain = mean_strain + E_macro
    energy = prob.energy(u, eps, E_macro) * vs**3
    fb = None
    if not periodic_x:
        fb = _force_balance(prob, u, eps, scale=float(np.abs(sig[..., 0]).mean()) * prob.ny * prob.nz
                            * prob.h[1] * prob.h[2])
    names = dict(names) if names else {v: str(v) for v in present}
    opened = None
    if composite is not None:  # composite voxels count for their majority phase
        labels = composite.labels
        present = [v for v in present if (labels == v).any()]
        interfaces = {}
    else:
        # a face opens when its traction exceeds the strength by more than the solver's accuracy
        # (1e-5 of the largest stress: tol 1e-6 leaves round-off tension of that order on faces
        # that carry none, e.g. between free laminate layers)
        threshold = strength + 1e-5 * float(np.abs(sig).max())
        interfaces, opened = _interfaces(labels, sig, spacing, threshold, periodic_x,
                                         interface_types or _label_pairs(names))
    phases = _phase_stats(labels, sig, present, names)
    if not converged:
        warnings.warn(
            f"stress: the solver stopped before convergence ({reason}; residual {residual:.2e}); "
            "the stresses are approximate - raise maxiter or use dtype='float64'",
            ConvergenceWarning, stacklevel=3,
        )
    disp = None
    if fields:
        disp = prob.centre_displacement(u) * vs
    return StressResult(
        boundary=boundary, state=state, stack_pressure=float(stack_pressure), strength=float(strength),
        phases=phases, interfaces=interfaces,
        mean_stress=tuple(float(v) for v in sig.reshape(-1, 6).mean(axis=0)),
        mean_strain=tuple(float(v) for v in mean_strain),
        strain_energy=energy, plate_displacement=plate_disp, force_balance=fb, converged=converged,
        n_iter=n_iter, residual=float(residual), n_levels=sols[0].n_levels,
        wall_time=time.perf_counter() - t0, shape=tuple(int(s) for s in labels.shape),
        voxel_size=spacing[0] if len(set(spacing)) == 1 else spacing,
        arch=arch, dtype=dtype, reason=reason, displacement=disp, stress=sig if fields else None,
        opened=opened, composite=None if composite is None else composite.summary(),
    )


def _stiffness_from_solves(prob: _Problem, mask: np.ndarray, *, dtype, tol, maxiter, sols):
    """Effective stiffness (6x6, Voigt with engineering shear columns) of a periodic cell and the
    periodic displacement of each unit macroscopic strain."""
    zero = EigenstrainField.zero(prob.labels)
    C = np.zeros((6, 6))
    units = []
    for k in range(6):
        E = np.zeros(6)
        E[k] = 1.0 if k < 3 else 0.5  # engineering shear gamma = 1 -> tensor 0.5
        sol = _solve(prob, lambda E=E: prob.load(zero, E), mask, dtype=dtype, tol=tol, maxiter=maxiter)
        sols.append(sol)
        s = prob.mean_stress(sol.u, zero, E)
        C[:, k] = s
        units.append(sol.u * (1.0 if k < 3 else 2.0))  # per unit tensor component
    Ct = C.copy()
    Ct[:, 3:] *= 2.0  # stress per unit tensor shear component
    return Ct, units


def effective_stiffness(labels: np.ndarray, elastic: Mapping[int, tuple[float, float]], *,
                        tol: float = 1e-6, dtype: str = "float32", maxiter: int = 500) -> np.ndarray:
    """Effective stiffness tensor (6x6 Voigt, engineering shear: ``sigma = C gamma``) [Pa] of a
    periodic cell, from six macroscopic strains."""
    from .gpu_kernels.runtime import ensure_initialized

    ensure_initialized()
    labels = _check_labels(labels)
    lam = np.zeros(256)
    mu = np.zeros(256)
    for lab in np.flatnonzero(np.bincount(labels.ravel(), minlength=256)):
        if int(lab) not in elastic:
            raise InputError(f"elastic: label {int(lab)} has no elastic constants")
        lam[lab], mu[lab] = lame(*elastic[int(lab)], where=f"elastic constants of label {int(lab)}")
    prob = _Problem(labels, lam, mu, True)
    mask = np.full(labels.shape, 7, np.uint8)
    sols: list = []
    Ct, _ = _stiffness_from_solves(prob, mask, dtype=dtype, tol=tol, maxiter=maxiter, sols=sols)
    if not all(s.converged for s in sols):
        warnings.warn("effective_stiffness: a solve did not converge", ConvergenceWarning, stacklevel=2)
    C = Ct.copy()
    C[:, 3:] /= 2.0
    return 0.5 * (C + C.T)


def _force_balance(prob: _Problem, u: np.ndarray, eps: EigenstrainField, *, scale: float) -> float:
    """|F_0 + F_L| / max(|F_0|, |F_L|, scale) of the plate reactions (x) from the first and last
    element layers; ``scale`` [Pa voxel^2] is the force the body's mean |sigma_xx| carries (the
    plate forces themselves vanish under a zero stack pressure)."""
    from .gpu_kernels.elasticity import element_matrices

    kl, km = element_matrices(prob.h)
    forces = []
    for layer, plane in ((0, 0), (prob.nx - 1, 1)):
        lab = prob.labels[layer]
        lam, mu = prob.lam[lab], prob.mu[lab]
        ue = np.stack([np.roll(u[layer + ((a >> 2) & 1)], (-((a >> 1) & 1), -(a & 1)), axis=(0, 1))
                       for a in range(8)], axis=2).reshape(prob.ny, prob.nz, 24)
        sig_star = prob.stress_free_stress(eps.slab(slice(layer, layer + 1)), None,
                                           prob.labels[layer:layer + 1])[0]
        F = 0.0
        lsel = None
        if prob.classK is not None:
            lsel, rows = prob._class_part(lab)
            Kl = prob.classK[rows]
        for a in range(8):
            if ((a >> 2) & 1) != plane:
                continue
            row = lam[..., None] * (ue @ kl[3 * a:3 * a + 3].T) + mu[..., None] * (ue @ km[3 * a:3 * a + 3].T)
            if lsel is not None:
                row[lsel] = np.einsum("nij,nj->ni", Kl[:, 3 * a:3 * a + 3], ue[lsel])
            F += float((row[..., 0] - (sig_star @ prob.gv[a])[..., 0]).sum())
        forces.append(F)
    scale = max(abs(forces[0]), abs(forces[1]), scale)
    return abs(forces[0] + forces[1]) / scale if scale > 0 else 0.0


def _phase_stats(labels, sig, present, names) -> dict[str, dict[str, Any]]:
    hyd = sig[..., :3].mean(axis=-1)
    vm = _von_mises(sig)
    out = {}
    n = labels.size
    for lab in present:
        sel = labels == lab
        h, v = hyd[sel], vm[sel]
        out[names.get(lab, str(lab))] = {
            "label": lab, "volume_fraction": float(sel.sum() / n),
            "mean_hydrostatic": float(h.mean()), "mean_von_mises": float(v.mean()),
            "hydrostatic_percentiles": _percentiles(h),
            "von_mises_percentiles": _percentiles(v),
        }
    return out


def _percentiles(x: np.ndarray) -> dict[str, float]:
    return {str(p): float(v) for p, v in zip(PERCENTILES, np.percentile(x, PERCENTILES), strict=True)}


def _label_pairs(names: Mapping[int, str]):
    def classify(la, lb, ga, gb, pa, pb):
        lo = np.minimum(la, lb)
        hi = np.maximum(la, lb)
        out = {}
        for a in np.unique(lo):
            for b in np.unique(hi[lo == a]):
                if a == b:
                    continue
                out[f"{names.get(int(a), a)}/{names.get(int(b), b)}"] = (lo == a) & (hi == b)
        return out
    return classify


def _interfaces(labels, sig, spacing, strength, periodic_x, classify):
    """Normal traction on every face between two voxels; per interface type statistics and the
    opened faces (3 bool arrays, face on the + side of each voxel along each axis). Faces normal
    to axis ``ax`` have the area of the other two edges of ``spacing`` [m]; the opened fraction
    and the mean traction are area-weighted, the percentiles are over faces."""
    results: dict[str, dict[str, Any]] = {}
    opened = []
    acc: dict[str, list] = {}
    opens = getattr(classify, "opens", lambda name: True)
    for ax in range(3):
        n = labels.shape[ax]
        wrap = ax > 0 or periodic_x
        lb = np.roll(labels, -1, axis=ax)
        sa = sig[..., ax]
        sb = np.roll(sa, -1, axis=ax)
        valid = np.ones(labels.shape, bool)
        if not wrap:
            idx = [slice(None)] * 3
            idx[ax] = n - 1
            valid[tuple(idx)] = False
        t = 0.5 * (sa + sb)
        jump = np.abs(sa - sb)
        op = np.zeros(labels.shape, bool)
        ga = gb = pa = pb = None
        if getattr(classify, "needs_ids", False):
            ga, pa = classify.grains, classify.particles
            gb = None if ga is None else np.roll(ga, -1, axis=ax)
            pb = None if pa is None else np.roll(pa, -1, axis=ax)
        for name, sel in classify(labels, lb, ga, gb, pa, pb).items():
            sel = sel & valid
            acc.setdefault(name, [])
            if not sel.any():
                continue
            tt = t[sel]
            if opens(name):
                op |= sel & (t > strength)
            face = spacing[(ax + 1) % 3] * spacing[(ax + 2) % 3]
            acc.setdefault(name, []).append((tt, jump[sel], tt > strength, np.full(tt.size, face)))
        opened.append(op)
    for name, parts in acc.items():
        if not parts:  # a type the structure has no face of is an answer too (no grain boundaries)
            results[name] = {"n_faces": 0, "area": 0.0, "opened_fraction": None, "mean_traction": None,
                             "mean_jump": None, "percentiles": None}
            continue
        tt = np.concatenate([p[0] for p in parts])
        jj = np.concatenate([p[1] for p in parts])
        oo = np.concatenate([p[2] for p in parts])
        aa = np.concatenate([p[3] for p in parts])
        results[name] = {
            "n_faces": int(tt.size), "area": float(aa.sum()),
            "opened_fraction": float(np.average(oo, weights=aa)),
            "mean_traction": float(np.average(tt, weights=aa)),
            "mean_jump": float(np.average(jj, weights=aa)),
            "percentiles": _percentiles(tt),
        }
    return results, tuple(opened)


def _voxel_spacing(voxel_size: Any) -> tuple[float, float, float]:
    """``(dx, dy, dz)`` [m] from one voxel edge or three, each validated."""
    if np.ndim(voxel_size) == 0:
        vs = validation.voxel_size(voxel_size)
        return (vs, vs, vs)
    v = tuple(np.asarray(voxel_size, dtype=object).ravel())
    if len(v) != 3:
        raise InputError(f"voxel_size: expected one edge or three (dx, dy, dz) in metres, got {voxel_size!r}")
    return tuple(validation.voxel_size(e, f"voxel_size[{i}]") for i, e in enumerate(v))


def _check_labels(labels: Any) -> np.ndarray:
    a = np.asarray(labels)
    if a.dtype == bool:
        a = a.astype(np.uint8)
    return np.ascontiguousarray(validation.labels(a))


def _check_memory(shape, dtype: str, composite: bool = False, table_rows: int = 0,
                  pressure: bool = False) -> None:
    """``composite``: element classes beyond the labels (composite voxels, grains); ``table_rows``:
    their 24x24 float64 matrices, once on the host and once on the device."""
    from .gpu_kernels.elasticity import bytes_per_voxel
    from .memory import check_memory

    extra = COMPOSITE_BYTES_PER_VOXEL if composite else 0.0
    extra += 2 * 576 * 8 * table_rows / max(1, math.prod(shape))
    check_memory(shape, bytes_per_voxel(dtype, VECTOR_DTYPE, pressure) + HOST_BYTES_PER_VOXEL + extra,
                 what=f"the {dtype} elasticity solver and its post-processing", parameter="labels")


#: composite voxels' extra per coarse voxel [B]: int32 classes instead of uint8 labels, and the
#: first coarse level's matrices, now one per coarse element next to a laminate rather than one
#: per label pattern (324 x 4 B on the device, x 8 B on the host while they are formed).
#: Measured: 351 B/voxel beyond the binary grid's peak on the bench_mechanics composite at 64^3
#: from 128^3 (16.5 % laminates; benchmarks/bench_composite_voxels.py)
COMPOSITE_BYTES_PER_VOXEL = 360


def _check_coarsen(coarsen: Any, eigenstrain_field_) -> int:
    try:
        whole = not isinstance(coarsen, bool) and float(coarsen).is_integer() and int(coarsen) >= 1
    except (TypeError, ValueError):
        whole = False
    if not whole:
        raise InputError(f"coarsen: expected a whole factor >= 1 (2: a grid 2x coarser per axis), "
                         f"got {coarsen!r}")
    coarsen = int(coarsen)
    if coarsen > 1 and eigenstrain_field_ is not None:
        raise InputError("coarsen: composite voxels take one eigenstrain per label (eigenstrain=); a "
                         "per-voxel eigenstrain field (grains) is not coarsened - solve at the image's "
                         "resolution")
    return coarsen


#: host-side peak beyond the device plan [B/voxel]: the nodal load while it is uploaded (the
#: post-processing works slab by slab after the solver's arrays are freed, ~155 B/voxel at its
#: peak). Measured peak of a whole stress_of_labels call: 199 B/voxel at 96^3 against a device
#: plan of 184 B/voxel (float32)
HOST_BYTES_PER_VOXEL = 30.0


# --------------------------------------------------------------------------- structures with materials
class _Classifier:
    """Interface types of a structure with a phase table (and grain / particle ids)."""

    needs_ids = True

    def __init__(self, ms: Microstructure):
        self.ms = ms
        self.kind = np.zeros(256, dtype=np.int8) - 1
        self.codes = {k: i for i, k in enumerate(PhaseKind)}
        for lab, ph in ms.phases.items():
            self.kind[lab] = self.codes[ph.kind]
        self.grains = ms.grains
        self.particles = ms.particles

    def opens(self, name: str) -> bool:
        return name in OPENING_INTERFACES

    def __call__(self, la, lb, ga, gb, pa, pb):
        ka, kb = self.kind[la], self.kind[lb]
        A = self.codes[PhaseKind.ACTIVE]
        El = self.codes[PhaseKind.ELECTROLYTE]
        Cb = self.codes[PhaseKind.CARBON]
        out = {}
        out["active/electrolyte"] = ((ka == A) & (kb == El)) | ((ka == El) & (kb == A))
        out["active/carbon"] = ((ka == A) & (kb == Cb)) | ((ka == Cb) & (kb == A))
        out["electrolyte/carbon"] = ((ka == El) & (kb == Cb)) | ((ka == Cb) & (kb == El))
        both = (ka == A) & (kb == A)
        if pa is not None:
            diff_p = both & (pa != pb)
            same_p = both & (pa == pb)
        else:
            diff_p = both & (la != lb)
            same_p = both & (la == lb)
        if ga is not None:
            gbound = same_p & (ga != gb) & (ga > 0) & (gb > 0)
        else:
            gbound = np.zeros(la.shape, bool)
        out["active/active"] = diff_p
        out["grain_boundary"] = gbound
        return out


def _elastic_of(ms: Microstructure, lib, overrides) -> dict[int, tuple[float, float]]:
    out = {}
    for lab, ph in ms.phases.items():
        if lab in overrides:
            out[lab] = overrides[lab]
        elif ph.kind == PhaseKind.PORE:
            out[lab] = (0.0, 0.0)
        elif ph.material is None:
            raise InputError(
                f"elastic: phase {ph.name!r} (label {lab}) has no material; give its constants "
                f"(API: elastic={{{ph.name!r}: (E_Pa, nu)}}; CLI: --elastic {ph.name}=E_GPa,nu)"
            )
        else:
            mat = lib.get(ph.material)
            if not (mat.has("youngs_modulus") and mat.has("poisson_ratio")):
                missing = [k for k in ("youngs_modulus", "poisson_ratio") if not mat.has(k)]
                raise InputError(
                    f"elastic: material {ph.material!r} (phase {ph.name!r}) has no "
                    f"{' and no '.join(missing)} "
                    f"in the materials library; give them (API: elastic={{{ph.name!r}: (E_Pa, nu)}}; "
                    f"CLI: --elastic {ph.name}=E_GPa,nu)"
                )
            out[lab] = (mat.youngs_modulus, mat.poisson_ratio)
    return out


def _eigenstrain_of(ms: Microstructure, lib, state, overrides) -> tuple[EigenstrainField, dict]:
    """Eigenstrain field and a description of where each phase's value came from."""
    iso = np.zeros(256)
    grain_strain = None
    info: dict[str, Any] = {}
    aniso_labels = []
    for lab, ph in ms.phases.items():
        if lab in overrides:
            iso[lab] = float(overrides[lab])
            info[ph.name] = {"eigenstrain": iso[lab], "source": "override"}
            continue
        if ph.kind != PhaseKind.ACTIVE or ph.material is None or state is None:
            continue
        mat = lib.get(ph.material)
        has_dv, has_lat = mat.has("volume_change"), mat.has("lattice_strain")
        if not (has_dv or has_lat):
            raise InputError(
                f"eigenstrain: material {ph.material!r} has neither a volume-change nor a lattice-strain "
                f"path; give one (CLI: --eigenstrain {ph.name}=value)"
            )
        if has_dv:
            pv = mat.value("volume_change")
            if not pv.path_state and not (has_lat and ms.grains is not None):
                raise InputError(
                    f"state: the volume change of {ph.material!r} ({100 * pv.value:+.2f} %"
                    f"{', ' + pv.window if pv.window else ''}) has no path over the state of charge; "
                    f"give its linear eigenstrain instead (CLI: --eigenstrain {ph.name}="
                    f"{_linear_from_volume(pv.value):.4g} for the full window)"
                )
            if pv.path_state:
                iso[lab] = _linear_from_volume(mat.volume_change(state))
        if has_lat and ms.grains is not None:
            ea, ec = mat.lattice_strain(state)
            aniso_labels.append(lab)
            info[ph.name] = {"eps_a": ea, "eps_c": ec, "source": "lattice_strain per grain"}
            if not has_dv:
                iso[lab] = _linear_from_volume((1 + ea) ** 2 * (1 + ec) - 1)
            grain_strain = (lab, ea, ec)
        else:
            info[ph.name] = {"eigenstrain": iso[lab], "source": "volume_change"}
    gs = None
    if grain_strain is not None and ms.orientations is not None and ms.n_grains:
        _, ea, ec = grain_strain
        gs = _grain_tensors(ms.orientations, ea, ec)
        # grains of another anisotropic material would need their own (eps_a, eps_c)
        glab = np.zeros(ms.n_grains + 1, dtype=np.int64)
        sel = ms.grains > 0
        glab[ms.grains[sel]] = ms.labels[sel]
        not_aniso = ~np.isin(glab[1:], aniso_labels)
        gs[not_aniso] = np.nan
        if len(set(aniso_labels)) > 1:
            raise InputError("eigenstrain: grains in more than one anisotropic material are not "
                             "supported yet")
    eps = EigenstrainField.of(ms.labels, iso, grains=ms.grains, grain_strain=gs)
    return eps, info


def _grain_stiffness(ms: Microstructure, lib, el) -> tuple[np.ndarray, np.ndarray]:
    """Classes and table for ``stiffness_classes``: voxel ``v`` of grain ``g`` of a layered oxide
    gets class ``255 + g`` with :func:`layered_oxide_stiffness` of its phase's E rotated by the
    grain's quaternion; every other voxel keeps its label (isotropic)."""
    if ms.grains is None or ms.orientations is None or not ms.n_grains:
        raise InputError("anisotropic_stiffness: the structure has no grains with orientations, so there is "
                         "no crystal to rotate; generate a polycrystalline recipe (e.g. nmc532_pc_lpscl) or "
                         "drop the option")
    layered = [lab for lab, ph in ms.phases.items()
               if ph.kind == PhaseKind.ACTIVE and ph.material is not None
               and lib.get(ph.material).has("lattice_strain")]
    if not layered:
        raise InputError("anisotropic_stiffness: no active phase is a layered oxide with a lattice-strain "
                         "path (the single-crystal stiffness is known only for those); drop the option")
    glab = np.zeros(ms.n_grains + 1, dtype=np.int64)
    sel = ms.grains > 0
    glab[ms.grains[sel]] = ms.labels[sel]
    table = np.zeros((ms.n_grains, 6, 6))
    R = _quat_matrices(np.asarray(ms.orientations, dtype=np.float64))
    for lab in layered:
        g = np.flatnonzero(glab[1:] == lab)
        if g.size:
            table[g] = rotate_stiffness(layered_oxide_stiffness(el[lab][0]), R[g])
    classes = ms.labels.astype(np.int32)
    aniso = sel & np.isin(ms.labels, layered)
    classes[aniso] = 255 + ms.grains[aniso]
    return classes, table


def stress(ms: Microstructure, *, state: float | None = None, boundary: str = "pressure",
           stack_pressure: float = 0.0, strength: float = 0.0,
           elastic: Mapping[int | str, tuple[float, float]] | None = None,
           eigenstrain: Mapping[int | str, float] | None = None, materials: Any = None,
           tol: float = 1e-6, dtype: str = "float32", maxiter: int = 500, fields: bool = False,
           contact: bool = False, contact_before: Mapping[str, Any] | None = None,
           coarsen: int = 1, anisotropic_stiffness: bool = False) -> StressResult:
    """Stress from the active material's volume change at a state of charge.

    Parameters
    ----------
    ms : Microstructure
        The structure (phases with materials; grains and orientations for the anisotropic
        per-grain lattice strain).
    state : float, optional
        State coordinate of each active material's path (lithium content ``x_Li`` for the
        layered oxides: 1.0 discharged, 0.2 charged NMC811; ``conversion`` for sulfur).
        ``None``: no eigenstrain from the materials (only ``eigenstrain`` overrides).
    boundary, stack_pressure, strength, tol, dtype, maxiter, fields
        See :func:`stress_of_labels` (SI units: Pa).
    elastic : mapping, optional
        ``{phase: (E [Pa], nu)}`` overriding or completing the library.
    eigenstrain : mapping, optional
        ``{phase: eps}`` linear isotropic eigenstrain overriding the library.
    contact : bool
        Also compute what the opened interfaces do to transport: the effective ionic and
        electronic conductivity and the utilisable active fraction before and after
        (``result.contact``).
    contact_before : mapping, optional
        ``{carrier: ConductivityResult}`` along x of this structure already solved, reused as the
        "before" conductivities.
    coarsen : int
        Composite voxels on a grid this many times coarser (see :func:`stress_of_labels`):
        per-phase eigenstrains only, and no contact loss (it needs the interface faces).
    anisotropic_stiffness : bool
        Each grain of a layered oxide (an active material with a lattice-strain path) gets the
        single-crystal stiffness :func:`layered_oxide_stiffness` (scaled to the material's
        polycrystalline E) rotated by the grain's orientation, instead of the isotropic E, nu.
    """
    if not isinstance(ms, Microstructure):
        raise InputError(f"ms: expected a Microstructure, got {type(ms).__name__}; "
                         "use stress_of_labels() for a plain label array")
    from .materials import library_for

    materials = library_for(ms, materials)  # the library plus materials the structure records
    table = ms.phases
    el_over = {table.resolve(k): v for k, v in (elastic or {}).items()}
    eig_over = {table.resolve(k): v for k, v in (eigenstrain or {}).items()}
    if state is None and not eig_over:
        raise InputError("state: give the state of charge (lithium content, e.g. state=0.2 for charged "
                         "NMC811; CLI --soc 0.2) or an explicit eigenstrain")
    el = _elastic_of(ms, materials, el_over)
    eps, _info = _eigenstrain_of(ms, materials, state, eig_over)
    names = {lab: ph.name for lab, ph in table.items()}
    coarsen = _check_coarsen(coarsen, None)
    if anisotropic_stiffness and coarsen > 1:
        raise InputError("anisotropic_stiffness: not together with coarsen (composite voxels mix "
                         "isotropic phases); solve at the image's resolution")
    if coarsen > 1:
        if contact:
            raise InputError("coarsen: the contact loss needs the interface faces at the image's resolution, "
                             "which composite voxels do not keep; use contact=False (CLI --no-contact) or "
                             "solve without coarsening")
        if eps.index is None or eps.table.shape[0] != 256 or np.abs(eps.table[:, 3:]).any() \
                or np.ptp(eps.table[:, :3], axis=1).any():
            raise InputError("coarsen: this structure's grains carry anisotropic lattice strains, and "
                             "composite "
                             "voxels take one isotropic eigenstrain per phase; solve at the image's "
                             "resolution (no coarsening)")
        return stress_of_labels(ms.labels, el, voxel_size=ms.spacing,
                                eigenstrain={lab: float(eps.table[lab, 0]) for lab in range(256)
                                             if eps.table[lab, 0]},
                                boundary=boundary, stack_pressure=stack_pressure, strength=strength, tol=tol,
                                dtype=dtype, maxiter=maxiter, fields=fields, names=names, state=state,
                                coarsen=coarsen)
    classes = None
    if anisotropic_stiffness:
        classes = _grain_stiffness(ms, materials, el)
    res = stress_of_labels(ms.labels, el, voxel_size=ms.spacing, eigenstrain_field_=eps, boundary=boundary,
                           stack_pressure=stack_pressure, strength=strength, tol=tol, dtype=dtype,
                           maxiter=maxiter, fields=fields, names=names, interface_types=_Classifier(ms),
                           state=state, stiffness_classes=classes)
    if contact:
        import dataclasses

        from .contact import contact_loss

        res = dataclasses.replace(res, contact=contact_loss(ms, res.opened, materials=materials,
                                                            before=contact_before))
    return res
