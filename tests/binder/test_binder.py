"""Binder in sheet-type cathodes: materials, the three placements, and what they block.

Targets are checked against numbers computed here from the library densities, coverages by
counting faces in the test, isolation and the laminate against exact answers.
"""

import numpy as np
import pytest
from microcath.geometries import TOLERANCE, GenerationReport, generate
from microcath.geometries.composite import COVERAGE_TOLERANCE
from microcath.geometries.recipes import parse_overrides

from microcath import Film, InputError, MaterialError, Microstructure, Phase, analysis, io, transport
from microcath.materials import default_library

S48 = (48, 48, 48)
VS = 0.6e-6  # d50 4 µm = 6.7 voxels


def _gen(seed=3, **ov):
    over = {"binder.material": "PVDF", **ov}
    return generate("default", shape=S48, voxel_size=VS, seed=seed, overrides=over, progress=False,
                    return_report=True)


def _binder_vol_fraction(wt_binder: float, porosity: float = 0.05, cbd_porosity: float = 0.0) -> float:
    """Volume fraction of PVDF added by --set binder.fraction to the default 67.9:29.1:3 wt%
    (in a carbon-binder domain of internal porosity ``cbd_porosity``, whose pores take room)."""
    lib = default_library()
    w = {"NMC811": 0.679, "Li6PS5Cl": 0.291, "carbon_black": 0.030}
    w = {k: v * (1 - wt_binder) for k, v in w.items()}
    w["PVDF"] = wt_binder
    vol = {k: v / lib.get(k).density for k, v in w.items()}
    room = sum(vol.values()) + (vol["carbon_black"] + vol["PVDF"]) * cbd_porosity / (1 - cbd_porosity)
    return (1 - porosity) * vol["PVDF"] / room


def _surface_coverage(region: np.ndarray, covered_voxel=None, covered_faces=None) -> float:
    """Share of the faces of region voxels to a voxel of another id that are covered."""
    hit = tot = 0
    for ax in range(3):
        n = region.shape[ax]
        a = [slice(None)] * 3
        b = [slice(None)] * 3
        a[ax], b[ax] = slice(0, n - 1), slice(1, n)
        a, b = tuple(a), tuple(b)
        for s, t in ((a, b), (b, a)):
            surf = (region[s] > 0) & (region[t] != region[s])
            if covered_voxel is not None:
                surf_c = surf & covered_voxel[t]
                surf = surf & (region[t] == 0)  # a drawn film only reaches free space
            else:
                surf_c = surf & covered_faces[ax][a]
            tot += int(surf.sum())
            hit += int(surf_c.sum())
    return hit / tot


def test_binder_materials_sourced():
    lib = default_library()
    for name, rho in (("PVDF", 1780.0), ("PTFE", 2200.0), ("SBR", 940.0), ("NBR", 1000.0)):
        m = lib.get(name)
        assert m.kind.value == "binder" and m.density == pytest.approx(rho)
        assert m.sigma("ionic") == 0.0 and m.sigma("electronic") == 0.0
        for key in ("density", "sigma_ionic", "sigma_electronic"):
            assert m.value(key).source and m.value(key).status
    assert lib.get("PVDF").youngs_modulus == pytest.approx(2.0e9)
    with pytest.raises(MaterialError, match="SBR.*youngs_modulus"):
        _ = lib.get("SBR").youngs_modulus


@pytest.mark.parametrize("placement, extra", [("necks", {}), ("cbd", {}),
                                              ("film", {"binder.coverage": 0.15})])
