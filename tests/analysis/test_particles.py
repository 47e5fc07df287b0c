"""Per-particle status of particles placed on purpose; contact and triphase shares; errors."""

import math

import numpy as np
import pytest
from analysis_helpers import AM, SE, C, ball, designed, make

from microcath import InputError, Microstructure, Phase
from microcath.analysis import analyze, particle_report, watershed_particles

EXPECTED = {1: "utilisable", 2: "ionically_isolated", 3: "electronically_isolated", 4: "dead",
            5: "utilisable"}


def test_statuses_exact(ti_cpu):
    res = analyze(designed())
    t = res.particles
    assert dict(zip(t.particle_id.tolist(), t.status.tolist(), strict=True)) == EXPECTED
    vol = {1: 4 * 12 * 4, 2: 4 * 4 * 4, 3: 4 * 4 * 4, 4: 4 * 3 * 4, 5: 4 * 4 * 4}
    np.testing.assert_allclose(t.volume, [vol[k] * 1e-18 for k in t.particle_id])
    np.testing.assert_allclose(t.equivalent_diameter, (6 * t.volume / math.pi) ** (1 / 3))
    assert res.utilisable_fraction == pytest.approx((vol[1] + vol[5]) / sum(vol.values()))
    assert res.status_counts == {"utilisable": 2, "ionically_isolated": 1, "electronically_isolated": 1,
                                 "dead": 1}
    assert res.ionic.percolates is False  # the bus stops at x = 24
    assert res.ionic_connected_fraction < 1.0  # the pocket is cut off
    # contact: P2 touches no electrolyte; P4 touches electrolyte that is not connected
    by_id = {k: i for i, k in enumerate(t.particle_id)}
    assert t.electrolyte_contact_area[by_id[2]] == 0.0
    assert t.electrolyte_contact_area[by_id[4]] > 0 and t.ionic_contact_area[by_id[4]] == 0.0
    # P3: one 4 x 4 face of its 4 x 4 x 4 cube touches the bus; the estimator rounds the
    # cube's edges the same way on every side, so the share is close to 1/6
    assert t.contact_fraction[by_id[3]] == pytest.approx(1 / 6, rel=0.1)
    # 16 faces of 1 µm^2; the 12 rim faces sit on the cube's edges and corners, whose
    # estimated normals tilt by at most 45 (edges) or 54.7 degrees (corners):
    # 4 * 1 + 8 / sqrt(2) + 4 / sqrt(3) <= area <= 16
    lower = 4 + 8 / math.sqrt(2) + 4 / math.sqrt(3)
    assert lower * 1e-12 <= t.ionic_contact_area[by_id[3]] <= 16e-12


def test_insulating_active_material_needs_carbon(ti_cpu):
    # sulfur-like: the active phase does not conduct electrons, so P5 (no carbon contact) is cut off
    t = particle_report(designed(), electronic_phases=["carbon"])
    st = dict(zip(t.particle_id.tolist(), t.status.tolist(), strict=True))
    assert st[5] == "electronically_isolated" and st[1] == "utilisable"


def test_active_as_ionic_conductor(ti_cpu):
    # P6 touches only P1 (no electrolyte, no carbon): ionically isolated by default, but
    # reached through P1 when the active material is counted as an ionic conductor
    ms = designed()
    lab, pid = ms.labels.copy(), ms.particles.copy()
    lab[18:22, 10:14, 6:10] = AM
    pid[18:22, 10:14, 6:10] = 6
    ms = make(lab, pid)
    st = dict(zip(*[a.tolist() for a in (lambda t: (t.particle_id, t.status))(particle_report(ms))],
                  strict=True))
    assert st[6] == "ionically_isolated" and st[2] == "ionically_isolated"
    t2 = particle_report(ms, ionic_phases=["electrolyte", "active"])
    st2 = dict(zip(t2.particle_id.tolist(), t2.status.tolist(), strict=True))
    assert st2[6] == "utilisable"
    assert st2[2] == "ionically_isolated"  # P2 touches neither electrolyte nor another particle


