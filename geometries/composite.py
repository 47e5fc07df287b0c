"""``generate``: a recipe -> a composite-cathode :class:`~microcath.Microstructure`.

Stages (each timed in the report): volume targets from the composition;
active particles drawn from their size distribution and densely packed
(:mod:`.packing`); rasterised to labels + particle ids (:mod:`.rasterize`);
grains (:mod:`.grains`); voxel-resolved coatings (:mod:`.coatings`); carbon
(:mod:`.carbon`); electrolyte and residual porosity (:mod:`.electrolyte`).
Sulfur-type composites with ``carbon.form = "host"`` pack carbon host
particles and coat them with the active material (:mod:`.sulfur`).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from microcath import units
from microcath._version import __version__
from microcath.errors import InputError, MaterialError
from microcath.memory import available_memory, check_memory
from microcath.microstructure import Coating, Microstructure
from microcath.phases import Phase, PhaseKind
from microcath.results import ResultMixin, jsonable

from . import binder as _binder
from . import carbon as _carbon
from . import coatings as _coatings
from . import electrolyte as _electrolyte
from . import grains as _grains
from . import sulfur as _sulfur
from ._checks import as_rng, fraction, nonnegative, positive
from .distributions import draw_to_volume, from_spec
from .packing import pack
from .rasterize import equivalent_radii, rasterize_particles
from .recipes import Recipe, load_recipe

#: planned peak memory of :func:`generate` per voxel [B] (measured ~100 at 160^3)
GENERATE_BYTES_PER_VOXEL = 110.0

log = logging.getLogger(__name__)

__all__ = ["generate", "check_recipe", "Generated", "GenerationReport", "TOLERANCE"]

TOLERANCE = 0.01  # absolute volume-fraction tolerance on every target
COVERAGE_TOLERANCE = 0.05  # absolute tolerance on a binder film's surface coverage
LABEL_PORE, LABEL_ACTIVE, LABEL_SE, LABEL_CARBON = 0, 1, 2, 3


@dataclass(frozen=True)
class GenerationReport(ResultMixin):
    """What was asked for and what was made.

    Every target is met within ``tolerance`` (:func:`generate` raises otherwise, naming the
    value reached), so the report records *how close*, not *whether*. It is stored in the
    structure's provenance (``provenance["report"]``), survives save and load, and is read
    back with :meth:`from_provenance`.

    Attributes
    ----------
    fractions : dict
        ``{phase: {"target": f, "achieved": f}}`` volume fractions [-].
    sizes : dict
        Size statistics [µm]: target and achieved d50 of the active particles.
    counts : dict
        Numbers of particles, grains and other objects.
    packing : dict
        Packing algorithm, packed fraction, max overlap and tolerance, sweeps.
    timings : dict
        Wall time per stage [s].
    binder : dict
        The binder: placement, material, content (target and reached, vol and wt %), film
        coverage (target and reached), thickness [µm], whether a film was drawn or recorded.
    notes : tuple of str
    tolerance : float
        Absolute tolerance on the volume fractions [-].
    """

    fractions: dict
    sizes: dict
    counts: dict
    packing: dict
    timings: dict
    notes: tuple[str, ...] = ()
    tolerance: float = TOLERANCE
    binder: dict = field(default_factory=dict)

    @classmethod
    def from_provenance(cls, ms: Microstructure) -> GenerationReport:
        """The report a generated structure records in its provenance (also after save/load)."""
        d = ms.provenance.get("report")
        if not isinstance(d, dict):
            raise InputError("ms: the structure records no generation report in its provenance "
                             "(it was not made by microcath.geometries.generate)")
        return cls(fractions=dict(d["fractions"]), sizes=dict(d["sizes"]), counts=dict(d["counts"]),
                   packing=dict(d["packing"]), timings=dict(d["timings"]), notes=tuple(d["notes"]),
                   tolerance=float(d["tolerance"]), binder=dict(d.get("binder") or {}))

    def table(self) -> str:
        """A plain-text table of targets vs achieved values."""
        lines = [f"{'quantity':<34}{'target':>12}{'achieved':>12}"]
        for name, v in self.fractions.items():
            t = "-" if v["target"] is None else f"{v['target']:.4f}"
            lines.append(f"{'vol. fraction ' + name:<34}{t:>12}{v['achieved']:>12.4f}")
        for name, v in self.sizes.items():
            t = "-" if v.get("target") is None else f"{v['target']:.3g}"
            lines.append(f"{name:<34}{t:>12}{v['achieved']:>12.3g}")
        for name, v in self.counts.items():
            lines.append(f"{name:<34}{'':>12}{v:>12}")
        p = self.packing
        if p:
            lines.append(f"{'packing max overlap (rel.)':<34}{p['tol']:>12.3g}{p['max_overlap']:>12.3g}")
        for name, v in self.binder.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                lines.append(f"{'binder ' + name:<34}{'':>12}{v:>12.4g}")
        for name, t in self.timings.items():
            lines.append(f"{'time ' + name + ' [s]':<34}{'':>12}{t:>12.2f}")
        return "\n".join(lines + [f"note: {n}" for n in self.notes])


@dataclass(frozen=True)
class Generated:
    """What ``generate(..., return_report=True)`` returns: the structure and its report.

    A plain holder (it is not a Microstructure): ``structure`` is what to save, analyse
    or solve; ``report`` the targets next to what was achieved.
    """

    structure: Microstructure
    report: GenerationReport


def _material(lib, name: str, role: str, kinds: tuple[PhaseKind, ...]):
    try:
        mat = lib.get(name)
    except MaterialError as exc:
        raise InputError(f"{role}.material: {exc}") from None
    if mat.kind not in kinds:
        raise InputError(
            f"{role}.material: {mat.name} is a {mat.kind.value} material, expected "
            f"{' or '.join(k.value for k in kinds)}"
        )
    return mat


def _density(mat, densities: dict, role: str) -> float:
    for key, v in densities.items():
        if key.lower() == mat.name.lower() or key.lower() == role:
            return units.g_cm3(positive(f"densities_g_cm3.{key}", v, "g/cm3"))
    try:
        return float(mat.density)
    except MaterialError:
        raise InputError(
            f"{role}.material: the library has no density for {mat.name}, needed to convert weight to "
            f"volume fractions; give it as densities_g_cm3.{mat.name} = ... or use basis = \"volume\""
        ) from None


def _targets(p: dict, mats: dict, notes: list[str]) -> dict[str, float]:
    """Volume fractions of the whole box: active, electrolyte, carbon, binder, pore.

    With a carbon-binder domain (``binder.placement = "cbd"``) the key ``"cbd"`` holds the
    domain's volume, its internal pores included, and ``"carbon"``/``"binder"`` the solid
    volumes inside it. A binder added to solids that already sum to 1 (``--set
    binder.fraction=...`` on a recipe without binder) scales the others by ``1 - binder``.
    """
    basis = p["basis"]
    if basis not in ("weight", "volume"):
        raise InputError(f"basis: expected 'weight' or 'volume', got {basis!r}")
    por = fraction("porosity", p["porosity"])
    roles = ["active", "electrolyte"] + (["carbon"] if mats.get("carbon") is not None else [])
    roles += ["binder"] if mats.get("binder") is not None else []
    w = {}
    for r in roles:
        v = p[r]["fraction"]
        if v is None:
            raise InputError(f"{r}.fraction: the recipe must give the {r} fraction ({basis} basis)")
        w[r] = fraction(f"{r}.fraction", v, allow_one=True)
    if mats.get("carbon") is None and float(p["carbon"]["fraction"] or 0) > 0:
        raise InputError("carbon.fraction: a carbon fraction is given but no carbon.material")
    total = sum(w.values())
    if "binder" in w and abs(total - 1.0) > 1e-3 and abs(total - w["binder"] - 1.0) <= 1e-3:
        b = w["binder"]
        for r in roles[:-1]:
            w[r] *= 1.0 - b
        total = sum(w.values())
        notes.append(f"binder {b:g} ({basis} basis) added to solids that summed to 1: the other solid "
                     f"fractions were scaled by {1 - b:g}")
    if abs(total - 1.0) > 1e-3:
        raise InputError(
            f"fraction: the {basis} fractions of the solids must sum to 1, they sum to {total:.4f} "
            f"({', '.join(f'{k}={v}' for k, v in w.items())}); porosity is given separately"
        )
    if basis == "weight":
        vol = {r: w[r] / _density(mats[r], p["densities_g_cm3"], r) for r in roles}
    else:
        vol = dict(w)
    space = dict(vol)  # the room each role takes in the box
    cbd = "binder" in vol and p["binder"]["placement"] == "cbd"
    if cbd:
        if "carbon" not in vol:
            raise InputError("binder.placement: a carbon-binder domain ('cbd') needs a carbon.material")
        p_cbd = fraction("binder.cbd_porosity", p["binder"]["cbd_porosity"])
        space["carbon"] = (vol["carbon"] + vol["binder"]) / (1.0 - p_cbd)
        del space["binder"]
    s = sum(space.values())
    out = {r: (1.0 - por) * space[r] / s for r in space}
    if cbd:
        out["cbd"] = out.pop("carbon")
        out["carbon"] = (1.0 - por) * vol["carbon"] / s
        out["binder"] = (1.0 - por) * vol["binder"] / s
    out.setdefault("carbon", 0.0)
    out.setdefault("binder", 0.0)
    out["pore"] = por
    return out


def _place_binder(labels: np.ndarray, region: np.ndarray, n_bind: int, b_p: dict, placement: str,
                  to_vox: float, periodic, rng, label: int):
    """Binder voxels into ``labels`` (free = 255) by placement; a sub-voxel film's face masks."""
    if placement == "necks":
        labels.ravel()[_binder.neck_voxels(labels == 255, n_bind, periodic=periodic)] = label
        return None, {}
    cov, thk = b_p["coverage"], b_p["thickness_um"]
    if cov is not None and thk is not None:
        raise InputError("binder.coverage, binder.thickness_um: give one of them; the binder content "
                         "fixes the other")
    if cov is None and thk is None:
        cov = 1.0
    if cov is not None:
        cov = fraction("binder.coverage", cov, allow_one=True)
        if cov <= 0:
            raise InputError("binder.coverage: expected a coverage in (0, 1], got 0")
    thick = positive("binder.thickness_um", thk, "µm") * to_vox if thk is not None else None
    patch = positive("binder.patch_size_um", b_p["patch_size_um"], "µm") * to_vox
    plan = _binder.plan_film(region, n_bind, coverage=cov, thickness=thick, patch_size=patch,
                             periodic=periodic, rng=rng)
    info = {"coverage_target": plan.coverage if cov is None else cov, "coverage_planned": plan.coverage,
            "thickness_um": plan.thickness / to_vox, "drawn": plan.drawn,
            "n_patches": int(plan.chosen.size - 1)}
    if plan.drawn:
        got = _binder.draw_film(plan, region, labels == 255, n_bind, info["coverage_target"],
                                periodic=periodic)
        if got is not None:
            idx, plan, _ = got
            info.update(coverage_planned=plan.coverage, thickness_um=plan.thickness / to_vox)
            labels.ravel()[idx] = label
            return None, info
        # drawn, its edges leave too much uncovered at this coverage: record it face by face
        info.update(drawn=False, note="a film of about one voxel that cannot be drawn at its coverage")
    return _binder.film_faces(plan, region), info


