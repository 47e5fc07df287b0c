"""Conduction with unequal voxel edges (dx != dy != dz): exact means, a direct sparse solve,
refinement of one axis, and cubic voxels unchanged."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from microcath import Microstructure, Phase
from microcath.transport import conductivity, conductivity_of_labels

SPACING = (1e-8, 1.7e-8, 2.9e-8)  # dx != dy != dz [m]
SIG = {0: 1.0, 1: 7.0, 2: 0.05}


def _layers(shape, axis, values):
    """Labels varying along ``axis`` only: layer ``i`` holds ``values[i % len(values)]``."""
    idx = np.indices(shape)[axis] % len(values)
    return np.asarray(values, np.uint8)[idx]


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_series_and_parallel_laminates_along_each_axis(ti_cpu, axis):
    shape = (12, 10, 8)
    sig = np.array([SIG[0], SIG[1], SIG[2]])
    series = _layers(shape, axis, [0, 1, 1, 2, 0, 0])
    frac = np.bincount(series.ravel(), minlength=3) / series.size
    harmonic = 1.0 / np.sum(frac / sig)
    r = conductivity_of_labels(series, SIG, voxel_size=SPACING, axis=axis, dtype="float64", tol=1e-10)
    assert r.sigma_eff == pytest.approx(harmonic, rel=1e-4)
    other = (axis + 1) % 3
    parallel = _layers(shape, other, [0, 1, 2, 2])
    frac = np.bincount(parallel.ravel(), minlength=3) / parallel.size
    r = conductivity_of_labels(parallel, SIG, voxel_size=SPACING, axis=axis, dtype="float64", tol=1e-10)
    assert r.sigma_eff == pytest.approx(float(np.sum(frac * sig)), rel=1e-4)
    assert r.spacing == SPACING


def _direct_sigma_eff(labels, sigma, spacing, axis):
    """Independent finite-volume assembly with physical face conductances A_d / h_d and a
    direct sparse solve (potential 1 and 0 on the two outer faces normal to ``axis``)."""
    perm = (axis,) + tuple(d for d in range(3) if d != axis)
    lab = np.transpose(labels, perm)
    h = [spacing[p] for p in perm]
    s = np.asarray(sigma, float)[lab]
    n = lab.shape
    idx = np.arange(lab.size).reshape(n)
    area = [h[1] * h[2], h[0] * h[2], h[0] * h[1]]
    rows, cols, vals = [], [], []
    diag = np.zeros(lab.size)
    for d in range(3):
        a = [slice(None)] * 3
        b = [slice(None)] * 3
        a[d], b[d] = slice(0, n[d] - 1), slice(1, n[d])
        sa, sb = s[tuple(a)], s[tuple(b)]
        g = area[d] / (h[d] / (2 * sa) + h[d] / (2 * sb))
        ia, ib = idx[tuple(a)].ravel(), idx[tuple(b)].ravel()
        g = g.ravel()
        rows += [ia, ib]
        cols += [ib, ia]
        vals += [-g, -g]
        np.add.at(diag, ia, g)
        np.add.at(diag, ib, g)
    g_in = (2 * s[0] * area[0] / h[0]).ravel()
    g_out = (2 * s[-1] * area[0] / h[0]).ravel()
    np.add.at(diag, idx[0].ravel(), g_in)
    np.add.at(diag, idx[-1].ravel(), g_out)
    A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(lab.size, lab.size)) + sp.diags(diag)
    rhs = np.zeros(lab.size)
    rhs[idx[0].ravel()] = g_in
    phi = spla.spsolve(A.tocsc(), rhs)
    current = float(np.sum(g_in * (1.0 - phi[idx[0].ravel()])))
    return current * n[0] * h[0] / (n[1] * h[1] * n[2] * h[2])


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_random_three_phase_matches_a_direct_sparse_solve(ti_cpu, axis):
    rng = np.random.default_rng(15)
    lab = rng.integers(0, 3, size=(10, 9, 8)).astype(np.uint8)
    ref = _direct_sigma_eff(lab, [SIG[0], SIG[1], SIG[2]], SPACING, axis)
    r = conductivity_of_labels(lab, SIG, voxel_size=SPACING, axis=axis, dtype="float64", tol=1e-11)
    assert r.converged
    assert r.sigma_eff == pytest.approx(ref, rel=1e-6)
    # the spacing matters here: the cubic answer is a different number
    cubic = _direct_sigma_eff(lab, [SIG[0], SIG[1], SIG[2]], (1e-8,) * 3, axis)
    assert abs(cubic / ref - 1) > 5e-3


def test_refining_one_axis_by_two_leaves_sigma_eff_unchanged(ti_cpu):
    # an axis-aligned structure: random columns along z (the structure varies in x and y only)
    rng = np.random.default_rng(3)
    cols = rng.integers(0, 3, size=(10, 9, 1)).astype(np.uint8)
    coarse = np.repeat(cols, 6, axis=2)
    fine = np.repeat(cols, 12, axis=2)
    dx, dy, dz = SPACING
    for axis in "xyz":
        a = conductivity_of_labels(coarse, SIG, voxel_size=(dx, dy, dz), axis=axis, dtype="float64",
                                   tol=1e-11)
        b = conductivity_of_labels(fine, SIG, voxel_size=(dx, dy, dz / 2), axis=axis, dtype="float64",
                                   tol=1e-11)
        assert b.sigma_eff == pytest.approx(a.sigma_eff, rel=1e-6), axis
    # refining x of a structure that varies along x only (a laminate in series): the same
    lam = _layers((6, 5, 4), 0, [0, 1, 2])
    a = conductivity_of_labels(lam, SIG, voxel_size=SPACING, axis="x", dtype="float64", tol=1e-11)
    b = conductivity_of_labels(np.repeat(lam, 2, axis=0), SIG, voxel_size=(dx / 2, dy, dz), axis="x",
                               dtype="float64", tol=1e-11)
    assert b.sigma_eff == pytest.approx(a.sigma_eff, rel=1e-6)


def test_cubic_spacing_gives_exactly_the_one_number_answer(ti_cpu):
    rng = np.random.default_rng(7)
    lab = rng.integers(0, 3, size=(9, 8, 7)).astype(np.uint8)
    one = conductivity_of_labels(lab, SIG, voxel_size=2e-7, axis="all",
                                 interface_resistance={(0, 1): 1e-9}, fields=True)
    three = conductivity_of_labels(lab, SIG, voxel_size=(2e-7,) * 3, axis="all",
                                   interface_resistance={(0, 1): 1e-9}, fields=True)
    for a, b in zip(one.results, three.results, strict=True):
        assert a.sigma_eff == b.sigma_eff and a.n_iter == b.n_iter and a.flux_in == b.flux_in
        np.testing.assert_array_equal(a.current_density, b.current_density)
        assert a.voxel_size == 2e-7


def test_interface_resistance_and_currents_with_unequal_spacing(ti_cpu):
    # two slabs in series along y with a resistance R on their interface: the series sum
    # R_total = L1/s + L2/s + R with the physical lengths along y
    dx, dy, dz = SPACING
    lab = np.zeros((4, 10, 3), np.uint8)
    lab[:, 5:] = 1
    rint = 3e-9  # [ohm m^2]
    r = conductivity_of_labels(lab, {0: 1.0, 1: 1.0}, voxel_size=SPACING, axis="y",
                               interface_resistance={(0, 1): rint}, dtype="float64", tol=1e-11, fields=True)
    length = 10 * dy
    assert r.sigma_eff == pytest.approx(length / (length / 1.0 + rint), rel=1e-6)
    # current for 1 V over the cross-section nx dx * nz dz; uniform current density
    area = 4 * dx * 3 * dz
    assert r.flux_in == pytest.approx(r.sigma_eff * area / length, rel=1e-6)
    jy = r.current_density[1]
    assert np.allclose(jy, r.sigma_eff / length, rtol=1e-6)


def test_microstructure_front_end_uses_the_spacing(ti_cpu):
    lab = _layers((6, 8, 5), 1, [0, 1])
    phases = {0: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"), 1: Phase("pore", "pore")}
    ms = Microstructure(lab, SPACING, phases)
    r = conductivity(ms, carrier="ionic", axis="x", sigma={"Li6PS5Cl": 0.2})
    assert r.sigma_eff == pytest.approx(0.1, rel=1e-5)
    assert r.spacing == SPACING
    with pytest.raises(ValueError, match="spacing"):
        r.voxel_size  # noqa: B018
