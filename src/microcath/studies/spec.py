"""The study file: a base recipe (or an imported structure), what varies, what to compute.

A study is a TOML file or the same content as a dict (:func:`load_study`)::

    name = "carbon content"
    recipe = "default"                 # a shipped recipe or a .toml path; or structure = "x.mcath"
    shape = [48, 48, 48]               # or 48; default: the recipe's
    seeds = 3                          # seeds 0, 1, 2 for every case (or a list: [4, 7])
    quantities = ["volume_fraction.NMC811", "utilisable_fraction", "sigma_ion_eff.x"]
    keep = []                          # also write each case's "structure" and "figures"

    [set]                              # the same for every case
    "carbon.form" = "fibres"

    [grid]                             # every combination of these
    "active.size.d50_um" = [3.0, 5.0]

    [zip]                              # varied together (lists of one length)
    "active.fraction" = [0.60, 0.70]
    "electrolyte.fraction" = [0.37, 0.27]

    [[cases]]                          # or an explicit list of cases
    "carbon.fraction" = 0.05

Parameters are recipe keys as ``--set`` writes them (dotted paths, see
:func:`microcath.geometries.recipes.parse_overrides`), plus :data:`EXTRA_PARAMETERS`:
``shape`` (an int or three), ``soc`` (state coordinate of the stress stage, ``x_Li``),
``stack_pressure_MPa`` and ``anisotropic_stiffness`` (true: rotated single-crystal stiffness per
grain in the stress stage). ``seed`` is varied with ``seeds``. ``[grid]``, ``[zip]`` and
``[[cases]]`` multiply; every case is repeated for every seed.

:func:`load_study` validates the whole study before anything runs: unknown keys are named
with the closest valid one, and every case is checked as the generator would check it
(fractions summing to 1, particle sizes against the voxel size, memory).
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import validation
from .._version import __version__
from ..errors import InputError
from . import quantities as _q

__all__ = ["Study", "Case", "load_study", "EXTRA_PARAMETERS", "STUDY_KEYS"]

#: keys of a study file
STUDY_KEYS = ("name", "title", "recipe", "structure", "voxel_size_um", "shape", "seeds", "quantities",
              "keep", "set", "grid", "zip", "cases")
#: parameters that are not recipe keys
EXTRA_PARAMETERS = ("shape", "soc", "stack_pressure_MPa", "anisotropic_stiffness")
KEEP = ("structure", "figures")
_MIN_SIDE = 8  # the generator's smallest box side


@dataclass(frozen=True)
class Case:
    """One pipeline run of a study.

    Attributes
    ----------
    id : str
        Stable identifier: a hash of the study's fixed part and this case's parameters.
    index : int
        Position in the study (the table's row order).
    params : dict
        The varied parameters of this case (study names), without the seed.
    seed : int
    overrides : dict
        Recipe overrides (fixed and varied recipe keys).
    shape : tuple of int or None
    soc : float or None
    stack_pressure_MPa : float
    anisotropic_stiffness : bool
    """

    id: str
    index: int
    params: dict
    seed: int
    overrides: dict
    shape: tuple[int, int, int] | None
    soc: float | None
    stack_pressure_MPa: float
    anisotropic_stiffness: bool = False


@dataclass(frozen=True)
class Study:
    """A validated study (see the module docstring); build it with :func:`load_study`."""

    name: str
    quantities: tuple[_q.Quantity, ...]
    recipe: Any = None  # geometries.recipes.Recipe, or None with a structure
    structure: str | None = None
    structure_sha256: str | None = None
    voxel_size_um: float | None = None
    fixed: dict = field(default_factory=dict)
    grid: dict = field(default_factory=dict)
    zipped: dict = field(default_factory=dict)
    cases_list: tuple[dict, ...] = ()
    seeds: tuple[int, ...] = (0,)
    keep: tuple[str, ...] = ()
    title: str = ""
    source: str | None = None

    @property
    def varied(self) -> list[str]:
        """Names of the varied parameters, in study order (``seed`` last when several seeds)."""
        names = list(self.grid) + [k for k in self.zipped if k not in self.grid]
        for c in self.cases_list:
            names += [k for k in c if k not in names]
        return names

    @property
    def plot_axes(self) -> list[tuple[str, list[str]]]:
        """``(parameter, companions)`` to plot against: zipped parameters move together, so they
        are one axis (the first one named) and do not split each other's series."""
        zipped = [k for k in self.zipped if k not in self.grid]
        out = []
        for k in self.varied:
            if k in zipped[1:]:
                continue
            out.append((k, zipped[1:] if zipped and k == zipped[0] else []))
        return out

    @property
    def stages(self) -> tuple[str, ...]:
        return _q.stages_for(self.quantities)

    def fingerprint(self) -> dict:
        """What every case shares: results computed under another fingerprint do not mix."""
        base = ({"structure_sha256": self.structure_sha256, "voxel_size_um": self.voxel_size_um}
                if self.structure else {"recipe": self.recipe.params})
        return {"base": base, "fixed": _plain(self.fixed), "quantities": [q.name for q in self.quantities],
                "microcath_version": __version__}

    def cases(self) -> list[Case]:
        """Every case, in study order: explicit cases x zipped rows x grid combinations x seeds."""
        grid_rows = [dict(zip(self.grid, combo, strict=True))
                     for combo in itertools.product(*self.grid.values())] if self.grid else [{}]
        n_zip = len(next(iter(self.zipped.values()))) if self.zipped else 0
        zip_rows = [{k: v[i] for k, v in self.zipped.items()} for i in range(n_zip)] or [{}]
        explicit = list(self.cases_list) or [{}]
        fp = json.dumps(self.fingerprint(), sort_keys=True, default=str)
        out = []
        for c in explicit:
            for z in zip_rows:
                for g in grid_rows:
                    params = {**c, **z, **g}
                    for seed in self.seeds:
                        allp = {**self.fixed, **params}
                        key = json.dumps({"fp": fp, "params": _plain(params), "seed": seed}, sort_keys=True)
                        cid = hashlib.sha256(key.encode()).hexdigest()[:16]
                        shape = allp.get("shape")
                        out.append(Case(
                            id=cid, index=len(out), params=params, seed=int(seed),
                            overrides={k: v for k, v in allp.items() if k not in EXTRA_PARAMETERS},
                            shape=_shape(shape) if shape is not None else None,
                            soc=None if allp.get("soc") is None else float(allp["soc"]),
                            stack_pressure_MPa=float(allp.get("stack_pressure_MPa", 0.0)),
                            anisotropic_stiffness=bool(allp.get("anisotropic_stiffness", False))))
        return out

    def to_dict(self) -> dict:
        """The study as a plain dict (what a study file holds, paths resolved)."""
        d: dict[str, Any] = {"name": self.name, "quantities": [q.name for q in self.quantities],
                             "seeds": list(self.seeds)}
        if self.title:
            d["title"] = self.title
        if self.structure:
            d["structure"] = self.structure
            if self.voxel_size_um is not None:
                d["voxel_size_um"] = self.voxel_size_um
        else:
            d["recipe"] = self.recipe.path or self.recipe.name
        if self.keep:
            d["keep"] = list(self.keep)
        for key, value in (("set", self.fixed), ("grid", self.grid), ("zip", self.zipped)):
            if value:
                d[key] = _plain(value)
        if self.cases_list:
            d["cases"] = _plain(list(self.cases_list))
        return d


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _shape(value: Any, where: str = "shape") -> tuple[int, int, int]:
    if isinstance(value, bool):
        raise InputError(f"{where}: expected a voxel count or three, got {value!r}")
    if isinstance(value, int):
        value = [value] * 3
    try:
        shp = tuple(int(v) for v in value)
        ok = len(shp) == 3 and all(float(v) == int(v) for v in value)
    except (TypeError, ValueError):
        ok = False
    if not ok or min(shp) < _MIN_SIDE:
        raise InputError(f"{where}: expected a voxel count >= {_MIN_SIDE} or three of them "
                         f"(e.g. 48 or [48, 48, 64]), got {value!r}")
    return shp  # type: ignore[return-value]


def _closest(word: str, choices) -> str:
    hit = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {hit[0]!r}?)" if hit else ""


