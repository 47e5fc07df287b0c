"""`analyze()`: the full analysis of a cathode (morphology, ionic and electronic networks, particles)."""

from __future__ import annotations

import csv
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import validation
from ..errors import InputError
from ..gpu_kernels.runtime import current_arch, ensure_initialized
from ..memory import available_memory, check_memory
from ..microstructure import AXES, Microstructure, axis_index
from ..progress import stage
from ..results import ResultMixin, jsonable
from .components import check_connectivity
from .morphology import MorphologyResult, morphology
from .particles import ParticleTable, particle_table, require_active
from .percolation import PercolationResult, percolation_of_mask, resolve_phase_set

__all__ = ["AnalysisResult", "analyze", "particle_report", "default_networks"]

log = logging.getLogger(__name__)

#: planned peak memory of :func:`analyze` per voxel beyond the structure [B]
#: (measured ~17 B/voxel on a generated 256^3 composite; budgeted with margin)
ANALYZE_BYTES_PER_VOXEL = 32.0


def default_networks(ms: Microstructure, *, ionic_phases=None, electronic_phases=None
                     ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Labels of the ionic and electronic phase sets (defaults: electrolyte; carbon + active).

    A default set that the structure lacks (no electrolyte phase, or one with 0 voxels) is an
    empty network: nothing is connected through it, which is an answer (0 % utilisable), not an
    error. A set the caller names must exist and be present.
    """
    out = []
    for name, sel, default in (("ionic_phases", ionic_phases, ["electrolyte"]),
                               ("electronic_phases", electronic_phases, ["carbon", "active"])):
        if sel is None:
            labels = tuple(k for k in ms.phases.resolve_many(default) if ms.label_counts()[k] > 0)
            if not labels:
                log.warning("%s: the structure has no %s voxel (phases: %s); that network is empty",
                            name, " or ".join(default),
                            ", ".join(f"{p.name} ({p.kind.value})" for p in ms.phases.values()))
            out.append(labels)
        else:
            out.append(resolve_phase_set(ms, sel, name=f"{name} (CLI --{name.split('_')[0]})"))
    return out[0], out[1]


def _check_active(ms: Microstructure) -> None:
    require_active(ms, "the analysis of a cathode")


@dataclass(frozen=True)
class AnalysisResult(ResultMixin):
    """Everything :func:`analyze` finds about a structure.

    Attributes
    ----------
    shape : tuple of int
        Image shape (nx, ny, nz).
    spacing : tuple of float
        Voxel edges ``(dx, dy, dz)`` [m] (``voxel_size``: the one edge of cubic voxels).
    axis : str
        Transport axis; the separator is at index 0, the current collector at the last index.
    connectivity : int
        Voxel connectivity of the networks (6, 18 or 26).
    morphology : MorphologyResult
    ionic : PercolationResult
        Ionic network (fed from the separator face).
    electronic : PercolationResult
        Electronic network (fed from the current-collector face).
    ionic_connected_fraction : float
        Share of the ionic network's volume connected to the separator [-].
    electronic_connected_fraction : float
        Share of the electronic network's volume connected to the collector [-].
    particles : ParticleTable
        One row per active particle.
    n_particles : int
    status_counts : dict
        Particles per status.
    status_volume_fractions : dict
        Share of the active particles' volume per status [-].
    utilisable_fraction : float
        Share of the active volume in utilisable particles [-].
    mean_contact_fraction : float
        Mean over particles of the active-electrolyte contact fraction [-].
    contact_fraction : float
        Total active-electrolyte contact area / total particle surface [-].
    mean_triphase_fraction : float
        Mean over particles of the triphase share [-].
    size_distribution : dict
        ``n``, number ``mean`` and volume-weighted ``d10``/``d50``/``d90`` of the
        equivalent diameter [m].
    arch : str
        Taichi backend the labelling and area kernels ran on (``cpu``, ``cuda``, ...).
    """

    shape: tuple
    spacing: tuple
    axis: str
    connectivity: int
    morphology: MorphologyResult
    ionic: PercolationResult
    electronic: PercolationResult
    ionic_connected_fraction: float
    electronic_connected_fraction: float
    particles: ParticleTable = field(repr=False)
    n_particles: int
    status_counts: dict
    status_volume_fractions: dict
    utilisable_fraction: float
    mean_contact_fraction: float
    contact_fraction: float
    mean_triphase_fraction: float
    size_distribution: dict
    arch: str = "cpu"

    @property
    def voxel_size(self) -> float:
        """Edge of the cubic voxels [m]; raises for unequal spacing (use ``spacing``)."""
        return validation.cubic_edge(self.spacing, "this analysis")

    def _html_rows(self) -> list[tuple[str, object, str]]:
        from .. import units

        m = self.morphology
        rows: list[tuple[str, object, str]] = [
            ("shape", list(self.shape), "voxels"), ("spacing", [units.to_um(h) for h in self.spacing], "µm"),
            ("transport axis", self.axis, ""),
        ]
        rows += [(f"volume fraction {k}", v, "-") for k, v in m.volume_fractions.items()]
        rows += [("utilisable active fraction", self.utilisable_fraction, "-"),
                 ("particles", self.n_particles, "")]
        rows += [(f"particles {k.replace('_', ' ')}", v, "") for k, v in self.status_counts.items()]
        rows += [("active/electrolyte contact fraction", self.contact_fraction, "-"),
                 ("mean triphase fraction", self.mean_triphase_fraction, "-"),
                 ("TPB length density", m.tpb_length_density_um, "µm⁻²"),
                 ("ionic network connected to the separator", self.ionic_connected_fraction, "-"),
                 ("electronic network connected to the collector", self.electronic_connected_fraction, "-")]
        d50 = self.size_distribution.get("d50")
        if d50 is not None:
            rows.append(("d50 (volume-weighted)", units.to_um(d50), "µm"))
        return rows

    def to_dict(self, *, per_particle: bool = False) -> dict:
        """JSON-ready summary (arrays dropped); ``per_particle=True`` adds the particle rows."""
        out = {
            "shape": list(self.shape), "spacing_m": list(self.spacing),
            **({"voxel_size_m": self.spacing[0]} if len(set(self.spacing)) == 1 else {}), "axis": self.axis,
            "connectivity": self.connectivity,
            "morphology": self.morphology.to_dict(),
            "ionic": self.ionic.to_dict(), "electronic": self.electronic.to_dict(),
        }
        for name in ("ionic_connected_fraction", "electronic_connected_fraction", "n_particles",
                     "status_counts", "status_volume_fractions", "utilisable_fraction",
                     "mean_contact_fraction", "contact_fraction", "mean_triphase_fraction",
                     "size_distribution", "arch"):
            out[name] = jsonable(getattr(self, name))
        out["particle_source"] = self.particles.source
        if per_particle:
            out["particles"] = jsonable(self.particles.rows())
        return out

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write the per-particle table as CSV (SI units in the headers; atomic)."""
        path = Path(path)
        units = {"volume": "volume_m3", "equivalent_diameter": "equivalent_diameter_m",
                 "surface_area": "surface_area_m2", "electrolyte_contact_area": "electrolyte_contact_area_m2",
                 "ionic_contact_area": "ionic_contact_area_m2"}
        cols = list(self.particles.columns)
        data = [getattr(self.particles, c).tolist() for c in cols]
        from ..io.atomic import atomic_path

        with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([units.get(c, c) for c in cols])
            for row in zip(*data, strict=True):
                w.writerow([repr(v) if isinstance(v, float) else v for v in row])
        return path


def _networks(ms, ax, conn, ionic_phases, electronic_phases):
    ion_labels, el_labels = default_networks(ms, ionic_phases=ionic_phases,
                                             electronic_phases=electronic_phases)
    with stage("ionic network"):
        ionic = percolation_of_mask(ms.mask(ion_labels), axis=ax, connectivity=conn,
                                    phases=tuple(ms.phases[k].name for k in ion_labels))
    with stage("electronic network"):
        electronic = percolation_of_mask(ms.mask(el_labels), axis=ax, connectivity=conn,
                                         phases=tuple(ms.phases[k].name for k in el_labels))
    return ion_labels, el_labels, ionic, electronic


def particle_report(ms: Microstructure, *, axis: str | int = "x", connectivity: int = 6,
                    ionic_phases=None, electronic_phases=None) -> ParticleTable:
    """Per-particle table (volume, areas, contact, connections, status) of a structure.

    Parameters are those of :func:`analyze`.
    """
    ax = axis_index(axis)
    conn = check_connectivity(connectivity)
    _check_active(ms)
    ion_labels, el_labels, ionic, electronic = _networks(ms, ax, conn, ionic_phases, electronic_phases)
    return particle_table(ms, ionic, electronic, ionic_labels=ion_labels, electronic_labels=el_labels)


def analyze(ms: Microstructure, *, axis: str | int = "x", connectivity: int = 6,
            ionic_phases=None, electronic_phases=None) -> AnalysisResult:
    """Full analysis of a composite cathode structure.

    Parameters
    ----------
    ms : Microstructure
        The structure (needs active material, an ionic and an electronic conductor).
    axis : {'x', 'y', 'z'} or {0, 1, 2}
        Through-thickness axis: the separator feeds ions at index 0, the
        current collector feeds electrons at the last index.
    connectivity : {6, 18, 26}
        Voxel connectivity of the ionic and electronic networks.
    ionic_phases : sequence of str, optional
        Phases (names, labels or kinds) that conduct ions; default
        ``["electrolyte"]``. Add ``"active"`` or ``"coating"`` to count them.
    electronic_phases : sequence of str, optional
        Phases that conduct electrons; default ``["carbon", "active"]``
        (NMC and LCO conduct electrons; pass ``["carbon"]`` for sulfur).

    Returns
    -------
    AnalysisResult

    Raises
    ------
    InputError
        No active material, no (or empty) ionic or electronic phase, unknown
        phase names, bad axis or connectivity.
    """
    if not isinstance(ms, Microstructure):
        raise InputError(
            f"ms: expected a Microstructure, got {type(ms).__name__}; a plain label array needs its "
            "phases and voxel size: Microstructure(labels, voxel_size, {0: Phase(...), ...}), or "
            "microcath.io.load(path, phases='0=pore,1=NMC811,2=Li6PS5Cl', voxel_size=...) "
            "(CLI: microcath analyze FILE --phases SPEC --voxel-size-um X)"
        )
    ax = axis_index(axis)
    conn = check_connectivity(connectivity)
    _check_active(ms)
    ensure_initialized()  # the labelling runs on the Taichi device: budget its memory
    check_memory(ms.shape, ANALYZE_BYTES_PER_VOXEL, "the analysis", parameter="structure",
                 available=available_memory())
    with stage("morphology"):
        morph = morphology(ms)
    ion_labels, el_labels, ionic, electronic = _networks(ms, ax, conn, ionic_phases, electronic_phases)
    with stage("particles"):
        table = particle_table(ms, ionic, electronic, ionic_labels=ion_labels, electronic_labels=el_labels)
    n = len(table)
    tot_surface = float(table.surface_area.sum())
    svf = table.status_volume_fractions()
    return AnalysisResult(
        shape=ms.shape, spacing=tuple(ms.spacing), axis=AXES[ax], connectivity=conn,
        morphology=morph, ionic=ionic, electronic=electronic,
        ionic_connected_fraction=ionic.fraction_connected("inlet"),
        electronic_connected_fraction=electronic.fraction_connected("outlet"),
        particles=table, n_particles=n,
        status_counts=table.status_counts(), status_volume_fractions=svf,
        utilisable_fraction=svf["utilisable"],
        mean_contact_fraction=float(table.contact_fraction.mean()) if n else 0.0,
        contact_fraction=float(table.electrolyte_contact_area.sum()) / tot_surface if tot_surface else 0.0,
        mean_triphase_fraction=float(table.triphase_fraction.mean()) if n else 0.0,
        size_distribution=table.size_distribution(),
        arch=current_arch() or "cpu",
    )


