"""Per-particle analysis: which active particles can work, and how well they are contacted.

Every active particle is classified by its two connections:

* **ionic**: the particle touches (shares a voxel face with) an ionic
  conductor that is connected to the separator face (index 0 along the
  axis), or, when the active phase itself is counted as an ionic conductor,
  the particle belongs to such a cluster;
* **electronic**: the particle belongs to an electronic cluster (carbon +
  active by default) connected to the current-collector face (last index),
  or, when the active phase is not an electronic conductor, it touches such a
  cluster.

Status: ``utilisable`` (both), ``ionically_isolated`` (electronic only),
``electronically_isolated`` (ionic only) or ``dead`` (neither).

Areas are staircase-corrected (see :mod:`microcath.analysis.morphology`);
the triphase share is counted on voxel faces: the share of a particle's
boundary faces that touch an electrolyte voxel with a carbon voxel in its
3 x 3 x 3 neighbourhood.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError
from ..microstructure import Microstructure
from ..phases import PhaseKind
from ..results import ResultMixin
from .percolation import PercolationResult

__all__ = ["ParticleTable", "particle_table", "particle_ids", "watershed_particles", "STATUSES",
           "STATUS_CODES", "status_codes", "equivalent_diameter", "particle_diameters"]

log = logging.getLogger(__name__)

STATUSES = ("utilisable", "ionically_isolated", "electronically_isolated", "dead")
#: Integer code of each particle status (0: no status), as written to ``particle_status`` fields.
STATUS_CODES: dict[str, int] = {name: i for i, name in enumerate(STATUSES, 1)}
#: What the codes of a ``particle_status`` field mean (the unit string of that field).
STATUS_CODE_LEGEND = "0 none, " + ", ".join(f"{c} {n.replace('_', ' ')}" for n, c in STATUS_CODES.items())

# neighbour-class bits seen from a particle voxel
_B_IONIC_CONN = 1  # ionic conductor (non-active) connected to the separator face
_B_IONIC = 2  # ionic conductor (non-active)
_B_ELEC_CONN = 4  # electronic conductor (non-active) connected to the collector face
_B_CARBON_NEAR = 8  # a carbon voxel in the 3x3x3 neighbourhood
_B_ACTIVE = 16  # active voxel (another particle)
_N_CLS = 32


@dataclass(frozen=True)
class ParticleTable(ResultMixin):
    """One row per active particle (columns as arrays of equal length).

    Attributes
    ----------
    particle_id : ndarray of int64
        Particle id (as in ``ms.particles`` or the watershed).
    volume : ndarray of float64
        Particle volume [m^3].
    equivalent_diameter : ndarray of float64
        Diameter of the sphere of the same volume [m].
    surface_area : ndarray of float64
        Staircase-corrected boundary area (to every other voxel) [m^2].
    electrolyte_contact_area : ndarray of float64
        Area in contact with ionic conductors (any) [m^2].
    ionic_contact_area : ndarray of float64
        Area in contact with the ionic network connected to the separator [m^2].
    contact_fraction : ndarray of float64
        ``electrolyte_contact_area / surface_area`` [-].
    triphase_fraction : ndarray of float64
        Share of the boundary faces that touch electrolyte with carbon
        within one voxel [-].
    ionic : ndarray of bool
        Connected to the separator through the ionic network.
    electronic : ndarray of bool
        Connected to the current collector through the electronic network.
    status : ndarray of str
        ``utilisable``, ``ionically_isolated``, ``electronically_isolated`` or ``dead``.
    source : str
        ``"particles"`` (ids from the structure) or ``"watershed"``.
    """

    particle_id: np.ndarray
    volume: np.ndarray
    equivalent_diameter: np.ndarray
    surface_area: np.ndarray
    electrolyte_contact_area: np.ndarray
    ionic_contact_area: np.ndarray
    contact_fraction: np.ndarray
    triphase_fraction: np.ndarray
    ionic: np.ndarray
    electronic: np.ndarray
    status: np.ndarray
    source: str = "particles"
    columns: tuple = field(default=("particle_id", "volume", "equivalent_diameter", "surface_area",
                                    "electrolyte_contact_area", "ionic_contact_area", "contact_fraction",
                                    "triphase_fraction", "ionic", "electronic", "status"), repr=False)

    def __len__(self) -> int:
        return int(self.particle_id.size)

    def rows(self) -> list[dict]:
        """The table as a list of dicts (JSON-ready)."""
        cols = {c: getattr(self, c).tolist() for c in self.columns}
        return [{c: cols[c][i] for c in self.columns} for i in range(len(self))]

    def status_counts(self) -> dict[str, int]:
        return {s: int(np.count_nonzero(self.status == s)) for s in STATUSES}

    def status_volume_fractions(self) -> dict[str, float]:
        """Share of the particles' volume in each status [-]."""
        tot = float(self.volume.sum())
        return {s: (float(self.volume[self.status == s].sum()) / tot if tot else 0.0) for s in STATUSES}

    def size_distribution(self) -> dict[str, float]:
        """Volume-weighted percentiles and number mean of the equivalent diameter [m]."""
        d = self.equivalent_diameter
        if d.size == 0:
            return {}
        order = np.argsort(d)
        cum = np.cumsum(self.volume[order])
        cum /= cum[-1]
        pct = {f"d{q}": float(d[order][min(np.searchsorted(cum, q / 100.0), d.size - 1)])
               for q in (10, 50, 90)}
        return {"n": int(d.size), "mean": float(d.mean()), **pct}


