"""Progress reporting: a tqdm bar in a terminal, log lines in batch jobs."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["progress", "stage"]

log = logging.getLogger("microcath")
T = TypeVar("T")


def _interactive() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def progress(iterable: Iterable[T], *, total: int | None = None, desc: str = "",
             enabled: bool = True) -> Iterator[T]:
    """Iterate with a progress bar (terminal) or periodic log lines (batch)."""
    if not enabled:
        yield from iterable
        return
    if _interactive():
        from tqdm.auto import tqdm

        yield from tqdm(iterable, total=total, desc=desc, leave=False)
        return
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    t0 = last = time.perf_counter()
    for i, item in enumerate(iterable, 1):
        yield item
        now = time.perf_counter()
        if now - last > 10.0 or (total is not None and i == total):
            last = now
            log.info("%s: %d%s done (%.0f s)", desc or "working", i,
                     f"/{total}" if total else "", now - t0)


@contextmanager
def stage(name: str):
    """Log the start and end (with wall time) of a named stage of work."""
    t0 = time.perf_counter()
    log.info("%s ...", name)
    try:
        yield
    finally:
        log.info("%s done in %.2f s", name, time.perf_counter() - t0)
