"""The :class:`Microstructure`: the one data object every part of microcath works on.

Conventions (DESIGN.md): ``labels[x, y, z]`` is ``uint8`` and C-ordered; ``x``
is the through-thickness axis with the separator at ``x = 0`` and the current
collector at ``x = nx - 1``. The voxel spacing is in metres: ``spacing`` is
always ``(dx, dy, dz)``; ``voxel_size`` is the one edge of cubic voxels and
raises for unequal spacing, so no computation silently uses one number for a
FIB-SEM stack whose slices are thicker than its pixels.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import units, validation
from ._version import __version__
from .errors import InputError
from .phases import PhaseKind, PhaseTable

__all__ = ["Microstructure", "Coating", "Film", "AXES", "axis_index"]

AXES = ("x", "y", "z")


def axis_index(axis: int | str) -> int:
    """``'x'|'y'|'z'|0|1|2`` -> 0, 1 or 2."""
    if isinstance(axis, str) and axis.lower() in AXES:
        return AXES.index(axis.lower())
    if isinstance(axis, (int, np.integer)) and 0 <= int(axis) <= 2:
        return int(axis)
    raise InputError(f"axis: expected 'x', 'y', 'z' or 0, 1, 2, got {axis!r}")


@dataclass(frozen=True)
class Coating:
    """A coating thinner than a voxel, recorded instead of drawn.

    Transport treats it as an interfacial resistance ``thickness / sigma`` on
    every face between the coated phase and any other phase.

    Parameters
    ----------
    on : str
        Name of the coated phase (an active phase).
    material : str
        Material of the coating (e.g. ``"LiNbO3_coating"``).
    thickness : float
        Coating thickness [m].
    """

    on: str
    material: str
    thickness: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.thickness) and self.thickness > 0):
            raise InputError(
                f"thickness: a coating needs a positive finite thickness [m], got {self.thickness!r}"
            )

    def to_dict(self) -> dict:
        return {"on": self.on, "material": self.material, "thickness_m": self.thickness}

    @classmethod
    def from_dict(cls, d: Mapping) -> Coating:
        return cls(on=d["on"], material=d["material"], thickness=float(d["thickness_m"]))


@dataclass(frozen=True, eq=False)
class Film:
    """A binder film thinner than a voxel on part of the surfaces, recorded face by face.

    Transport treats every covered face as an interfacial resistance ``thickness / sigma``
    of the film material (ionic or electronic), or, where that conductivity is 0 (a dry
    polymer binder), as a blocked face; the analysis counts covered faces as no contact.

    Parameters
    ----------
    material : str
        Film material (a binder, e.g. ``"PVDF"``).
    thickness : float
        Film thickness [m] (below the voxel size).
    on : tuple of str
        Names of the coated phases.
    coverage : float
        Share of the coated phases' surface faces that the film covers [-].
    faces : ndarray of uint8, shaped like the labels
        Bit ``1 << a`` set: the face between the voxel and the next one along axis ``a``
        is covered (faces on the box boundary are never covered).
    """

    material: str
    thickness: float
    on: tuple[str, ...]
    coverage: float
    faces: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.thickness) and self.thickness > 0):
            raise InputError(f"film: a film needs a positive finite thickness [m], got {self.thickness!r}")
        if not 0.0 <= float(self.coverage) <= 1.0:
            raise InputError(f"film: coverage must lie in [0, 1], got {self.coverage!r}")
        faces = np.asarray(self.faces)
        if faces.ndim != 3 or faces.dtype != np.uint8 or int(faces.max(initial=0)) > 7:
            raise InputError("film: faces must be a 3-D uint8 array of face bits 1, 2, 4 (x, y, z)")
        object.__setattr__(self, "on", tuple(self.on))
        object.__setattr__(self, "faces", _readonly(faces))

    @classmethod
    def from_masks(cls, masks, **kw) -> Film:
        """A film from three boolean face masks (``masks[a]``: face to the next voxel along ``a``)."""
        bits = np.zeros(np.shape(masks[0]), np.uint8)
        for a, m in enumerate(masks):
            bits |= (np.asarray(m, bool).astype(np.uint8) << a)
        return cls(faces=bits, **kw)

    def face_masks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Three boolean masks of the covered faces (the ``cut_faces`` convention of transport)."""
        return tuple(((self.faces >> a) & 1).astype(bool) for a in range(3))  # type: ignore[return-value]

    def to_dict(self) -> dict:
        return {"material": self.material, "thickness_m": self.thickness, "on": list(self.on),
                "coverage": float(self.coverage),
                "n_faces": int(sum(int(m.sum()) for m in self.face_masks()))}

    @classmethod
    def from_dict(cls, d: Mapping, faces: np.ndarray) -> Film:
        return cls(material=d["material"], thickness=float(d["thickness_m"]), on=tuple(d["on"]),
                   coverage=float(d["coverage"]), faces=np.asarray(faces, np.uint8))