def equivalent_diameter(volume: Any) -> np.ndarray:
    """Diameter of the sphere of the same volume, ``d = (6 V / π)^(1/3)`` [m] (``volume`` [m^3])."""
    return (6.0 * np.asarray(volume, dtype=np.float64) / np.pi) ** (1.0 / 3.0)


def particle_diameters(ms: Microstructure) -> np.ndarray:
    """Volume-equivalent sphere diameter of every particle of ``ms.particles`` [m].

    ``V`` is the particle's voxel count times the voxel volume ``dx dy dz``.
    """
    if ms.particles is None:
        raise InputError("ms: the structure has no particle ids (ms.particles is None)")
    counts = np.bincount(ms.particles.ravel())[1:]
    counts = counts[counts > 0]
    return equivalent_diameter(counts * ms.voxel_volume)


_STATUS_ALIASES = {"usable": "utilisable", "utilizable": "utilisable", "connected": "utilisable",
                   "ionic_isolated": "ionically_isolated",
                   "electronic_isolated": "electronically_isolated", "isolated": "dead"}


def _status_code(v: Any) -> int:
    if isinstance(v, str):
        key = v.strip().lower().replace(" ", "_").replace("-", "_")
        key = _STATUS_ALIASES.get(key, key)
        if key not in STATUS_CODES:
            raise InputError(
                f"status: unknown particle status {v!r}; expected one of {', '.join(STATUS_CODES)}"
            )
        return STATUS_CODES[key]
    iv = int(v)
    if iv not in STATUS_CODES.values():
        raise InputError(f"status: integer status codes are {STATUS_CODES}, got {iv}")
    return iv


def status_codes(status: Any, n_particles: int) -> np.ndarray:
    """Per-particle status -> int8 array indexed by particle id (entry 0 and unknown ids: 0).

    ``status`` is ``{id: name or code}``, a :class:`ParticleTable`, or one entry per particle
    (row ``i`` = particle ``i + 1``, or ``n_particles + 1`` entries indexed by id).
    Codes are :data:`STATUS_CODES`.
    """
    out = np.zeros(n_particles + 1, dtype=np.int8)
    if isinstance(status, ParticleTable):
        status = {int(i): str(s) for i, s in zip(status.particle_id, status.status, strict=True)}
    if isinstance(status, Mapping):
        for pid, v in status.items():
            if 1 <= int(pid) <= n_particles:
                out[int(pid)] = _status_code(v)
        return out
    arr = list(status)
    if len(arr) == n_particles:          # row i = particle i + 1
        for i, v in enumerate(arr):
            out[i + 1] = _status_code(v)
    elif len(arr) == n_particles + 1:    # indexed by particle id, row 0 unused
        for i, v in enumerate(arr[1:], 1):
            out[i] = _status_code(v)
    else:
        raise InputError(
            f"status: expected one status per particle ({n_particles}, or {n_particles + 1} indexed "
            f"by id), got {len(arr)}"
        )
    return out


