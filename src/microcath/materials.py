"""The materials library: sourced properties of cathode, electrolyte, carbon and coating materials.

The shipped library (``microcath/data/materials.toml``) is human-readable TOML
in the field's units, every value with its source and a status (``verified``,
``knowledge_unverified``, ``computed``, ``peer_default``,
``modelling_assumption``). This module reads it and speaks SI:

>>> from microcath.materials import default_library
>>> lib = default_library()
>>> lpscl = lib.get("LPSCl")                 # aliases, any case
>>> lpscl.name, lpscl.kind.value
('Li6PS5Cl', 'electrolyte')
>>> round(lpscl.sigma("ionic"), 6)           # 1.3 mS/cm in S/m
0.13
>>> lib2 = lib.override("Li6PS5Cl", sigma_ionic_mS_cm=3.0)
>>> round(lib2.get("Li6PS5Cl").sigma("ionic"), 6)
0.3

Users extend or patch the library with their own TOML file
(:func:`load_library`), or override single values (:meth:`MaterialLibrary.override`).
Unknown materials and missing properties raise :class:`~microcath.errors.MaterialError`
listing what is available.
"""

from __future__ import annotations

import functools
import math
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from . import validation
from .errors import FileFormatError, InputError, MaterialError, did_you_mean
from .phases import PhaseKind

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "library_for",
    "Material",
    "MaterialLibrary",
    "PropertyValue",
    "LatticeStrainPath",
    "PROPERTIES",
    "STATUSES",
    "default_library",
    "load_library",
]

STATUSES = ("verified", "knowledge_unverified", "computed", "peer_default", "modelling_assumption", "user")

# property -> (SI unit, {file unit suffix: factor to SI}); suffix "" = dimensionless
PROPERTIES: dict[str, tuple[str, dict[str, float]]] = {
    "density": ("kg/m^3", {"g_cm3": 1000.0, "kg_m3": 1.0}),
    "sigma_ionic": ("S/m", {"S_cm": 100.0, "mS_cm": 0.1, "S_m": 1.0}),
    "sigma_electronic": ("S/m", {"S_cm": 100.0, "mS_cm": 0.1, "S_m": 1.0}),
    "youngs_modulus": ("Pa", {"GPa": 1e9, "MPa": 1e6, "Pa": 1.0}),
    "poisson_ratio": ("-", {"": 1.0}),
    "volume_change": ("-", {"": 1.0}),
}
_UNIT_TEXT = {"g_cm3": "g/cm3", "kg_m3": "kg/m3", "S_cm": "S/cm", "mS_cm": "mS/cm", "S_m": "S/m",
              "GPa": "GPa", "MPa": "MPa", "Pa": "Pa", "": "-"}
_MATERIAL_KEYS = {"kind", "aliases", "formula", "description", "lattice_strain", "other"}
_VALUE_KEYS = {"value", "unit", "source", "status", "note", "range", "window", "state", "path_state",
               "path_value", "interpolation", "reference"}
_NO_DEFAULT = object()
_CARRIERS = {"ionic": "sigma_ionic", "ion": "sigma_ionic", "ions": "sigma_ionic",
             "electronic": "sigma_electronic", "electron": "sigma_electronic",
             "electrons": "sigma_electronic"}


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).casefold()


def _split_key(key: str) -> tuple[str, str] | None:
    """``'sigma_ionic_mS_cm'`` -> ``('sigma_ionic', 'mS_cm')``; None if not a property key."""
    for prop, (_, units) in PROPERTIES.items():
        for suffix in units:
            full = f"{prop}_{suffix}" if suffix else prop
            if key == full:
                return prop, suffix
    return None


def _property_keys() -> list[str]:
    return [f"{p}_{s}" if s else p for p, (_, units) in PROPERTIES.items() for s in units]


