"""Polymeric binder of sheet-type cathodes: films, necks, and a carbon-binder domain.

Three placements, each given the binder content (a volume of binder, in voxels):

``film``
    The binder lines the surfaces of chosen solids (active particles, electrolyte
    particles or both) on a fraction ``coverage`` of them. The surface is split into
    patches (a Voronoi tessellation of random seed voxels on the surface, one seed per
    ``patch_size**2`` surface voxels); patches are taken in random order until the
    covered share of the surface faces reaches the coverage. The film thickness follows
    from the content: ``t = V / (coverage * A)`` with ``A`` the staircase-corrected
    surface area. A film of ``t >= 1`` voxel is drawn: the binder takes the free voxels
    of the chosen patches nearest to the surface (Euclidean distance transform), exactly
    as many as the content. A thinner film is not drawn: its covered faces are recorded
    (:class:`microcath.Film`) and transport turns them into an interfacial resistance
    ``t / sigma`` or, for an insulating binder, into blocked faces.
``necks``
    The pendular-bridge picture of a drying slurry: the wetting binder solution is held
    by capillarity where the gap between particles is narrowest, so the binder fills
    the free voxels of smallest *local thickness* first (the diameter of the largest
    ball inside the free space that contains the voxel, by successive openings with
    balls of growing radius), closest to the solid first within a class.
``cbd``
    The carbon and the binder form one nanoporous carbon-binder domain (CBD), placed
    like carbon (agglomerates or fibres) with a volume ``(V_carbon + V_binder) /
    (1 - porosity)``; its effective conductivities are Bruggeman's for the carbon and
    the binder inside it (:func:`cbd_material`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from microcath.errors import InputError, MaterialError

from .coatings import distance_from

__all__ = ["PLACEMENTS", "FILM_ON", "BRUGGEMAN", "FilmPlan", "surface_faces", "covered_fraction",
           "plan_film", "film_voxels", "draw_film", "film_faces", "neck_voxels", "cbd_material"]

PLACEMENTS = ("film", "necks", "cbd")
FILM_ON = ("active", "electrolyte", "both")
#: coverage resolution the drawn-film correction aims at [-]
COVERAGE_STEP = 0.05
#: Bruggeman exponent of the carbon-binder domain's effective conductivity, sigma * phi**1.5
BRUGGEMAN = 1.5


def _face_slices(ax: int, shape: Sequence[int]):
    n = shape[ax]
    a = [slice(None)] * 3
    b = [slice(None)] * 3
    a[ax], b[ax] = slice(0, n - 1), slice(1, n)
    return tuple(a), tuple(b)


def surface_faces(region: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Faces on the surface of the regions ``region > 0`` (ids; 0 outside).

    ``faces[a][i, j, k]`` is the face between voxel ``(i, j, k)`` and the next one along
    axis ``a`` (the ``cut_faces`` convention of :func:`microcath.transport.conductivity`):
    True where the two sides carry different ids and at least one is a region. Faces on
    the box boundary are not counted.
    """
    out = []
    for ax in range(3):
        a, b = _face_slices(ax, region.shape)
        f = np.zeros(region.shape, bool)
        ra, rb = region[a], region[b]
        f[a] = (ra != rb) & ((ra > 0) | (rb > 0))
        out.append(f)
    return tuple(out)


def covered_fraction(region: np.ndarray, covered: np.ndarray) -> float:
    """Share of the open surface faces of ``region > 0`` (faces to a voxel of no region, i.e.
    not a contact between two regions) that face a ``covered`` voxel (a drawn film)."""
    tot = hit = 0
    for ax in range(3):
        a, b = _face_slices(ax, region.shape)
        for s, t in ((a, b), (b, a)):
            surf = (region[s] > 0) & (region[t] == 0)
            tot += int(np.count_nonzero(surf))
            hit += int(np.count_nonzero(surf & covered[t]))
    return hit / tot if tot else 0.0


