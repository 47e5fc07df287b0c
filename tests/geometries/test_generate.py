"""generate(): fractions vs targets computed independently, grains, coatings, sulfur hosts, fibres,
reproducibility (also across thread counts) and every refused parameter set."""

import hashlib
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from microcath.geometries import TOLERANCE, Generated, GenerationReport, generate
from scipy import ndimage, stats

from microcath import Microstructure, PhaseKind

S48 = (48, 48, 48)


@pytest.fixture(scope="module")
def nmc811():
    return generate("default", shape=S48, voxel_size=0.6e-6, seed=11, progress=False)


def assert_hits_targets(ms):
    """The report recorded in the provenance says what the structure holds, and every target is met."""
    rep = GenerationReport.from_provenance(ms)
    fr = ms.volume_fractions()
    assert set(rep.fractions) == set(fr)
    n_target = 0
    for name, v in rep.fractions.items():
        assert v["achieved"] == pytest.approx(fr[name], abs=1e-12)
        if v["target"] is not None:
            n_target += 1
            assert abs(v["achieved"] - v["target"]) <= TOLERANCE, name
    assert n_target >= 3  # active, electrolyte, pore at least
    return rep


def test_generate_returns_a_plain_structure_and_the_report_on_request(nmc811, tmp_path):
    from microcath import io

    assert type(nmc811) is Microstructure
    both = generate("default", shape=S48, voxel_size=0.6e-6, seed=11, progress=False, return_report=True)
    assert isinstance(both, Generated) and not isinstance(both, Microstructure)
    assert np.array_equal(both.structure.labels, nmc811.labels)
    assert both.report == GenerationReport.from_provenance(both.structure)
    # the report survives save -> load (it lives in the provenance only)
    io.save(nmc811, tmp_path / "s.mcath")
    back = io.load(tmp_path / "s.mcath")
    before, after = GenerationReport.from_provenance(nmc811), GenerationReport.from_provenance(back)
    assert after.fractions == before.fractions
    with pytest.raises(ValueError, match="no generation report"):
        GenerationReport.from_provenance(nmc811.replace(provenance={}))


def test_default_fractions_match_dossier_densities(nmc811):
    # 67.9 : 29.1 : 3.0 wt% with rho = 4.78 (NMC811), 1.86 (Li6PS5Cl), 1.9 (C) g/cm3 (DOSSIER A2), 5 % pores
    v = np.array([67.9 / 4.78, 29.1 / 1.86, 3.0 / 1.9])
    v = 0.95 * v / v.sum()
    fr = nmc811.volume_fractions()
    assert fr["NMC811"] == pytest.approx(v[0], abs=0.01)
    assert fr["Li6PS5Cl"] == pytest.approx(v[1], abs=0.01)
    assert fr["carbon_black"] == pytest.approx(v[2], abs=0.01)
    assert fr["pore"] == pytest.approx(0.05, abs=0.01)
    rep = assert_hits_targets(nmc811)
    assert rep.fractions["NMC811"]["target"] == pytest.approx(v[0], rel=1e-9)  # targets from the densities
    assert nmc811.provenance["seed"] == 11 and nmc811.provenance["recipe"] == "nmc811_lpscl_c65"


def test_grains_only_in_active_and_orientations_haar(nmc811):
    ms = nmc811
    active = ms.mask("active")
    assert np.all(ms.grains[~active] == 0) and np.all(ms.grains[active] > 0)
    assert np.all(ms.particles[~active] == 0) and np.all(ms.particles[active] > 0)
    q = ms.orientations
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0)
    # rotation angle of a Haar-random rotation: pdf (1 - cos t)/pi, cdf (t - sin t)/pi
    t = 2 * np.arccos(np.clip(np.abs(q[:, 0]), 0, 1))
    assert stats.kstest(t, lambda x: (x - np.sin(x)) / np.pi).pvalue > 0.01
    # and the crystal c-axes are isotropic: z-component uniform on [-1, 1]
    cz = 1 - 2 * (q[:, 1] ** 2 + q[:, 2] ** 2)
    assert stats.kstest(cz, stats.uniform(-1, 2).cdf).pvalue > 0.01
    # each grain lies inside one particle
    pairs = np.unique(np.stack([ms.grains[active], ms.particles[active]]), axis=1)
    assert pairs.shape[1] == ms.n_grains


def test_single_crystal_one_grain_per_particle_and_pc_pair():
    kw = dict(shape=S48, voxel_size=0.8e-6, seed=4, progress=False,
              overrides={"active.grains.size_um": 1.6})
    sc = generate("nmc532_sc_lpscl", **kw)
    pc = generate("nmc532_pc_lpscl", **kw)
    act = sc.mask("active")
    assert np.array_equal(sc.grains[act], sc.particles[act])  # one grain per particle, same ids
    assert np.array_equal(sc.labels, pc.labels)  # same composition and structure, only grains differ
    n_p = int(pc.particles.max())
    assert pc.n_grains > 3 * n_p
    # mean grain volume close to the requested (1.6 um)^3 pi/6 (voxels of 0.8 um -> d = 2)
    vol = np.bincount(pc.grains[pc.grains > 0])[1:]
    assert np.mean(vol) == pytest.approx(math.pi / 6 * 2.0**3, rel=0.35)


