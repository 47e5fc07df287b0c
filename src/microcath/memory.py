"""Memory budgets: refuse a volume that will not fit *before* allocating it.

Each compute front-end states how many bytes per voxel it needs (measured, see
its docs) and calls :func:`check_memory`; the error names the size that would fit.
"""

from __future__ import annotations

import math
import os

from .errors import MemoryBudgetError

__all__ = ["MEMORY_FRACTION", "available_memory", "check_memory"]

#: Share of the device's memory a single computation may plan to use.
MEMORY_FRACTION = 0.8


def available_memory(*, device: bool = True) -> tuple[int, str]:
    """Memory a computation may use [bytes] and its name.

    With ``device=True`` and Taichi running on CUDA, the GPU's memory; else the
    physical memory of this machine.
    """
    if device:
        from .gpu_kernels.runtime import current_arch, device_memory_bytes

        if current_arch() == "cuda":
            dev = device_memory_bytes()
            if dev:
                return int(dev), "CUDA device memory"
    return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")), "physical memory"


def check_memory(shape: tuple[int, ...], bytes_per_voxel: float, what: str, *,
                 parameter: str = "shape", available: tuple[int, str] | None = None,
                 fix: str = "crop or downsample the structure, or use a machine with more memory") -> None:
    """Raise :class:`MemoryBudgetError` when ``shape`` needs more than the budget.

    Parameters
    ----------
    shape : tuple of int
        Voxels per axis.
    bytes_per_voxel : float
        Peak memory of the computation per voxel [B], beyond its input.
    what : str
        The computation, for the message (e.g. ``"the float32 conduction solver"``).
    parameter : str
        The parameter to name in the message.
    available : (bytes, name), optional
        Memory to budget against (default :func:`available_memory`).
    """
    n = math.prod(int(s) for s in shape)
    overhead = 1 << 20  # fixed allocations of any run
    need = n * bytes_per_voxel + overhead
    avail, name = available if available is not None else available_memory()
    budget = MEMORY_FRACTION * avail
    if need > budget:
        side = int((max(budget - overhead, 0.0) / bytes_per_voxel) ** (1.0 / 3.0))
        raise MemoryBudgetError(
            f"{parameter}: a {'x'.join(str(int(s)) for s in shape)} volume needs about "
            f"{need / 2**30:.1f} GiB for {what}, more than {MEMORY_FRACTION:.0%} of the "
            f"{avail / 2**30:.1f} GiB of {name}; the largest cube that fits is about {side}^3 "
            f"voxels ({fix})"
        )