def _patches(region: np.ndarray, patch_size: float, periodic, rng: np.random.Generator):
    """Patch id per surface voxel of ``region`` (0 elsewhere) and the surface faces per patch."""
    count = np.zeros(region.shape, np.int32)  # surface faces owned by each region voxel
    inside = region > 0
    for ax in range(3):
        for step in (1, -1):  # across the periodic seams too, where the film also lies
            other = np.roll(region, step, axis=ax)
            f = inside & (other != region)
            if not periodic[ax]:
                edge = [slice(None)] * 3
                edge[ax] = 0 if step == 1 else -1
                f[tuple(edge)] = False
            count += f
    surf = np.flatnonzero(count)
    if surf.size == 0:
        raise InputError("binder: the surfaces to coat are empty (no particles of that kind)")
    n_seed = max(1, int(round(surf.size / max(patch_size, 1.0) ** 2)))
    seeds = rng.choice(surf, size=min(n_seed, surf.size), replace=False)
    shape = np.asarray(region.shape, float)
    box = np.where(np.asarray(periodic, bool), shape, 4.0 * shape)  # non-periodic: no wrap
    pts = np.stack(np.unravel_index(surf, region.shape), 1).astype(float)
    tree = cKDTree(np.stack(np.unravel_index(seeds, region.shape), 1).astype(float), boxsize=box)
    _, owner = tree.query(pts)
    patch = np.zeros(region.size, np.int32)
    patch[surf] = owner + 1
    per_patch = np.bincount(owner, weights=count.ravel()[surf], minlength=seeds.size)
    return patch.reshape(region.shape), per_patch, int(count.sum())


@dataclass(frozen=True)
class FilmPlan:
    """How a film of a given content is laid: the surface patches in their (random) order,
    how many are taken, the thickness, drawn or recorded."""

    patch: np.ndarray          # patch id (1..n) per surface voxel, 0 elsewhere
    order: np.ndarray          # the patches in the order they are taken (ids - 1)
    cum: np.ndarray            # surface faces covered after taking 1, 2, ... patches
    total: int                 # surface faces
    a_corr: float              # staircase-corrected surface area [voxel faces]
    n_binder: float            # binder voxels
    k: int                     # patches taken
    coverage: float            # share of the surface faces in the taken patches [-]
    thickness: float           # [voxels] = content / (coverage * corrected area)
    drawn: bool                # thickness >= 1 voxel

    @property
    def chosen(self) -> np.ndarray:
        """(n_patches + 1,) bool: taken patches by id (entry 0: no patch)."""
        out = np.zeros(self.order.size + 1, bool)
        out[self.order[:self.k] + 1] = True
        return out

    def with_coverage(self, coverage: float) -> FilmPlan:
        """The same patches and order, taken until their faces are closest to ``coverage``."""
        if coverage >= 1.0:
            k = self.order.size
        else:
            k = int(np.argmin(np.abs(self.cum - coverage * self.total))) + 1
        reached = float(self.cum[k - 1] / self.total)
        t = self.n_binder / (reached * self.a_corr) if reached > 0 else math.inf
        return dataclasses.replace(self, k=k, coverage=reached, thickness=t, drawn=t >= 1.0)


def plan_film(region: np.ndarray, n_binder: float, *, coverage: float | None, thickness: float | None,
              patch_size: float, periodic, rng: np.random.Generator) -> FilmPlan:
    """Choose the patches of a film of ``n_binder`` voxels of binder on ``region > 0``.

    Give ``coverage`` (the thickness follows) or ``thickness`` [voxels] (the coverage follows).
    """
    from microcath.analysis.morphology import interface_areas

    patch, per_patch, total = _patches(region, patch_size, periodic, rng)
    area, faces = interface_areas((region > 0).astype(np.uint8), 2)
    corr = float(area[0, 1] / faces[0, 1]) if faces[0, 1] > 0 else 1.0  # staircase factor
    a_corr = total * corr
    if coverage is None:
        coverage = n_binder / (thickness * a_corr)
        if coverage > 1.0:
            raise InputError(
                f"binder.thickness_um: a film of {thickness:.3g} voxels holds only "
                f"{thickness * a_corr:.0f} of the {n_binder:.0f} binder voxels at full coverage; give a "
                "thicker film, a coverage instead of a thickness, or less binder")
    order = rng.permutation(per_patch.size)
    plan = FilmPlan(patch=patch, order=order, cum=np.cumsum(per_patch[order]), total=total, a_corr=a_corr,
                    n_binder=float(n_binder), k=0, coverage=0.0, thickness=math.inf, drawn=False)
    return plan.with_coverage(coverage)


