"""Analysis of composite structures: morphology, percolation, per-particle contact.

>>> from microcath import analysis
>>> # analysis.analyze(ms).utilisable_fraction  # share of active volume that can work

Public functions
----------------
connected_components(mask, *, connectivity=6)
    Taichi union-find labelling, equal to ``scipy.ndimage.label`` up to relabelling.
percolation(ms, phases, *, axis="x", connectivity=6) -> PercolationResult
morphology(ms) -> MorphologyResult
particle_report(ms, *, axis="x", ...) -> ParticleTable
analyze(ms, *, axis="x", connectivity=6, ionic_phases=None, electronic_phases=None) -> AnalysisResult
    (in :mod:`.full_analysis`)
spanning_mask(mask, *, axis=0, periodic=False) -> bool volume of the clusters joining two faces
hashin_shtrikman_bounds(fractions, sigmas) -> (lower, upper) [S/m]
particle_diameters(ms) -> volume-equivalent diameters [m]; status_codes(status, n) -> int8 codes
"""

from .bounds import hashin_shtrikman_bounds
from .components import CONNECTIVITIES, connected_components
from .full_analysis import AnalysisResult, analyze, default_networks, particle_report
from .morphology import MorphologyResult, interface_areas, morphology, tpb_edge_count
from .particles import (
    STATUS_CODE_LEGEND,
    STATUS_CODES,
    STATUSES,
    ParticleTable,
    equivalent_diameter,
    particle_diameters,
    status_codes,
    watershed_particles,
)
from .percolation import PercolationResult, percolation, percolation_of_mask, spanning_mask

__all__ = [
    "CONNECTIVITIES",
    "STATUSES",
    "STATUS_CODES",
    "STATUS_CODE_LEGEND",
    "AnalysisResult",
    "MorphologyResult",
    "ParticleTable",
    "PercolationResult",
    "analyze",
    "connected_components",
    "default_networks",
    "equivalent_diameter",
    "hashin_shtrikman_bounds",
    "interface_areas",
    "morphology",
    "particle_diameters",
    "particle_report",
    "percolation",
    "percolation_of_mask",
    "spanning_mask",
    "status_codes",
    "tpb_edge_count",
    "watershed_particles",
]
