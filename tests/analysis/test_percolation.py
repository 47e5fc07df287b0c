"""Percolation classes of hand-placed clusters, connectivity options, errors."""

import numpy as np
import pytest
from analysis_helpers import AM, PORE, SE, C, make
from scipy import ndimage

from microcath import InputError, Microstructure, Phase
from microcath.analysis import percolation


def rods():
    """Electrolyte rods along x in a pore matrix: spanning, inlet-only, outlet-only, floating."""
    lab = np.full((20, 9, 9), PORE, np.uint8)
    lab[:, 1, 1] = SE  # spanning: 20 voxels
    lab[:12, 4, 4] = SE  # touches x = 0 only: 12
    lab[5:, 7, 7] = SE  # touches x = 19 only: 15
    lab[6:9, 4, 7] = SE  # floating: 3
    lab[:2, 7, 1] = C  # another phase, not part of the network
    return make(lab)


def test_classes_and_fractions_exact(ti_cpu):
    ms = rods()
    r = percolation(ms, "Li6PS5Cl")
    n = ms.n_voxels
    assert r.percolates and r.n_clusters == 4
    assert (r.n_percolating, r.n_dead_end, r.n_isolated) == (1, 2, 1)
    assert r.fraction_percolating == pytest.approx(20 / n)
    assert r.fraction_dead_end_inlet == pytest.approx(12 / n)
    assert r.fraction_dead_end_outlet == pytest.approx(15 / n)
    assert r.fraction_dead_end == pytest.approx(27 / n)
    assert r.fraction_isolated == pytest.approx(3 / n)
    assert r.volume_fraction == pytest.approx(50 / n)
    expected = np.zeros(ms.shape, bool)
    expected[:, 1, 1] = True
    np.testing.assert_array_equal(r.percolating_mask, expected)
    inlet = r.connected_mask("inlet")
    assert inlet.sum() == 32 and inlet[:12, 4, 4].all() and not inlet[5:, 7, 7].any()
    assert r.connected_mask("outlet").sum() == 35
    assert r.fraction_connected("inlet") == pytest.approx(32 / 50)
    d = r.to_dict()
    assert d["percolates"] is True and "labels" not in d and d["phases"] == ["Li6PS5Cl"]


def test_other_axes_and_phase_sets(ti_cpu):
    ms = rods()
    # along y nothing spans (the rods run along x); by kind name the same network
    ry = percolation(ms, "electrolyte", axis="y")
    assert not ry.percolates and ry.fraction_percolating == 0.0
    assert ry.n_isolated == 4 and ry.fraction_isolated == pytest.approx(50 / ms.n_voxels)
    # the pore matrix spans every axis
    for axis in ("x", "y", "z", 0, 1, 2):
        assert percolation(ms, ["pore"], axis=axis).percolates
    # a set of phases: carbon joins nothing here (it only touches pore)
    both = percolation(ms, ["Li6PS5Cl", "carbon"])
    assert both.n_clusters == 5


@pytest.mark.parametrize("conn, spans", [(6, False), (18, True), (26, True)])
def test_edge_connected_staircase(ti_cpu, conn, spans):
    lab = np.full((10, 10, 3), PORE, np.uint8)
    for i in range(10):
        lab[i, i, 1] = SE  # neighbours share an edge only
    assert percolation(make(lab), "Li6PS5Cl", connectivity=conn).percolates is spans


@pytest.mark.parametrize("conn, spans", [(6, False), (18, False), (26, True)])
def test_corner_connected_diagonal(ti_cpu, conn, spans):
    lab = np.full((8, 8, 8), PORE, np.uint8)
    for i in range(8):
        lab[i, i, i] = SE  # neighbours share a corner only
    assert percolation(make(lab), "Li6PS5Cl", connectivity=conn).percolates is spans


@pytest.mark.parametrize("conn", [6, 18, 26])
def test_percolating_mask_against_scipy(ti_cpu, rng, conn):
    lab = np.where(rng.random((30, 24, 26)) < 0.3, SE, PORE).astype(np.uint8)
    r = percolation(make(lab), "Li6PS5Cl", connectivity=conn)
    ref, _ = ndimage.label(lab == SE, ndimage.generate_binary_structure(3, {6: 1, 18: 2, 26: 3}[conn]))
    both = np.intersect1d(np.unique(ref[0]), np.unique(ref[-1]))
    both = both[both > 0]
    np.testing.assert_array_equal(r.percolating_mask, np.isin(ref, both))
    assert r.percolates == bool(both.size)


def test_errors(ti_cpu):
    ms = rods()
    with pytest.raises(InputError, match="absent"):
        percolation(ms, "NMC811")  # in the table, 0 voxels
    with pytest.raises(InputError, match="no phase named"):
        percolation(ms, "LLZO")
    with pytest.raises(InputError, match="axis"):
        percolation(ms, "Li6PS5Cl", axis="w")
    with pytest.raises(InputError, match="connectivity"):
        percolation(ms, "Li6PS5Cl", connectivity=8)
    with pytest.raises(InputError, match="phases"):
        percolation(ms, [])
    assert AM == 1


def test_single_layer_everything_touching_percolates(ti_cpu):
    lab = np.full((1, 4, 4), SE, np.uint8)
    ms = Microstructure(lab, 1e-6, {2: Phase("SE", "electrolyte")})
    r = percolation(ms, "SE")
    assert r.percolates and r.fraction_percolating == 1.0