def film_voxels(plan: FilmPlan, region: np.ndarray, free: np.ndarray, n_binder: int, *,
                periodic) -> np.ndarray:
    """Flat indices of the ``n_binder`` free voxels nearest to the taken patches.

    A film voxel lies over its patch: its nearest surface voxel is on a taken patch, and it
    does not touch (share a face with) a surface voxel of a patch not taken, so the film
    covers no faces beyond its patches.
    """
    reach = plan.thickness + 3
    chosen = plan.chosen[plan.patch] & (region > 0)
    skipped = (plan.patch > 0) & ~chosen
    touch = np.zeros(region.shape, bool)
    for ax in range(3):
        for step in (1, -1):
            t = np.roll(skipped, step, axis=ax)
            if not periodic[ax]:
                edge = [slice(None)] * 3
                edge[ax] = 0 if step == 1 else -1
                t[tuple(edge)] = False
            touch |= t
    d_patch = distance_from(chosen, periodic=periodic, max_distance=reach).ravel()
    d_surf = distance_from(region > 0, periodic=periodic, max_distance=reach).ravel()
    cand = np.flatnonzero(free.ravel() & ~touch.ravel() & (d_patch <= d_surf))
    if cand.size < n_binder:
        raise InputError(
            f"binder: the film needs {n_binder} free voxels over the covered patches, only {cand.size} "
            "are there; the patches are too small for a film this thick: raise binder.patch_size_um "
            "or the coverage, or lower binder.fraction")
    order = np.argsort(d_patch[cand], kind="stable")
    return cand[order[:n_binder]]


def draw_film(plan: FilmPlan, region: np.ndarray, free: np.ndarray, n_binder: int, target: float, *,
              periodic, rounds: int = 4) -> tuple[np.ndarray, FilmPlan, float] | None:
    """A drawn film whose measured coverage (:func:`covered_fraction`) meets ``target``.

    At the edges of its patches a drawn film leaves the faces whose free voxel also touches a
    patch not taken uncovered (:func:`film_voxels`), so the measured coverage falls short of the
    patches' share; the number of patches is corrected by the ratio for a few rounds (same
    patches, same order).
    Returns the voxels, the plan used and the measured coverage (the round closest to target),
    or None when the coverage is only met by a film thinner than a voxel (then recorded).
    """
    covered = np.zeros(free.size, bool)
    best = None
    for _ in range(rounds):
        try:
            idx = film_voxels(plan, region, free, n_binder, periodic=periodic)
        except InputError:
            if best is None:
                raise
            break  # no room for a thinner plan's film: keep the closest one drawn
        covered[:] = False
        covered[idx] = True
        got = covered_fraction(region, covered.reshape(free.shape))
        if best is None or abs(got - target) < abs(best[2] - target):
            best = (idx, plan, got)
        if abs(got - target) <= 0.2 * COVERAGE_STEP or target >= 1.0 or got <= 0:
            break
        nxt = plan.with_coverage(min(1.0, plan.coverage * target / got))
        if not nxt.drawn:  # at this coverage the film is thinner than a voxel: record it instead
            return None if abs(best[2] - target) > COVERAGE_STEP else best
        plan = nxt
    return best


