"""``microcath run`` as a list of stages: generate -> analyse -> conductivities -> stress -> report.

* :mod:`.context`: the typed run context (:class:`RunContext`), the stage contract
  (:class:`Stage`, :class:`StageOutput`, :class:`Figure`, :class:`Line`).
* one module per stage: :mod:`.generate`, :mod:`.analyse`, :mod:`.conductivity`
  (one stage per carrier), :mod:`.mechanics`, :mod:`.export` (``fields.vti``).
* :mod:`.driver`: :data:`STAGES` (the run, in order), :func:`run_main_job`, :func:`headline_text`.

A new stage is one new module here and one line in :data:`STAGES`; see
``docs/architecture.md``.
"""

from .context import NEEDS, Figure, Line, RunConfig, RunContext, Stage, StageOutput
from .driver import DEFAULT_RECIPE, DEFAULT_SHAPE, STAGES, RunResult, headline_text, run_main_job, run_stages

__all__ = [
    "DEFAULT_RECIPE",
    "DEFAULT_SHAPE",
    "NEEDS",
    "STAGES",
    "Figure",
    "Line",
    "RunConfig",
    "RunContext",
    "RunResult",
    "Stage",
    "StageOutput",
    "headline_text",
    "run_main_job",
    "run_stages",
]