@dataclass(frozen=True)
class PropertyValue:
    """One material property in SI with its provenance.

    Attributes
    ----------
    value : float
        The default value in SI units (``unit``).
    unit : str
        SI unit (``S/m``, ``Pa``, ``kg/m^3``, ``-``).
    source, status, note : str
        Where the number comes from and how far it is trusted.
    range : tuple of float or None
        Reported range [SI] when the literature gives one.
    file_value, file_unit, file_range
        The value (and range) as written in the library file (field units).
    state, path_state, path_value, interpolation
        Optional dependence on a state coordinate (``x_Li``, ``conversion``):
        anchors in SI, interpolated ``linear`` or ``log``.
    window : str
        Condition the value refers to (e.g. a voltage window).
    """

    value: float
    unit: str
    source: str
    status: str
    note: str = ""
    range: tuple[float, float] | None = None
    file_value: float | None = None
    file_unit: str = ""
    file_range: tuple[float, float] | None = None
    state: str | None = None
    path_state: tuple[float, ...] = ()
    path_value: tuple[float, ...] = ()
    interpolation: str = "linear"
    window: str = ""

    def at(self, state: float | None = None) -> float:
        """Value at a state coordinate (interpolated along the path), or the default."""
        if state is None:
            return self.value
        if not self.path_state:
            raise InputError(
                f"state: this value has no dependence on a state coordinate (only {self.value:g} "
                f"{self.unit}{', ' + self.window if self.window else ''}); call it without state="
            )
        s = float(state)
        lo, hi = min(self.path_state), max(self.path_state)
        if not (math.isfinite(s) and lo - 1e-12 <= s <= hi + 1e-12):
            raise InputError(
                f"state: {self.state} = {state!r} is outside the documented path {lo:g}..{hi:g}; "
                "microcath does not extrapolate"
            )
        order = np.argsort(self.path_state)
        xs = np.asarray(self.path_state)[order]
        ys = np.asarray(self.path_value)[order]
        if self.interpolation == "log":
            return float(np.exp(np.interp(s, xs, np.log(ys))))
        return float(np.interp(s, xs, ys))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "unit": self.unit, "file_value": self.file_value,
                               "file_unit": self.file_unit, "source": self.source, "status": self.status}
        for k in ("note", "window", "state"):
            if getattr(self, k):
                out[k] = getattr(self, k)
        if self.range is not None:
            out["range"] = list(self.range)
        if self.path_state:
            out["path_state"] = list(self.path_state)
            out["path_value"] = list(self.path_value)
            out["interpolation"] = self.interpolation
        return out


@dataclass(frozen=True)
class LatticeStrainPath:
    """Anisotropic (hexagonal) lattice strain vs a state coordinate.

    ``eps_a`` is the principal strain along the crystal a axes (in-plane),
    ``eps_c`` along c; both relative to ``reference``, interpolated linearly.
    """

    state: str
    path_state: tuple[float, ...]
    eps_a: tuple[float, ...]
    eps_c: tuple[float, ...]
    source: str
    status: str
    note: str = ""
    reference: str = ""

    def at(self, state: float) -> tuple[float, float]:
        """``(eps_a, eps_c)`` [-] at ``state`` (no extrapolation)."""
        s = float(state)
        lo, hi = min(self.path_state), max(self.path_state)
        if not (math.isfinite(s) and lo - 1e-12 <= s <= hi + 1e-12):
            raise InputError(
                f"state: {self.state} = {state!r} is outside the documented path {lo:g}..{hi:g}"
            )
        order = np.argsort(self.path_state)
        xs = np.asarray(self.path_state)[order]
        return (float(np.interp(s, xs, np.asarray(self.eps_a)[order])),
                float(np.interp(s, xs, np.asarray(self.eps_c)[order])))

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "path_state": list(self.path_state), "eps_a": list(self.eps_a),
                "eps_c": list(self.eps_c), "unit": "-", "reference": self.reference,
                "source": self.source, "status": self.status, "note": self.note}