def film_faces(plan: FilmPlan, region: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The surface faces of ``region`` covered by a sub-voxel film on the chosen patches."""
    covered = plan.chosen[plan.patch] & (region > 0)
    out = []
    for ax, f in enumerate(surface_faces(region)):
        a, b = _face_slices(ax, region.shape)
        g = np.zeros(region.shape, bool)
        g[a] = f[a] & (covered[a] | covered[b])
        out.append(g)
    return tuple(out)


#: largest ball radius [voxels] tried when ordering free voxels by local thickness; wider
#: pores are ordered by their distance to the solid alone
NECK_R_MAX = 12


def _local_thickness_order(free: np.ndarray, n: int, *, periodic) -> np.ndarray:
    """Flat indices of the ``n`` free voxels of smallest local thickness (closest to solid first)."""
    dt = distance_from(~free, periodic=periodic, max_distance=NECK_R_MAX + 2)  # to the solid [voxels]
    flat_free = free.ravel()
    cls = np.full(free.size, NECK_R_MAX + 1.0)
    cls[~flat_free] = np.inf
    have = np.zeros(free.size, bool)
    for r in range(1, NECK_R_MAX + 1):
        centres = free & (dt > r)  # a ball of radius r about them stays in the free space
        reach = distance_from(centres, periodic=periodic, max_distance=r + 1).ravel() <= r
        fresh = flat_free & ~reach & ~have
        cls[fresh] = r  # the largest ball holding the voxel has a radius < r
        have |= fresh
        if np.count_nonzero(have) >= n:
            break
    cand = np.flatnonzero(flat_free)
    order = np.lexsort((dt.ravel()[cand], cls[cand]))
    return cand[order[:n]]


def neck_voxels(free: np.ndarray, n_binder: int, *, periodic) -> np.ndarray:
    """Flat indices of the ``n_binder`` free voxels that fill the necks between the solids."""
    if n_binder <= 0:
        return np.empty(0, np.int64)
    if int(np.count_nonzero(free)) < n_binder:
        raise InputError(f"binder: {n_binder} binder voxels asked for but only {int(free.sum())} are free; "
                         "lower binder.fraction or the solid fractions")
    return _local_thickness_order(free, n_binder, periodic=periodic)


def cbd_material(name: str, carbon, binder, *, carbon_volume: float, binder_volume: float,
                 porosity: float) -> dict:
    """Materials-TOML table of a carbon-binder domain (a derived, sourced material).

    ``carbon``/``binder`` are library materials; volumes in any common unit. The domain's
    conductivities are Bruggeman's, ``sigma_i * phi_i ** 1.5`` for the constituent ``i``
    at its volume fraction ``phi_i`` inside the domain (pores empty in a dry cathode).
    """
    total = (carbon_volume + binder_volume) / (1.0 - porosity)
    phi_c, phi_b = carbon_volume / total, binder_volume / total
    out: dict = {"kind": "carbon", "description": (
        f"carbon-binder domain: {carbon.name} {phi_c:.3f} + {binder.name} {phi_b:.3f} by volume, "
        f"internal porosity {porosity:.3f} (empty)")}
    for carrier in ("electronic", "ionic"):
        sc, sb = carbon.sigma(carrier), binder.sigma(carrier)
        s = max(sc * phi_c**BRUGGEMAN, sb * phi_b**BRUGGEMAN)
        out[f"sigma_{carrier}_S_cm"] = {
            "value": s / 100.0, "unit": "S/cm", "status": "computed",
            "source": (f"Bruggeman sigma*phi^{BRUGGEMAN} of the better-conducting constituent: "
                       f"{carbon.name} {sc:.3g} S/m at phi {phi_c:.3f}, {binder.name} {sb:.3g} S/m at "
                       f"phi {phi_b:.3f} (the carbon-binder-domain treatment of porous-electrode models)")}
    try:
        rho = (carbon.density * phi_c + binder.density * phi_b) / 1000.0
        out["density_g_cm3"] = {"value": rho, "unit": "g/cm3", "status": "computed",
                                "source": "volume average of the constituents' densities (pores empty)"}
    except MaterialError:  # a constituent without a density: the domain has none either
        pass
    return out
