"""Shared machinery of result objects: frozen dataclasses with a JSON-ready ``to_dict``."""

from __future__ import annotations

import dataclasses
import enum
import math
from typing import Any

import numpy as np

__all__ = ["ResultMixin", "jsonable"]


def jsonable(value: Any, *, arrays: bool = False) -> Any:
    """Convert a value to something ``json.dumps`` writes as strict JSON.

    Non-finite floats become the strings ``"inf"``, ``"-inf"`` and ``"nan"``;
    numpy scalars become Python numbers; arrays are dropped (``None``) unless
    ``arrays=True`` (then listed), because fields belong in ``.vti``/``.npy`` files.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name), arrays=arrays)
                for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v, arrays=arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, arrays=arrays) for v in value]
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return jsonable(value.item())
        return jsonable(value.tolist(), arrays=arrays) if arrays else None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isfinite(v):
            return v
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return value


class ResultMixin:
    """Mixin for frozen result dataclasses: ``to_dict()`` for JSON output."""

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray) and v.ndim > 0:
                continue  # fields go to files, not JSON
            out[f.name] = jsonable(v)
        return out
