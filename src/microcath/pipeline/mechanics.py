"""Stage ``stress at a charged state``: placeholder until the mechanics solver is built.

It reports itself as *not run* with the reason, never a fake number. The
mechanics stage replaces this module's :data:`STAGE` (same name, same place in
:data:`microcath.pipeline.driver.STAGES`); see ``docs/architecture.md``.
"""

from __future__ import annotations

from .context import Line, RunContext, Stage, StageOutput

NAME = "stress at a charged state"
MECHANICS_NOT_BUILT = "not run (mechanics solver not built yet)"


def run(ctx: RunContext) -> StageOutput:
    return StageOutput(not_run=MECHANICS_NOT_BUILT, lines=(Line(NAME, MECHANICS_NOT_BUILT),))


STAGE = Stage(NAME, run)