def test_radial_texture():
    ms = generate("nmc532_pc_lpscl", shape=S48, voxel_size=0.6e-6, seed=2, progress=False,
                  overrides={"active.grains.texture": "radial_c"})
    g, p = ms.grains, ms.particles
    idx = np.nonzero(g)
    xyz = np.stack(idx, 1) + 0.5
    ng = ms.n_grains
    cnt = np.bincount(g[idx], minlength=ng + 1)[1:]
    gc = np.stack([np.bincount(g[idx], xyz[:, k], ng + 1)[1:] for k in range(3)], 1) / cnt[:, None]
    pid = np.zeros(ng, int)
    pid[g[idx] - 1] = p[idx]
    pc = np.stack([ndimage.mean(xyz[:, k], p[idx], np.arange(1, p.max() + 1)) for k in range(3)], 1)
    radial = gc - pc[pid - 1]
    nrm = np.linalg.norm(radial, axis=1)
    ok = (nrm > 2) & (np.abs(radial[:, 1]) < 10) & (np.abs(radial[:, 2]) < 10)  # skip wrapped particles
    q = ms.orientations[ok]
    c = np.stack([2 * (q[:, 1] * q[:, 3] + q[:, 0] * q[:, 2]), 2 * (q[:, 2] * q[:, 3] - q[:, 0] * q[:, 1]),
                  1 - 2 * (q[:, 1] ** 2 + q[:, 2] ** 2)], 1)
    cos = np.abs(np.einsum("ij,ij->i", c, radial[ok] / nrm[ok, None]))
    assert np.median(cos) > 0.9  # random orientations would give 0.5


def test_dual_coating_thickness_by_distance_transform():
    ms = generate("lco_lno_lgps", shape=S48, voxel_size=0.1e-6, seed=3, progress=False,
                  overrides={"active.size.d50_um": 1.5, "basis": "volume", "active.fraction": 0.3,
                             "electrolyte.fraction": 0.7, "coatings": [
                      {"material": "LiNbO3", "thickness_um": 0.01},
                      {"material": "LiNbO3", "thickness_um": 0.2, "phase": "LiNbO3_thick"},
                      {"material": "LGPS", "thickness_um": 0.3, "phase": "LGPS_shell"}]})
    # the 10 nm layer is recorded (sub-voxel), the others drawn: 2 voxels LNO, then 3 voxels LGPS
    assert [(c.material, c.thickness) for c in ms.coatings] == [("LiNbO3", pytest.approx(1e-8))]
    active = ms.mask("LiCoO2")
    dist = ndimage.distance_transform_edt(~np.pad(active, ((0, 0), (8, 8), (8, 8)), mode="wrap"))
    dist = dist[:, 8:-8, 8:-8]
    inner, outer = ms.mask("LiNbO3_thick"), ms.mask("LGPS_shell")
    assert dist[inner].max() <= 2.5 and dist[inner].min() >= 1
    assert dist[outer].min() > 2.5 and dist[outer].max() <= 5.5
    # conformal: every non-active voxel within 2.5 voxels of the active surface is inner coating
    assert np.all(inner[(dist > 0) & (dist <= 2.5)])
    # mean thickness = shell volume / active surface area (surface from marching cubes) ~ 2 voxels
    from skimage import measure

    verts, faces, _, _ = measure.marching_cubes(np.pad(active, 1).astype(np.float32), 0.5)
    area = measure.mesh_surface_area(verts, faces)
    assert np.count_nonzero(inner) / area == pytest.approx(2.0, rel=0.2)


def test_sulfur_on_carbon_hosts():
    ms = generate("s_on_c_li3ps4", shape=S48, voxel_size=0.3e-6, seed=5, progress=False)
    s, c = ms.mask("sulfur"), ms.mask("carbon_black")
    assert_hits_targets(ms)
    # every sulfur voxel touches carbon or sulfur that leads to carbon: a thin shell on the hosts
    dist = ndimage.distance_transform_edt(~np.pad(c, ((0, 0), (12, 12), (12, 12)), mode="wrap"))
    dist = dist[:, 12:-12, 12:-12]
    assert dist[s].max() < 4.0
    # shells keep their host's id and every host has one
    assert set(np.unique(ms.particles[s])) == set(range(1, int(ms.particles.max()) + 1))


def test_fibres_in_plane():
    ms = generate("default", shape=S48, voxel_size=0.3e-6, seed=6, progress=False,
                  overrides={"active.size.d50_um": 2.5, "active.grains.mode": "single_crystal",
                             "carbon.form": "fibres", "carbon.diameter_um": 0.6,
                             "carbon.length": {"distribution": "monodisperse", "d_um": 6.0},
                             "carbon.orientation": "in_plane", "carbon.attach": 0.0})
    assert_hits_targets(ms)
    c = ms.mask("carbon_black")
    # fibres lie in the y-z plane: carbon 4 voxels further along y is far likelier than along x
    def lag(a, ax, k=4):
        b = np.roll(a, -k, axis=ax)
        return np.count_nonzero(a & b) / np.count_nonzero(a)
    assert lag(c, 1) > 2 * lag(c, 0)
    assert lag(c, 2) > 2 * lag(c, 0)


