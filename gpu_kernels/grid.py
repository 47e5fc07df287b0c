"""The grid layer shared by every solver: loop layout and index helpers.

Both the conduction solver (one unknown per voxel) and the elasticity solver
(three unknowns per node) walk the same structured grids. What differs
between backends is only how a 3-D loop is laid out: on the CPU an outer
parallel loop over ``(i, j)`` with a serial inner loop over ``k`` vectorises
and avoids the index arithmetic that costs 3-5x the memory traffic; on a GPU
one thread per voxel is best. :func:`cpu_loops` is the compile-time switch
(``if ti.static(cpu_loops()): ...``); it is the one place that decides.
"""

from __future__ import annotations

import os

import taichi as ti

__all__ = ["cpu_loops"]


def cpu_loops() -> bool:
    """Compile-time switch for the loop layout (True: CPU layout).

    ``MICROCATH_GPU_LOOPS=1`` forces the GPU layout (one thread per voxel) on the
    CPU backend, so CPU-only CI checks the GPU code paths.
    """
    if os.environ.get("MICROCATH_GPU_LOOPS") == "1":
        return False
    return ti.lang.impl.current_cfg().arch in (ti.x64, ti.arm64)
