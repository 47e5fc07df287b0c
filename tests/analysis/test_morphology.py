"""Morphology: staircase-corrected areas against exact geometry, exact TPB length."""

import math

import numpy as np
import pytest
from analysis_helpers import AM, PORE, SE, C, ball, make

from microcath.analysis import interface_areas, morphology


@pytest.mark.parametrize("r", [10.0, 14.5])
def test_sphere_area_within_3_percent(ti_cpu, r):
    n = int(2 * r + 8)
    s = ball((n, n, n), (n / 2 + 0.31, n / 2 - 0.17, n / 2 + 0.43), r)
    area, faces = interface_areas(s.astype(np.int32), 2)
    exact = 4 * math.pi * r * r
    assert abs(area[0, 1] / exact - 1) < 0.03
    assert area[0, 1] == area[1, 0]
    # plain face counting is off by ~50 % (mean of |nx|+|ny|+|nz| over the sphere = 1.5)
    assert 1.4 < faces[0, 1] / exact < 1.6


def test_axis_plane_exact(ti_cpu):
    lab = np.full((20, 17, 13), SE, np.uint8)
    lab[:7] = AM
    m = morphology(make(lab, voxel_size=2e-6))
    assert m.interface_area["NMC811|Li6PS5Cl"] == pytest.approx(17 * 13 * 4e-12, rel=1e-12)
    assert m.volume_fractions["NMC811"] == pytest.approx(7 / 20)
    assert m.surface_area["NMC811"] == pytest.approx(m.interface_area["NMC811|Li6PS5Cl"])
    assert m.tpb_length == 0.0


@pytest.mark.parametrize("normal", [(1, 1), (1, 2)])
def test_tilted_plane(ti_cpu, normal):
    # half-space a*x + b*y < n*b/... : the plane crosses the full z extent; its exact
    # area is (length of the line a x + b y = c inside the n x n square) * nz
    n, nz = 48, 24
    a, b = normal
    c = 0.75 * n * b + 0.13  # a line that crosses the square away from its corners
    g = np.indices((n, n, nz)).astype(float) + 0.5
    s = (a * g[0] + b * g[1] < c)
    # endpoints of a x + b y = c clipped to the square [0, n]^2
    pts = []
    for x in (0.0, n):
        y = (c - a * x) / b
        if 0 <= y <= n:
            pts.append((x, y))
    for y in (0.0, n):
        x = (c - b * y) / a
        if 0 <= x <= n:
            pts.append((x, y))
    (x0, y0), (x1, y1) = sorted(set(pts))[:2]
    exact = math.hypot(x1 - x0, y1 - y0) * nz
    area, faces = interface_areas(s.astype(np.int32), 2)
    # the 2x3x3 normal window leaves an orientation-dependent error of up to ~2 % on planes
    assert abs(area[0, 1] / exact - 1) < 0.025
    assert faces[0, 1] / exact > 1.3  # the staircase


def test_cube_edges_rounded_by_at_most_one_voxel(ti_cpu):
    L = 24
    s = np.zeros((L + 8,) * 3, np.int32)
    s[4:-4, 4:-4, 4:-4] = 1
    area, faces = interface_areas(s, 2)
    exact = 6 * L * L
    assert faces[0, 1] == exact
    # the normal window rounds each of the 12 edges: the two faces beside an edge read
    # 1/sqrt(2) at worst, so at most 12 * L * 2 * (1 - 1/sqrt(2)) is lost
    loss = 1 - area[0, 1] / exact
    assert 0 <= loss <= 12 * L * 2 * (1 - 1 / math.sqrt(2)) / exact


def test_pair_areas_add_up_to_the_particle_surface(ti_cpu):
    # a sphere of active material, half in electrolyte, half in carbon
    n, r = 40, 12.0
    s = ball((n, n, n), (n / 2 + 0.2, n / 2 - 0.3, n / 2 + 0.1), r)
    lab = np.where(np.indices((n, n, n))[2] < n // 2, SE, C).astype(np.uint8)
    lab[s] = AM
    m = morphology(make(lab))
    exact = 4 * math.pi * r * r * 1e-12
    ae, ac = m.interface_area["NMC811|Li6PS5Cl"], m.interface_area["NMC811|carbon"]
    assert (ae + ac) / exact == pytest.approx(1.0, abs=0.03)
    assert ae / (exact / 2) == pytest.approx(1.0, abs=0.05)
    assert m.surface_area["NMC811"] == pytest.approx(ae + ac)
    # the electrolyte/carbon plane z = n/2 outside the sphere: n*n - pi r^2 (sphere cut at its equator-ish)
    se_c = m.interface_area["Li6PS5Cl|carbon"] / 1e-12
    disc = math.pi * (r**2 - 0.1**2)
    assert se_c == pytest.approx(n * n - disc, rel=0.02)
    # TPB: the circle where the sphere meets the SE|C plane, measured on the voxel edges;
    # a staircase circle of radius r has length 8r (|t_x| + |t_y| integrated), within a few edges
    assert m.tpb_length / 1e-6 == pytest.approx(8 * r, abs=4)


def test_tpb_three_blocks_exact(ti_cpu):
    # active | electrolyte side by side on one half, carbon on the other: one straight line along z
    nx, ny, nz = 10, 12, 17
    lab = np.full((nx, ny, nz), C, np.uint8)
    lab[:5, :6] = AM
    lab[:5, 6:] = SE
    m = morphology(make(lab, voxel_size=0.5e-6))
    assert m.tpb_length == pytest.approx(nz * 0.5e-6)
    vol = nx * ny * nz * (0.5e-6) ** 3
    assert m.tpb_length_density == pytest.approx(nz * 0.5e-6 / vol)
    assert m.tpb_length_density_um == pytest.approx(nz * 0.5 / (nx * ny * nz * 0.125))
    # two lines: a carbon rod along x at the AM|SE interface -> two more TPB lines of length nx
    lab2 = np.full((nx, ny, nz), SE, np.uint8)
    lab2[:, :6] = AM
    lab2[:, 5:7, 8] = C  # carbon strip 2 voxels wide across the interface plane y = 6
    m2 = morphology(make(lab2))
    # edges along x at (y=5|6... ) : the strip's two long edges lie on z = 8 and z = 9 at y = 6
    # where AM (y<6, outside the strip), SE (y>=6, outside) and C meet
    assert m2.tpb_length == pytest.approx(2 * nx * 1e-6)


def test_no_carbon_no_tpb_and_absent_phase_zero(ti_cpu):
    lab = np.full((6, 6, 6), SE, np.uint8)
    lab[:3] = AM
    m = morphology(make(lab))
    assert m.tpb_length == 0.0
    assert m.volume_fractions["carbon"] == 0.0 and m.volume_fractions["pore"] == 0.0
    assert "NMC811|carbon" not in m.interface_area
    assert PORE == 0


def test_interface_areas_rejects_out_of_range_labels():
    from microcath import InputError

    lab = np.zeros((3, 3, 3), np.int32)
    lab[0] = 5
    with pytest.raises(InputError, match="labels"):
        interface_areas(lab, 3)
    with pytest.raises(InputError, match="labels"):
        interface_areas(-lab)
    with pytest.raises(InputError, match="labels"):
        interface_areas(np.zeros((3, 3), np.int32))