def watershed_particles(active: np.ndarray, *, min_distance: int = 3) -> np.ndarray:
    """Split an active-material mask into particles: watershed on the distance transform.

    Parameters
    ----------
    active : ndarray of bool
        Active-material voxels.
    min_distance : int
        Minimum distance between particle centres (markers) [voxels].

    Returns
    -------
    ndarray of int32
        Particle id per voxel (0 outside ``active``), ids ``1..n``.
    """
    from scipy import ndimage
    from skimage.feature import peak_local_max
    from skimage.segmentation import watershed

    dist = ndimage.distance_transform_edt(active)
    comp, n = ndimage.label(active)
    peaks = peak_local_max(dist, min_distance=min_distance, labels=comp, exclude_border=False)
    markers = np.zeros(active.shape, dtype=np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1, dtype=np.int32)
    # every component gets at least one marker
    has = np.zeros(n + 1, dtype=bool)
    has[comp[tuple(peaks.T)]] = True
    missing = np.flatnonzero(~has[1:]) + 1
    if missing.size:
        pos = ndimage.maximum_position(dist, comp, missing)
        for extra, p in enumerate(pos, start=len(peaks) + 1):
            markers[p] = extra
    ws = watershed(-dist, markers, mask=active)
    return ws.astype(np.int32)


def require_active(ms: Microstructure, purpose: str) -> tuple[int, ...]:
    """Labels of the active phases; ``InputError`` if the structure holds no active voxel."""
    active_labels = ms.phases.labels_of_kind(PhaseKind.ACTIVE)
    counts = ms.label_counts()
    if not active_labels or sum(counts[label] for label in active_labels) == 0:
        raise InputError(
            "structure: it holds no active material (no phase of kind 'active' with voxels; phases: "
            + ", ".join(f"{p.name} ({p.kind.value})" for p in ms.phases.values())
            + f"); {purpose} needs active particles"
        )
    return active_labels


def particle_ids(ms: Microstructure) -> tuple[np.ndarray, str]:
    """Particle ids of ``ms`` (``ms.particles``) or from a watershed, and which it was."""
    active_labels = require_active(ms, "per-particle analysis")
    if ms.particles is not None and int(ms.particles.max()) > 0:
        return ms.particles, "particles"
    log.info("no particle ids in the structure: separating active particles by watershed")
    return watershed_particles(ms.mask(active_labels)), "watershed"


def _dilate26(mask: np.ndarray) -> np.ndarray:
    """Binary dilation by the 3x3x3 cube (separable, in place on a copy)."""
    out = mask.copy()
    for ax in range(3):
        src = out.copy()
        n = src.shape[ax]
        if n < 2:
            continue
        a = [slice(None)] * 3
        b = [slice(None)] * 3
        a[ax], b[ax] = slice(1, n), slice(0, n - 1)
        out[tuple(a)] |= src[tuple(b)]
        out[tuple(b)] |= src[tuple(a)]
    return out