def test_electrolyte_particles_mode_and_porosity():
    ms = generate("lco_li3incl6", shape=S48, voxel_size=0.6e-6, seed=7, progress=False,
                  overrides={"porosity": 0.15})
    assert ms.volume_fractions()["pore"] == pytest.approx(0.15, abs=0.01)
    assert_hits_targets(ms)


def test_dense_electrolyte_particles_fill_the_space_left():
    # porosity 0 with small SE particles: the particles must cover every free voxel, the last
    # scattered ones are a coupon-collector tail; a few (<= 1e-4 of the box) may stay pores
    ov = {"basis": "volume", "porosity": 0.0, "active.material": "NMC811", "active.fraction": 0.4,
          "electrolyte.material": "Li6PS5Cl", "electrolyte.fraction": 0.6,
          "active.size": {"distribution": "monodisperse", "d_um": 2.0},
          "electrolyte.size": {"distribution": "monodisperse", "d_um": 0.5},
          "active.grains": {"mode": "none"}}
    ms = generate("lco_li3incl6", shape=(40, 40, 40), voxel_size=0.25e-6, seed=1, progress=False,
                  overrides=ov)
    assert ms.volume_fractions()["pore"] <= 1e-4
    assert_hits_targets(ms)


def _digest(ms):
    h = hashlib.sha256()
    for a in (ms.labels, ms.particles, ms.grains, ms.orientations):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def test_reproducible_same_seed_and_different_seed(nmc811):
    again = generate("default", shape=S48, voxel_size=0.6e-6, seed=11, progress=False)
    assert _digest(again) == _digest(nmc811)
    other = generate("default", shape=S48, voxel_size=0.6e-6, seed=12, progress=False)
    assert not np.array_equal(other.labels, nmc811.labels)


def test_reproducible_across_thread_counts(nmc811):
    code = ("import hashlib, numpy as np\n"
            "from microcath.geometries import generate\n"
            "ms = generate('default', shape=(48, 48, 48), voxel_size=0.6e-6, seed=11, progress=False)\n"
            "h = hashlib.sha256()\n"
            "for a in (ms.labels, ms.particles, ms.grains, ms.orientations):\n"
            "    h.update(np.ascontiguousarray(a).tobytes())\n"
            "print(h.hexdigest())\n")
    out = set()
    for n in ("1", "2"):
        env = dict(os.environ, OMP_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n, MKL_NUM_THREADS=n)
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        out.add(r.stdout.strip())
    assert out == {_digest(nmc811)}


@pytest.mark.parametrize("overrides, match", [
    ({"active.fraction": 0.9, "electrolyte.fraction": 0.1, "carbon.fraction": 0.0, "basis": "volume",
      "porosity": 0.0, "active.size": {"distribution": "monodisperse", "d_um": 4.0}}, "packed to"),
    ({"active.size.d50_um": -3.0}, "d50_um"),
    ({"active.material": "unobtainium"}, "unobtainium"),
    ({"electrolyte.material": "NMC811"}, "electrolyte"),
    ({"active.fraction": 0.5}, "sum to 1"),
    ({"porosity": 1.2}, "porosity"),
    ({"active.overlap_tolerance": 0.5}, "tol"),
    ({"active.aspect_ratio": 10}, "aspect_ratio"),
    ({"active.grains.mode": "amorphous"}, "grains.mode"),
    ({"active.colour": "red"}, "unknown key"),
    ({"electrolyte.mode": "gel"}, "electrolyte.mode"),
    ({"coatings": [{"material": "LiNbO3", "thickness_um": -0.01}]}, "thickness"),
    ({"coatings": [{"material": "LiNbO3"}]}, "thickness"),
    ({"carbon.form": "fibres", "carbon.diameter_um": 0.1}, "thinner than a voxel"),
    ({"active.size.d50_um": 0.5}, "voxels"),
    ({"basis": "mass"}, "basis"),
    ({"boundary": "open"}, "boundary"),
    ({"active.material": "SeS2"}, "density"),
])
def test_refused(overrides, match):
    with pytest.raises(ValueError, match=match):
        generate("default", shape=S48, voxel_size=0.6e-6, seed=0, progress=False, overrides=overrides)


def test_refused_shape_and_recipe():
    with pytest.raises(ValueError, match="shape"):
        generate("default", shape=(4, 4, 4), progress=False)
    with pytest.raises(ValueError, match="unknown recipe"):
        generate("no_such_recipe", progress=False)
    with pytest.raises(ValueError, match="voxel_size"):
        generate("default", voxel_size=-1.0, progress=False)


def test_kinds_in_phase_table(nmc811):
    kinds = {p.kind for p in nmc811.phases.values()}
    assert kinds == {PhaseKind.ACTIVE, PhaseKind.ELECTROLYTE, PhaseKind.CARBON, PhaseKind.PORE}