def _triphase_oracle(lab, pid, k):
    """Share of particle k's boundary faces that touch electrolyte with carbon in its 3x3x3 block."""
    tot = tri = 0
    for x, y, z in zip(*np.nonzero(pid == k), strict=True):
        for d in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)):
            q = (x + d[0], y + d[1], z + d[2])
            if not all(0 <= q[i] < lab.shape[i] for i in range(3)) or pid[q] == k:
                continue
            tot += 1
            if lab[q] == SE:
                blk = lab[max(q[0] - 1, 0):q[0] + 2, max(q[1] - 1, 0):q[1] + 2, max(q[2] - 1, 0):q[2] + 2]
                tri += bool((blk == C).any())
    return tri / tot


def test_triphase_share_against_brute_force(ti_cpu, rng):
    n = 20
    lab = np.where(rng.random((n, n, n)) < 0.15, C, SE).astype(np.uint8)
    s = ball((n, n, n), (10.2, 9.7, 10.1), 6.0)
    lab[s] = AM
    pid = np.where(s, 1, 0)
    t = analyze(make(lab, pid)).particles
    assert t.triphase_fraction[0] == pytest.approx(_triphase_oracle(lab, pid, 1), abs=1e-12)
    assert 0 < t.triphase_fraction[0] < 1
    # the sphere's corrected surface is near 4 pi r^2 [µm^2]
    assert t.surface_area[0] / 1e-12 == pytest.approx(4 * math.pi * 36, rel=0.05)


def test_watershed_separates_touching_spheres(ti_cpu):
    n = 40
    a = ball((n, 30, 30), (13, 15, 15), 7)
    b = ball((n, 30, 30), (25, 15, 15), 7)
    ids = watershed_particles(a | b)
    assert ids.max() == 2
    # each watershed region is close to one sphere
    vols = sorted(np.bincount(ids.ravel())[1:])
    exact = 4 / 3 * math.pi * 7**3
    assert vols[0] == pytest.approx(exact, rel=0.12) and vols[1] == pytest.approx(exact, rel=0.12)
    lab = np.full((n, 30, 30), SE, np.uint8)
    lab[a | b] = AM
    res = analyze(make(lab))  # no particle ids: falls back to the watershed
    assert res.n_particles == 2 and res.particles.source == "watershed"


def test_csv_and_dict(ti_cpu, tmp_path):
    res = analyze(designed())
    p = res.to_csv(tmp_path / "pp.csv")
    rows = p.read_text().splitlines()
    assert rows[0].startswith("particle_id,volume_m3,")
    assert len(rows) == 1 + 5
    assert rows[4].split(",")[-1] == "dead"
    assert not list(tmp_path.glob(".*tmp"))
    d = res.to_dict(per_particle=True)
    assert d["status_counts"]["dead"] == 1 and len(d["particles"]) == 5
    assert d["arch"] == ti_cpu == "cpu"  # the backend the kernels ran on is reported
    import json

    json.dumps(d)


def test_errors(ti_cpu):
    # no active material
    lab = np.full((6, 6, 6), SE, np.uint8)
    lab[:, :, :2] = C
    with pytest.raises(InputError, match="no active material"):
        analyze(make(lab))
    # no electrolyte voxel (in the table with 0 voxels, or not in the table): an empty ionic
    # network is an answer, nothing is utilisable (issue 11), not an error
    lab2 = np.full((6, 6, 6), C, np.uint8)
    lab2[2:4, 2:4, 2:4] = AM
    ms = Microstructure(lab2, 1e-6, {1: Phase("AM", "active"), 3: Phase("C", "carbon")})
    for structure in (make(lab2), ms):
        res = analyze(structure)
        assert res.utilisable_fraction == 0.0 and res.ionic.volume_fraction == 0.0
        assert res.status_counts["utilisable"] == 0
    # a network the caller names must be present
    with pytest.raises(InputError, match="absent"):
        analyze(make(lab2), ionic_phases=["electrolyte"])
    with pytest.raises(InputError, match="no phase named"):
        analyze(make(lab2), ionic_phases=["LLZO"])
    with pytest.raises(InputError, match="connectivity"):
        analyze(make(lab2), connectivity=5)