@dataclass(frozen=True, eq=False)
class Material:
    """A material of the library with its properties in SI.

    Use the accessors (:attr:`density`, :meth:`sigma`, :attr:`youngs_modulus`,
    :attr:`poisson_ratio`, :meth:`volume_change`, :meth:`lattice_strain`,
    :meth:`property`); a property the library does not hold raises
    :class:`MaterialError` naming the material, the property and what it has.
    :meth:`value` returns the full record with source and status.
    """

    name: str
    kind: PhaseKind
    values: Mapping[str, PropertyValue] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    formula: str = ""
    description: str = ""
    strain_path: LatticeStrainPath | None = None
    other: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", PhaseKind.parse(self.kind))
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))
        object.__setattr__(self, "other", MappingProxyType(dict(self.other)))
        object.__setattr__(self, "aliases", tuple(self.aliases))

    @property
    def properties(self) -> tuple[str, ...]:
        """Names of the properties this material holds."""
        return tuple(self.values) + (("lattice_strain",) if self.strain_path else ())

    def has(self, key: str) -> bool:
        return key in self.values or (key == "lattice_strain" and self.strain_path is not None)

    def _missing(self, key: str) -> MaterialError:
        have = ", ".join(self.properties) or "none"
        return MaterialError(
            f"material {self.name!r} has no value for {key!r} (it has: {have}); give one with "
            f"library.override({self.name!r}, {key}=...) or in your own materials TOML file"
        )

    def value(self, key: str) -> PropertyValue:
        """Full record (SI value, unit, source, status, note) of property ``key``."""
        if key not in PROPERTIES:
            raise MaterialError(f"unknown property {key!r}; properties are {', '.join(PROPERTIES)}")
        try:
            return self.values[key]
        except KeyError:
            raise self._missing(key) from None

    @property
    def density(self) -> float:
        """Density [kg/m^3]."""
        return self.property("density")

    @property
    def youngs_modulus(self) -> float:
        """Young's modulus [Pa]."""
        return self.property("youngs_modulus")

    @property
    def poisson_ratio(self) -> float:
        """Poisson ratio [-]."""
        return self.property("poisson_ratio")

    def sigma(self, carrier: str = "ionic", *, state: float | None = None) -> float:
        """Conductivity [S/m] for ``carrier`` = ``'ionic'`` or ``'electronic'``.

        ``state`` (e.g. ``x_Li`` for NMC) evaluates the state-dependent path
        where the library has one.
        """
        key = _CARRIERS.get(str(carrier).lower())
        if key is None:
            raise InputError(f"carrier: expected 'ionic' or 'electronic', got {carrier!r}")
        return self.property(key, state=state)

    def volume_change(self, state: float | None = None) -> float:
        """Isotropic volume change dV/V [-] relative to the reference state.

        Without ``state``: the value at the end of the documented window
        (e.g. -0.051 for NMC811 at 4.3 V). With ``state``: interpolated along
        the path (``x_Li`` for layered oxides, ``conversion`` for S/Se).
        """
        return self.property("volume_change", state=state)

    def lattice_strain(self, state: float) -> tuple[float, float]:
        """Anisotropic lattice strain ``(eps_a, eps_c)`` [-] at ``state`` (hexagonal materials)."""
        if self.strain_path is None:
            raise self._missing("lattice_strain")
        return self.strain_path.at(state)

    # defined last: inside the class body the name shadows the builtin ``property``
    def property(self, key: str, *, state: float | None = None) -> float:
        """Property ``key`` in SI, optionally at a state coordinate (``x_Li``, ``conversion``)."""
        return self.value(key).at(state)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind.value, "aliases": list(self.aliases),
                               "formula": self.formula, "description": self.description,
                               "properties": {k: v.to_dict() for k, v in self.values.items()}}
        if self.strain_path is not None:
            out["lattice_strain"] = self.strain_path.to_dict()
        if self.other:
            out["other"] = {k: dict(v) for k, v in self.other.items()}
        return out

    def __repr__(self) -> str:
        return f"Material({self.name!r}, kind={self.kind.value!r}, properties={list(self.properties)})"


# --------------------------------------------------------------------------- parsing