def _recipe_keys(params: Mapping[str, Any], prefix: str = "") -> list[str]:
    from ..geometries.recipes import _FREE_TABLES

    out = []
    for k, v in params.items():
        path = f"{prefix}{k}"
        out.append(path)
        if isinstance(v, Mapping) and k not in _FREE_TABLES:
            out += _recipe_keys(v, f"{path}.")
    return out


def _check_param_name(key: str, recipe, where: str) -> None:
    if key == "seed":
        raise InputError(f"{where}: 'seed' is varied with the study's `seeds` (a count or a list), "
                         "not as a parameter")
    if key in EXTRA_PARAMETERS:
        return
    if recipe is None:
        raise InputError(f"{where}: {key!r} is a recipe key, but this study imports a structure; only "
                         f"{', '.join(EXTRA_PARAMETERS[1:])} can vary")
    from ..geometries.recipes import _FREE_TABLES, SCHEMA

    valid = _recipe_keys(recipe.params)
    flat = [k.replace(".", "_", 1) for k in valid if k.count(".") == 1]
    if key in valid or key in flat:
        return
    parts = key.split(".")
    for i in range(1, len(parts)):  # inside a free table (size = {distribution, d50_um, ...})
        if ".".join(parts[:i]) in valid and parts[i - 1] in _FREE_TABLES:
            return
    choices = valid + list(EXTRA_PARAMETERS) + flat
    raise InputError(f"{where}: unknown parameter {key!r}{_closest(key, choices)}; parameters are recipe "
                     f"keys (sections: {', '.join(k for k, v in SCHEMA.items() if isinstance(v, dict))}) "
                     f"or {', '.join(EXTRA_PARAMETERS)}")