def _film_contacts(ms: Microstructure, pid: np.ndarray, cls: np.ndarray, el_mask: np.ndarray, n_reg: int,
                   *, axis: str, active_conducts: bool):
    """What a sub-voxel film (``ms.film``) changes per particle region.

    Returns the open share of the faces to any ionic conductor and to the connected one
    (scales of the contact areas), the triphase faces it covers, and whether the particle
    reaches the current collector through the electronic phases joined by faces the film
    does not cover (6-connectivity, as in :mod:`microcath.contact`).
    """
    from ..microstructure import axis_index
    from .faces import face_components, touching_layers

    cuts = ms.film.face_masks()
    ax_t = axis_index(axis)
    n_ion = np.zeros(n_reg)
    n_ion_open = np.zeros(n_reg)
    n_conn = np.zeros(n_reg)
    n_conn_open = np.zeros(n_reg)
    tri_blocked = np.zeros(n_reg)
    tri_bits = _B_IONIC | _B_CARBON_NEAR
    for ax in range(3):
        n = pid.shape[ax]
        a = [slice(None)] * 3
        b = [slice(None)] * 3
        a[ax], b[ax] = slice(0, n - 1), slice(1, n)
        a, b = tuple(a), tuple(b)
        cut = cuts[ax][a]
        for s, t in ((a, b), (b, a)):
            own = pid[s]
            surf = (own > 0) & (pid[t] != own)
            c = cls[t]
            ion = surf & ((c & _B_IONIC) != 0)
            conn = surf & ((c & _B_IONIC_CONN) != 0)
            n_ion += np.bincount(own[ion], minlength=n_reg)
            n_ion_open += np.bincount(own[ion & ~cut], minlength=n_reg)
            n_conn += np.bincount(own[conn], minlength=n_reg)
            n_conn_open += np.bincount(own[conn & ~cut], minlength=n_reg)
            tri_blocked += np.bincount(own[surf & cut & ((c & tri_bits) == tri_bits)], minlength=n_reg)
    with np.errstate(invalid="ignore", divide="ignore"):
        ion_scale = np.where(n_ion > 0, n_ion_open / np.where(n_ion > 0, n_ion, 1), 1.0)
        conn_scale = np.where(n_conn > 0, n_conn_open / np.where(n_conn > 0, n_conn, 1), 1.0)
    lab, n = face_components(el_mask, cuts)
    reach = touching_layers(lab, n, -1, axis=ax_t)[lab]  # joined to the collector
    el_ok = np.zeros(n_reg, bool)
    if active_conducts:
        el_ok[np.unique(pid[(pid > 0) & reach])] = True
        return ion_scale, conn_scale, tri_blocked, el_ok
    for ax in range(3):  # a particle outside the electronic set needs an open face to it
        n = pid.shape[ax]
        a = [slice(None)] * 3
        b = [slice(None)] * 3
        a[ax], b[ax] = slice(0, n - 1), slice(1, n)
        a, b = tuple(a), tuple(b)
        for s, t in ((a, b), (b, a)):
            ok = (pid[s] > 0) & reach[t] & ~cuts[ax][a]
            el_ok[np.unique(pid[s][ok])] = True
    el_ok[0] = False
    return ion_scale, conn_scale, tri_blocked, el_ok