def _number(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise InputError(f"{where}: expected a number, got {x!r}")
    return float(x)


def _check_physical(prop: str, v: float, where: str) -> None:
    if not math.isfinite(v):
        raise InputError(f"{where}: the value is {v}; give a finite number")
    if prop == "density" and v < 0:
        raise InputError(f"{where}: {prop} must be >= 0, got {v}")
    if prop in ("sigma_ionic", "sigma_electronic"):
        validation.conductivity(v, f"{where}: {prop}")
    if prop == "youngs_modulus":  # 0 is allowed in the library (a pore-like entry); solvers refuse it
        validation.youngs_modulus(v, f"{where}: {prop}", allow_zero=True)
    if prop == "poisson_ratio":
        validation.poisson_ratio(v, f"{where}: {prop}")
    if prop == "volume_change" and v <= -1.0:
        raise InputError(f"{where}: a volume change dV/V must be > -1, got {v}")


def _parse_value(mname: str, key: str, raw: Any, *, default_source: str | None,
                 strict: bool) -> tuple[str, PropertyValue]:
    split = _split_key(key)
    assert split is not None
    prop, suffix = split
    si_unit, units = PROPERTIES[prop]
    factor = units[suffix]
    where = f"material {mname!r}, {key}"
    entry = dict(raw) if isinstance(raw, Mapping) else {"value": raw}
    unknown = set(entry) - _VALUE_KEYS
    if unknown:
        raise InputError(f"{where}: unknown fields {sorted(unknown)}; allowed {sorted(_VALUE_KEYS)}")
    if "value" not in entry:
        raise InputError(f"{where}: no 'value' given")
    file_value = _number(entry["value"], where)
    unit_text = entry.get("unit", _UNIT_TEXT[suffix])
    if _norm(unit_text).replace("/", "").replace("^", "") != _norm(_UNIT_TEXT[suffix]).replace("/", ""):
        raise InputError(
            f"{where}: unit {unit_text!r} contradicts the key, which says {_UNIT_TEXT[suffix]!r}"
        )
    source = entry.get("source", default_source)
    status = entry.get("status", "user" if default_source else None)
    if strict and (not source or not status):
        raise FileFormatError(f"{where}: every value of the shipped library needs a source and a status")
    if status not in STATUSES:
        raise InputError(f"{where}: status {status!r} is not one of {', '.join(STATUSES)}")
    value = file_value * factor
    _check_physical(prop, value, where)
    rng = file_rng = None
    if "range" in entry:
        r = entry["range"]
        if not (isinstance(r, list) and len(r) == 2):
            raise InputError(f"{where}: range must be [low, high], got {r!r}")
        file_rng = (min(_number(r[0], where), _number(r[1], where)),
                    max(_number(r[0], where), _number(r[1], where)))
        rng = (file_rng[0] * factor, file_rng[1] * factor)
        for v in rng:
            _check_physical(prop, v, where + " range")
    path_state: tuple[float, ...] = ()
    path_value: tuple[float, ...] = ()
    interp = entry.get("interpolation", "linear")
    if "path_state" in entry or "path_value" in entry:
        ps, pv = entry.get("path_state"), entry.get("path_value")
        if not (isinstance(ps, list) and isinstance(pv, list) and len(ps) == len(pv) >= 2):
            raise InputError(f"{where}: path_state and path_value must be lists of equal length >= 2")
        if not entry.get("state"):
            raise InputError(f"{where}: a path needs a 'state' name (e.g. 'x_Li')")
        path_state = tuple(_number(x, where) for x in ps)
        path_value = tuple(_number(x, where) * factor for x in pv)
        for v in path_value:
            _check_physical(prop, v, where + " path")
        if interp not in ("linear", "log"):
            raise InputError(f"{where}: interpolation must be 'linear' or 'log', got {interp!r}")
        if interp == "log" and min(path_value) <= 0:
            raise InputError(f"{where}: log interpolation needs positive path values")
    return prop, PropertyValue(
        value=value, unit=si_unit, source=str(source), status=str(status), note=str(entry.get("note", "")),
        range=rng, file_value=file_value, file_unit=_UNIT_TEXT[suffix], file_range=file_rng,
        state=entry.get("state"),
        path_state=path_state, path_value=path_value, interpolation=interp,
        window=str(entry.get("window", "")),
    )


def _parse_strain(mname: str, raw: Any, *, default_source: str | None) -> LatticeStrainPath:
    where = f"material {mname!r}, lattice_strain"
    if not isinstance(raw, Mapping):
        raise InputError(f"{where}: expected a table with state, path_state, eps_a, eps_c")
    try:
        ps, ea, ec = raw["path_state"], raw["eps_a"], raw["eps_c"]
    except KeyError as exc:
        raise InputError(f"{where}: missing {exc.args[0]!r}") from None
    if not (len(ps) == len(ea) == len(ec) >= 2):
        raise InputError(f"{where}: path_state, eps_a and eps_c must have equal length >= 2")
    source = raw.get("source", default_source)
    status = raw.get("status", "user" if default_source else None)
    if not source or status not in STATUSES:
        raise InputError(f"{where}: needs a source and a status out of {', '.join(STATUSES)}")
    vals = [_number(x, where) for x in (*ps, *ea, *ec)]
    if not all(math.isfinite(v) for v in vals):
        raise InputError(f"{where}: values must be finite")
    return LatticeStrainPath(state=str(raw.get("state", "x_Li")), path_state=tuple(vals[:len(ps)]),
                             eps_a=tuple(vals[len(ps):2 * len(ps)]), eps_c=tuple(vals[2 * len(ps):]),
                             source=str(source), status=str(status), note=str(raw.get("note", "")),
                             reference=str(raw.get("reference", "")))


def _parse_material(name: str, raw: Mapping[str, Any], *, base: Material | None,
                    default_source: str | None, strict: bool) -> Material:
    if not isinstance(raw, Mapping):
        raise InputError(f"material {name!r}: expected a table of properties, got {raw!r}")
    values = dict(base.values) if base else {}
    strain = base.strain_path if base else None
    other = dict(base.other) if base else {}
    for key, item in raw.items():
        if key in _MATERIAL_KEYS:
            continue
        if _split_key(key) is None:
            guess = did_you_mean(key, _property_keys())
            hint = f" (did you mean {guess!r}?)" if guess else ""
            raise InputError(
                f"material {name!r}: unknown property {key!r}{hint}; properties are "
                f"{', '.join(_property_keys())}, plus kind, aliases, formula, description, "
                "lattice_strain, other"
            )
        prop, pv = _parse_value(name, key, item, default_source=default_source, strict=strict)
        values[prop] = pv
    if "lattice_strain" in raw:
        strain = _parse_strain(name, raw["lattice_strain"], default_source=default_source)
    if "other" in raw:
        if not isinstance(raw["other"], Mapping):
            raise InputError(f"material {name!r}: 'other' must be a table of records")
        other.update({k: dict(v) if isinstance(v, Mapping) else {"value": v}
                      for k, v in raw["other"].items()})
    kind = raw.get("kind", base.kind if base else None)
    if kind is None:
        raise InputError(
            f"material {name!r}: a new material needs a kind (active, electrolyte, carbon, coating, "
            "pore, binder)"
        )
    aliases = raw.get("aliases", base.aliases if base else ())
    if isinstance(aliases, str) or not all(isinstance(a, str) for a in aliases):
        raise InputError(f"material {name!r}: aliases must be a list of strings")
    return Material(name=base.name if base else name, kind=kind, values=values, aliases=tuple(aliases),
                    formula=str(raw.get("formula", base.formula if base else "")),
                    description=str(raw.get("description", base.description if base else "")),
                    strain_path=strain, other=other)


# --------------------------------------------------------------------------- library

class MaterialLibrary(Mapping[str, Material]):
    """Immutable collection of materials, looked up by name or alias, any case.

    Parameters
    ----------
    materials : iterable of Material
    interfaces : mapping, optional
        Interfacial (area-specific) resistance records, as in the shipped file.
    sources : tuple of str
        Files the library was read from (for reports).
    """

    def __init__(self, materials: Iterable[Material], *, interfaces: Mapping[str, Any] | None = None,
                 sources: tuple[str, ...] = ()):
        self._materials: dict[str, Material] = {}
        self._index: dict[str, str] = {}
        for m in materials:
            if not isinstance(m, Material):
                raise InputError(f"materials: expected Material objects, got {type(m).__name__}")
            self._materials[m.name] = m
        for m in self._materials.values():  # names win over aliases
            for alias in m.aliases:
                self._index.setdefault(_norm(alias), m.name)
        for m in self._materials.values():
            self._index[_norm(m.name)] = m.name
        self.interfaces = MappingProxyType(dict(interfaces or {}))
        self.sources = tuple(sources)

    # Mapping protocol (keys are canonical names; lookup accepts aliases)
    def __getitem__(self, name: str) -> Material:
        return self.get(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._materials)

    def __len__(self) -> int:
        return len(self._materials)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _norm(name) in self._index

    def __repr__(self) -> str:
        return f"MaterialLibrary({len(self)} materials: {', '.join(self._materials)})"

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical material names."""
        return tuple(self._materials)

    def get(self, name: str, default: Any = _NO_DEFAULT) -> Material:  # type: ignore[override]
        """The material called ``name`` (canonical name or alias, case- and ``_``/``-``-insensitive).

        Raises
        ------
        MaterialError
            Unknown name (unless ``default`` is given, which is then returned):
            lists the available materials and the closest match.
        """
        if isinstance(name, Material):
            return name
        key = _norm(name) if isinstance(name, str) else None
        if key is not None and key in self._index:
            return self._materials[self._index[key]]
        if default is not _NO_DEFAULT:
            return default
        candidates = {**{_norm(n): n for n in self._materials}, **self._index}
        close = did_you_mean(key or "", list(candidates))
        hint = f"did you mean {self._index[close]!r}? " if close else ""
        raise MaterialError(
            f"unknown material {name!r}; {hint}available: {', '.join(self._materials)} "
            "(add your own with microcath.materials.load_library(path))"
        )

    def override(self, name: str, **props: Any) -> MaterialLibrary:
        """A new library in which material ``name`` has some values replaced.

        Keys are SI property names (``sigma_ionic=0.3`` [S/m],
        ``youngs_modulus=20e9`` [Pa]) or unit-suffixed keys as in the TOML
        file (``sigma_ionic_mS_cm=3.0``, ``youngs_modulus_GPa=20``), plus
        ``kind``. Values are numbers (status ``user``, source ``user
        override``) or full records ``{"value": ..., "source": ...}``.
        """
        mat = self.get(name)
        raw: dict[str, Any] = {}
        for key, val in props.items():
            if key == "kind":
                raw["kind"] = val
                continue
            if key in PROPERTIES and _split_key(key) is None:
                # SI key for a property stored with a unit suffix: convert to the SI suffix
                si_suffix = [s for s, f in PROPERTIES[key][1].items() if f == 1.0][0]
                key = f"{key}_{si_suffix}"
            if isinstance(val, PropertyValue):
                val = {"value": val.value, "source": val.source, "status": val.status, "note": val.note}
            raw[key] = val
        new = _parse_material(mat.name, raw, base=mat, default_source="user override", strict=False)
        mats = [new if m.name == mat.name else m for m in self._materials.values()]
        return MaterialLibrary(mats, interfaces=self.interfaces, sources=self.sources)

    def merge(self, data: Mapping[str, Any], *, source: str = "user data") -> MaterialLibrary:
        """A new library with the materials of a parsed TOML mapping added or patched."""
        mats = dict(self._materials)
        interfaces = dict(self.interfaces)
        for name, raw in data.items():
            if name == "_meta":
                continue
            if name == "_interfaces":
                interfaces.update(raw)
                continue
            base = None
            if isinstance(name, str) and _norm(name) in self._index:
                base = self._materials[self._index[_norm(name)]]
            mat = _parse_material(name, raw, base=base, default_source=source, strict=False)
            mats[mat.name] = mat
        return MaterialLibrary(mats.values(), interfaces=interfaces, sources=(*self.sources, source))

    def to_dict(self) -> dict[str, Any]:
        return {name: m.to_dict() for name, m in self._materials.items()}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise FileFormatError(f"{path}: not valid TOML ({exc})") from None


@functools.lru_cache(maxsize=1)
def default_library() -> MaterialLibrary:
    """The library shipped with microcath (read once, cached)."""
    ref = resources.files("microcath.data").joinpath("materials.toml")
    with resources.as_file(ref) as path:
        data = _read_toml(Path(path))
    mats = []
    for name, raw in data.items():
        if name.startswith("_"):
            continue
        mats.append(_parse_material(name, raw, base=None, default_source=None, strict=True))
    return MaterialLibrary(mats, interfaces=data.get("_interfaces", {}), sources=("microcath default",))


def library_for(ms: Any, materials: MaterialLibrary | None = None) -> MaterialLibrary:
    """``materials`` (default: :func:`default_library`) plus the materials a structure records.

    A generator that makes a material (the carbon-binder domain of
    :mod:`microcath.geometries.binder`, whose conductivities follow from its constituents)
    records it, sourced, in ``ms.provenance["materials"]``; the lookups of transport read it
    through this function, so the structure stays self-contained after save and load.
    """
    lib = default_library() if materials is None else materials
    derived = dict(getattr(ms, "provenance", {}) or {}).get("materials")
    if not derived:
        return lib
    missing = [n for n in derived if n not in lib]
    return lib.merge({n: derived[n] for n in missing}, source="recorded by the generator") if missing else lib


def load_library(path: str | os.PathLike | None = None, *, extend: bool = True) -> MaterialLibrary:
    """The default library extended/patched by a user TOML file.

    Parameters
    ----------
    path : path-like, optional
        TOML file in the format of the shipped library. A table for a known
        material (by name or alias) replaces only the properties it gives; a
        new name adds a material (``kind`` required). Values without a
        ``source`` get ``source = "user file <path>"`` and status ``user``.
        ``None`` returns the default library.
    extend : bool
        False: the file alone is the library (no shipped materials).

    Raises
    ------
    FileFormatError
        Not valid TOML.
    InputError
        NaN, infinite or negative conductivities/moduli/densities, a
        Poisson ratio outside (-1, 0.5], unknown property keys, a unit that
        contradicts its key, or a new material without ``kind``.
    """
    base = default_library() if extend else MaterialLibrary([])
    if path is None:
        return base
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: no such materials file {str(path)!r}")
    return base.merge(_read_toml(path), source=f"user file {path}")
