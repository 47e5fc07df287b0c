"""Effective parameters for a continuum cell model, from microcath's results.

A continuum (P2D / DFN) model of a composite cathode needs a handful of
effective numbers that the microstructure decides: the volume fractions, the
effective ionic and electronic conductivities (or the bulk values with a
tortuosity factor or Bruggeman exponent), the active/electrolyte interface area
per volume, and how much of the active material takes part at all. This module
reads them from the results of ``microcath run`` (``results.json``) or of a
study row, and writes them

* as microcath's own JSON (``effective_parameters``): SI values with units and
  their definitions, and
* as a PyBaMM-style parameter dictionary (``pybamm_parameters``) whose keys are
  PyBaMM's parameter names for the positive electrode.

The PyBaMM mapping for a solid electrolyte (PyBaMM's electrolyte equations, with
the solid electrolyte as "the electrolyte"):

* ``Positive electrode porosity`` is the volume fraction of the ion-conducting
  phase(s) ``eps``;
* ``Electrolyte conductivity [S.m-1]`` is the bulk conductivity of the solid
  electrolyte ``sigma_0``, and ``Positive electrode Bruggeman coefficient
  (electrolyte)`` is ``b = ln(sigma_eff / sigma_0) / ln(eps)``, so that PyBaMM's
  transport efficiency ``eps^b`` gives back microcath's ``sigma_ion_eff`` exactly;
* ``Positive electrode conductivity [S.m-1]`` is microcath's ``sigma_e_eff``
  with ``Positive electrode Bruggeman coefficient (electrode)`` = 0 (PyBaMM then
  uses it as it is: several phases carry electrons, so no single bulk value and
  exponent describe it);
* ``Positive electrode active material volume fraction`` is the *utilisable*
  active fraction (active volume fraction x utilisable fraction): isolated
  particles take no part in the reaction;
* ``Positive particle radius [m]`` is ``3 eps_AM / a`` with ``a`` the measured
  active/electrolyte interface area per volume, so that PyBaMM's ``a = 3 eps_AM
  / R`` reproduces the contact area (the geometric particle radius is given
  beside it in the JSON).

After a stress stage, the same quantities after contact loss are given as a
second set (``after_opening``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = ["effective_parameters", "pybamm_parameters", "load_results", "write_parameters",
           "is_sweep_folder", "study_parameters"]


def load_results(source: str | os.PathLike | Mapping) -> dict:
    """The ``results`` table of a run: a results folder, a ``results.json`` or the dict itself."""
    if isinstance(source, Mapping):
        d = dict(source)
    else:
        p = Path(source)
        if p.is_dir():
            p = p / "results.json"
        if not p.is_file():
            raise InputError(f"{p}: no results.json there; give a folder written by `microcath run` "
                             "or its results.json")
        try:
            d = json.loads(p.read_text())
        except (OSError, ValueError) as e:
            raise InputError(f"{p}: not a readable results.json ({e})") from e
    res = d.get("results", d)
    if "structure" not in res or "analysis" not in res:
        raise InputError("results: the run has no structure or analysis results (did those stages run?); "
                         "the effective parameters need at least the generate and analyse stages")
    return res


def _v(x: Any) -> Any:
    return x.get("value") if isinstance(x, Mapping) and "value" in x else x


def _kinds(res: Mapping) -> dict[str, list[tuple[str, float]]]:
    out: dict[str, list[tuple[str, float]]] = {}
    for ph in res["structure"]["phases"]:
        out.setdefault(ph["kind"], []).append((ph["name"], float(ph["volume_fraction"])))
    return out


def _pair_area(spec: Mapping[str, float], a: set[str], b: set[str]) -> float:
    total = 0.0
    for key, val in spec.items():
        p, q = key.split("|")
        if (p in a and q in b) or (p in b and q in a):
            total += float(val)
    return total


def _bruggeman(sig_eff: float | None, sig0: float | None, eps: float) -> float | None:
    if not sig_eff or not sig0 or not 0 < eps < 1 or sig_eff <= 0:
        return None
    return math.log(sig_eff / sig0) / math.log(eps)


def effective_parameters(results: str | os.PathLike | Mapping) -> dict[str, Any]:
    """Effective parameters of one structure (SI units, each with its definition)."""
    res = load_results(results)
    kinds = _kinds(res)
    active = {n for n, _ in kinds.get("active", [])}
    se = {n for n, _ in kinds.get("electrolyte", [])}
    eps_am = sum(f for _, f in kinds.get("active", []))
    eps_se = sum(f for _, f in kinds.get("electrolyte", []))
    morph = res["analysis"]["morphology"]
    a_am_se = _pair_area(morph["specific_interface_area"], active, se)
    a_am = sum(float(morph["specific_surface_area"][n]) for n in active) if active else 0.0
    util = float(_v(res.get("utilisable_active_fraction", res["analysis"].get("utilisable_fraction"))))
    cond = res.get("conductivity", {})
    out: dict[str, Any] = {
        "volume_fractions": {k: v for k, v in _v(res["volume_fractions"]).items()},
        "active_volume_fraction": eps_am,
        "electrolyte_volume_fraction": eps_se,
        "utilisable_active_fraction": util,
        "active_electrolyte_area_per_volume_m-1": a_am_se,
        "active_surface_area_per_volume_m-1": a_am,
        "active_electrolyte_contact_fraction": res["analysis"].get("contact_fraction"),
        "triphase_fraction": res["analysis"].get("mean_triphase_fraction"),
        "particle_d50_m": (res["analysis"].get("size_distribution") or {}).get("d50"),
        "units": "SI (m, S/m); fractions of the whole volume unless named otherwise",
    }
    ionic, elec = cond.get("ionic"), cond.get("electronic")
    if ionic:
        s_eff = float(_v(ionic["sigma_eff"]))
        s0 = max((float(v) for n, v in _v(ionic["phase_sigma"]).items() if n in se), default=None)
        out["ionic"] = {
            "axis": ionic["axis"], "sigma_eff_S_m": s_eff, "sigma_bulk_S_m": s0,
            "tortuosity_factor": _v(ionic.get("tau")), "bruggeman_exponent": _bruggeman(s_eff, s0, eps_se),
            "converged": bool(ionic["converged"]),
            "definition": "tau = eps sigma_bulk / sigma_eff (TauFactor); sigma_eff = sigma_bulk eps^b",
        }
    if elec:
        out["electronic"] = {"axis": elec["axis"], "sigma_eff_S_m": float(_v(elec["sigma_eff"])),
                             "converged": bool(elec["converged"])}
    mech = res.get("mechanics")
    if mech and mech.get("contact"):
        after = mech["contact"]["after"]
        out["after_opening"] = {
            "state": mech.get("state"), "stack_pressure_MPa": mech.get("stack_pressure_MPa"),
            "utilisable_active_fraction": after.get("utilisable_fraction"),
            "sigma_ion_eff_S_m": _mS(after.get("sigma_ion_eff_mS_cm")),
            "sigma_e_eff_S_m": _mS(after.get("sigma_e_eff_mS_cm")),
            "opened_active_electrolyte_fraction":
                (mech.get("interfaces", {}).get("active/electrolyte") or {}).get("opened_fraction"),
        }
    for key in ("ionic", "electronic"):
        if key in out and not out[key]["converged"]:
            raise InputError(f"results: the {key} conductivity did not converge; a non-converged value "
                             "is not exported (rerun the solve with more iterations)")
    return out


def _mS(x: float | None) -> float | None:
    return None if x is None else float(x) * 0.1


def pybamm_parameters(results: str | os.PathLike | Mapping, *,
                      after_opening: bool = False) -> dict[str, float]:
    """PyBaMM-style positive-electrode parameters (see the module docstring for the mapping).

    ``after_opening=True`` gives the set after contact loss (needs a stress stage).
    """
    return _pybamm_of(effective_parameters(results), after_opening=after_opening)


def _pybamm_of(p: Mapping[str, Any], *, after_opening: bool) -> dict[str, float]:
    """The PyBaMM set of an :func:`effective_parameters` dict."""
    if "ionic" not in p or "electronic" not in p:
        raise InputError("results: the PyBaMM set needs the ionic and the electronic conductivity")
    util = p["utilisable_active_fraction"]
    s_ion, s_e = p["ionic"]["sigma_eff_S_m"], p["electronic"]["sigma_eff_S_m"]
    if after_opening:
        if "after_opening" not in p:
            raise InputError("results: no stress stage in this run, so there is no after-opening set")
        a = p["after_opening"]
        util, s_ion, s_e = a["utilisable_active_fraction"], a["sigma_ion_eff_S_m"], a["sigma_e_eff_S_m"]
    eps = p["electrolyte_volume_fraction"]
    s0 = p["ionic"]["sigma_bulk_S_m"]
    b = _bruggeman(s_ion, s0, eps)
    if b is None:
        raise InputError("results: sigma_ion_eff is zero or the electrolyte fraction is 0 or 1, so no "
                         "Bruggeman exponent reproduces it; no PyBaMM set can describe this structure")
    a_se = p["active_electrolyte_area_per_volume_m-1"]
    out = {
        "Positive electrode porosity": eps,
        "Positive electrode active material volume fraction": p["active_volume_fraction"] * util,
        "Electrolyte conductivity [S.m-1]": s0,
        "Positive electrode Bruggeman coefficient (electrolyte)": b,
        "Positive electrode conductivity [S.m-1]": s_e,
        "Positive electrode Bruggeman coefficient (electrode)": 0.0,
    }
    if a_se > 0:
        out["Positive particle radius [m]"] = 3.0 * p["active_volume_fraction"] / a_se
    return out


def is_sweep_folder(source: Any) -> bool:
    """True for a folder written by ``microcath sweep`` (or a study built on it)."""
    from .studies.store import MANIFEST

    return not isinstance(source, Mapping) and Path(source).is_dir() and (Path(source) / MANIFEST).is_file()


def _pybamm_sets(p: Mapping[str, Any]) -> dict[str, Any]:
    """PyBaMM set(s) of one effective-parameter dict: one, or before and after opening."""
    sets = {"before_opening": _pybamm_of(p, after_opening=False)}
    if "after_opening" in p:
        sets["after_opening"] = _pybamm_of(p, after_opening=True)
    return sets if len(sets) > 1 else sets["before_opening"]


def study_parameters(folder: str | os.PathLike, *, fmt: str = "json") -> list[dict[str, Any]]:
    """The effective parameters (or PyBaMM sets) of every finished case of a sweep folder, in
    study order: ``[{case, params, seed, effective_parameters | pybamm_parameters}, ...]``.
    Each case computed them from its full results when it ran; cases of a study run by a
    microcath that did not (before 2026-12-01) carry none and are named in the error."""
    from .studies.store import CASES_DIR, MANIFEST

    root = Path(folder)
    try:
        manifest = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError) as e:
        raise InputError(f"{root}: unreadable sweep manifest ({e})") from e
    rows, missing, failed = [], [], []
    for cid in manifest.get("cases", []):
        path = root / CASES_DIR / f"{cid}.json"
        if not path.is_file():
            missing.append(cid)
            continue
        try:
            rec = json.loads(path.read_text())
        except (OSError, ValueError):
            missing.append(cid)
            continue
        if rec.get("status") != "done":
            failed.append(cid)
            continue
        eff = rec.get("effective_parameters")
        if eff is None:
            why = rec.get("effective_parameters_error", "the case was run by a microcath that did not record "
                                                        "them; run the study again in a new folder")
            raise InputError(f"case {cid}: no effective parameters ({why})")
        row: dict[str, Any] = {"case": cid, "params": rec.get("params", {}), "seed": rec.get("seed")}
        if fmt == "json":
            row["effective_parameters"] = eff
        elif fmt == "pybamm":
            row["pybamm_parameters"] = _pybamm_sets(eff)
        else:
            raise InputError(f"format: expected 'json' or 'pybamm', got {fmt!r}")
        rows.append(row)
    if not rows:
        raise InputError(f"{root}: no finished case yet ({len(missing)} missing, {len(failed)} failed); "
                         "run or resume the study first")
    return rows


def write_parameters(results: str | os.PathLike | Mapping, path: str | os.PathLike, *,
                     fmt: str = "json") -> Path:
    """Write the effective parameters (``fmt='json'``) or the PyBaMM set (``'pybamm'``) atomically;
    for a sweep folder, one entry per finished case (:func:`study_parameters`)."""
    from .io.atomic import atomic_path

    if is_sweep_folder(results):
        path = Path(path)
        rows = study_parameters(results, fmt=fmt)
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(rows, indent=2) + "\n")
        return path
    res = load_results(results)  # read once
    if fmt == "json":
        data: dict[str, Any] = effective_parameters(res)
    elif fmt == "pybamm":
        data = pybamm_parameters(res)
        if res.get("mechanics", {}).get("contact"):
            data = {"before_opening": data, "after_opening": pybamm_parameters(res, after_opening=True)}
    else:
        raise InputError(f"format: expected 'json' or 'pybamm', got {fmt!r}")
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n")
    return path
