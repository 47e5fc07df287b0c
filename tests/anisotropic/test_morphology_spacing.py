"""Areas, TPB lengths, particle sizes and the full analysis with unequal voxel edges."""

import math

import numpy as np
import pytest
from scipy import integrate

from microcath import Microstructure, Phase
from microcath.analysis import analyze, interface_areas, morphology, particle_diameters

PHASES = {0: Phase("pore", "pore"), 1: Phase("NMC811", "active", "NMC811"),
          2: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"), 3: Phase("carbon", "carbon", "carbon_black")}
PORE, AM, SE, C = 0, 1, 2, 3


def ellipsoid_area(a, b, c):
    """Exact surface area of the ellipsoid with semi-axes a, b, c (numerical integral)."""
    def integrand(t, p):
        st, ct = math.sin(t), math.cos(t)
        return st * math.sqrt((b * c * st * math.cos(p)) ** 2 + (a * c * st * math.sin(p)) ** 2
                              + (a * b * ct) ** 2)
    return integrate.dblquad(integrand, 0, 2 * math.pi, 0, math.pi, epsabs=1e-9, epsrel=1e-9)[0]


def voxel_ellipsoid(axes, h, shift=(0.31, -0.17, 0.43)):
    """Voxels (edges ``h``) whose centres lie inside the ellipsoid with semi-axes ``axes``."""
    n = [int(2 * ax / hh + 8) for ax, hh in zip(axes, h, strict=True)]
    g = np.indices(n).astype(float)
    q = sum(((g[d] + 0.5 - n[d] / 2 - shift[d]) * h[d] / axes[d]) ** 2 for d in range(3))
    return (q < 1).astype(np.int32)


def test_ellipsoid_exact_integral_is_right():
    assert ellipsoid_area(5, 5, 5) == pytest.approx(4 * math.pi * 25, rel=1e-9)


@pytest.mark.parametrize("axes, h", [((12, 12, 12), (1.0, 1.0, 2.0)),
                                     ((14, 11, 9), (1.0, 1.3, 1.7)),
                                     ((24, 20, 30), (1.5, 1.2, 3.0))])
def test_voxelised_ellipsoid_area_within_the_sphere_tolerance(ti_cpu, axes, h):
    # the cubic sphere test (tests/analysis/test_morphology.py) allows 3 %
    s = voxel_ellipsoid(axes, h)
    area, faces = interface_areas(s, 2, spacing=h)
    exact = ellipsoid_area(*axes)
    assert abs(area[0, 1] / exact - 1) < 0.03
    assert 1.4 < faces[0, 1] / exact < 1.6  # raw face area: the staircase remains


def test_plane_areas_use_the_face_area_of_each_axis(ti_cpu):
    dx, dy, dz = 1e-8, 2e-8, 3e-8
    for axis in range(3):
        lab = np.full((12, 10, 8), SE, np.uint8)
        sl = [slice(None)] * 3
        sl[axis] = slice(0, 5)
        lab[tuple(sl)] = AM
        ms = Microstructure(lab, (dx, dy, dz), PHASES)
        m = morphology(ms)
        size = np.array(ms.size)
        face = np.prod(size) / size[axis]
        assert m.interface_area["NMC811|Li6PS5Cl"] == pytest.approx(face, rel=1e-6)
        assert m.volume == pytest.approx(np.prod(size), rel=1e-12)


def test_tpb_lines_along_each_axis_have_the_edge_length_of_that_axis(ti_cpu):
    dx, dy, dz = 1e-8, 2e-8, 3e-8
    n = 8
    for axis in range(3):
        # three phases meet along a line parallel to ``axis``: quadrants AM, SE, C, C
        g = np.indices((n, n, n))
        a, b = [d for d in range(3) if d != axis]
        lab = np.full((n, n, n), C, np.uint8)
        lab[(g[a] < 4) & (g[b] < 4)] = AM
        lab[(g[a] < 4) & (g[b] >= 4)] = SE
        ms = Microstructure(lab, (dx, dy, dz), PHASES)
        m = morphology(ms)
        assert m.tpb_length == pytest.approx(n * (dx, dy, dz)[axis], rel=1e-12)


def test_particle_volumes_and_diameters_use_the_voxel_volume(ti_cpu):
    dx, dy, dz = 1e-8, 2e-8, 3e-8
    lab = np.full((10, 10, 10), SE, np.uint8)
    pid = np.zeros(lab.shape, np.int32)
    lab[2:6, 2:5, 2:4] = AM
    pid[2:6, 2:5, 2:4] = 1
    ms = Microstructure(lab, (dx, dy, dz), PHASES, particles=pid)
    vol = 4 * dx * 3 * dy * 2 * dz
    assert particle_diameters(ms)[0] == pytest.approx((6 * vol / math.pi) ** (1 / 3), rel=1e-12)
    res = analyze(ms)
    assert res.particles.volume[0] == pytest.approx(vol, rel=1e-12)
    # the box's six faces, exact on axis-aligned planes except the rounded edges
    box = 2 * (3 * dy * 2 * dz + 4 * dx * 2 * dz + 4 * dx * 3 * dy)
    assert res.particles.surface_area[0] == pytest.approx(box, rel=0.35)
    assert res.particles.surface_area[0] <= box * (1 + 1e-6)
    assert res.spacing == (dx, dy, dz)
    assert res.to_dict()["spacing_m"] == [dx, dy, dz]
    with pytest.raises(ValueError, match="spacing"):
        res.voxel_size  # noqa: B018


def test_cubic_spacing_gives_exactly_the_one_number_morphology(ti_cpu):
    rng = np.random.default_rng(4)
    lab = rng.integers(0, 4, size=(12, 11, 10)).astype(np.uint8)
    a = morphology(Microstructure(lab, 3e-7, PHASES))
    b = morphology(Microstructure(lab, (3e-7,) * 3, PHASES))
    assert a.interface_area == b.interface_area and a.tpb_length == b.tpb_length
    assert a.volume == b.volume
