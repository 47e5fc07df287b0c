"""Conduction solver against exact answers: blocks, laminates, channels, dead ends,
interfacial resistance, Hashin-Shtrikman bounds and the simple-cubic sphere array (DOSSIER §C)."""

import math
import os
import warnings

import numpy as np
import pytest
from scipy import ndimage

from microcath import (
    Coating,
    ConvergenceWarning,
    InputError,
    MemoryBudgetError,
    Microstructure,
    Phase,
    transport,
)
from microcath.transport import conductivity, conductivity_of_labels


def test_uniform_block_is_exactly_sigma(ti_cpu):
    lab = np.zeros((9, 5, 7), np.uint8)
    for axis in "xyz":
        r = conductivity_of_labels(lab, {0: 0.37}, axis=axis)
        assert r.sigma_eff == pytest.approx(0.37, rel=1e-6)
        assert r.tau == pytest.approx(1.0, rel=1e-6)
        assert r.percolating and r.converged
        assert r.sigma_eff_mS_cm == pytest.approx(3.7, rel=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_laminates_parallel_and_series(ti_cpu, dtype):
    # layers normal to x, thicknesses 3, 5, 4 voxels, contrast 1e3
    lab = np.zeros((12, 10, 6), np.uint8)
    lab[3:8] = 1
    lab[8:] = 2
    sig = {0: 1.0, 1: 1e-3, 2: 0.2}
    series = 12 / (3 / 1.0 + 5 / 1e-3 + 4 / 0.2)
    parallel = (3 * 1.0 + 5 * 1e-3 + 4 * 0.2) / 12
    r = conductivity_of_labels(lab, sig, axis="all", dtype=dtype)
    assert r.x.sigma_eff == pytest.approx(series, rel=1e-4)
    assert r.y.sigma_eff == pytest.approx(parallel, rel=1e-4)
    assert r.z.sigma_eff == pytest.approx(parallel, rel=1e-4)
    for res in r.results:
        assert res.flux_balance < 1e-4
        assert res.residual < 1e-6
        assert res.tau is None and "single conducting phase" in res.tau_note


def test_interfacial_resistance_adds_in_series(ti_cpu):
    h = 0.5e-6
    lab = np.zeros((10, 4, 4), np.uint8)
    lab[4:] = 1
    s0, s1, rab = 0.2, 0.05, 3e-6  # S/m, S/m, ohm m^2
    r = conductivity_of_labels(lab, {0: s0, 1: s1}, voxel_size=h, interface_resistance={(0, 1): rab})
    length = 10 * h
    expected = length / (4 * h / s0 + 6 * h / s1 + rab)
    assert r.sigma_eff == pytest.approx(expected, rel=1e-4)
    # the resistance of a pair is symmetric and only acts on faces between the two labels
    r2 = conductivity_of_labels(lab, {0: s0, 1: s1}, voxel_size=h, interface_resistance={(1, 0): rab})
    assert r2.sigma_eff == pytest.approx(expected, rel=1e-4)
    r_par = conductivity_of_labels(lab, {0: s0, 1: s1}, voxel_size=h, axis="y",
                                   interface_resistance={(0, 1): rab})
    assert r_par.sigma_eff == pytest.approx((4 * s0 + 6 * s1) / 10, rel=1e-4)


def test_coating_becomes_interfacial_resistance(ti_cpu):
    from microcath.materials import default_library

    lib = default_library()
    coat = next((m for m in lib.values() if m.has("sigma_ionic") and m.kind.value == "coating"), None)
    if coat is None:
        pytest.skip("no coating material with an ionic conductivity in the library")
    h = 1e-6
    lab = np.zeros((8, 3, 3), np.uint8)
    lab[4:] = 1
    phases = {0: Phase("SE", "electrolyte"), 1: Phase("AM", "active")}
    ms = Microstructure(lab, h, phases, coatings=(Coating("AM", coat.name, 1e-8),))
    r = conductivity(ms, carrier="ionic", sigma={"SE": 0.2, "AM": 0.01})
    r_coat = 1e-8 / coat.sigma("ionic")
    expected = 8 * h / (4 * h / 0.2 + 4 * h / 0.01 + r_coat)
    assert r.sigma_eff == pytest.approx(expected, rel=1e-4)


def test_straight_channel_tau_one_and_dead_end_zero(ti_cpu):
    lab = np.zeros((16, 8, 8), np.uint8)
    lab[:, 3:5, 2:6] = 1  # straight channel along x
    r = conductivity_of_labels(lab, {0: 0.0, 1: 2.0})
    eps = 8 / 64
    assert r.volume_fraction == pytest.approx(eps)
    assert r.sigma_eff == pytest.approx(eps * 2.0, rel=1e-6)
    assert r.tau == pytest.approx(1.0, rel=1e-6)
    assert r.macmullin == pytest.approx(1 / eps, rel=1e-6)
    # the same channel is a dead end across y and z
    for axis in "yz":
        d = conductivity_of_labels(lab, {0: 0.0, 1: 2.0}, axis=axis)
        assert d.sigma_eff == 0.0 and d.tau == math.inf and not d.percolating and d.n_iter == 0
    # a dead-end branch on a straight channel carries no current and changes nothing
    lab2 = lab.copy()
    lab2[6, 5:8, 3] = 1  # side branch off the channel, closed at its end
    lab2[0:3, 0, 0] = 1  # isolated cluster touching the inlet only
    r2 = conductivity_of_labels(lab2, {0: 0.0, 1: 2.0}, fields=True)
    assert r2.sigma_eff == pytest.approx(eps * 2.0, rel=1e-6)
    assert r2.percolating_fraction < 1.0
    assert np.isnan(r2.potential[0, 0, 0])
    assert np.allclose(r2.current_density[:, 6, 5:8, 3], 0.0, atol=1e-6)


def test_fields_potential_and_current(ti_cpu):
    lab = np.zeros((10, 4, 6), np.uint8)
    h = 2e-6
    r = conductivity_of_labels(lab, {0: 0.5}, voxel_size=h, axis="y", fields=True)
    assert r.potential.shape == lab.shape
    # linear potential from 1 V at y=0 face to 0 at the far face, at voxel centres
    np.testing.assert_allclose(r.potential[3, :, 2], 1 - (np.arange(4) + 0.5) / 4, atol=1e-6)
    j = r.current_density
    assert j.shape == (3,) + lab.shape
    np.testing.assert_allclose(j[1], 0.5 * 1.0 / (4 * h), rtol=1e-5)
    np.testing.assert_allclose(j[0], 0.0, atol=1e-3)
    np.testing.assert_allclose(j[2], 0.0, atol=1e-3)
    # current for 1 V: sigma A / L
    assert r.flux_in == pytest.approx(0.5 * (10 * h * 6 * h) / (4 * h), rel=1e-5)


def _random_two_phase(rng, n, f, blur=1.5):
    field = ndimage.gaussian_filter(rng.standard_normal((n, n, n)), blur, mode="wrap")
    thr = np.quantile(field, 1 - f)
    return (field > thr).astype(np.uint8)


def _hs(s1, s2, f):
    """HS bounds for matrix s1, inclusions s2 at fraction f (DOSSIER §C1)."""

    def mg(sm, si, fi):
        return sm * (si + 2 * sm + 2 * fi * (si - sm)) / (si + 2 * sm - fi * (si - sm))

    lo_hi = sorted([mg(s1, s2, f), mg(s2, s1, 1 - f)])
    return lo_hi


@pytest.mark.parametrize("f, s2", [(0.3, 10.0), (0.5, 0.01)])
def test_random_structures_inside_hashin_shtrikman(ti_cpu, rng, f, s2):
    lab = _random_two_phase(rng, 32, f)
    fr = lab.mean()
    lo, hi = _hs(1.0, s2, fr)
    r = conductivity_of_labels(lab, {0: 1.0, 1: s2}, axis="all")
    for res in r.results:
        assert lo * (1 - 1e-3) <= res.sigma_eff <= hi * (1 + 1e-3), (lo, res.sigma_eff, hi)


def test_single_conducting_phase_below_hs_upper(ti_cpu, rng):
    lab = _random_two_phase(rng, 32, 0.4)  # 1 = conducting, 40 %
    r = conductivity_of_labels(lab, {0: 0.0, 1: 0.13})
    phi = lab.mean()
    assert r.percolating
    assert 0 < r.sigma_eff <= 0.13 * 2 * phi / (3 - phi)
    assert r.tau == pytest.approx(phi * 0.13 / r.sigma_eff)


def _sc_sphere(n, f):
    a = (3 * f / (4 * math.pi)) ** (1 / 3) * n
    c = (np.arange(n) + 0.5) - n / 2
    r2 = c[:, None, None] ** 2 + c[None, :, None] ** 2 + c[None, None, :] ** 2
    return (r2 < a * a).astype(np.uint8)


def test_sc_sphere_array_converges_first_order_to_multipole_reference(ti_cpu):
    ref = 0.605661  # DOSSIER §C2, f=0.3, alpha=0
    # sizes whose voxelised sphere is within 0.1 % of f = 0.3 (staircase noise otherwise
    # dominates: N=24 holds f=0.3056)
    sizes = (32, 48, 64)
    vals = [conductivity_of_labels(_sc_sphere(n, 0.3), {0: 1.0, 1: 0.0}).sigma_eff for n in sizes]
    errs = [ref - v for v in vals]
    assert all(e > 0 for e in errs)
    assert errs[0] > errs[1] > errs[2]
    # error ~ C/N: N * error roughly constant (dossier: ~0.50/N)
    c = [n * e for n, e in zip(sizes, errs, strict=True)]
    assert max(c) / min(c) < 1.3
    # first-order Richardson extrapolation from N=48 and N=64
    extrap = (64 * vals[2] - 48 * vals[1]) / 16
    assert extrap == pytest.approx(ref, rel=0.01)
    # the dossier's independent FV code, same discretisation: N=32 -> 0.5922, N=64 -> 0.5984
    assert vals[0] == pytest.approx(0.5922, abs=5e-4)
    assert vals[2] == pytest.approx(0.5984, abs=5e-4)


@pytest.mark.parametrize("low", [1e-3, 1e-9])
def test_float64_matches_float32(ti_cpu, rng, low):
    # 1e-9 is a realistic electronic contrast (carbon vs electrolyte): float32 storage must
    # still converge (the operator is applied in flux form and x accumulates in float64)
    lab = rng.integers(0, 3, (20, 16, 12)).astype(np.uint8)
    sig = {0: 1.0, 1: low, 2: 0.05}
    a = conductivity_of_labels(lab, sig, dtype="float32", tol=1e-7)
    b = conductivity_of_labels(lab, sig, dtype="float64", tol=1e-10)
    assert a.converged and b.converged
    assert a.sigma_eff == pytest.approx(b.sigma_eff, rel=1e-5)
    assert b.flux_balance < 1e-8


def test_extreme_contrast_laminate_float32(ti_cpu):
    lab = np.zeros((12, 6, 6), np.uint8)
    lab[4:9] = 1
    sig = {0: 1.0, 1: 1e-9}
    r = conductivity_of_labels(lab, sig, axis="all")
    assert r.x.sigma_eff == pytest.approx(12 / (7 / 1.0 + 5 / 1e-9), rel=1e-4)
    assert r.y.sigma_eff == pytest.approx((7 + 5e-9) / 12, rel=1e-4)
    assert r.converged


def test_boundary_conventions(ti_cpu):
    # series laminate: the 'centres' convention puts half of the end layers outside
    lab = np.zeros((10, 3, 3), np.uint8)
    lab[:5] = 1
    sig = {0: 1.0, 1: 0.1}
    faces = conductivity_of_labels(lab, sig)
    centres = conductivity_of_labels(lab, sig, boundary="centres")
    assert faces.sigma_eff == pytest.approx(10 / (5 + 50), rel=1e-5)
    assert centres.sigma_eff == pytest.approx(9 / (4.5 / 1.0 + 4.5 / 0.1), rel=1e-5)
    assert centres.boundary == "centres"
    # TauFactor: end layers copied outside, potential at their centres: length N + 1
    tf = conductivity_of_labels(lab, sig, boundary="taufactor", fields=True)
    assert tf.sigma_eff == pytest.approx(11 / (5.5 / 1.0 + 5.5 / 0.1), rel=1e-5)
    assert tf.potential.shape == lab.shape and tf.volume_fraction == 1.0


def test_periodic_sides(ti_cpu):
    # a channel that leaves through the y=ny-1 side and re-enters at y=0 conducts only with periodic sides
    lab = np.zeros((8, 6, 3), np.uint8)
    lab[:4, 5, 1] = 1
    lab[3:, 0, 1] = 1
    closed = conductivity_of_labels(lab, {0: 0.0, 1: 1.0})
    assert not closed.percolating
    opened = conductivity_of_labels(lab, {0: 0.0, 1: 1.0}, periodic=True)
    assert opened.percolating
    # 8 voxels in series plus one lateral step: 2 channels of 4 and the wrap face
    assert opened.sigma_eff == pytest.approx(8 / (9) / 18, rel=1e-4)


def test_non_convergence_warns(ti_cpu, rng):
    lab = rng.integers(0, 2, (24, 24, 24)).astype(np.uint8)
    with pytest.warns(ConvergenceWarning):
        r = conductivity_of_labels(lab, {0: 1.0, 1: 1e-3}, maxiter=2, tol=1e-9)
    assert not r.converged and r.n_iter == 2


@pytest.mark.parametrize("sigma, match", [
    ({0: float("nan"), 1: 1.0}, "finite"),
    ({0: -1.0, 1: 1.0}, ">= 0"),
    ({0: 1.0}, "no conductivity"),
])
def test_bad_conductivities(ti_cpu, sigma, match):
    lab = np.zeros((4, 4, 4), np.uint8)
    lab[2:] = 1
    with pytest.raises(InputError, match=match):
        conductivity_of_labels(lab, sigma)


def test_bad_shapes_and_options(ti_cpu):
    with pytest.raises(InputError, match="at least one voxel"):
        conductivity_of_labels(np.zeros((4, 0, 4), np.uint8), {0: 1.0})
    with pytest.raises(InputError, match="3-D"):
        conductivity_of_labels(np.zeros((4, 4), np.uint8), {0: 1.0})
    lab = np.zeros((4, 4, 4), np.uint8)
    with pytest.raises(InputError, match="tol"):
        conductivity_of_labels(lab, {0: 1.0}, tol=0)
    with pytest.raises(InputError, match="dtype"):
        conductivity_of_labels(lab, {0: 1.0}, dtype="float16")
    with pytest.raises(InputError, match="axis"):
        conductivity_of_labels(lab, {0: 1.0}, axis="w")
    with pytest.raises(InputError, match="interface_resistance"):
        conductivity_of_labels(lab, {0: 1.0}, interface_resistance={(0, 1): -1.0})


def test_too_large_for_memory_is_refused_before_allocation(ti_cpu, monkeypatch):
    monkeypatch.setattr(transport, "available_memory", lambda: (50 * 2**20, "test memory"))
    lab = np.zeros((128, 128, 128), np.uint8)
    with pytest.raises(MemoryBudgetError, match=r"largest cube that fits is about \d+\^3"):
        conductivity_of_labels(lab, {0: 1.0})


def test_microstructure_front_end(ti_cpu):
    lab = np.zeros((8, 4, 4), np.uint8)
    lab[:, :2] = 1
    phases = {0: Phase("pore", "pore"), 1: Phase("SE", "electrolyte", "Li6PS5Cl")}
    ms = Microstructure(lab, 1e-6, phases)
    r = conductivity(ms, carrier="ionic", sigma={"SE": 0.3})
    assert r.sigma_eff == pytest.approx(0.15, rel=1e-6)
    assert r.tau == pytest.approx(1.0, rel=1e-6)
    with pytest.raises(InputError, match="carrier"):
        conductivity(ms, carrier="thermal")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = r.to_dict()
    assert d["sigma_eff"] == pytest.approx(0.15, rel=1e-6) and d.get("potential") is None


def test_gpu_loop_layout_gives_the_same_answers(tmp_path):
    """The one-thread-per-voxel kernels used on CUDA, run on the CPU backend."""
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from microcath.transport import conductivity_of_labels as c\n"
        "lab = np.zeros((12, 10, 6), np.uint8); lab[3:8] = 1; lab[8:] = 2\n"
        "r = c(lab, {0: 1.0, 1: 1e-3, 2: 0.2}, axis='all')\n"
        "print(r.x.sigma_eff, r.y.sigma_eff, r.x.n_iter)\n"
    )
    env = dict(os.environ, MICROCATH_ARCH="cpu", MICROCATH_GPU_LOOPS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    sx, sy, _ = out.stdout.split()
    assert float(sx) == pytest.approx(12 / (3 / 1.0 + 5 / 1e-3 + 4 / 0.2), rel=1e-4)
    assert float(sy) == pytest.approx((3 * 1.0 + 5 * 1e-3 + 4 * 0.2) / 12, rel=1e-4)
