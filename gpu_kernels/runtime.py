"""The one owner of ``ti.init`` in microcath.

``ensure_initialized()`` is called at the top of every public compute
function. It starts Taichi once, lazily, on the requested arch:

* ``"auto"`` tries CUDA and falls back to the CPU (logged, and a
  ``RuntimeWarning`` if CUDA was asked for explicitly and is unavailable);
* ``"cuda"``, ``"vulkan"`` or ``"cpu"`` pick one;
* the environment variable ``MICROCATH_ARCH`` overrides the default.

If the host program already initialised Taichi, that runtime is used as it is
and never re-initialised. ``ti.gpu``/``ti.opengl`` are never used: they crash
headless machines.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import threading
import warnings

# taichi prints a banner to stdout on import and on init; stdout belongs to
# our results (``--json``), so the banner is silenced and the init line logged.
os.environ.setdefault("ENABLE_TAICHI_HEADER_PRINT", "false")

import taichi as ti  # noqa: E402

__all__ = ["ensure_initialized", "current_arch", "ARCHES", "is_initialized", "device_memory_bytes",
           "release_host_memory"]

log = logging.getLogger(__name__)

ARCHES = ("auto", "cuda", "vulkan", "cpu")
_lock = threading.Lock()
_state: dict[str, str | None] = {"arch": None, "requested": None}

#: set to 1 to keep Taichi's full source excerpts in compile errors (for kernel development)
FULL_SOURCE_INFO_ENV = "MICROCATH_TAICHI_FULL_SOURCE_INFO"


def _short_source_info() -> bool:
    """Make Taichi's front end record ``File ..., line ..., in kernel`` for every AST node
    instead of the source excerpt with a wrapped caret line.

    Taichi 1.7 builds that excerpt eagerly for every expression and statement it compiles
    (``ASTTransformerContext.get_pos_info``, ``textwrap`` on each), whether or not an error
    follows, and it runs in every process (the offline cache skips LLVM, not the front end).
    For the unrolled elasticity stencils that was about half of the front end
    (``benchmarks/bench_startup.py``: front end of the stress stage's first solve 6.1 -> 2.4 s
    with this and the one-sweep smoother together; docs/transport.md). Errors still name the
    file, line and kernel. Not applied when
    ``MICROCATH_TAICHI_FULL_SOURCE_INFO=1`` or when this Taichi has no such method."""
    if os.environ.get(FULL_SOURCE_INFO_ENV, "") not in ("", "0"):
        return False
    try:
        from taichi.lang.ast import ast_transformer_utils as utils
    except ImportError:  # pragma: no cover - other taichi layouts
        return False
    ctx = getattr(utils, "ASTTransformerContext", None)
    if ctx is None or not callable(getattr(ctx, "get_pos_info", None)):  # pragma: no cover
        return False

    def get_pos_info(self, node):
        return (f'File "{self.file}", line {node.lineno + self.lineno_offset}, '
                f"in {self.func.func.__name__}:\n")

    ctx.get_pos_info = get_pos_info
    return True


def is_initialized() -> bool:
    """True when a Taichi runtime exists (started by us or by the host program)."""
    try:
        return ti.lang.impl.get_runtime().prog is not None
    except AttributeError:  # pragma: no cover - older/newer taichi internals
        return False


def _arch_name(arch) -> str:
    name = getattr(arch, "name", str(arch))
    return {"x64": "cpu", "arm64": "cpu"}.get(name, name)


def current_arch() -> str | None:
    """Name of the arch the running Taichi runtime uses ('cpu', 'cuda', ...), or None."""
    if not is_initialized():
        return None
    return _arch_name(ti.lang.impl.current_cfg().arch)


def _try_init(arch_obj, **kw) -> bool:
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            # unrolling_limit=0: the elasticity stencil unrolls 153 products on purpose
            ti.init(arch=arch_obj, log_level=ti.ERROR, unrolling_limit=0, **kw)
        log.debug("%s", buf.getvalue().strip())
    except Exception as exc:  # noqa: BLE001 - taichi raises plain exceptions
        log.info("taichi could not start on %s: %s", arch_obj, exc)
        return False
    return _arch_name(ti.lang.impl.current_cfg().arch) == _arch_name(arch_obj)


def ensure_initialized(arch: str | None = None) -> str:
    """Start Taichi if needed and return the arch in use.

    Parameters
    ----------
    arch : {'auto', 'cuda', 'vulkan', 'cpu'}, optional
        Requested backend; default ``$MICROCATH_ARCH`` or ``'auto'``. Ignored
        (with a log line) when a runtime is already running on another arch.
    """
    requested = (arch or os.environ.get("MICROCATH_ARCH") or "auto").lower()
    if requested not in ARCHES:
        raise ValueError(
            f"arch: expected one of {', '.join(ARCHES)}, got {requested!r} "
            "(check the MICROCATH_ARCH environment variable or the --arch flag)"
        )
    with _lock:
        if is_initialized():
            running = current_arch()
            if requested not in ("auto", running):
                log.warning(
                    "taichi already runs on %s; keeping it (requested %s). "
                    "Set MICROCATH_ARCH before the first computation to choose.",
                    running, requested,
                )
            return running or "cpu"
        _short_source_info()
        order = {"auto": ["cuda", "cpu"], "cuda": ["cuda", "cpu"],
                 "vulkan": ["vulkan", "cpu"], "cpu": ["cpu"]}[requested]
        for name in order:
            if _try_init(getattr(ti, name)):
                chosen = current_arch() or name
                break
            if is_initialized():
                ti.reset()
        else:  # pragma: no cover - the CPU backend always exists
            raise RuntimeError("taichi could not start on any arch, not even the CPU")
        if requested not in ("auto", chosen):
            warnings.warn(
                f"arch {requested!r} is not available here; microcath runs on {chosen!r}",
                RuntimeWarning,
                stacklevel=2,
            )
        _state["arch"], _state["requested"] = chosen, requested
        log.info("microcath: taichi runs on %s (requested %s)", chosen, requested)
        return chosen


def device_memory_bytes() -> int | None:
    """Total memory of the CUDA device in use, or None on CPU/unknown."""
    if current_arch() != "cuda":
        return None
    try:  # pragma: no cover - needs a GPU
        import ctypes

        lib = ctypes.CDLL("libcuda.so.1")
        free, total = ctypes.c_size_t(), ctypes.c_size_t()
        if lib.cuMemGetInfo_v2(ctypes.byref(free), ctypes.byref(total)) == 0:
            return int(total.value)
    except OSError:
        return None
    return None


_libc_trim: list = []


def release_host_memory() -> bool:
    """Hand the heap pages that freed host temporaries left behind back to the OS (glibc's
    ``malloc_trim(0)``); True when it ran.

    A solver's host set-up (the island interpolation's per-island-voxel tables, the coarse
    levels' cluster search) frees large numpy temporaries. glibc raises its
    mmap threshold after freeing large blocks, so later blocks of that size come from the heap,
    and freed heap pages stay resident: the Krylov vectors allocated next then stacked on top of
    memory nobody used, and the peak the memory budget promises was exceeded (docs/transport.md,
    memory). A no-op where glibc is absent.
    """
    if not _libc_trim:
        import ctypes

        try:
            _libc_trim.append(ctypes.CDLL("libc.so.6").malloc_trim)
        except (OSError, AttributeError):
            _libc_trim.append(None)
    trim = _libc_trim[0]
    if trim is None:
        return False
    trim(0)
    return True
