"""Independent check: the same discrete system assembled with scipy.sparse and solved directly."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy_assembly import brick, isotropic_D

from microcath import mechanics as M

AM, SE = (150e9, 0.25), (20e9, 0.30)


def _assemble(lab, h, eps_am, plates=False):
    """Stiffness (scipy CSR) and eigenstrain load of the periodic voxel grid ``lab`` (0 AM with
    eigenstrain, 1 SE, 2 pore), node (i, j, k) -> (i n + j) n + k; ``plates``: not periodic along
    x (n + 1 node planes, for frictionless plates on x)."""
    n = lab.shape[1]
    mx = lab.shape[0] + 1 if plates else lab.shape[0]
    element_dofs = _plate_dofs if plates else _dofs
    Bg, B0 = brick(h)
    vol = h[0] * h[1] * h[2]
    Ds = {0: isotropic_D(*AM), 1: isotropic_D(*SE)}
    rows, cols, vals = [], [], []
    f = np.zeros(3 * mx * n * n)
    for (i, j, k), v in np.ndenumerate(lab):
        if v == 2:
            continue
        dofs = element_dofs(i, j, k, n)
        Ke = vol * sum(B.T @ Ds[v] @ B for B in Bg) / 8
        rows.append(np.repeat(dofs, 24))
        cols.append(np.tile(dofs, 24))
        vals.append(Ke.ravel())
        if v == 0:
            eps = np.array([eps_am] * 3 + [0.0] * 3)
            np.add.at(f, dofs, vol * B0.T @ Ds[v] @ eps)
    K = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(f.size, f.size)).tocsr()
    return K, f


def _dofs(i, j, k, n):
    nodes = [((i + a) % n) * n * n + ((j + b) % n) * n + (k + c) % n
             for a, b, c in itertools.product((0, 1), repeat=3)]
    return np.array([3 * m + p for m in nodes for p in range(3)])


def _centre_stress(lab, u, h, eps_am, dofs=None):
    """Centre stress per element; ``dofs(i, j, k, n)``: the element's dofs (default periodic)."""
    dofs = dofs or _dofs
    n = lab.shape[1]
    _, B0 = brick(h)
    Ds = {0: isotropic_D(*AM), 1: isotropic_D(*SE)}
    sig = np.zeros(lab.shape + (6,))
    for (i, j, k), v in np.ndenumerate(lab):
        if v == 2:
            continue
        e = B0 @ u[dofs(i, j, k, n)]
        if v == 0:
            e = e - np.array([eps_am] * 3 + [0.0] * 3)
        sig[i, j, k] = Ds[v] @ e
    return sig


def _homogeneous_node_fraction(lab):
    """Fraction of the nodes of a periodic grid whose eight elements share one solid label (the
    finest level's stencil fast path)."""
    same = np.ones(lab.shape, bool)
    for s in itertools.product((0, 1), repeat=3):
        same &= np.roll(lab, s, axis=(0, 1, 2)) == lab
    return float((same & (lab != 2)).mean())


@pytest.mark.parametrize("kind", ["random", "blocky"])
@pytest.mark.parametrize("h", [(1.0, 1.0, 1.0), (1.5, 0.7, 1.1)], ids=["cubic", "dx!=dy!=dz"])
def test_matches_scipy_direct_solve_with_pores(ti_cpu, h, kind):
    """``random``: voxel-scale noise (nearly every node takes the element path); ``blocky``: 3^3
    blocks of one label, so most nodes take the assembled-stencil path of the finest level."""
    rng = np.random.default_rng(7)
    n = 8 if kind == "random" else 12
    lab = rng.choice([0, 1, 2], size=(n, n, n) if kind == "random" else (4, 4, 4),
                     p=[0.5, 0.35, 0.15]).astype(np.uint8)  # AM, SE, pore
    if kind == "blocky":
        lab = lab.repeat(3, 0).repeat(3, 1).repeat(3, 2)
        assert _homogeneous_node_fraction(lab) > 0.2
    elastic = {0: AM, 1: SE, 2: (0.0, 0.0)}
    eps_am = -0.017
    ours = M.stress_of_labels(lab, elastic, eigenstrain={0: eps_am}, voxel_size=tuple(1e-6 * v for v in h),
                              boundary="periodic",
                              dtype="float64", tol=1e-9, fields=True)
    assert ours.converged
    # --- independent assembly: periodic in all three axes
    K, f = _assemble(lab, h, eps_am)
    live = np.flatnonzero(np.asarray(abs(K).sum(axis=1)).ravel() > 0)
    # pin the three translations at one live node (the load is self-equilibrated: no reaction)
    pin = live[:3]
    keep = np.setdiff1d(live, pin)
    u = np.zeros(3 * n**3)
    u[keep] = spla.spsolve(K[keep][:, keep].tocsc(), f[keep])
    assert np.abs(K[live] @ u - f[live]).max() < 1e-8 * np.abs(f).max()
    sig = _centre_stress(lab, u, h, eps_am)
    scale = np.abs(sig).max()
    assert np.abs(ours.stress - sig).max() < 1e-5 * scale