def _film_region(on: str, particles: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Region ids of the surfaces a film coats: active particles, the electrolyte (one region)
    or both."""
    if on == "active":
        return particles
    se = labels == LABEL_SE
    return se.astype(np.int32) if on == "electrolyte" else np.where(se, int(particles.max()) + 1, particles)


def _binder_report(labels, particles, phases, target, info, film_masks, *, placement, b_p, mat, label,
                   vs, nvox, fr_target, notes, basis):
    """The binder's entry of the report (content and coverage reached) and its Film record."""
    from microcath.microstructure import Film

    out = {"material": mat.name, "placement": placement, "content_target_vol": target["binder"],
           "content_target": float(b_p["fraction"]), "basis": basis, **info}
    film = None
    if placement == "cbd":
        cbd = LABEL_CARBON
        share = target["binder"] / (target["carbon"] + target["binder"])
        p_cbd = float(b_p["cbd_porosity"])
        out["cbd_porosity"] = p_cbd
        out["content_reached_vol"] = float(np.count_nonzero(labels == cbd)) / nvox * (1 - p_cbd) * share
        notes.append(f"carbon-binder domain {phases[cbd].name}: internal porosity {p_cbd:.2f} (empty), "
                     f"binder {share:.3f} of its solid volume")
        fr_target[phases[cbd].name] = target["cbd"]
    elif film_masks is None:
        phases[label] = Phase(mat.name, PhaseKind.BINDER, mat.name)
        fr_target[mat.name] = target["binder"]
        covered = labels == label
        out["content_reached_vol"] = float(np.count_nonzero(covered)) / nvox
        out["active_coverage"] = _binder.covered_fraction(particles, covered)
        if placement == "film":
            region = _film_region(str(b_p["on"]), particles, labels)
            out["coverage_reached"] = _binder.covered_fraction(region, covered)
    else:
        on = str(b_p["on"])
        names = {"active": (phases[LABEL_ACTIVE].name,), "electrolyte": (phases[LABEL_SE].name,),
                 "both": (phases[LABEL_ACTIVE].name, phases[LABEL_SE].name)}[on]
        region = _film_region(on, particles, labels)
        surf = _binder.surface_faces(region)
        n_surf = sum(int(f.sum()) for f in surf)
        reached = sum(int((f & m).sum()) for f, m in zip(surf, film_masks, strict=True)) / max(n_surf, 1)
        t = info["thickness_um"] * 1e-6
        film = Film.from_masks(film_masks, material=mat.name, thickness=t, on=names, coverage=reached)
        out["coverage_reached"] = reached
        out["active_coverage"] = reached if on == "active" else None
        # the film volume: thickness times the covered (staircase-corrected) area of the plan
        out["content_reached_vol"] = target["binder"] * reached / info["coverage_planned"]
        fr_target["pore"] = fr_target["pore"] + target["binder"]
        why = "about one voxel, not drawable at its coverage" if t >= vs else "thinner than a voxel"
        notes.append(f"binder film of {units.to_nm(t):.3g} nm is {why} ({units.to_nm(vs):.3g} "
                     f"nm): recorded face by face (coverage {reached:.3f}), not drawn; its volume is "
                     "added to the pores (insulating, like the binder)")
    return out, film


def _check_binder(info: dict) -> None:
    """The binder policy: content within TOLERANCE, film coverage within COVERAGE_TOLERANCE."""
    if not info:
        return
    if abs(info["content_reached_vol"] - info["content_target_vol"]) > TOLERANCE:
        raise InputError(
            f"binder.fraction: binder content {info['content_reached_vol']:.4f} (vol) missed the target "
            f"{info['content_target_vol']:.4f} by more than {TOLERANCE}; use a larger shape")
    miss = abs(info.get("coverage_reached", 0.0) - info.get("coverage_target", 0.0))
    if "coverage_reached" in info and miss > COVERAGE_TOLERANCE:
        raise InputError(
            f"binder.coverage: the film covers {info['coverage_reached']:.3f} of the surface, the target is "
            f"{info['coverage_target']:.3f} (tolerance {COVERAGE_TOLERANCE}); use smaller patches "
            "(binder.patch_size_um), a thicker film (more binder) or a larger shape")


def _phase_for(mat, name: str | None = None, kind: PhaseKind | None = None) -> Phase:
    return Phase(name or mat.name, kind or mat.kind, mat.name)


@dataclass(frozen=True)
class _Plan:
    """What a recipe resolves to before anything is drawn (see :func:`_plan`)."""

    shape: tuple[int, int, int]
    voxel_size: float
    walls: bool
    periodic: tuple[bool, bool, bool]
    to_vox: float
    mats: dict
    coat_specs: list
    target: dict
    host_mode: bool
    core_role: str
    size: Any
    grain_size: float | None  # polycrystalline grain size [voxels]
    notes: list  # what resolving the targets changed (e.g. solids scaled for a binder)


def _plan(p: dict, *, shape, voxel_size, materials) -> _Plan:
    """Check a recipe's parameters and resolve grid, materials and targets (no drawing, no memory)."""
    if materials is None:
        from microcath.materials import default_library

        materials = default_library()
    # ---------------------------------------------------------------- grid
    shp = shape if shape is not None else p["shape"]
    try:
        shp = tuple(int(s) for s in shp)
    except (TypeError, ValueError):
        raise InputError(f"shape: expected three voxel counts, got {shp!r}") from None
    if len(shp) != 3 or min(shp) < 8:
        raise InputError(f"shape: expected three voxel counts >= 8, got {shp}")
    # peak ~100 B/voxel measured at 160^3 (labels, particle and grain ids, distance transforms)
    check_memory(shp, GENERATE_BYTES_PER_VOXEL, "generation", parameter="shape",
                 available=available_memory(device=False),
                 fix="use a smaller shape or a larger voxel size")
    if voxel_size is None:
        vs = units.um(positive("voxel_size_um", p["voxel_size_um"], "µm"))
    else:
        from microcath import validation

        edges = validation.spacing(voxel_size)
        if len(set(edges)) != 1:
            raise InputError(
                f"voxel_size: the generators place spheres and grains on cubic voxels, got "
                f"{units.spacing_text(edges)}; generate with one edge (e.g. voxel_size={min(edges):.3g}) "
                "and bin it with microcath.io.binning(ms, (fx, fy, fz)) for anisotropic voxels"
            )
        vs = positive("voxel_size", edges[0], "m")
    if p["boundary"] not in ("walls", "periodic"):
        raise InputError(f"boundary: expected 'walls' or 'periodic', got {p['boundary']!r}")
    walls = p["boundary"] == "walls"
    periodic = (not walls, True, True)
    to_vox = units.um(1.0) / vs  # µm -> voxels

    # ---------------------------------------------------------------- materials and targets
    a_p, e_p, c_p = p["active"], p["electrolyte"], p["carbon"]
    mats = {"active": _material(materials, a_p["material"], "active", (PhaseKind.ACTIVE,)),
            "electrolyte": _material(materials, e_p["material"], "electrolyte", (PhaseKind.ELECTROLYTE,))}
    mats["carbon"] = (_material(materials, c_p["material"], "carbon", (PhaseKind.CARBON,))
                      if c_p["material"] else None)
    coat_specs = []
    for i, c in enumerate(p["coatings"]):
        if not c["material"]:
            raise InputError(f"coatings[{i}].material: name the coating material")
        if c["thickness_um"] is None:
            raise InputError(f"coatings[{i}].thickness_um: give the coating thickness [µm]")
        t = positive(f"coatings[{i}].thickness_um", c["thickness_um"], "µm")
        m = _material(materials, c["material"], f"coatings[{i}]",
                      (PhaseKind.COATING, PhaseKind.ELECTROLYTE, PhaseKind.CARBON, PhaseKind.ACTIVE))
        coat_specs.append((m, t, c["phase"]))
    b_p = p["binder"]
    mats["binder"] = (_material(materials, b_p["material"], "binder", (PhaseKind.BINDER,))
                      if b_p["material"] else None)
    if mats["binder"] is None and float(b_p["fraction"] or 0) > 0:
        raise InputError("binder.fraction: a binder fraction is given but no binder.material "
                         "(e.g. --set binder.material=PVDF)")
    if mats["binder"] is not None and not float(b_p["fraction"] or 0) > 0:
        mats["binder"] = None  # a binder material at zero content: no binder
    notes: list[str] = []
    target = _targets(p, mats, notes)
    host_mode = c_p["form"] == "host"
    if host_mode and mats["carbon"] is None:
        raise InputError("carbon.form = 'host' needs a carbon.material")

    core_role = "carbon" if host_mode else "active"
    core = c_p if host_mode else a_p
    size = from_spec(core["size"], name=f"{core_role}.size").scaled(1.0 / vs)  # now in voxels
    if size.d_min <= 0 or size.d50 < 2.0:
        raise InputError(
            f"{core_role}.size: particles of d50 {size.d50 / to_vox:.3g} µm are {size.d50:.2g} voxels "
            "across; they need >= 2 voxels: use a smaller voxel size or larger particles"
        )
    phi_core = target[core_role]
    if phi_core <= 0:
        raise InputError(f"{core_role}.fraction: must be > 0 to place particles")
    g = a_p["grains"]
    if g["mode"] not in ("single_crystal", "polycrystalline", "none"):
        raise InputError("active.grains.mode: expected 'single_crystal', 'polycrystalline' or 'none', "
                         f"got {g['mode']!r}")
    gsize = None
    if g["mode"] == "polycrystalline":
        gsize = positive("active.grains.size_um", g["size_um"], "µm") * to_vox
        if gsize < 2:
            raise InputError(
                f"active.grains.size_um: grains of {g['size_um']} µm are {gsize:.2g} voxels; they "
                "need >= 2 voxels (use a smaller voxel size or larger grains)")
    return _Plan(shp, vs, walls, periodic, to_vox, mats, coat_specs, target, host_mode, core_role, size,
                 gsize, notes)


def check_recipe(recipe: str | Recipe | dict = "default", *, shape: tuple[int, int, int] | None = None,
                 overrides: dict[str, Any] | None = None, materials: Any = None) -> Recipe:
    """Validate a recipe with its overrides as :func:`generate` would, without drawing anything.

    Checks keys, materials, fractions (they must sum to 1), sizes against the voxel size and the
    memory generation needs; raises the same :class:`~microcath.errors.InputError` as
    :func:`generate`. Returns the resolved :class:`Recipe`. A packing that jams can still fail later.
    """
    rec = Recipe.from_dict(recipe) if isinstance(recipe, dict) else load_recipe(recipe)
    rec = rec.with_overrides(overrides)
    _plan(rec.params, shape=shape, voxel_size=None, materials=materials)
    return rec


def generate(recipe: str | Recipe | dict = "default", *, shape: tuple[int, int, int] | None = None,
             voxel_size: float | None = None, seed: int | None = None, rng: Any = None,
             overrides: dict[str, Any] | None = None, progress: bool = True,
             materials: Any = None, return_report: bool = False) -> Microstructure | Generated:
    """Generate a composite-cathode microstructure from a recipe.

    Parameters
    ----------
    recipe : str, Recipe or dict
        A shipped recipe name (``"default"`` = NMC811/Li6PS5Cl/carbon), a
        path to a TOML file, a :class:`Recipe` or a recipe table.
    shape : (nx, ny, nz), optional
        Voxels per axis (default: the recipe's).
    voxel_size : float, optional
        Voxel edge [m] (default: the recipe's ``voxel_size_um``).
    seed, rng : int or numpy.random.Generator, optional
        Source of randomness (give one; ``seed`` is recorded in provenance).
    overrides : dict, optional
        Dotted recipe paths -> values, e.g. ``{"active.fraction": 0.75}``.
    progress : bool
        Progress bars / log lines on long stages.
    materials : MaterialLibrary, optional
        Defaults to :func:`microcath.materials.default_library`.
    return_report : bool
        Also return the :class:`GenerationReport` (as :class:`Generated`).

    Returns
    -------
    Microstructure or Generated
        The structure; its provenance records recipe, seed, version and the report
        (:meth:`GenerationReport.from_provenance`). With ``return_report``:
        ``Generated(structure, report)``.

    Raises
    ------
    InputError
        Unknown materials, fractions that do not sum to 1, negative sizes,
        a solid fraction the size distribution cannot pack to (with the
        achievable maximum), targets missed by more than the tolerance.
    """
    t_all = time.perf_counter()
    timings: dict[str, float] = {}
    if isinstance(recipe, dict):
        rec = Recipe.from_dict(recipe)
    else:
        rec = load_recipe(recipe)
    rec = rec.with_overrides(overrides)
    p = rec.params
    if rng is None and seed is None:
        seed = 0
    gen = as_rng(rng, seed)
    # one independent stream per stage: changing the grains (single- vs polycrystalline) or the
    # carbon leaves every other stage's draws, and so the rest of the structure, unchanged
    rng_pack, rng_grains, rng_carbon, rng_se, rng_binder = gen.spawn(5)
    if materials is None:
        from microcath.materials import default_library

        materials = default_library()

    pl = _plan(p, shape=shape, voxel_size=voxel_size, materials=materials)
    shp, vs, walls, periodic, to_vox = pl.shape, pl.voxel_size, pl.walls, pl.periodic, pl.to_vox
    mats, coat_specs, target, host_mode = pl.mats, pl.coat_specs, pl.target, pl.host_mode
    a_p, e_p, c_p = p["active"], p["electrolyte"], p["carbon"]
    b_p = p["binder"]
    core_role, size, phi_core = pl.core_role, pl.size, pl.target[pl.core_role]
    nvox = math.prod(shp)
    notes: list[str] = list(pl.notes)

    # ---------------------------------------------------------------- packing
    t0 = time.perf_counter()
    box = tuple(float(s) for s in shp)
    d = draw_to_volume(size, phi_core * nvox, rng_pack)
    aspect = positive("active.aspect_ratio", a_p["aspect_ratio"]) if not host_mode else 1.0
    tol = fraction("active.overlap_tolerance", a_p["overlap_tolerance"])
    packing = pack(0.5 * d, box, walls=walls, aspect_ratio=aspect, orientation=str(a_p["orientation"]),
                   tol=tol, rng=rng_pack, progress=progress)
    timings["packing"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    pid = rasterize_particles(packing, shp, progress=progress)
    timings["rasterise"] = time.perf_counter() - t0
    labels = np.full(shp, 255, np.uint8)  # 255 = not yet assigned
    phases: dict[int, Phase] = {LABEL_PORE: Phase("pore", PhaseKind.PORE, None),
                                LABEL_ACTIVE: _phase_for(mats["active"]),
                                LABEL_SE: _phase_for(mats["electrolyte"])}
    if mats["carbon"] is not None:
        phases[LABEL_CARBON] = _phase_for(mats["carbon"])
    derived: dict[str, dict] = {}  # materials made here (a carbon-binder domain), kept in provenance
    if mats["binder"] is not None and p["binder"]["placement"] == "cbd":
        cbd_name = f"CBD_{mats['carbon'].name}_{mats['binder'].name}"
        derived[cbd_name] = _binder.cbd_material(
            cbd_name, mats["carbon"], mats["binder"], carbon_volume=target["carbon"],
            binder_volume=target["binder"], porosity=float(p["binder"]["cbd_porosity"]))
        phases[LABEL_CARBON] = Phase(cbd_name, PhaseKind.CARBON, cbd_name)
    coatings_rec: list[Coating] = []
    counts: dict[str, int] = {}

    if host_mode:
        # ------------------------------------------------------------ sulfur-type: active on carbon
        t0 = time.perf_counter()
        host = pid > 0
        labels[host] = LABEL_CARBON
        n_act = int(round(target["active"] * nvox))
        act_flat, owner = _sulfur.coat_hosts(pid, n_act, periodic=periodic)
        labels.ravel()[act_flat] = LABEL_ACTIVE
        particles = np.zeros(nvox, np.int32)
        particles[act_flat] = owner
        particles = particles.reshape(shp)
        counts["carbon host particles"] = packing.n
        timings["active shells"] = time.perf_counter() - t0
    else:
        labels[pid > 0] = LABEL_ACTIVE
        particles = pid
    counts["active particles"] = int(np.unique(particles[particles > 0]).size)

    # ---------------------------------------------------------------- grains
    grains = orientations = None
    g = a_p["grains"]
    mode = g["mode"]
    if mode != "none":
        t0 = time.perf_counter()
        gsize = pl.grain_size
        grains, orientations = _grains.tessellate_grains(
            particles, packing.centres if not host_mode else _sulfur.owner_centres(packing),
            grain_size=gsize, texture=str(g["texture"]),
            spread_deg=nonnegative("active.grains.spread_deg", g["spread_deg"]), periodic=periodic,
            rng=rng_grains)
        counts["grains"] = int(orientations.shape[0])
        timings["grains"] = time.perf_counter() - t0

    # ---------------------------------------------------------------- coatings
    t0 = time.perf_counter()
    drawn = [(m, t, ph) for m, t, ph in coat_specs if t * to_vox >= 1.0]
    for m, t, _ph in coat_specs:
        if t * to_vox < 1.0:
            coatings_rec.append(Coating(on=mats["active"].name, material=m.name, thickness=units.um(t)))
            notes.append(f"{m.name} coating of {units.to_nm(units.um(t)):.3g} nm is thinner than a voxel "
                         f"({units.to_nm(vs):.3g} nm): recorded on the structure, not drawn")
    coat_target: dict[str, float] = {}
    if drawn:
        free = labels == 255
        masks = _coatings.shell_masks(labels == LABEL_ACTIVE, [t * to_vox for _m, t, _p in drawn],
                                      allowed=free, periodic=periodic)
        for k, ((m, t, ph), mask) in enumerate(zip(drawn, masks, strict=True)):
            lab = 4 + k
            name = ph or (m.name if m.kind is PhaseKind.COATING else f"{m.name}_shell")
            phases[lab] = Phase(name, m.kind, m.name)
            labels[mask] = lab
            coat_target[name] = float(np.count_nonzero(mask)) / nvox
            notes.append(f"{name}: {t:.3g} µm shell drawn ({t * to_vox:.3g} voxels); its volume is taken "
                         "from the electrolyte")
    timings["coatings"] = time.perf_counter() - t0

    # ---------------------------------------------------------------- binder (films on the active
    # material and necks go in before the carbon and the electrolyte)
    b_mat = mats["binder"]
    placement = str(b_p["placement"])
    if b_mat is not None and placement not in _binder.PLACEMENTS:
        raise InputError(f"binder.placement: expected one of {_binder.PLACEMENTS}, got {placement!r}")
    b_on = str(b_p["on"])
    if b_mat is not None and placement == "film" and b_on not in _binder.FILM_ON:
        raise InputError(f"binder.on: expected one of {_binder.FILM_ON}, got {b_on!r}")
    if b_mat is not None and placement == "film" and b_on != "active" and e_p["mode"] != "particles":
        raise InputError(f"binder.on: a film on {b_on!r} needs electrolyte particles (an electrolyte "
                         "matrix has no particle surfaces); use electrolyte.mode = \"particles\" or "
                         "binder.on = \"active\"")
    label_binder = 4 + len(drawn)
    n_bind = int(round(target["binder"] * nvox))
    binder_voxels = b_mat is not None and placement in ("film", "necks")
    # necks form between the active particles, films on them, before the electrolyte is placed
    # (it then cannot reach where the binder lies); films on electrolyte particles come after them
    early = binder_voxels and (placement == "necks" or b_on == "active")
    film_masks = None
    binder_info: dict[str, Any] = {}
    if early:
        t0 = time.perf_counter()
        film_masks, binder_info = _place_binder(labels, particles, n_bind, b_p, placement, to_vox,
                                                periodic, rng_binder, label_binder)
        timings["binder"] = time.perf_counter() - t0

    # ---------------------------------------------------------------- carbon
    if mats["carbon"] is not None and not host_mode and target["carbon"] > 0:
        t0 = time.perf_counter()
        free = labels == 255
        n_c = int(round(target["carbon"] * nvox))
        if b_mat is not None and placement == "cbd":
            n_c = int(round(target["cbd"] * nvox))
        form = c_p["form"]
        attach = fraction("carbon.attach", c_p["attach"], allow_one=True)
        kw: dict[str, Any] = {}
        if form == "agglomerates":
            kw["size"] = from_spec(c_p["size"], name="carbon.size").scaled(1.0 / vs)
        elif form == "fibres":
            kw["diameter"] = positive("carbon.diameter_um", c_p["diameter_um"], "µm") * to_vox
            if kw["diameter"] < 1.0:
                raise InputError(
                    f"carbon.diameter_um: fibres of {c_p['diameter_um']} µm are thinner than a voxel "
                    f"({units.to_um(vs):.3g} µm); use a smaller voxel size")
            kw["length"] = from_spec(c_p["length"], name="carbon.length").scaled(1.0 / vs)
        else:
            raise InputError(f"carbon.form: expected 'agglomerates', 'fibres' or 'host', got {form!r}")
        shell = sum(t for _m, t, _p in drawn) * to_vox
        idx = _carbon.place_carbon(free, n_c, form=form, orientation=str(c_p["orientation"]),
                                   spread_deg=nonnegative("carbon.spread_deg", c_p["spread_deg"]),
                                   attach=attach, packing=packing, shell=shell, periodic=periodic,
                                   rng=rng_carbon, **kw)
        labels.ravel()[idx] = LABEL_CARBON
        timings["carbon"] = time.perf_counter() - t0

    # ---------------------------------------------------------------- electrolyte and pores
    t0 = time.perf_counter()
    free = labels == 255
    n_free = int(np.count_nonzero(free))
    n_pore = int(round(target["pore"] * nvox))
    if early and film_masks is not None:
        n_pore += n_bind  # the volume of a film too thin to draw: insulating voxels, as pores
    if n_pore > n_free:
        raise InputError(
            f"porosity: {target['pore']:.3f} asked for but only {n_free / nvox:.3f} of the volume is left "
            "after active material, coatings and carbon; lower the porosity or the solid fractions")
    if e_p["mode"] == "matrix":
        labels[free] = LABEL_SE
        pore_d = positive("electrolyte.pore_size_um", e_p["pore_size_um"], "µm") * to_vox
        idx = _electrolyte.carve_pores(labels == LABEL_SE, n_pore, pore_d, periodic=periodic, rng=rng_se)
        labels.ravel()[idx] = LABEL_PORE
    elif e_p["mode"] == "particles":
        se_size = from_spec(e_p["size"], name="electrolyte.size").scaled(1.0 / vs)
        late = binder_voxels and not early
        n_late = n_bind if late else 0
        if n_pore + n_late > n_free:
            raise InputError(f"binder.fraction: binder and pores need {(n_pore + n_late) / nvox:.3f} of the "
                             f"volume, only {n_free / nvox:.3f} is left; lower the binder or the porosity")
        idx = _electrolyte.electrolyte_particles(free, n_free - n_pore - n_late, se_size,
                                                  periodic=periodic, rng=rng_se)
        labels.ravel()[idx] = LABEL_SE
        if late:
            t1 = time.perf_counter()
            film_masks, binder_info = _place_binder(labels, _film_region(b_on, particles, labels), n_bind,
                                                    b_p, placement, to_vox, periodic, rng_binder,
                                                    label_binder)
            timings["binder"] = time.perf_counter() - t1
        labels[labels == 255] = LABEL_PORE
    else:
        raise InputError(f"electrolyte.mode: expected 'matrix' or 'particles', got {e_p['mode']!r}")
    timings["electrolyte"] = time.perf_counter() - t0

    # ---------------------------------------------------------------- report
    counts_all = np.bincount(labels.ravel(), minlength=256)
    fr_target = {mats["active"].name: target["active"],
                 mats["electrolyte"].name: target["electrolyte"] - sum(coat_target.values()),
                 "pore": target["pore"]}
    if mats["carbon"] is not None:
        fr_target[mats["carbon"].name] = target["carbon"]
    film = None
    if b_mat is not None:
        binder_info, film = _binder_report(labels, particles, phases, target, binder_info, film_masks,
                                           placement=placement, b_p=b_p, mat=b_mat, label=label_binder,
                                           vs=vs, nvox=nvox, fr_target=fr_target,
                                           notes=notes, basis=p["basis"])
    fractions = {}
    for lab, ph in phases.items():
        fractions[ph.name] = {"target": fr_target.get(ph.name, coat_target.get(ph.name)),
                              "achieved": float(counts_all[lab]) / nvox}
    if coat_target:
        notes.append(f"electrolyte target = {target['electrolyte']:.4f} minus the drawn shells")
    r_eq = equivalent_radii(pid, packing.n)
    sizes = {f"{core_role} d50 (drawn) [µm]": {"target": size.d50 / to_vox,
                                               "achieved": float(np.median(d)) / to_vox},
             f"{core_role} d50 (voxels, eq. sphere) [µm]": {"target": size.d50 / to_vox,
                                                             "achieved": float(np.median(2 * r_eq)) / to_vox}}
    pack_info = {"algorithm": packing.algorithm, "fraction": packing.fraction,
                 "max_overlap": packing.max_overlap, "tol": packing.tol, "n_iter": packing.n_iter,
                 "walls": packing.walls}
    timings["total"] = time.perf_counter() - t_all
    report = GenerationReport(fractions=fractions, sizes=sizes, counts=counts, packing=pack_info,
                              timings=timings, notes=tuple(notes), binder=binder_info)
    for name, v in fractions.items():
        if v["target"] is not None and abs(v["achieved"] - v["target"]) > TOLERANCE:
            raise InputError(
                f"{name}: volume fraction {v['achieved']:.4f} missed the target {v['target']:.4f} by more "
                f"than {TOLERANCE}; the box is too small for these particle sizes (use a larger shape "
                "or smaller particles)")
    _check_binder(binder_info)
    provenance = {"generator": "microcath.geometries.generate", "recipe": rec.name,
                  "recipe_path": rec.path, "parameters": jsonable(p), "seed": seed,
                  "shape": list(shp), "voxel_size_m": vs, "microcath_version": __version__,
                  "report": report.to_dict()}
    if derived:
        provenance["materials"] = derived
    ms = Microstructure(labels=labels, voxel_size=vs, phases=phases, grains=grains,
                        orientations=orientations, particles=particles,
                        coatings=tuple(coatings_rec), film=film, provenance=provenance)
    return Generated(ms, report) if return_report else ms
