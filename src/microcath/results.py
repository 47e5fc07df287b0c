"""Shared machinery of result objects: frozen dataclasses with a JSON-ready ``to_dict``."""

from __future__ import annotations

import dataclasses
import enum
import math
from typing import Any

import numpy as np

__all__ = ["ResultMixin", "jsonable", "html_table", "html_summary"]

#: unit of a ``to_dict`` key by its suffix (for the generic notebook summary)
_SUFFIX_UNITS = (("_MPa", "MPa"), ("_mS_cm", "mS/cm"), ("_um", "µm"), ("_m2", "m²"), ("_m", "m"),
                 ("_Pa", "Pa"), ("_J", "J"), ("_s", "s"))


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


def _fmt(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return f"{v:.4g}" if math.isfinite(v) else str(v)
    if isinstance(value, (list, tuple)):
        return " × ".join(_fmt(v) for v in value) if len(value) <= 4 else f"{len(value)} values"
    return str(value)


def html_table(title: str, rows: list[tuple[str, Any, str]]) -> str:
    """A small HTML table ``quantity | value | unit`` (values formatted, text escaped)."""
    import html

    body = "".join(
        f"<tr><td style='text-align:left'>{html.escape(str(k))}</td>"
        f"<td style='text-align:right'>{html.escape(_fmt(v))}</td>"
        f"<td style='text-align:left'>{html.escape(u)}</td></tr>"
        for k, v, u in rows
    )
    return (f"<table><caption style='text-align:left'><b>{html.escape(title)}</b></caption>"
            "<tr><th>quantity</th><th>value</th><th>unit</th></tr>" + body + "</table>")


def _rows_of(d: dict, prefix: str = "", limit: int = 60) -> list[tuple[str, Any, str]]:
    rows: list[tuple[str, Any, str]] = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            rows += _rows_of(v, key + ".", limit)
        elif v is None or isinstance(v, (str, bool, int, float)) or (
                isinstance(v, (list, tuple)) and all(isinstance(x, (int, float, str)) for x in v)):
            unit = next((u for suf, u in _SUFFIX_UNITS if str(k).endswith(suf)), "")
            rows.append((key, "—" if v is None else v, unit))
        if len(rows) >= limit:
            break
    return rows[:limit]


def html_summary(result: Any, title: str | None = None) -> str:
    """The notebook summary of a result: its ``_html_rows()`` when it has them, else the
    scalars of its ``to_dict()`` (keys with a unit suffix such as ``_MPa`` name their unit)."""
    rows = result._html_rows() if hasattr(result, "_html_rows") else _rows_of(result.to_dict())
    return html_table(title or type(result).__name__, rows)


class ResultMixin:
    """Mixin for frozen result dataclasses: ``to_dict()`` for JSON output and a summary
    table (``_repr_html_``) that notebooks show without asking."""

    def _repr_html_(self) -> str:
        return html_summary(self)

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray) and v.ndim > 0:
                continue  # fields go to files, not JSON
            out[f.name] = jsonable(v)
        return out