def _check_extra(key: str, value: Any, where: str) -> None:
    if key == "shape":
        _shape(value, where)
    elif key == "soc":
        v = validation.number(value, where)
        if not 0.0 <= v <= 1.0:
            raise InputError(f"{where}: the state coordinate (x_Li, or the sulfur conversion) lies in "
                             f"[0, 1], got {value!r}")
    elif key == "stack_pressure_MPa":
        validation.nonnegative(value, where, "MPa")
    elif key == "anisotropic_stiffness":
        if not isinstance(value, bool):
            raise InputError(f"{where}: expected true or false, got {value!r}")


def _table(data: Mapping, key: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise InputError(f"{key}: expected a table of parameter = value, got {value!r}")
    return dict(value)


def _seeds(value: Any) -> tuple[int, ...]:
    if isinstance(value, bool):
        raise InputError(f"seeds: expected a count (e.g. 3) or a list of seeds, got {value!r}")
    if isinstance(value, int):
        if value < 1:
            raise InputError(f"seeds: expected at least 1 repetition, got {value}")
        return tuple(range(value))
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in value):
        if len(set(value)) != len(value):
            raise InputError(f"seeds: the list repeats a seed: {list(value)}")
        return tuple(int(s) for s in value)
    raise InputError(f"seeds: expected a count (e.g. 3) or a list of seeds >= 0, got {value!r}")


def load_study(study: str | os.PathLike | Mapping | Study) -> Study:
    """Read and validate a study (TOML path, dict, or :class:`Study`).

    Raises
    ------
    InputError
        Naming every problem found: unknown keys (with the closest valid name), values a case
        cannot have, cases the generator would refuse.
    """
    if isinstance(study, Study):
        return study
    base_dir = Path.cwd()
    source = None
    if isinstance(study, (str, os.PathLike)):
        from ..geometries.recipes import read_toml

        p = Path(study)
        data = read_toml(p, "study", hint=" (a study is a .toml file or a dict)")
        base_dir, source = p.resolve().parent, str(p.resolve())
    elif isinstance(study, Mapping):
        data = copy.deepcopy(dict(study))
    else:
        raise InputError(f"study: expected a TOML path or a dict, got {type(study).__name__}")
    return _build(data, base_dir, source)


