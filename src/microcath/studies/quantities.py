"""What a study can ask for: any number a pipeline stage produces, by name.

A quantity is a dotted path into the pipeline's ``results`` dict (what ``results.json``
holds under ``"results"``), plus the stages that produce it. The short names below are
the common ones; any other dotted path works as long as its first part names a stage's
results (:data:`RESULT_STAGES`), e.g. ``mechanics.strain_energy_J`` or
``analysis.status_counts.utilisable``.

======================================  =====================================  ======
name                                    what                                   unit
======================================  =====================================  ======
``volume_fraction.PHASE``               volume fraction of a phase              -
``utilisable_fraction``                 active volume connected to both nets    -
``ionic_connected_fraction``            active volume on the ionic network      -
``electronic_connected_fraction``       active volume on the electronic net     -
``contact_fraction``                    mean active/electrolyte contact share   -
``triphase_fraction``                   mean triphase contact share             -
``sigma_ion_eff.AXIS``                  effective ionic conductivity            mS/cm
``sigma_e_eff.AXIS``                    effective electronic conductivity       mS/cm
``tau_ion.AXIS``, ``tau_e.AXIS``        tortuosity factor                       -
``opened_fraction.INTERFACE``           interface share that opens on charge    -
``utilisable_fraction_before/_after``   utilisable share before/after opening   -
``sigma_ion_eff_after``, ``sigma_e_eff_after``  conductivity (x) after opening  mS/cm
======================================  =====================================  ======

``AXIS`` is x, y or z; ``INTERFACE`` is e.g. ``active/electrolyte`` or ``grain_boundary``.
The conductivities come with their Hashin-Shtrikman bounds (plotted as a band).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InputError

__all__ = ["Quantity", "resolve", "stages_for", "axes_for", "extract", "RESULT_STAGES", "examples"]

GENERATE, ANALYSE, IONIC, ELECTRONIC, MECHANICS = (
    "generate", "analyse", "ionic conductivity", "electronic conductivity", "stress at a charged state")

#: first part of a results path -> the stages that write it (generate always runs first)
RESULT_STAGES: dict[str, tuple[str, ...]] = {
    "structure": (GENERATE,),
    "volume_fractions": (GENERATE,),
    "analysis": (GENERATE, ANALYSE),
    "utilisable_active_fraction": (GENERATE, ANALYSE),
    "conductivity.ionic": (GENERATE, IONIC),
    "conductivity.electronic": (GENERATE, ELECTRONIC),
    "mechanics": (GENERATE, MECHANICS),
}
_CARRIER = {"ion": "ionic", "e": "electronic"}
_AXES = ("x", "y", "z")
_ANALYSIS = {"utilisable_fraction": ("utilisable_active_fraction", "value"),
             "ionic_connected_fraction": ("analysis", "ionic_connected_fraction"),
             "electronic_connected_fraction": ("analysis", "electronic_connected_fraction"),
             "contact_fraction": ("analysis", "mean_contact_fraction"),
             "triphase_fraction": ("analysis", "mean_triphase_fraction")}
_AFTER = {"utilisable_fraction_before": (("mechanics", "contact", "before", "utilisable_fraction"), "-"),
          "utilisable_fraction_after": (("mechanics", "contact", "after", "utilisable_fraction"), "-"),
          "sigma_ion_eff_after": (("mechanics", "contact", "after", "sigma_ion_eff_mS_cm"), "mS/cm"),
          "sigma_e_eff_after": (("mechanics", "contact", "after", "sigma_e_eff_mS_cm"), "mS/cm")}


@dataclass(frozen=True)
class Quantity:
    """One asked-for number.

    Attributes
    ----------
    name : str
        As the study names it (also the table's column).
    path : tuple of str
        Where it lies in the pipeline's results dict.
    stages : tuple of str
        The pipeline stages that must run for it.
    unit : str
        Its unit (``-`` for fractions and tortuosity factors).
    axis : str or None
        The conductivity axis it needs solved.
    bounds : tuple of str or None
        Path of the Hashin-Shtrikman bounds [S/m] that apply to it.
    """

    name: str
    path: tuple[str, ...]
    stages: tuple[str, ...]
    unit: str = "-"
    axis: str | None = None
    bounds: tuple[str, ...] | None = None


def examples(phases: Iterable[str] = ("NMC811", "Li6PS5Cl")) -> list[str]:
    """Valid short names (with these phase names), for messages and ``--help``."""
    out = [f"volume_fraction.{p}" for p in phases] + list(_ANALYSIS)
    for c in _CARRIER:
        out += [f"sigma_{c}_eff.{a}" for a in _AXES] + [f"tau_{c}.{a}" for a in _AXES]
    out += ["opened_fraction.active/electrolyte", "opened_fraction.grain_boundary", *_AFTER]
    return out


def resolve(name: str, *, phases: Sequence[str] = ()) -> Quantity:
    """The :class:`Quantity` for a name; unknown names are refused with the closest valid one."""
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"quantities: expected names such as 'sigma_ion_eff.x', got {name!r}")
    head, _, rest = name.partition(".")
    if head == "volume_fraction":
        if phases and rest not in phases:
            raise InputError(f"quantities: {name!r}: no phase {rest!r} in the structure; "
                             f"phases: {', '.join(phases)}{_closest(rest, phases)}")
        return Quantity(name, ("volume_fractions", "value", rest), RESULT_STAGES["volume_fractions"])
    if name in _ANALYSIS:
        return Quantity(name, _ANALYSIS[name], RESULT_STAGES["analysis"])
    if name in _AFTER:
        path, unit = _AFTER[name]
        return Quantity(name, path, RESULT_STAGES["mechanics"], unit)
    for kind in ("sigma", "tau"):
        for c, carrier in _CARRIER.items():
            prefix = f"sigma_{c}_eff" if kind == "sigma" else f"tau_{c}"
            if head != prefix:
                continue
            if rest not in _AXES:
                raise InputError(f"quantities: {name!r}: give the axis, {prefix}.x, {prefix}.y or {prefix}.z")
            leaf = ("sigma_eff_mS_cm",) if kind == "sigma" else ("tau", "value")
            return Quantity(name, ("conductivity", carrier, "axes", rest, *leaf),
                            RESULT_STAGES[f"conductivity.{carrier}"], "mS/cm" if kind == "sigma" else "-",
                            axis=rest,
                            bounds=("conductivity", carrier, "hashin_shtrikman_bounds", "value")
                            if kind == "sigma" else None)
    if head == "opened_fraction" and rest:
        return Quantity(name, ("mechanics", "interfaces", rest, "opened_fraction"),
                        RESULT_STAGES["mechanics"])
    parts = tuple(name.split("."))
    for key, stages in RESULT_STAGES.items():
        k = tuple(key.split("."))
        if parts[: len(k)] == k and len(parts) > len(k):
            return Quantity(name, parts, stages, _unit_of(parts[-1]))
    valid = examples(phases or ("NMC811", "Li6PS5Cl"))
    raise InputError(
        f"quantities: unknown quantity {name!r}{_closest(name, valid)}; short names: {', '.join(valid)}; "
        f"or a dotted path into the run's results starting with one of {', '.join(RESULT_STAGES)}")


def _unit_of(leaf: str) -> str:
    for suffix, unit in (("_mS_cm", "mS/cm"), ("_MPa", "MPa"), ("_um", "µm"), ("_J", "J"), ("_s", "s")):
        if leaf.endswith(suffix):
            return unit
    return "-"


def _closest(word: str, choices: Iterable[str]) -> str:
    hit = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {hit[0]!r}?)" if hit else ""


def stages_for(quantities: Iterable[Quantity]) -> tuple[str, ...]:
    """The stage names the quantities need (without duplicates)."""
    out: list[str] = []
    for q in quantities:
        out += [s for s in q.stages if s not in out]
    return tuple(out)


def axes_for(quantities: Iterable[Quantity]) -> tuple[str, ...]:
    """Conductivity axes to solve (x first: it is always solved)."""
    return tuple(a for a in _AXES if a == "x" or any(q.axis == a for q in quantities))


def _lookup(results: Mapping[str, Any], path: Sequence[str], name: str) -> Any:
    node: Any = results
    for i, p in enumerate(path):
        if not isinstance(node, Mapping) or p not in node:
            where = ".".join(path[:i]) or "results"
            keys = sorted(node) if isinstance(node, Mapping) else []
            raise InputError(f"quantity {name!r}: {where} has no {p!r}{_closest(p, keys)}; "
                             f"there: {', '.join(map(str, keys)) or 'a number'}")
        node = node[p]
    return node


def extract(q: Quantity, results: Mapping[str, Any]) -> tuple[float, tuple[float, float] | None]:
    """The number ``q`` names in a run's results, and its Hashin-Shtrikman bounds in ``q``'s unit."""
    value = _lookup(results, q.path, q.name)
    if isinstance(value, Mapping) and set(value) >= {"value", "unit"}:
        value = value["value"]
    if value is None:
        value = float("nan")
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"quantity {q.name!r} is not a number but {value!r}; name one entry below it")
    bounds = None
    if q.bounds is not None:
        from ..units import to_mS_cm

        lo, hi = _lookup(results, q.bounds, q.name)
        bounds = (to_mS_cm(float(lo)), to_mS_cm(float(hi)))
    return float(value), bounds


def is_finite(value: float) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
