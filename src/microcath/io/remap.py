"""Label arrays: grey values -> compact phase labels, and the phase spec strings.

A segmented tomogram often stores its phases as grey values (0/128/255 or
16-bit numbers). :func:`remap_labels` maps them onto the compact ``uint8``
labels of a :class:`~microcath.Microstructure`; :func:`parse_phase_spec`
reads the spec string that the CLI's ``--phases`` option takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import InputError
from ..phases import Phase, PhaseKind, PhaseTable

__all__ = ["remap_labels", "parse_phase_spec", "as_label_array", "resolve_phases", "closest_mapping"]

_KINDS = {k.value for k in PhaseKind}
_SPEC_EXAMPLE = "'0=pore,128=NMC811,255=Li6PS5Cl'"


def _describe_values(values: np.ndarray, counts: np.ndarray, limit: int = 12) -> str:
    items = [f"{v} ({c} voxels)" for v, c in zip(values[:limit].tolist(), counts[:limit].tolist(),
                                                 strict=True)]
    more = f" and {len(values) - limit} more" if len(values) > limit else ""
    return ", ".join(items) + more


def closest_mapping(values: Any, known: Mapping[int, str]) -> str:
    """``"127 -> 128 (NMC811), 254 -> 255 (Li6PS5Cl)"``: each value next to the nearest known
    grey value and its phase (ties: the lower), for errors about values that are not labels."""
    keys = np.array(sorted(known))
    parts = []
    for v in (int(x) for x in values):
        k = int(keys[np.argmin(np.abs(keys - v))])
        parts.append(f"{v} -> {k} ({known[k]})")
    return ", ".join(parts)


def remap_labels(array: np.ndarray, mapping: Mapping[Any, int], *, parameter: str = "mapping",
                 names: Mapping[int, str] | None = None) -> np.ndarray:
    """Map grey values to compact ``uint8`` labels.

    Parameters
    ----------
    array : ndarray of integers
        Grey values (any integer dtype, or bool).
    mapping : mapping
        ``{grey_value: label}`` with labels in 0..255. Every value present in
        ``array`` must be a key.
    parameter : str
        Name of the parameter the mapping came from, used in error messages.
    names : mapping, optional
        ``{label: phase name}``: with it, the error for unmapped values also names the
        closest mapping (e.g. 127 -> 128 (NMC811) for a stack converted from 0/128/255).

    Returns
    -------
    ndarray of uint8, same shape

    Raises
    ------
    InputError
        If ``array`` holds values missing from ``mapping`` (they are listed
        with their voxel counts), or a label is outside 0..255.

    >>> import numpy as np
    >>> remap_labels(np.array([0, 128, 255, 128]), {0: 0, 128: 1, 255: 2})
    array([0, 1, 2, 1], dtype=uint8)
    """
    array = np.asarray(array)
    if array.dtype == bool:
        array = array.astype(np.uint8)
    if not np.issubdtype(array.dtype, np.integer):
        raise InputError(
            f"array: grey values must be integers to be remapped, got dtype {array.dtype}; "
            "round a float image first (np.rint(a).astype(int)) if it holds whole numbers"
        )
    try:
        table = {int(k): int(v) for k, v in mapping.items()}
    except (TypeError, ValueError, AttributeError):
        raise InputError(
            f"{parameter}: expected {{grey_value: label}} with integers, got {mapping!r}"
        ) from None
    bad = {k: v for k, v in table.items() if not 0 <= v <= 255}
    if bad:
        raise InputError(f"{parameter}: labels must be in 0..255 (uint8), got {bad}")
    values, inverse, counts = np.unique(array.ravel(), return_inverse=True, return_counts=True)
    unmapped = np.array([int(v) not in table for v in values.tolist()], dtype=bool)
    if unmapped.any():
        hint = ""
        if names is not None and table:
            known = {k: names.get(v, str(v)) for k, v in table.items()}
            near = closest_mapping(values[unmapped], known)
            found = ", ".join(str(v) for v in values.tolist()[:12])
            hint = (f". The image holds {found}: if it is a converted label image, the closest mapping "
                    f"is {near}; give those values in the spec")
        raise InputError(
            f"{parameter}: the image holds values that no phase is mapped to: "
            f"{_describe_values(values[unmapped], counts[unmapped])}; mapped values are "
            f"{sorted(table)}{hint}. Add them to the phase spec (e.g. {_SPEC_EXAMPLE})"
        )
    lut = np.array([table[int(v)] for v in values.tolist()], dtype=np.uint8)
    return lut[inverse].reshape(array.shape)


def as_label_array(array: np.ndarray, *, source: str = "array") -> np.ndarray:
    """Check that ``array`` can be used as labels as it is and return it as ``uint8``.

    Integers in 0..255 and booleans are accepted (copied to ``uint8`` when the
    dtype differs); floats and larger values raise :class:`InputError` that
    says how to fix it (remap with a phase spec).
    """
    array = np.asarray(array)
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.astype(np.uint8)
    if not np.issubdtype(array.dtype, np.integer):
        raise InputError(
            f"{source}: labels must be integers, got dtype {array.dtype}. A float image is not a "
            "label image: segment it first, or convert whole numbers with np.rint(a).astype(np.uint8)"
        )
    if array.size:
        lo, hi = int(array.min()), int(array.max())
        if lo < 0 or hi > 255:
            values = np.unique(array)
            shown = ", ".join(str(v) for v in values[:8].tolist()) + (" ..." if values.size > 8 else "")
            raise InputError(
                f"{source}: values {lo}..{hi} do not fit uint8 labels (values: {shown}); map them to "
                f"phases with a phase spec such as {_SPEC_EXAMPLE} (CLI: --phases)"
            )
    return array.astype(np.uint8)


def _phase_for(name: str, kind: str | None, materials: Any) -> Phase:
    if kind is not None:
        kind = PhaseKind.parse(kind).value
    try:
        mat = materials.get(name)
    except KeyError:
        if kind is not None:  # a phase the library does not know, with an explicit kind
            return Phase(name, kind, None)
        if name.lower() in _KINDS:  # a bare kind such as "binder"
            return Phase(name.lower(), name.lower(), None)
        raise
    return Phase(mat.name, kind or mat.kind, mat.name)


def parse_phase_spec(spec: str | Mapping[Any, str], *, materials: Any = None
                     ) -> tuple[dict[int, int], PhaseTable]:
    """Parse a phase spec into a grey-value remap and a phase table.

    Parameters
    ----------
    spec : str or mapping
        ``"value=name,value=name,..."`` (or ``{value: name}``). ``name`` is a
        material of the library (its kind comes from there, e.g. ``NMC811`` ->
        active), a kind (``pore``, ``carbon``, ...) or ``name:kind`` for a phase
        the library does not know (``binder:binder``). Several grey values may
        name the same phase.
    materials : MaterialLibrary, optional
        Library to look names up in; default :func:`microcath.materials.default_library`.

    Returns
    -------
    remap : dict
        ``{grey_value: compact_label}``, labels 0, 1, 2, ... in the order of
        the grey values.
    phases : PhaseTable
        ``compact_label -> Phase``.

    >>> remap, table = parse_phase_spec("0=pore,128=NMC811,255=Li6PS5Cl")
    >>> remap
    {0: 0, 128: 1, 255: 2}
    >>> [(p.name, p.kind.value) for p in table.values()]
    [('pore', 'pore'), ('NMC811', 'active'), ('Li6PS5Cl', 'electrolyte')]
    """
    if materials is None:
        from ..materials import default_library

        materials = default_library()
    items: list[tuple[int, str]] = []
    if isinstance(spec, str):
        parts = [p.strip() for p in spec.replace(";", ",").split(",") if p.strip()]
        if not parts:
            raise InputError(f"phases: empty phase spec; expected e.g. {_SPEC_EXAMPLE}")
        for part in parts:
            value, sep, name = part.partition("=")
            if not sep or not value.strip() or not name.strip():
                raise InputError(
                    f"phases: cannot read {part!r}; each entry is value=name, e.g. {_SPEC_EXAMPLE}"
                )
            try:
                ivalue = int(value.strip())
            except ValueError:
                raise InputError(
                    f"phases: {value.strip()!r} in {part!r} is not an integer grey value "
                    f"(expected e.g. {_SPEC_EXAMPLE})"
                ) from None
            items.append((ivalue, name.strip()))
    elif isinstance(spec, Mapping):
        for k, v in spec.items():
            try:
                items.append((int(k), str(v).strip()))
            except (TypeError, ValueError):
                raise InputError(f"phases: key {k!r} is not an integer grey value") from None
    else:
        raise InputError(f"phases: expected a spec string such as {_SPEC_EXAMPLE}, got {type(spec).__name__}")
    seen: set[int] = set()
    for v, _ in items:
        if v < 0:
            raise InputError(f"phases: grey value {v} is negative")
        if v in seen:
            raise InputError(f"phases: grey value {v} is given twice")
        seen.add(v)
    remap: dict[int, int] = {}
    table: dict[int, Phase] = {}
    by_name: dict[str, int] = {}
    for value, entry in sorted(items):
        name, _, kind = entry.partition(":")
        phase = _phase_for(name.strip(), kind.strip() or None, materials)
        if phase.name in by_name:
            if table[by_name[phase.name]] != phase:
                raise InputError(f"phases: {phase.name!r} is given with two different kinds")
            remap[value] = by_name[phase.name]
            continue
        label = len(table)
        if label > 255:
            raise InputError("phases: more than 256 distinct phases")
        table[label] = phase
        by_name[phase.name] = label
        remap[value] = label
    return remap, PhaseTable(table)


def resolve_phases(phases: Any, *, materials: Any = None) -> tuple[dict[int, int] | None, PhaseTable]:
    """``phases`` argument of :func:`microcath.io.load` -> (remap or None, PhaseTable).

    A spec string or ``{value: name}`` mapping is parsed by
    :func:`parse_phase_spec` (grey values remapped to compact labels); a
    :class:`PhaseTable` or ``{label: Phase}`` mapping is used as it is.
    """
    if isinstance(phases, PhaseTable):
        return None, phases
    if isinstance(phases, str):
        return parse_phase_spec(phases, materials=materials)
    if isinstance(phases, Mapping):
        values = list(phases.values())
        if values and all(isinstance(v, str) for v in values):
            return parse_phase_spec(phases, materials=materials)
        return None, PhaseTable(phases)
    raise InputError(
        f"phases: expected a spec string such as {_SPEC_EXAMPLE}, a PhaseTable or "
        f"{{label: Phase}}, got {type(phases).__name__}"
    )