def _build(data: dict, base_dir: Path, source: str | None) -> Study:
    from ..geometries import load_recipe

    unknown = [k for k in data if k not in STUDY_KEYS]
    if unknown:
        named = ", ".join(f"{k!r}{_closest(k, STUDY_KEYS)}" for k in unknown)
        raise InputError(f"study: unknown key(s) {named}; allowed: {', '.join(STUDY_KEYS)}")
    if "quantities" not in data or not data["quantities"]:
        raise InputError("quantities: name what to compute, e.g. quantities = [\"sigma_ion_eff.x\", "
                         "\"utilisable_fraction\"]")
    if isinstance(data["quantities"], str) or not isinstance(data["quantities"], list):
        raise InputError(f"quantities: expected a list of names, got {data['quantities']!r}")
    if "recipe" in data and "structure" in data:
        raise InputError("study: give either recipe (to generate) or structure (to import), not both")
    recipe = structure = sha = None
    vs_um = None
    if "structure" in data:
        sp = Path(data["structure"])
        sp = sp if sp.is_absolute() else base_dir / sp
        if not sp.is_file():
            raise FileNotFoundError(f"structure: no such file {str(sp)!r}")
        structure, sha = str(sp), hashlib.sha256(sp.read_bytes()).hexdigest()
        if "voxel_size_um" in data:
            vs_um = validation.positive(data["voxel_size_um"], "voxel_size_um", "µm")
    else:
        name = str(data.get("recipe", "default"))
        rp = Path(name)
        if rp.suffix.lower() == ".toml" and not rp.is_absolute():
            name = str(base_dir / rp)
        recipe = load_recipe(name)
        if "voxel_size_um" in data:
            raise InputError("voxel_size_um: for a recipe, set it under [set] or vary it in [grid] "
                             "(top-level voxel_size_um is for an imported structure)")
    if data.get("shape") is not None:
        data.setdefault("set", {})
        if "shape" in data["set"]:
            raise InputError("shape: given both at the top level and under [set]")
        data["set"] = {**_table(data, "set"), "shape": data["shape"]}
    fixed, grid, zipped = _table(data, "set"), _table(data, "grid"), _table(data, "zip")
    cases_list = data.get("cases", [])
    if not isinstance(cases_list, list) or not all(isinstance(c, Mapping) for c in cases_list):
        raise InputError("cases: expected an array of tables ([[cases]] with parameter = value lines)")
    cases_list = [dict(c) for c in cases_list]
    errors: list[str] = []

    def check(key: str, value: Any, where: str) -> None:
        try:
            _check_param_name(key, recipe, where)
            if key in EXTRA_PARAMETERS:
                _check_extra(key, value, where)
        except (InputError, ValueError) as exc:
            errors.append(str(exc))

    for k, v in fixed.items():
        check(k, v, f"set.{k}")
    for k, v in grid.items():
        if not isinstance(v, list) or not v:
            errors.append(f"grid.{k}: expected a non-empty list of values, got {v!r}")
            continue
        if len({json.dumps(x, sort_keys=True) for x in v}) != len(v):
            errors.append(f"grid.{k}: the list repeats a value: {v}")
        for i, x in enumerate(v):
            check(k, x, f"grid.{k}[{i}]")
    lengths = {k: len(v) for k, v in zipped.items() if isinstance(v, list)}
    for k, v in zipped.items():
        if not isinstance(v, list) or not v:
            errors.append(f"zip.{k}: expected a non-empty list of values, got {v!r}")
            continue
        for i, x in enumerate(v):
            check(k, x, f"zip.{k}[{i}]")
    if len(set(lengths.values())) > 1:
        errors.append(f"zip: the lists must have one length, got {lengths}")
    for i, c in enumerate(cases_list):
        for k, v in c.items():
            check(k, v, f"cases[{i}].{k}")
    seen: dict[str, str] = {}
    for section, keys in (("set", fixed), ("grid", grid), ("zip", zipped)):
        for k in keys:
            if k in seen:
                errors.append(f"{section}.{k}: also given in [{seen[k]}]; a parameter is fixed, in the grid, "
                              "or zipped, not two of these")
            seen[k] = section
    for i, c in enumerate(cases_list):
        for k in c:
            if seen.get(k) in ("set", "grid", "zip"):
                errors.append(f"cases[{i}].{k}: also given in [{seen[k]}]")
    try:
        seeds = _seeds(data.get("seeds", 1))
        if structure is not None and len(seeds) > 1:
            raise InputError("seeds: an imported structure has no seed to vary; give seeds = 1")
    except InputError as exc:
        errors.append(str(exc))
        seeds = (0,)
    keep = data.get("keep", [])
    if isinstance(keep, str) or not isinstance(keep, list) or any(k not in KEEP for k in keep):
        errors.append(f"keep: expected a list of {', '.join(map(repr, KEEP))}, got {keep!r}")
        keep = []
    if errors:
        raise InputError("study: " + "; ".join(errors))

    phases = _phase_names(recipe, structure, vs_um, fixed, grid, zipped, cases_list)
    quants = []
    for name in data["quantities"]:
        try:
            quants.append(_q.resolve(name, phases=phases))
        except InputError as exc:
            errors.append(str(exc))
    if len({q.name for q in quants}) != len(quants):
        errors.append(f"quantities: a name is repeated: {data['quantities']}")
    if errors:
        raise InputError("study: " + "; ".join(errors))
    default_name = Path(source).stem if source else (recipe.name if recipe else Path(structure).stem)
    st = Study(name=str(data.get("name") or default_name), quantities=tuple(quants), recipe=recipe,
               structure=structure, structure_sha256=sha, voxel_size_um=vs_um, fixed=fixed, grid=grid,
               zipped=zipped, cases_list=tuple(cases_list), seeds=seeds, keep=tuple(keep),
               title=str(data.get("title", "")), source=source)
    _check_cases(st)
    return st


