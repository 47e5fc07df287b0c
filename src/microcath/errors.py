"""Exception and warning types of microcath.

Every public function validates its input and raises one of these (or a plain
``ValueError``/``TypeError`` subclass of them) with a message that names the
offending parameter, what was expected, what was received and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "MicrocathError",
    "InputError",
    "FileFormatError",
    "MaterialError",
    "MemoryBudgetError",
    "OutputError",
    "ConvergenceWarning",
    "did_you_mean",
    "first_line",
]


class MicrocathError(Exception):
    """Base class of every error microcath raises on purpose."""


class InputError(MicrocathError, ValueError):
    """A parameter has the wrong value, type or shape (a ``ValueError``)."""


class FileFormatError(MicrocathError, ValueError):
    """A file is corrupt, truncated, of an unknown format or inconsistent."""


class MaterialError(MicrocathError, KeyError):
    """An unknown material or a property the library does not hold."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class MemoryBudgetError(MicrocathError, MemoryError):
    """A computation would not fit in the memory of the chosen device."""


class OutputError(MicrocathError, OSError):
    """An output could not be written (full disk, no permission, a failed check of what was written).

    The message names the target and the fix; ``errno`` is the operating system's code
    when there is one (``errno.ENOSPC``, ``errno.EACCES``, ...). Nothing is left under
    the target's name.
    """

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped before reaching its tolerance."""


def did_you_mean(name: object, choices: Iterable[str], *, key=lambda s: s) -> str | None:
    """The choice closest to ``name`` (``difflib``, cutoff 0.6), or None: for "did you mean ...?"."""
    choices = list(choices)
    wanted = key(str(name))
    keyed = {key(c): c for c in choices}
    close = difflib.get_close_matches(wanted, list(keyed), n=1, cutoff=0.6)
    return keyed[close[0]] if close else None


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when it has none), for one-line errors."""
    return (str(exc).splitlines() or [type(exc).__name__])[0]
