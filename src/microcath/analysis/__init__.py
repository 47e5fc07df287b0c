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
"""

from .components import CONNECTIVITIES, connected_components
from .morphology import MorphologyResult, interface_areas, morphology, tpb_edge_count
from .particles import STATUSES, ParticleTable, watershed_particles
from .percolation import PercolationResult, percolation, percolation_of_mask
from .report import AnalysisResult, analyze, default_networks, particle_report

__all__ = [
    "CONNECTIVITIES",
    "STATUSES",
    "AnalysisResult",
    "MorphologyResult",
    "ParticleTable",
    "PercolationResult",
    "analyze",
    "connected_components",
    "default_networks",
    "interface_areas",
    "morphology",
    "particle_report",
    "percolation",
    "percolation_of_mask",
    "tpb_edge_count",
    "watershed_particles",
]