def test_content_reached(placement, extra):
    g = _gen(**{"binder.fraction": 0.05, "binder.placement": placement, **extra})
    ms, rep = g.structure, g.report.binder
    want = _binder_vol_fraction(0.05, cbd_porosity=0.5 if placement == "cbd" else 0.0)
    if placement == "cbd":
        cbd = ms.phases.label_of("CBD_carbon_black_PVDF")
        lib = default_library()
        v_c, v_b = 0.030 * 0.95 / lib.get("carbon_black").density, 0.05 / lib.get("PVDF").density
        share = v_b / (v_c + v_b)
        reached = np.count_nonzero(ms.labels == cbd) / ms.n_voxels * (1 - 0.5) * share
    else:
        reached = np.count_nonzero(ms.labels == ms.phases.label_of("PVDF")) / ms.n_voxels
    assert abs(reached - want) <= TOLERANCE
    assert rep["content_target_vol"] == pytest.approx(want, rel=1e-9)
    if placement == "film":
        assert rep["drawn"]
        cov = _surface_coverage(ms.particles, covered_voxel=ms.labels == ms.phases.label_of("PVDF"))
        assert abs(cov - 0.15) <= COVERAGE_TOLERANCE
        assert cov == pytest.approx(rep["coverage_reached"], abs=1e-12)


def test_subvoxel_film_coverage_and_record():
    g = _gen(**{"binder.fraction": 0.02, "binder.coverage": 0.6})
    ms = g.structure
    assert ms.film is not None and not g.report.binder["drawn"]
    assert "PVDF" not in ms.phases.names  # not drawn
    assert 0 < ms.film.thickness < VS
    cov = _surface_coverage(ms.particles, covered_faces=ms.film.face_masks())
    assert abs(cov - 0.6) <= COVERAGE_TOLERANCE
    # content = thickness x covered area, against the wt% target converted here
    assert abs(g.report.binder["content_reached_vol"] - _binder_vol_fraction(0.02)) <= TOLERANCE


def test_subvoxel_film_survives_save_and_load(tmp_path):
    ms = _gen(**{"binder.fraction": 0.02, "binder.coverage": 0.6}).structure
    back = io.load(io.save(ms, tmp_path / "f.mcath"))
    assert np.array_equal(back.film.faces, ms.film.faces)
    assert back.film.thickness == ms.film.thickness and back.film.on == ms.film.on
    assert GenerationReport.from_provenance(back).binder["coverage_reached"] == pytest.approx(
        ms.film.coverage)


@pytest.mark.parametrize("wt, drawn", [(0.02, False), (0.25, True)])  # 25 wt%: a drawn film at 0.6 µm
def test_full_insulating_film_isolates_every_particle(wt, drawn):
    g = _gen(**{"binder.fraction": wt})  # coverage 1 by default
    assert g.report.binder["drawn"] is drawn
    ms = g.structure
    a = analysis.analyze(ms)
    assert a.n_particles > 20
    assert not a.particles.ionic.any()  # exact: every surface face is covered
    assert a.contact_fraction == 0.0 and a.utilisable_fraction == 0.0


def test_necks_block_more_contact_per_volume_than_films():
    base = analysis.analyze(generate("default", shape=S48, voxel_size=VS, seed=3, progress=False))
    drop = {}
    for name, ov in (("necks", {"binder.placement": "necks"}),
                     ("film", {"binder.placement": "film", "binder.thickness_um": 0.6})):
        g = _gen(**{"binder.fraction": 0.02, **ov})
        a = analysis.analyze(g.structure)
        drop[name] = (base.contact_fraction - a.contact_fraction) / g.report.binder["content_reached_vol"]
    assert drop["necks"] > drop["film"] > 0


