"""Per-grain anisotropic stiffness: the layered oxide's crystal rotated by each grain's orientation."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.spatial.transform import Rotation
from scipy_assembly import brick, isotropic_D

from microcath import mechanics as M
from microcath.errors import InputError
from microcath.materials import default_library
from microcath.microstructure import Microstructure
from microcath.phases import Phase

LIB = default_library()
NMC, LPSCL = LIB.get("NMC811"), LIB.get("Li6PS5Cl")
V = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


def _tensor(C6):
    T = np.zeros((3, 3, 3, 3))
    for I, (i, j) in enumerate(V):
        for J, (k, l) in enumerate(V):
            for a, b in {(i, j), (j, i)}:
                for c, d in {(k, l), (l, k)}:
                    T[a, b, c, d] = C6[I, J]
    return T


def _voigt(T):
    return np.array([[T[i, j, k, l] for k, l in V] for i, j in V])


def _rotated(C6, q_wxyz):
    """Independent of microcath's rotation: scipy's quaternion (scalar last), tensor einsum."""
    R = Rotation.from_quat([q_wxyz[1], q_wxyz[2], q_wxyz[3], q_wxyz[0]]).as_matrix()
    return _voigt(np.einsum("ia,jb,kc,ld,abcd->ijkl", R, R, R, R, _tensor(C6))), R


def test_crystal_scaled_to_the_polycrystal_and_transversely_isotropic():
    C = M.layered_oxide_stiffness(150e9)
    K, G = M.hill_moduli(C)
    assert 9 * K * G / (3 * K + G) == pytest.approx(150e9, rel=1e-12)
    assert C[0, 0] / C[2, 2] == pytest.approx(351 / 203)  # the LiCrO2 shape
    # any rotation about the c axis leaves a hexagonal crystal unchanged; c along x swaps C11, C33
    q = np.array([[np.cos(0.35), 0, 0, np.sin(0.35)], [np.cos(np.pi / 4), 0, np.sin(np.pi / 4), 0]])
    Cr = M.rotate_stiffness(C, M._quat_matrices(q))
    assert np.abs(Cr[0] - C).max() < 1e-9 * C.max()
    assert Cr[1][0, 0] == pytest.approx(C[2, 2]) and Cr[1][2, 2] == pytest.approx(C[0, 0])
    assert M.hill_moduli(Cr[1]) == pytest.approx(M.hill_moduli(C), rel=1e-12)


def _single_grain(q, n=6):
    lab = np.ones((n, n, n), np.uint8)
    return Microstructure(lab, 1e-6, {1: Phase("NMC811", "active", "NMC811")},
                          grains=np.ones(lab.shape, np.int32), orientations=np.array([q], dtype=float))


@pytest.mark.parametrize("q", [(1.0, 0, 0, 0), (0.9, 0.3, -0.2, 0.25)], ids=["c along z", "tilted"])
def test_single_crystal_under_stack_pressure_matches_its_compliance(ti_cpu, q):
    """A homogeneous crystal between frictionless plates under P, held laterally (periodic y, z):
    uniform strain with eps_yy = eps_zz = eps_yz = 0 and sigma_xx = -P, sigma_xy = sigma_xz = 0
    (plates slide): three equations for eps_xx, gamma_xz, gamma_xy; the rest follows."""
    q = np.asarray(q) / np.linalg.norm(q)
    P = 50e6
    ms = _single_grain(q)
    r = M.stress(ms, eigenstrain={"NMC811": 0.0}, boundary="pressure", stack_pressure=P,
                 anisotropic_stiffness=True, fields=True, dtype="float64", tol=1e-10)
    C, _ = _rotated(M.layered_oxide_stiffness(NMC.youngs_modulus), q)
    free = [0, 4, 5]  # eps_xx, gamma_xz, gamma_xy
    e = np.zeros(6)
    e[free] = np.linalg.solve(C[np.ix_(free, free)], np.array([-P, 0.0, 0.0]))
    sig = C @ e
    assert r.converged
    assert r.stress.reshape(-1, 6) == pytest.approx(np.tile(sig, (ms.labels.size, 1)), abs=1e-6 * P)
    assert r.plate_displacement == pytest.approx(e[0] * 6e-6, rel=1e-6)
    if q[0] < 1:  # a tilted crystal shears under a normal load: the plates slide
        assert abs(e[4]) + abs(e[5]) > 0.05 * abs(e[0])


@pytest.mark.parametrize("kind", ["random", "blocky"])
def test_polycrystal_matches_scipy_direct_solve(ti_cpu, kind):
    """Two NMC811 grains of different orientations, LPSCl and pores (8^3, periodic cell at zero
    mean strain, x_Li 0.2 lattice strains): the same discrete system assembled here with scipy
    (own rotation of the crystal and of the eigenstrain, own Gauss quadrature), spsolve: stresses
    agree to 1e-5 of the largest, for voxel-scale noise (``random``) and for 2^3 blocks of one
    label (``blocky``: nodes inside a grain)."""
    rng = np.random.default_rng(3)
    n = 8
    if kind == "random":
        lab = rng.choice([0, 1, 2], size=(n, n, n), p=[0.1, 0.6, 0.3]).astype(np.uint8)
    else:
        lab = rng.choice([0, 1, 2], size=(4, 4, 4), p=[0.1, 0.6, 0.3]).astype(np.uint8)
        lab = lab.repeat(2, 0).repeat(2, 1).repeat(2, 2)
    grains = np.where(lab == 1, np.where(np.arange(n)[:, None, None] < n // 2, 1, 2), 0).astype(np.int32)
    qs = np.array([[0.9, 0.3, -0.2, 0.25], [0.5, -0.5, 0.5, 0.5]])
    qs /= np.linalg.norm(qs, axis=1, keepdims=True)
    ms = Microstructure(lab, 1e-6, {0: Phase("pore", "pore"), 1: Phase("NMC811", "active", "NMC811"),
                                    2: Phase("LPSCl", "electrolyte", "Li6PS5Cl")},
                        grains=grains, orientations=qs)
    ours = M.stress(ms, state=0.2, boundary="periodic", anisotropic_stiffness=True, fields=True,
                    dtype="float64", tol=1e-10)
    assert ours.converged
    ea, ec = NMC.lattice_strain(0.2)
    C0 = M.layered_oxide_stiffness(NMC.youngs_modulus)
    D, eps = {}, {}
    for g in (1, 2):
        D[g], R = _rotated(C0, qs[g - 1])
        T = R @ np.diag([ea, ea, ec]) @ R.T
        eps[g] = np.array([T[i, j] * (1 if i == j else 2) for i, j in V])  # engineering shear
    D_se = isotropic_D(LPSCL.youngs_modulus, LPSCL.poisson_ratio)
    Bg, B0 = brick()
    rows, cols, vals = [], [], []
    f = np.zeros(3 * n**3)
    for (i, j, k), v in np.ndenumerate(lab):
        if v == 0:
            continue
        nodes = [((i + a) % n) * n * n + ((j + b) % n) * n + (k + c) % n
                 for a, b, c in itertools.product((0, 1), repeat=3)]
        dofs = np.array([3 * m + p for m in nodes for p in range(3)])
        De = D[grains[i, j, k]] if v == 1 else D_se
        rows.append(np.repeat(dofs, 24))
        cols.append(np.tile(dofs, 24))
        vals.append((sum(B.T @ De @ B for B in Bg) / 8).ravel())
        if v == 1:
            np.add.at(f, dofs, B0.T @ De @ eps[grains[i, j, k]])
    K = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(3 * n**3,) * 2).tocsr()
    live = np.flatnonzero(np.asarray(abs(K).sum(axis=1)).ravel() > 0)
    keep = np.setdiff1d(live, live[:3])  # pin one node's translations (self-equilibrated load)
    u = np.zeros(3 * n**3)
    u[keep] = spla.spsolve(K[keep][:, keep].tocsc(), f[keep])
    sig = np.zeros(lab.shape + (6,))
    for (i, j, k), v in np.ndenumerate(lab):
        if v == 0:
            continue
        nodes = [((i + a) % n) * n * n + ((j + b) % n) * n + (k + c) % n
                 for a, b, c in itertools.product((0, 1), repeat=3)]
        e = B0 @ u[np.array([3 * m + p for m in nodes for p in range(3)])]
        if v == 1:
            sig[i, j, k] = D[grains[i, j, k]] @ (e - eps[grains[i, j, k]])
        else:
            sig[i, j, k] = D_se @ e
    scale = np.abs(sig).max()
    assert np.abs(ours.stress - sig).max() < 1e-5 * scale
    # and the isotropic solve of the same structure is a different answer (the option matters)
    iso = M.stress(ms, state=0.2, boundary="periodic", fields=True, dtype="float64", tol=1e-10)
    assert np.abs(iso.stress - sig).max() > 1e-2 * scale


def test_anisotropic_stiffness_needs_grains_and_a_layered_oxide():
    lab = np.ones((4, 4, 4), np.uint8)
    ms = Microstructure(lab, 1e-6, {1: Phase("NMC811", "active", "NMC811")})
    with pytest.raises(InputError, match="no grains with orientations"):
        M.stress(ms, state=0.2, anisotropic_stiffness=True)
    with pytest.raises(InputError, match="not together with coarsen"):
        M.stress(_single_grain((1.0, 0, 0, 0), 4), eigenstrain={"NMC811": 0.0}, anisotropic_stiffness=True,
                 coarsen=2)
