"""microcath: mesoscale microstructure simulator for composite cathodes of
all-solid-state lithium batteries.

The public API: :class:`Microstructure` (the data object), the phase table,
the materials library, IO (``microcath.io``), generators
(``microcath.geometries``), analysis, transport and mechanics front-ends, and
visualisation (imported lazily).
"""

from ._version import __version__
from .errors import (
    ConvergenceWarning,
    FileFormatError,
    InputError,
    MaterialError,
    MemoryBudgetError,
    MicrocathError,
)
from .microstructure import AXES, Coating, Film, Microstructure
from .phases import Phase, PhaseKind, PhaseTable

__all__ = [
    "__version__",
    "AXES",
    "Coating",
    "Film",
    "ConvergenceWarning",
    "FileFormatError",
    "InputError",
    "MaterialError",
    "MemoryBudgetError",
    "MicrocathError",
    "Microstructure",
    "Phase",
    "PhaseKind",
    "PhaseTable",
]
