"""Progress reporting: a tqdm bar in a terminal, log lines in batch jobs."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["progress", "stage", "Tracker"]

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


class Tracker:
    """Progress of many independent jobs finishing in any order (a sweep's cases).

    A tqdm bar with the counts of done and failed jobs and the ETA in a terminal; one log
    line per finished job in batch. Use as a context manager and call :meth:`update` once
    per finished job.
    """

    def __init__(self, total: int, *, desc: str = "", enabled: bool = True) -> None:
        self.total, self.desc, self.enabled = int(total), desc or "working", enabled
        self.done = self.failed = 0
        self._t0 = time.perf_counter()
        self._bar = None
        if enabled and _interactive():
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.total, desc=self.desc, unit="case")

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()

    def update(self, ok: bool, note: str = "") -> None:
        """One more job finished (``ok`` False: it failed); ``note`` goes into its log line."""
        self.done += 1
        self.failed += 0 if ok else 1
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.set_postfix(failed=self.failed, refresh=False)
            self._bar.update(1)
            return
        el = time.perf_counter() - self._t0
        eta = el / self.done * (self.total - self.done)
        log.info("%s: %d/%d done, %d failed, %.0f s elapsed, ETA %.0f s%s", self.desc, self.done, self.total,
                 self.failed, el, eta, f" ({note})" if note else "")
