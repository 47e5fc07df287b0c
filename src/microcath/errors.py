"""Exception and warning types of microcath.

Every public function validates its input and raises one of these (or a plain
``ValueError``/``TypeError`` subclass of them) with a message that names the
offending parameter, what was expected, what was received and the fix.
"""

from __future__ import annotations

__all__ = [
    "MicrocathError",
    "InputError",
    "FileFormatError",
    "MaterialError",
    "MemoryBudgetError",
    "ConvergenceWarning",
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


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped before reaching its tolerance."""