def _phase_names(recipe, structure, vs_um, *tables) -> list[str]:
    if structure is not None:
        from .. import io as mio

        ms = mio.load(structure, voxel_size=None if vs_um is None else vs_um * 1e-6)
        return [ph.name for ph in ms.phases.values()]
    names = {"pore"}
    mats = [recipe.params[r]["material"] for r in ("active", "electrolyte", "carbon")]
    mats += [c["material"] for c in recipe.params["coatings"]]
    for t in tables:
        rows = t if isinstance(t, list) else [t]
        for row in rows:
            for k, v in row.items():
                if k.endswith(".material") or k.endswith("_material"):
                    mats += v if isinstance(v, list) else [v]
    from ..materials import default_library

    lib = default_library()
    for m in mats:
        if m:
            try:
                names.add(lib.get(m).name)
            except KeyError:
                names.add(str(m))
    return sorted(names)


def _check_cases(st: Study) -> None:
    """Every case as the generator would check it (no drawing): all problems in one message."""
    if st.structure is not None:
        return
    from ..geometries import check_recipe

    errors = []
    seen: dict[str, str] = {}
    for c in st.cases():
        key = json.dumps([_plain(c.overrides), c.shape], sort_keys=True)
        if key in seen:
            continue
        try:
            check_recipe(st.recipe, shape=c.shape, overrides=c.overrides)
            seen[key] = ""
        except (InputError, ValueError, KeyError) as exc:
            msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            seen[key] = msg
            errors.append(f"case {c.index} ({_describe(c)}): {msg}")
    if errors:
        raise InputError(f"study: {len(errors)} case(s) cannot run: " + "; ".join(errors))


def _describe(c: Case) -> str:
    return ", ".join(f"{k}={v}" for k, v in c.params.items()) or "the base recipe"


def n_voxels(st: Study, c: Case) -> int:
    """Voxels of a case's structure."""
    if c.shape is not None:
        return math.prod(c.shape)
    if st.structure is not None:
        from .. import io as mio

        return int(mio.load(st.structure, voxel_size=None if st.voxel_size_um is None
                            else st.voxel_size_um * 1e-6).n_voxels)
    return math.prod(int(s) for s in st.recipe.with_overrides(c.overrides).params["shape"])