def _laminate(axis: int, film_on_a: bool, thickness: float):
    n = 12
    lab = np.zeros((n, 6, 6) if axis == 0 else (6, n, 6), np.uint8)
    idx = [slice(None)] * 3
    idx[axis] = slice(n // 2, n)
    lab[tuple(idx)] = 1
    phases = {0: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"), 1: Phase("Li3PS4", "electrolyte", "Li3PS4")}
    masks = [np.zeros(lab.shape, bool) for _ in range(3)]
    face = [slice(None)] * 3
    face[axis] = n // 2 - 1  # the face between the two layers
    masks[axis][tuple(face)] = True
    film = Film.from_masks(masks, material="saltbinder", thickness=thickness, on=("Li6PS5Cl",), coverage=1.0)
    return Microstructure(lab, 1e-6, phases, film=film if film_on_a else None), n


@pytest.mark.parametrize("axis", [0, 1])
def test_subvoxel_film_is_thickness_over_sigma_in_series(axis):
    lib = default_library().merge({"saltbinder": {"kind": "binder", "sigma_ionic_S_cm": 1e-5,
                                                  "sigma_electronic_S_cm": 0.0}})
    t = 50e-9
    ms, n = _laminate(axis, True, t)
    h = ms.voxel_size
    s1, s2, sf = 0.13, lib.get("Li3PS4").sigma("ionic"), 1e-3
    r_series = (n // 2) * h / s1 + (n // 2) * h / s2 + t / sf  # [ohm m^2]
    exact = n * h / r_series
    r = transport.conductivity(ms, carrier="ionic", axis="xyz"[axis], materials=lib, dtype="float64",
                               tol=1e-10)
    assert r.sigma_eff == pytest.approx(exact, rel=1e-6)
    plain = transport.conductivity(_laminate(axis, False, t)[0], carrier="ionic", axis="xyz"[axis],
                                   materials=lib, dtype="float64", tol=1e-10)
    assert plain.sigma_eff > r.sigma_eff


def test_insulating_subvoxel_film_blocks_the_laminate():
    ms, _ = _laminate(0, True, 50e-9)  # the film material is unknown to the default library
    lib = default_library().merge({"saltbinder": {"kind": "binder", "sigma_ionic_S_cm": 0.0,
                                                  "sigma_electronic_S_cm": 0.0}})
    r = transport.conductivity(ms, carrier="ionic", materials=lib)
    assert r.sigma_eff == 0.0 and not r.percolating


def test_set_options_and_errors():
    ov = parse_overrides(["binder.material=NBR", "binder.fraction=0.03", "binder.placement=necks"])
    g = generate("default", shape=S48, voxel_size=VS, seed=3, overrides=ov, progress=False,
                 return_report=True)
    assert any("scaled by 0.97" in n for n in g.report.notes)
    with pytest.raises(InputError, match="binder.material"):
        generate("default", shape=S48, voxel_size=VS, overrides={"binder.fraction": 0.02}, progress=False)
    with pytest.raises(InputError, match="binder.placement"):
        _gen(**{"binder.fraction": 0.02, "binder.placement": "glue"})
    with pytest.raises(InputError, match="give one of them"):
        _gen(**{"binder.fraction": 0.02, "binder.coverage": 0.5, "binder.thickness_um": 0.6})
    with pytest.raises(InputError, match="electrolyte particles"):
        _gen(**{"binder.fraction": 0.02, "binder.on": "electrolyte"})


def test_film_on_electrolyte_particles_coverage():
    g = generate("nmc811_lpscl_sheet", shape=S48, voxel_size=VS, seed=1, progress=False, return_report=True,
                 overrides={"binder.placement": "film", "binder.on": "electrolyte", "binder.coverage": 0.5,
                            "active.grains.mode": "single_crystal"})
    ms = g.structure
    se = (ms.labels == ms.phases.label_of("Li6PS5Cl")).astype(np.int32)
    assert ms.film.on == ("Li6PS5Cl",)
    assert abs(_surface_coverage(se, covered_faces=ms.film.face_masks()) - 0.5) <= COVERAGE_TOLERANCE
    # the sheet recipe's 2.5 wt% NBR, from the densities: 70 : 25.5 : 2 : 2.5 wt%
    lib = default_library()
    w = {"NMC811": 0.70, "Li6PS5Cl": 0.255, "carbon_black": 0.02, "NBR": 0.025}
    vol = {k: v / lib.get(k).density for k, v in w.items()}
    want = 0.9 * vol["NBR"] / sum(vol.values())
    assert abs(g.report.binder["content_reached_vol"] - want) <= TOLERANCE
