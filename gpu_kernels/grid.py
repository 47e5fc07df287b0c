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

import numpy as np
import taichi as ti

__all__ = ["cpu_loops", "zeros", "HostArray", "HOST_ARRAY_BYTES"]

#: on the CPU backend, arrays of at least this many bytes are numpy memory handed to the kernels
#: (:class:`HostArray`) instead of Taichi ndarrays; 0: all of them, a huge value: none
HOST_ARRAY_BYTES = 8 << 20

_NUMPY_DTYPES = {ti.f32: np.float32, ti.f64: np.float64, ti.i32: np.int32, ti.i64: np.int64,
                 ti.u8: np.uint8, ti.i8: np.int8, ti.u32: np.uint32, ti.u16: np.uint16, ti.i16: np.int16}

_TI_OF = {np.dtype(d).type: t for t, d in _NUMPY_DTYPES.items()}


class HostArray(np.ndarray):
    """A numpy array that the Taichi kernels take as an external array (on the CPU backend the
    kernel reads and writes this memory in place), with the ``to_numpy`` / ``from_numpy`` of a
    Taichi ndarray, so solver code handles both alike.

    Why: on this project's CPU machines a fresh Taichi ndarray is slow to create
    (``benchmarks/bench_taichi_cpu.py``: a kept 128 MiB array 269-341 ms against 192-196 ms here;
    ``benchmarks/compare_host_arrays.py 256``: the electronic solve 1.09-1.11x faster in a fresh
    process; docs/transport.md)."""

    @property
    def dtype(self):
        """The Taichi dtype, as a Taichi ndarray's: Taichi keys a kernel instantiation on the
        element type of its array arguments, so a numpy dtype here would compile every kernel a
        second time for the arrays in host memory. numpy's own C code is not affected; use
        ``to_numpy()`` (or ``.view(np.ndarray)``) before handing the array to numpy functions."""
        return _TI_OF[np.ndarray.__dict__["dtype"].__get__(self).type]

    def to_numpy(self) -> np.ndarray:
        return np.array(self.view(np.ndarray), copy=True)

    def from_numpy(self, arr) -> None:
        np.copyto(self.view(np.ndarray), np.asarray(arr).reshape(self.shape), casting="unsafe")


def zeros(dtype, shape):
    """A zeroed device array of ``dtype`` (a Taichi dtype) and ``shape``: a Taichi ndarray, or on
    the CPU backend from :data:`HOST_ARRAY_BYTES` on a :class:`HostArray`."""
    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)
    np_dtype = _NUMPY_DTYPES.get(dtype)
    if (np_dtype is not None and ti.lang.impl.current_cfg().arch in (ti.x64, ti.arm64)
            and int(np.prod(shape)) * np.dtype(np_dtype).itemsize >= HOST_ARRAY_BYTES):
        return _aligned_zeros(shape, np.dtype(np_dtype)).view(HostArray)
    return ti.ndarray(dtype, shape)


def _aligned_zeros(shape: tuple[int, ...], dtype: np.dtype, align: int = 64) -> np.ndarray:
    """``np.zeros`` starting on a cache-line boundary (glibc's large blocks start 16 bytes into
    a page, so every vector load of a streaming kernel would straddle two lines)."""
    nbytes = int(np.prod(shape)) * dtype.itemsize
    buf = np.zeros(nbytes + align, np.uint8)
    off = (-buf.ctypes.data) % align
    return buf[off:off + nbytes].view(dtype).reshape(shape)


def cpu_loops() -> bool:
    """Compile-time switch for the loop layout (True: CPU layout).

    ``MICROCATH_GPU_LOOPS=1`` forces the GPU layout (one thread per voxel) on the
    CPU backend, so CPU-only CI checks the GPU code paths.
    """
    if os.environ.get("MICROCATH_GPU_LOOPS") == "1":
        return False
    return ti.lang.impl.current_cfg().arch in (ti.x64, ti.arm64)