def particle_table(ms: Microstructure, ionic: PercolationResult, electronic: PercolationResult, *,
                   ionic_labels: tuple[int, ...], electronic_labels: tuple[int, ...]) -> ParticleTable:
    """Per-particle table from the ionic and electronic networks (see module doc).

    ``ionic`` must be the percolation result of the ionic phase set along the
    chosen axis (fed from face 0), ``electronic`` that of the electronic set
    (fed from the last face).
    """
    from ..gpu_kernels.surface import region_contact_areas

    pid, source = particle_ids(ms)
    active_labels = ms.phases.labels_of_kind(PhaseKind.ACTIVE)
    carbon_labels = ms.phases.labels_of_kind(PhaseKind.CARBON)
    h0 = ms.spacing[0]  # region_contact_areas works in units of dx^2

    active_lut = np.zeros(256, dtype=bool)
    active_lut[list(active_labels)] = True
    active = active_lut[ms.labels]
    ion_lut = np.zeros(256, dtype=bool)
    ion_lut[list(ionic_labels)] = True
    ion_lut[list(active_labels)] = False
    el_lut = np.zeros(256, dtype=bool)
    el_lut[list(electronic_labels)] = True
    el_lut[list(active_labels)] = False

    ion_conn = ionic.connected_mask("inlet")
    el_conn = electronic.connected_mask("outlet")

    base = (np.where(ion_lut, _B_IONIC, 0) | np.where(active_lut, _B_ACTIVE, 0)).astype(np.uint8)
    cls = base[ms.labels]
    cls |= (ion_conn & ion_lut[ms.labels]).view(np.uint8)  # _B_IONIC_CONN == 1
    cls |= (el_conn & el_lut[ms.labels]).view(np.uint8) << 2  # _B_ELEC_CONN == 4
    if carbon_labels:
        cls |= _dilate26(np.isin(ms.labels, carbon_labels)).view(np.uint8) << 3  # _B_CARBON_NEAR == 8

    n_reg = int(pid.max()) + 1
    area, count = region_contact_areas(pid, cls, n_regions=n_reg, n_classes=_N_CLS, skip_zero=True,
                                       spacing=ms.spacing)
    volume_vox = np.bincount(pid.ravel(), minlength=n_reg)
    ids = np.flatnonzero(volume_vox[1:] > 0) + 1
    area, count = area[ids], count[ids]
    bits = np.arange(_N_CLS)
    is_ionic = (bits & _B_IONIC) != 0
    surface = area.sum(axis=1)
    faces = count.sum(axis=1)
    el_contact = area[:, is_ionic].sum(axis=1)
    ion_contact = area[:, (bits & _B_IONIC_CONN) != 0].sum(axis=1)
    tri_faces = count[:, is_ionic & ((bits & _B_CARBON_NEAR) != 0)].sum(axis=1)
    el_touch = count[:, (bits & _B_ELEC_CONN) != 0].sum(axis=1) > 0

    if ms.film is not None:  # covered faces: no contact, and no electron transfer across them
        conducts = bool(set(active_labels) & set(electronic_labels))
        ion_scale, conn_scale, tri_blocked, el_film = _film_contacts(
            ms, pid, cls, np.isin(ms.labels, electronic_labels), n_reg, axis=electronic.axis,
            active_conducts=conducts)
        el_contact = el_contact * ion_scale[ids]
        ion_contact = ion_contact * conn_scale[ids]
        tri_faces = tri_faces - tri_blocked[ids]
        el_touch = el_film[ids]
    ionic_ok = ion_contact > 0
    if set(active_labels) & set(ionic_labels):
        in_ion = np.bincount(pid[ion_conn & active], minlength=n_reg)[ids] > 0
        ionic_ok |= in_ion
    if ms.film is not None:
        electronic_ok = el_touch
    elif set(active_labels) & set(electronic_labels):
        in_el = np.bincount(pid[el_conn & active], minlength=n_reg)[ids] > 0
        electronic_ok = in_el | el_touch
    else:
        electronic_ok = el_touch

    status = np.empty(ids.size, dtype="<U23")
    status[ionic_ok & electronic_ok] = "utilisable"
    status[~ionic_ok & electronic_ok] = "ionically_isolated"
    status[ionic_ok & ~electronic_ok] = "electronically_isolated"
    status[~ionic_ok & ~electronic_ok] = "dead"

    vol = volume_vox[ids].astype(np.float64) * ms.voxel_volume
    with np.errstate(invalid="ignore", divide="ignore"):
        contact_fraction = np.where(surface > 0, el_contact / np.where(surface > 0, surface, 1.0), 0.0)
        triphase = np.where(faces > 0, tri_faces / np.where(faces > 0, faces, 1.0), 0.0)
    return ParticleTable(
        particle_id=ids.astype(np.int64),
        volume=vol,
        equivalent_diameter=equivalent_diameter(vol),
        surface_area=surface * h0**2,
        electrolyte_contact_area=el_contact * h0**2,
        ionic_contact_area=ion_contact * h0**2,
        contact_fraction=contact_fraction,
        triphase_fraction=triphase,
        ionic=ionic_ok,
        electronic=electronic_ok,
        status=status,
        source=source,
    )