def _readonly(a: np.ndarray) -> np.ndarray:
    if a.flags.writeable or not a.flags.c_contiguous or a.base is not None:
        a = np.array(a, order="C", copy=True)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False, init=False)
class Microstructure:
    """A voxel image of a composite cathode with everything needed to simulate it.

    Parameters
    ----------
    labels : ndarray of uint8, shape (nx, ny, nz)
        Phase label of every voxel; ``x`` is through-thickness.
    voxel_size : float or (float, float, float)
        Edge length of a cubic voxel [m], or the spacing ``(dx, dy, dz)`` [m] of
        voxels whose edges differ (e.g. a FIB-SEM stack, 10 x 10 x 20 nm).
    phases : PhaseTable or mapping
        ``label -> Phase``; every label present in ``labels`` must be listed.
    grains : ndarray of int32, optional
        Grain id per voxel, ``0`` outside grains, ``1..n`` inside active phases.
    orientations : ndarray of float, shape (n, 4), optional
        Unit quaternion ``(w, x, y, z)`` of grain ``g`` in row ``g - 1``.
    particles : ndarray of int32, optional
        Active-particle id per voxel, ``0`` outside particles.
    coatings : sequence of Coating
        Sub-voxel coatings recorded for transport.
    film : Film, optional
        A sub-voxel binder film recorded face by face (:mod:`microcath.geometries.binder`).
    provenance : mapping
        How the structure came to be (recipe, parameters, seed, version).
    spacing : (float, float, float), keyword only
        The same as a three-number ``voxel_size`` (give one of the two).

    ``spacing`` is always ``(dx, dy, dz)`` [m]; ``voxel_size`` returns the edge of
    cubic voxels and raises :class:`~microcath.errors.InputError` naming
    ``spacing`` when the edges differ.

    The object is immutable; arrays are stored read-only. Use :meth:`replace`
    to derive a new structure.

    >>> import numpy as np
    >>> from microcath import Microstructure, Phase
    >>> lab = np.zeros((4, 4, 4), np.uint8); lab[:2] = 1
    >>> m = Microstructure(lab, 1e-6, {0: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"),
    ...                                1: Phase("NMC811", "active", "NMC811")})
    >>> m.volume_fractions()
    {'Li6PS5Cl': 0.5, 'NMC811': 0.5}
    """

    labels: np.ndarray
    spacing: tuple[float, float, float]
    phases: PhaseTable
    grains: np.ndarray | None = None
    orientations: np.ndarray | None = None
    particles: np.ndarray | None = None
    coatings: tuple[Coating, ...] = ()
    film: Film | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, labels: np.ndarray, voxel_size: Any = None, phases: Any = None,
                 grains: np.ndarray | None = None, orientations: np.ndarray | None = None,
                 particles: np.ndarray | None = None, coatings: Any = (),
                 provenance: Mapping[str, Any] | None = None, *, spacing: Any = None,
                 film: Any = None) -> None:
        if spacing is not None and voxel_size is not None:
            if validation.spacing(spacing, "spacing") != validation.spacing(voxel_size):
                raise InputError(f"voxel_size: given together with spacing={spacing!r} and different "
                                 f"({voxel_size!r}); give one of the two")
        name = "voxel_size" if spacing is None else "spacing"
        sp = validation.spacing(voxel_size if spacing is None else spacing, name)
        if phases is None:
            raise InputError("phases: a phase table {label: Phase} is needed")
        for key, value in (("labels", labels), ("spacing", sp), ("phases", phases), ("grains", grains),
                           ("orientations", orientations), ("particles", particles),
                           ("coatings", coatings), ("film", film),
                           ("provenance", {} if provenance is None else provenance)):
            object.__setattr__(self, key, value)
        self.__post_init__()

    def __post_init__(self) -> None:
        labels = self.labels
        if not isinstance(labels, np.ndarray):
            raise InputError(
                f"labels: expected a numpy array of uint8, got {type(labels).__name__}"
            )
        if labels.dtype == np.bool_:  # a binary image: labels 0 and 1, as everywhere in microcath
            labels = labels.astype(np.uint8)
            object.__setattr__(self, "labels", labels)
        if labels.dtype != np.uint8:
            hint = ""
            if np.issubdtype(labels.dtype, np.integer) and labels.size:
                lo, hi = int(labels.min()), int(labels.max())
                if 0 <= lo and hi <= 255:
                    hint = " (its values fit: pass labels.astype(np.uint8))"
                else:
                    hint = (f" (values span {lo}..{hi}; remap them to 0..255, e.g. with "
                            "microcath.io.remap_labels)")
            raise InputError(f"labels: expected dtype uint8, got {labels.dtype}{hint}")
        if labels.ndim != 3:
            raise InputError(
                f"labels: expected a 3-D array (nx, ny, nz), got {labels.ndim}-D shape "
                f"{labels.shape}; a 2-D image can be passed as labels[None] or labels[..., None]"
            )
        if 0 in labels.shape:
            raise InputError(f"labels: every axis needs at least one voxel, got shape {labels.shape}")
        object.__setattr__(self, "labels", _readonly(labels))

        phases = self.phases if isinstance(self.phases, PhaseTable) else PhaseTable(self.phases)
        object.__setattr__(self, "phases", phases)
        present = np.flatnonzero(np.bincount(self.labels.ravel(), minlength=256))
        missing = [int(v) for v in present if int(v) not in phases]
        if missing:
            raise InputError(
                f"labels: values {missing} are not in the phase table (known labels "
                f"{list(phases)}); add a Phase for each, or remap the image"
            )

        n_grains = self._check_grains()
        self._check_orientations(n_grains)
        self._check_particles()
        coatings = tuple(c if isinstance(c, Coating) else Coating.from_dict(c) for c in self.coatings)
        for c in coatings:
            if c.on not in phases.names:
                raise InputError(
                    f"coatings: coating on {c.on!r}, which is not a phase ({', '.join(phases.names)})"
                )
        object.__setattr__(self, "coatings", coatings)
        if self.film is not None:
            if not isinstance(self.film, Film):
                raise InputError(f"film: expected a microcath.Film, got {type(self.film).__name__}")
            if self.film.faces.shape != self.labels.shape:
                raise InputError(f"film: faces shape {self.film.faces.shape} differs from labels "
                                 f"shape {self.labels.shape}")
            unknown = [n for n in self.film.on if n not in phases.names]
            if unknown:
                raise InputError(f"film: on {unknown}, which are not phases ({', '.join(phases.names)})")
        prov = dict(self.provenance)
        prov.setdefault("microcath_version", __version__)
        object.__setattr__(self, "provenance", prov)

    # --- validation helpers -------------------------------------------------
    def _check_int_volume(self, name: str, vol: np.ndarray | None) -> np.ndarray | None:
        if vol is None:
            return None
        vol = np.asarray(vol)
        if vol.shape != self.labels.shape:
            raise InputError(
                f"{name}: shape {vol.shape} differs from labels shape {self.labels.shape}"
            )
        if not np.issubdtype(vol.dtype, np.integer):
            raise InputError(f"{name}: expected an integer array (int32), got {vol.dtype}")
        if vol.size and vol.min() < 0:
            raise InputError(f"{name}: ids must be >= 0 (0 means none), found {int(vol.min())}")
        if vol.size and vol.max() > np.iinfo(np.int32).max:
            raise InputError(f"{name}: ids exceed int32")
        vol = _readonly(vol.astype(np.int32, copy=False))
        object.__setattr__(self, name, vol)
        return vol

    def _check_grains(self) -> int:
        g = self._check_int_volume("grains", self.grains)
        if g is None:
            return 0
        active = np.isin(self.labels, self.phases.labels_of_kind(PhaseKind.ACTIVE))
        bad = int(np.count_nonzero((g > 0) & ~active))
        if bad:
            raise InputError(
                f"grains: {bad} voxels carry a grain id outside the active phases; "
                "grain ids belong to active material only (set them to 0 elsewhere)"
            )
        return int(g.max()) if g.size else 0

    def _check_orientations(self, n_grains: int) -> None:
        q = self.orientations
        if q is None:
            if n_grains:
                raise InputError(
                    f"orientations: the grain volume has {n_grains} grains but no orientations "
                    "were given; pass one unit quaternion (w, x, y, z) per grain"
                )
            return
        q = np.asarray(q, dtype=np.float64)
        if q.ndim != 2 or q.shape[1] != 4:
            raise InputError(f"orientations: expected shape (n_grains, 4), got {q.shape}")
        if self.grains is None:
            raise InputError("orientations: given without a grain volume; pass grains= as well")
        if q.shape[0] != n_grains:
            raise InputError(
                f"orientations: {q.shape[0]} orientations for {n_grains} grains; "
                "give exactly one quaternion per grain id 1..n"
            )
        if not np.all(np.isfinite(q)):
            raise InputError("orientations: contain NaN or inf")
        norms = np.linalg.norm(q, axis=1)
        if np.any(np.abs(norms - 1.0) > 1e-6):
            raise InputError(
                "orientations: quaternions must have unit norm (normalise with q / |q|)"
            )
        object.__setattr__(self, "orientations", _readonly(q))

    def _check_particles(self) -> None:
        p = self._check_int_volume("particles", self.particles)
        if p is None:
            return
        active = np.isin(self.labels, self.phases.labels_of_kind(PhaseKind.ACTIVE))
        bad = int(np.count_nonzero((p > 0) & ~active))
        if bad:
            raise InputError(
                f"particles: {bad} voxels carry a particle id outside the active phases"
            )

    # --- derived quantities -------------------------------------------------
    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.labels.shape)  # type: ignore[return-value]

    @property
    def n_voxels(self) -> int:
        return int(self.labels.size)

    @property
    def is_cubic(self) -> bool:
        """True when the three voxel edges are equal."""
        dx, dy, dz = self.spacing
        return dx == dy == dz

    @property
    def voxel_size(self) -> float:
        """Edge of a cubic voxel [m]; raises for unequal spacing (use :attr:`spacing`)."""
        return validation.cubic_edge(self.spacing, "this structure")

    @property
    def voxel_volume(self) -> float:
        """Volume of one voxel, ``dx dy dz`` [m^3]."""
        dx, dy, dz = self.spacing
        return dx**3 if self.is_cubic else dx * dy * dz

    @property
    def size(self) -> tuple[float, float, float]:
        """Physical edge lengths [m]."""
        return tuple(n * h for n, h in zip(self.shape, self.spacing, strict=True))  # type: ignore[return-value]

    @property
    def n_grains(self) -> int:
        return 0 if self.orientations is None else int(self.orientations.shape[0])

    def label_counts(self) -> dict[int, int]:
        counts = np.bincount(self.labels.ravel(), minlength=256)
        return {label: int(counts[label]) for label in self.phases}

    def volume_fractions(self) -> dict[str, float]:
        """Volume fraction of every phase in the table (0 for absent phases)."""
        n = self.n_voxels
        return {self.phases[k].name: c / n for k, c in self.label_counts().items()}

    def mask(self, phases: int | str | Any) -> np.ndarray:
        """Boolean mask of one or several phases (by label, name or kind)."""
        labels = self.phases.resolve_many(phases)
        return np.isin(self.labels, labels)

    def replace(self, **changes: Any) -> Microstructure:
        """A new structure with some fields changed (validated again); ``voxel_size=`` sets
        the spacing (one edge or three)."""
        if "voxel_size" in changes:
            if "spacing" in changes:
                raise InputError("replace: give voxel_size= or spacing=, not both")
            changes["spacing"] = changes.pop("voxel_size")
        return dataclasses.replace(self, **changes)

    def summary(self) -> dict[str, Any]:
        """JSON-ready description: shape, voxel size, phases, fractions, provenance."""
        fr = self.volume_fractions()
        return {
            "shape": list(self.shape),
            "voxel_size_um": units.to_um(self.spacing[0]) if self.is_cubic else None,
            "spacing_um": [units.to_um(s) for s in self.spacing],
            "size_um": [units.to_um(s) for s in self.size],
            "phases": [
                {"label": k, **p.to_dict(), "volume_fraction": fr[p.name]}
                for k, p in self.phases.items()
            ],
            "n_grains": self.n_grains,
            "n_particles": int(self.particles.max()) if self.particles is not None else None,
            "coatings": [c.to_dict() for c in self.coatings],
            "film": self.film.to_dict() if self.film is not None else None,
            "provenance": dict(self.provenance),
        }

    def __repr__(self) -> str:
        vox = (f"voxel_size={self.spacing[0]:.3g} m" if self.is_cubic else
               "spacing=(" + ", ".join(f"{s:.3g}" for s in self.spacing) + ") m")
        return (
            f"Microstructure(shape={self.shape}, {vox}, "
            f"phases={list(self.phases.names)}, n_grains={self.n_grains})"
        )