def test_hinged_groups_match_a_dense_pseudo_inverse_solve(ti_cpu):
    """Voxels that touch the rest only along edges or at corners (microcath.hinged_groups gets an
    exact local solve in the preconditioner): found exactly, and the stresses agree with the
    minimum-norm solution of the same discrete system (a dense pseudo-inverse: it needs no pins,
    whatever null space the hinges leave)."""
    from microcath.hinged_groups import hinged_elements

    n = 8
    lab = np.full((n, n, n), 2, np.uint8)
    lab[0:3] = 1  # an SE layer, periodic in y and z
    lab[2, 4, 4] = 2
    lab[3, 4, 4] = 0  # AM on four edges of the layer
    lab[2, 1, 1] = lab[2, 0, 1] = lab[2, 1, 0] = lab[2, 2, 1] = lab[2, 1, 2] = 2
    lab[3, 1, 1] = 0  # AM on four corners
    lab[2, 6, 6] = 2
    lab[3:5, 6, 6] = 0  # two face-joined AM voxels hanging on edges
    lab[5, 2, 6] = 1  # an SE voxel floating on its own (a piece of its own: not hinged)
    want = np.zeros(lab.shape, bool)
    want[3, 4, 4] = want[3, 1, 1] = want[3, 6, 6] = want[4, 6, 6] = True
    assert (hinged_elements(lab != 2, (True, True, True)) == want).all()
    elastic = {0: AM, 1: SE, 2: (0.0, 0.0)}
    eps_am = -0.017
    h = (1.0, 1.0, 1.0)
    ours = M.stress_of_labels(lab, elastic, eigenstrain={0: eps_am}, voxel_size=1e-6, boundary="periodic",
                              dtype="float64", tol=1e-10, fields=True)
    assert ours.converged
    K, f = _assemble(lab, h, eps_am)
    live = np.flatnonzero(np.asarray(abs(K).sum(axis=1)).ravel() > 0)
    w, V = np.linalg.eigh(K[live][:, live].toarray())
    inv = np.where(w > 1e-10 * w.max(), 1.0 / np.where(w > 1e-10 * w.max(), w, 1.0), 0.0)
    u = np.zeros(3 * n**3)
    u[live] = V @ (inv * (V.T @ f[live]))
    assert np.abs(K[live] @ u - f[live]).max() < 1e-8 * np.abs(f).max()  # the load is in the range
    sig = _centre_stress(lab, u, h, eps_am)
    assert np.abs(sig[want]).max() > 0.05 * np.abs(sig).max()  # the hinged voxels carry stress
    assert np.abs(ours.stress - sig).max() < 1e-6 * np.abs(sig).max()


def _plate_dofs(i, j, k, n):
    """Dofs of element (i, j, k) between plates on x (y and z periodic)."""
    nodes = [((i + a) * n + (j + b) % n) * n + (k + c) % n for a, b, c in itertools.product((0, 1), repeat=3)]
    return np.array([3 * m + p for m in nodes for p in range(3)])


@pytest.mark.parametrize("h", [(1.0, 1.0, 1.0), (1.5, 0.7, 1.1)], ids=["cubic", "dx!=dy!=dz"])
def test_stack_pressure_matches_scipy_direct_solve(ti_cpu, h):
    """The ``'pressure'`` boundary (the last plate one unknown under the stack pressure's force)
    against a direct solve of the same system reduced by a plate constraint built here: stresses,
    the plate's displacement and the mean sigma_xx = -P."""
    rng = np.random.default_rng(11)
    n = 8
    lab = rng.choice([0, 1, 2], size=(n, n, n), p=[0.5, 0.35, 0.15]).astype(np.uint8)
    lab[:, :2, :2] = 0  # a solid column from plate to plate
    elastic = {0: AM, 1: SE, 2: (0.0, 0.0)}
    eps_am, P = -0.017, 30e6
    ours = M.stress_of_labels(lab, elastic, eigenstrain={0: eps_am}, voxel_size=tuple(1e-6 * v for v in h),
                              boundary="pressure", stack_pressure=P, dtype="float64", tol=1e-9, fields=True)
    assert ours.converged
    K, f = _assemble(lab, h, eps_am, plates=True)
    mx, nn = n + 1, n * n
    first = 3 * np.arange(nn)  # x dofs of the first plane: 0
    plate = 3 * ((mx - 1) * nn + np.arange(nn))  # x dofs of the last plane: all equal U
    live = np.flatnonzero(np.asarray(abs(K).sum(axis=1)).ravel() > 0)
    free = np.setdiff1d(live, np.concatenate([first, plate]))
    free = free[2:]  # y and z translations of the whole body (periodic y, z): pin one node's y, z
    assert free.size and (free[0] % 3, free[1] % 3) != (0, 0)
    # reduced unknowns: the free dofs and U; T maps them to all dofs
    T = sp.lil_matrix((f.size, free.size + 1))
    T[free, np.arange(free.size)] = 1.0
    T[plate, free.size] = 1.0
    T = T.tocsr()
    rhs = T.T @ f
    rhs[-1] += -P * n * n * h[1] * h[2]  # the plate force (lengths in um, as h)
    ur = spla.spsolve((T.T @ K @ T).tocsc(), rhs)
    u = T @ ur
    sig = _centre_stress(lab, u, h, eps_am, dofs=_plate_dofs)
    scale = np.abs(sig).max()
    assert abs(sig[..., 0].mean() + P) < 1e-9 * scale
    assert np.abs(ours.stress - sig).max() < 1e-5 * scale
    assert abs(ours.plate_displacement - ur[-1] * 1e-6) < 1e-6 * abs(ur[-1]) * 1e-6  # [m]
    assert abs(ours.mean_stress[0] + P) < 1e-5 * scale

