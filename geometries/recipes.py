"""Recipes: named TOML descriptions of a composite, read into a validated :class:`Recipe`.

Lengths in recipes carry their unit (``_um``); composition is by ``weight``
(converted to volume with the materials' densities) or by ``volume``.
``--set`` overrides are dotted paths (``active.fraction=0.75``); a flat
``carbon_fraction`` is read as ``carbon.fraction``.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from microcath.errors import FileFormatError, InputError, did_you_mean

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Recipe", "list_recipes", "load_recipe", "recipe_path", "DEFAULT_RECIPE", "parse_value",
           "parse_overrides", "read_toml"]

DEFAULT_RECIPE = "nmc811_lpscl_c65"

_SIZE = {"distribution": "monodisperse"}
SCHEMA: dict[str, Any] = {
    "name": "", "title": "", "description": "", "source": "",
    "shape": [96, 96, 96], "voxel_size_um": 0.25, "boundary": "walls", "basis": "weight",
    "porosity": 0.0, "densities_g_cm3": {},
    "active": {"material": None, "fraction": None, "size": dict(_SIZE, d_um=5.0), "aspect_ratio": 1.0,
               "orientation": "random", "overlap_tolerance": 0.01,
               "grains": {"mode": "single_crystal", "size_um": 1.0, "texture": "random",
                          "spread_deg": 0.0}},
    "electrolyte": {"material": None, "fraction": None, "mode": "matrix", "size": dict(_SIZE, d_um=1.5),
                    "pore_size_um": 0.5},
    "carbon": {"material": None, "fraction": 0.0, "form": "agglomerates", "size": dict(_SIZE, d_um=0.5),
               "diameter_um": 0.3, "length": dict(_SIZE, d_um=5.0), "orientation": "isotropic",
               "spread_deg": 0.0, "attach": 0.0},
    "binder": {"material": None, "fraction": 0.0, "placement": "film", "on": "active", "coverage": None,
               "thickness_um": None, "patch_size_um": 2.0, "cbd_porosity": 0.5},
    "coatings": [],
}
_COATING = {"material": None, "thickness_um": None, "phase": None}
_FREE_TABLES = {"densities_g_cm3", "size", "length"}  # contents checked elsewhere


def _merge(defaults: Any, given: Any, where: str) -> Any:
    if isinstance(defaults, dict) and where.rsplit(".", 1)[-1] not in _FREE_TABLES:
        if not isinstance(given, dict):
            raise InputError(f"{where or 'recipe'}: expected a table, got {given!r}")
        unknown = sorted(set(given) - set(defaults))
        if unknown:
            close = {u: did_you_mean(u, defaults) for u in unknown}
            hint = "".join(f"did you mean {c!r} for {u!r}? " for u, c in close.items() if c)
            raise InputError(
                f"{where or 'recipe'}: unknown key(s) {unknown}; {hint}allowed: {sorted(defaults)}"
            )
        out = {}
        for k, v in defaults.items():
            sub = f"{where}.{k}" if where else k
            out[k] = _merge(v, given[k], sub) if k in given else copy.deepcopy(v)
        return out
    if where == "coatings":
        if not isinstance(given, list):
            raise InputError(f"coatings: expected a list of tables, got {given!r}")
        return [_merge(_COATING, c, f"coatings[{i}]") for i, c in enumerate(given)]
    return copy.deepcopy(given)


@dataclass(frozen=True)
class Recipe:
    """A validated recipe: ``params`` is the full parameter tree (defaults filled in)."""

    name: str
    params: dict = field(repr=False)
    path: str | None = None

    @classmethod
    def from_dict(cls, data: dict, *, name: str | None = None, path: str | None = None) -> Recipe:
        params = _merge(SCHEMA, data, "")
        nm = name or params.get("name") or "custom"
        params["name"] = nm
        for role in ("active", "electrolyte"):
            if not params[role]["material"]:
                raise InputError(f"{role}.material: the recipe must name the {role} material")
        return cls(nm, params, path)

    def with_overrides(self, overrides: dict[str, Any] | None) -> Recipe:
        """A new recipe with dotted-path values replaced (validated again)."""
        if not overrides:
            return self
        data = copy.deepcopy(self.params)
        for key, value in overrides.items():
            parts = str(key).split(".")
            if len(parts) == 1 and parts[0] not in SCHEMA and "_" in parts[0]:
                head, tail = parts[0].split("_", 1)
                if head in SCHEMA and isinstance(SCHEMA[head], dict):
                    parts = [head, tail]
            node = data
            for p in parts[:-1]:
                if not isinstance(node, dict) or p not in node:
                    sections = sorted(k for k, v in SCHEMA.items() if isinstance(v, dict))
                    raise InputError(f"--set {key}: {p!r} is not a section of the recipe "
                                     f"(sections: {sections})")
                node = node[p]
            if not isinstance(node, dict):
                raise InputError(f"--set {key}: cannot set inside a non-table value")
            node[parts[-1]] = value
        return Recipe.from_dict(data, name=self.name, path=self.path)


def parse_value(text: str) -> Any:
    """A ``--set`` value: a TOML value if it parses as one, else the plain string."""
    try:
        return tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip()


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """The ``--set KEY=VALUE`` grammar (``microcath generate`` and ``microcath run``).

    ``("active.fraction=0.75", "carbon.form=fibres")`` -> ``{"active.fraction": 0.75,
    "carbon.form": "fibres"}``: keys are dotted recipe paths (see :meth:`Recipe.with_overrides`),
    values TOML (numbers, booleans, quoted strings, arrays, inline tables) or else plain text.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"--set: expected KEY=VALUE (e.g. --set carbon_fraction=0.05), got {item!r}")
        out[key] = parse_value(value)
    return out


def _recipe_dir():
    return resources.files("microcath.geometries").joinpath("recipes")


def list_recipes() -> dict[str, str]:
    """``{name: title}`` of the shipped recipes (plus ``default``)."""
    out = {}
    for entry in sorted(_recipe_dir().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            out[entry.name[:-5]] = str(data.get("title", ""))
    return out


def recipe_path(name: str):
    return _recipe_dir().joinpath(f"{name}.toml")


def read_toml(path: str | Path, what: str, *, hint: str = "") -> dict:
    """A TOML file as a dict; a missing file or bad TOML is refused naming ``what`` (``"recipe"``)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{what}: no such file {str(p)!r}{hint}")
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise FileFormatError(f"{what} {p}: not valid TOML ({exc})") from None


def load_recipe(name_or_path: str | Path | Recipe) -> Recipe:
    """A shipped recipe by name (``"default"`` = NMC811/Li6PS5Cl/carbon) or a TOML file."""
    if isinstance(name_or_path, Recipe):
        return name_or_path
    text = str(name_or_path)
    if text == "default":
        text = DEFAULT_RECIPE
    p = Path(text)
    if p.suffix.lower() == ".toml" or p.exists():
        data = read_toml(p, "recipe")
        return Recipe.from_dict(data, name=data.get("name") or p.stem, path=str(p))
    entry = recipe_path(text)
    if not entry.is_file():
        names = ", ".join(["default", *list_recipes()])
        raise InputError(f"recipe: unknown recipe {text!r}; shipped recipes: {names} (or give a .toml path)")
    data = tomllib.loads(entry.read_text(encoding="utf-8"))
    return Recipe.from_dict(data, name=text, path=None)
