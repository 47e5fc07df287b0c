"""Elasticity with eigenstrain against exact solutions (../shared/physics/MECHANICS.md, DOSSIER C4-C6)."""

import math

import numpy as np
import pytest

from microcath import mechanics as M
from microcath.errors import InputError

AM = (150e9, 0.25)  # K = 100 GPa, G = 60 GPa
SE = (20e9, 0.30)
EPS5 = 0.95 ** (1 / 3) - 1  # -5 % volume as a linear eigenstrain


def _K(E, nu):
    return E / (3 * (1 - 2 * nu))


def _G(E, nu):
    return E / (2 * (1 + nu))


def laminate(n=12):
    lab = np.zeros((n, n, n), np.uint8)
    lab[:, :, : n // 2] = 1  # layers normal to z: SE below, AM above
    return lab


def test_uniform_eigenstrain_free_is_stress_free_and_clamped_is_minus_3K_eps(ti_cpu):
    lab = np.zeros((8, 8, 8), np.uint8)
    free = M.stress_of_labels(lab, {0: AM}, eigenstrain={0: -0.01}, voxel_size=1e-6, boundary="free",
                              fields=True)
    assert free.converged
    assert np.abs(free.stress).max() < 1e-6 * 3 * _K(*AM) * 0.01
    assert free.mean_strain[:3] == pytest.approx((-0.01,) * 3, rel=1e-6)
    clamped = M.stress_of_labels(lab, {0: AM}, eigenstrain={0: -0.01}, voxel_size=1e-6, boundary="periodic",
                                 fields=True)
    assert np.allclose(clamped.stress[..., :3], 3 * _K(*AM) * 0.01, rtol=1e-6)
    assert np.abs(clamped.stress[..., 3:]).max() < 1e-3


def test_any_structure_with_one_eigenstrain_is_stress_free_pores_included(ti_cpu, rng):
    lab = rng.integers(0, 3, (12, 12, 12)).astype(np.uint8)  # AM, SE and 1/3 pores
    el = {0: AM, 1: SE, 2: (0.0, 0.0)}
    r = M.stress_of_labels(lab, el, eigenstrain={0: 0.01, 1: 0.01}, voxel_size=1e-6, boundary="free",
                           fields=True)
    assert r.converged
    assert np.abs(r.stress).max() < 1e-4 * 3 * _K(*AM) * 0.01
    assert r.mean_strain[:3] == pytest.approx((0.01,) * 3, rel=1e-5)


def test_laminate_free_and_clamped_match_closed_form(ti_cpu):
    """DOSSIER C5: AM (-1.7 %) / SE 50/50, free: +-425 MPa in plane, 0 normal; clamped:
    3621.19 / 284.39 MPa in plane, 663.57 MPa normal."""
    lab = laminate()
    el = {0: AM, 1: SE}
    free = M.stress_of_labels(lab, el, eigenstrain={0: -0.017}, voxel_size=1e-6, boundary="free", fields=True)
    s = free.stress / 1e6
    assert s[..., -1, 0] == pytest.approx(np.full(s.shape[:2], 425.0), rel=1e-4)
    assert s[..., 0, 1] == pytest.approx(np.full(s.shape[:2], -425.0), rel=1e-4)
    assert np.abs(s[..., 2]).max() < 1e-3
    cl = M.stress_of_labels(lab, el, eigenstrain={0: -0.017}, voxel_size=1e-6, boundary="periodic",
                            fields=True)
    s = cl.stress / 1e6
    assert s[0, 0, -1, 0] == pytest.approx(3621.19, rel=1e-5)
    assert s[0, 0, 0, 0] == pytest.approx(284.39, rel=1e-4)
    assert s[..., 2] == pytest.approx(np.full(s.shape[:3], 663.57), rel=1e-5)
    # plates on x at a fixed gap hold the same in-plane state as the clamped cell
    pl = M.stress_of_labels(lab, el, eigenstrain={0: -0.017}, voxel_size=1e-6, boundary="plates", fields=True)
    assert pl.stress[4, 4, -1, 0] / 1e6 == pytest.approx(3621.19, rel=1e-5)
    assert pl.force_balance < 1e-5


@pytest.mark.parametrize("angle,sxx,syy", [(90.0, 600.0, 150.0), (30.0, 150.0, 37.5)])
def test_nmc811_bicrystal_anisotropic_eigenstrain(ti_cpu, angle, sxx, syy):
    """MECHANICS.md 2: grain A c || z, grain B c rotated by `angle` about y; free: grain A carries
    (sxx, syy) in plane, grain B the opposite, the boundary (normal z) carries no traction."""
    lab = np.zeros((8, 8, 8), np.uint8)
    grains = np.ones(lab.shape, np.int32)
    grains[:, :, 4:] = 2
    a = math.radians(angle) / 2
    q = np.array([[1.0, 0, 0, 0], [math.cos(a), 0, math.sin(a), 0]])
    gs = M._grain_tensors(q, -0.0195, -0.0120)
    eps = M.eigenstrain_field(lab, np.zeros(256), grains=grains, grain_strain=gs)
    r = M.stress_of_labels(lab, {0: AM}, voxel_size=1e-6, eigenstrain_field_=eps, boundary="free",
                           fields=True)
    s = r.stress / 1e6
    assert s[2, 2, 1, 0] == pytest.approx(sxx, rel=1e-4)
    assert s[2, 2, 1, 1] == pytest.approx(syy, rel=1e-4)
    assert s[2, 2, 6, 1] == pytest.approx(-syy, rel=1e-4)
    assert np.abs(s[..., 2]).max() < 1e-3 * sxx
    # normal traction on the grain boundary (between z = 3 and 4): zero, nothing opens
    assert abs(r.interfaces["0/0"]["mean_traction"] if "0/0" in r.interfaces else 0.0) < 1.0


def test_homogeneous_block_under_stack_pressure(ti_cpu):
    lab = np.zeros((8, 6, 6), np.uint8)
    P = 50e6
    r = M.stress_of_labels(lab, {0: AM}, voxel_size=1e-6, boundary="pressure", stack_pressure=P, fields=True)
    nu = AM[1]
    assert np.allclose(r.stress[..., 0], -P, rtol=1e-5)
    assert np.allclose(r.stress[..., 1:3], -P * nu / (1 - nu), rtol=1e-5)
    # uniaxial strain: gap change = -P L / M with M = E (1 - nu) / ((1 + nu)(1 - 2 nu))
    Mmod = AM[0] * (1 - nu) / ((1 + nu) * (1 - 2 * nu))
    assert r.plate_displacement == pytest.approx(-P * 8e-6 / Mmod, rel=1e-5)
    assert r.force_balance < 1e-5


def test_stack_pressure_needs_a_piece_from_plate_to_plate(ti_cpu):
    """A pore layer across the cell carries no stack pressure (a clear error); a diagonal column
    that reaches the far plate only through the periodic y face does carry it (sigma_xx = -P), and
    float32 vectors reach a tolerance of 1e-10 on it (the float64 iterate, the true residual
    restarting the recurrence when float32 round-off stalls it)."""
    lab = np.zeros((8, 6, 6), np.uint8)
    lab[4] = 1
    with pytest.raises(InputError, match="does not connect the two plates"):
        M.stress_of_labels(lab, {0: AM, 1: (0.0, 0.0)}, voxel_size=1e-6, boundary="pressure",
                           stack_pressure=10e6)
    lab = np.ones((8, 6, 6), np.uint8)
    for i in range(8):  # a 2 x 2 column that steps one voxel in y per layer, wrapping at y = 6
        for dj in range(2):
            lab[i, (i + dj) % 6, 2:4] = 0
    P = 10e6
    r = M.stress_of_labels(lab, {0: AM, 1: (0.0, 0.0)}, voxel_size=1e-6, boundary="pressure",
                           stack_pressure=P, tol=1e-10, eigenstrain={0: -0.01})
    assert r.converged and r.dtype == "float32"
    assert r.mean_stress[0] == pytest.approx(-P, rel=1e-8)


def _eshelby_study():
    """examples/eshelby_sphere.py: the study behind the sphere figures of docs/mechanics.md."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "eshelby_sphere.py"
    spec = importlib.util.spec_from_file_location("eshelby_sphere", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _sphere_hydrostatic(n, rad, el=None, refine=1):
    """Mean interior (within 0.6 r) hydrostatic stress and volume fraction of a voxel sphere
    (label 0, -5 % volume) in a periodic cell at zero mean strain."""
    row = _eshelby_study().run(n, rad, refine, elastic=el)
    assert row["converged"]
    return row["hyd"], row["f"]


def _lame_fixed_outer(f):
    return _eshelby_study().lame_fixed_outer(f)


def test_inclusion_in_periodic_cell_homogeneous_moduli_exact(ti_cpu):
    """Equal moduli, dilatational eigenstrain in a voxel sphere, periodic cell at zero mean strain:
    tr(eps) = 3 K (1 - f) eps* / (lam + 2 mu) inside *any* inclusion shape, so the interior
    hydrostatic stress is K eps* (3 K (1 - f) / (lam + 2 mu) - 3) exactly (no shape, staircase or
    periodic-image effect): checks the finite-f reference used below."""
    hyd, f = _sphere_hydrostatic(16, 5.0, el={0: AM, 1: AM})
    K, mu = _K(*AM), _G(*AM)
    exact = K * EPS5 * (3 * K * (1 - f) / (K + 4 * mu / 3) - 3)
    assert hyd == pytest.approx(exact, rel=5e-3)


def test_misfitting_sphere_error_is_the_voxel_staircase(ti_cpu):
    """An NMC sphere (-5 % volume) in LPSCl in a periodic cell at zero mean strain, against the
    exact core-shell (Lame) solution with a fixed outer surface at the same volume fraction
    (MECHANICS.md 2; f -> 0 gives Eshelby's 473 MPa). Measured (examples/eshelby_sphere.py):
    +15.8 / +8.5 / +5.3 % at r = 4 / 8 / 12 voxels; at r = 8 +8.5 % for f = 6.6, 2.0 and 0.8 %
    alike (not periodic images); the same r = 4 or r = 8 staircase meshed 2x finer moves by
    0.6 % and 0.03 % (not the finite elements). The excess is the staircase inclusion's own:
    a stiff voxel sphere in a soft matrix is constrained more than the smooth sphere, first order
    in 1/r. So the 5 % target at r = 8 is out of reach of a binary voxel sphere; Richardson
    extrapolation from r = 4 and 8 lands within 2 %."""
    hyd4, f4 = _sphere_hydrostatic(16, 4.0)
    hyd4_fine, f4_fine = _sphere_hydrostatic(16, 4.0, refine=2)
    hyd8, f8 = _sphere_hydrostatic(32, 8.0)
    assert f4_fine == f4
    r4, r8 = hyd4 / -_lame_fixed_outer(f4), hyd8 / -_lame_fixed_outer(f8)
    # the same staircase on a 2x finer mesh: the finite-element error is small
    assert hyd4_fine / hyd4 == pytest.approx(1.0, abs=0.01)
    # a finer staircase: the error shrinks like 1/r
    assert 1.0 < r8 < r4 < 1.0 + 0.8 / 4  # tension inside, error shrinking
    assert (r8 - 1) / (r4 - 1) == pytest.approx(0.5, abs=0.1)
    assert r8 - 1.0 < 0.8 / 8
    assert 2 * r8 - r4 == pytest.approx(1.0, abs=0.02)


def test_levin_relation_and_hashin_shtrikman(ti_cpu, rng):
    """Levin: the free eigenstrain of a two-phase composite with volumetric eigenstrains is fixed by
    its effective compliance, exactly; the effective bulk modulus lies inside the HS bounds."""
    from scipy import ndimage

    field = ndimage.gaussian_filter(rng.standard_normal((16, 16, 16)), 2.0, mode="wrap")
    lab = (field > np.quantile(field, 0.6)).astype(np.uint8)  # 40 % SE (label 1), 60 % AM
    el = {0: AM, 1: SE}
    C = M.effective_stiffness(lab, el)
    S = np.linalg.inv(C)  # engineering compliance
    e1, e2 = -0.017, 0.004
    free = M.stress_of_labels(lab, el, eigenstrain={0: e1, 1: e2}, voxel_size=1e-6, boundary="free")
    K1, K2 = _K(*AM), _K(*SE)
    levin = e1 * np.array([1, 1, 1, 0, 0, 0]) + (e2 - e1) / (1 / (3 * K2) - 1 / (3 * K1)) * \
        (S @ np.array([1.0, 1, 1, 0, 0, 0]) - np.array([1, 1, 1, 0, 0, 0]) / (3 * K1))
    got = np.array(free.mean_strain) * np.array([1, 1, 1, 2, 2, 2])
    assert got[:3] == pytest.approx(levin[:3], rel=0.01)
    assert np.abs(got[3:] - levin[3:]).max() < 0.01 * abs(e1)
    Kstar = 1.0 / S[:3, :3].sum()
    f2 = float((lab == 1).mean())
    f1 = 1 - f2
    G1, G2 = _G(*AM), _G(*SE)
    KU = K1 + f2 / (1 / (K2 - K1) + 3 * f1 / (3 * K1 + 4 * G1))
    KL = K2 + f1 / (1 / (K1 - K2) + 3 * f2 / (3 * K2 + 4 * G2))
    assert KL <= Kstar <= KU


def test_strain_energy_identity(ti_cpu, rng):
    lab = rng.integers(0, 3, (10, 10, 10)).astype(np.uint8)
    el = {0: AM, 1: SE, 2: (0.0, 0.0)}
    r = M.stress_of_labels(lab, el, eigenstrain={0: -0.01, 1: 0.002}, voxel_size=1e-6, boundary="free",
                           fields=True)
    eps = M.eigenstrain_field(lab, np.array([-0.01, 0.002] + [0.0] * 254))
    sig_eps = (r.stress[..., :3] * eps[..., :3]).sum() + 2 * (r.stress[..., 3:] * eps[..., 3:]).sum()
    assert r.strain_energy == pytest.approx(-0.5 * sig_eps * 1e-18, rel=1e-4)
    assert r.strain_energy > 0


def test_mirror_and_axis_permutation_invariance(ti_cpu, rng):
    lab = rng.integers(0, 3, (8, 10, 12)).astype(np.uint8)
    el = {0: AM, 1: SE, 2: (0.0, 0.0)}
    kw = dict(eigenstrain={0: -0.01}, voxel_size=1e-6, boundary="pressure", stack_pressure=10e6)
    base = M.stress_of_labels(lab, el, **kw)
    mirrored = M.stress_of_labels(lab[::-1, ::-1], el, **kw)
    permuted = M.stress_of_labels(lab.transpose(0, 2, 1), el, **kw)
    for other in (mirrored, permuted):
        for name, st in base.phases.items():
            assert other.phases[name]["mean_hydrostatic"] == pytest.approx(st["mean_hydrostatic"], rel=1e-4)
            assert other.phases[name]["mean_von_mises"] == pytest.approx(st["mean_von_mises"], rel=1e-4)


def test_bad_elastic_input(ti_cpu):
    lab = np.zeros((4, 4, 4), np.uint8)
    with pytest.raises(InputError, match="Poisson"):
        M.stress_of_labels(lab, {0: (1e9, 0.5)}, voxel_size=1e-6)
    with pytest.raises(InputError, match="Young"):
        M.stress_of_labels(lab, {0: (float("nan"), 0.3)}, voxel_size=1e-6)
    with pytest.raises(InputError, match="Young"):
        M.stress_of_labels(lab, {0: (-1e9, 0.3)}, voxel_size=1e-6)
    with pytest.raises(InputError, match="--elastic 1="):
        M.stress_of_labels(np.ones((4, 4, 4), np.uint8), {0: AM}, voxel_size=1e-6)
    with pytest.raises(InputError, match="boundary"):
        M.stress_of_labels(lab, {0: AM}, voxel_size=1e-6, boundary="rigid")


def test_spherical_pore_under_uniaxial_load_goodier(ti_cpu):
    """Goodier: next to a spherical pore under remote uniaxial stress S along z, the equatorial
    sigma_zz = S [1 + (4 - 5 nu)/(2 (7 - 5 nu)) (a/r)^3 + 9/(2 (7 - 5 nu)) (a/r)^5] (2.045 S at the
    surface for nu = 0.3). Shell average over 0..2.5 voxels outside a radius-8 pore within 10 %
    (measured +5.9 %: staircase and the 3.4 % pore fraction of the periodic cell)."""
    n, a = 40, 8.0
    E, nu, S = 20e9, 0.3, 100e6
    X = np.indices((n, n, n)) - (n - 1) / 2
    r = np.sqrt((X**2).sum(0))
    lab = (r >= a).astype(np.uint8)  # 0 pore, 1 solid
    res = M.stress_of_labels(lab, {0: (0.0, 0.0), 1: (E, nu)}, voxel_size=1e-6, boundary="periodic",
                             macro_strain=(-nu * S / E, -nu * S / E, S / E, 0, 0, 0), fields=True)
    assert res.converged
    remote = res.mean_stress[2]
    eq = (np.abs(X[2]) < 1.0) & (r >= a) & (r < a + 2.5)
    k = 2 * (7 - 5 * nu)
    theory = 1 + (4 - 5 * nu) / k * (a / r[eq]) ** 3 + 9 / k * (a / r[eq]) ** 5
    assert (res.stress[..., 2][eq] / remote).mean() == pytest.approx(theory.mean(), rel=0.10)


def test_too_large_for_memory_is_refused_before_allocation(ti_cpu, monkeypatch):
    from microcath import MemoryBudgetError, memory

    monkeypatch.setattr(memory, "available_memory", lambda device=True: (64 * 2**20, "test memory"))
    lab = np.zeros((64, 64, 64), np.uint8)
    with pytest.raises(MemoryBudgetError, match=r"labels: a 64x64x64 volume .*largest cube that fits"):
        M.stress_of_labels(lab, {0: AM}, eigenstrain={0: -0.01}, voxel_size=1e-6)


def test_free_cell_that_does_not_hold_together_is_refused(ti_cpu):
    """A slab spanning x and y with pore above it cannot carry a z strain: the free cell's
    effective stiffness is singular and no zero-mean-stress strain exists (was: a mean strain of
    -3000 reported as converged)."""
    lab = np.full((8, 8, 8), 1, np.uint8)
    lab[:, :, :4] = 0
    with pytest.raises(InputError, match="singular"):
        M.stress_of_labels(lab, {0: SE, 1: (0.0, 0.0)}, eigenstrain={0: 0.01}, voxel_size=1e-6,
                           boundary="free")


def test_gpu_loop_layout_gives_the_closed_form(tmp_path):
    """The one-thread-per-node kernels used on CUDA (element path, homogeneous-stencil path and
    coarse levels), run on the CPU backend: the clamped laminate between plates (DOSSIER C5)."""
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from microcath import mechanics as M\n"
        "lab = np.zeros((12, 12, 12), np.uint8); lab[:, :, :6] = 1\n"
        f"r = M.stress_of_labels(lab, {{0: {AM}, 1: {SE}}}, eigenstrain={{0: -0.017}}, voxel_size=1e-6,"
        " boundary='plates', fields=True)\n"
        "s = r.stress[4, 4] / 1e6\n"
        "print(s[-1, 0], s[0, 0], s[3, 2], r.converged)\n"
    )
    env = dict(os.environ, MICROCATH_ARCH="cpu", MICROCATH_GPU_LOOPS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    am, se, normal, conv = out.stdout.split()[-4:]
    assert conv == "True"
    assert float(am) == pytest.approx(3621.19, rel=1e-5)
    assert float(se) == pytest.approx(284.39, rel=1e-4)
    assert float(normal) == pytest.approx(663.57, rel=1e-5)
