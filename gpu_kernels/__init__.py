"""Taichi kernels of microcath (importable as ``microcath.gpu_kernels``).

This package is the only place that imports ``taichi``. Kernels take
``ti.types.ndarray`` arguments or fields allocated once per solve, hold no
validation, I/O or printing, and run unchanged on CUDA, Vulkan and the CPU.
``runtime.ensure_initialized()`` owns ``ti.init``.
"""

from .runtime import ARCHES, current_arch, ensure_initialized

__all__ = ["ARCHES", "current_arch", "ensure_initialized"]
