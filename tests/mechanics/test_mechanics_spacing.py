"""Anisotropic voxels: every voxel a brick with edges (dx, dy, dz), against closed forms."""

import numpy as np
import pytest

from microcath import mechanics as M

AM, SE = (150e9, 0.25), (20e9, 0.30)
EPS = {0: -0.017}  # AM shrinks, SE has none
H = (1.5e-6, 0.7e-6, 1.1e-6)  # dx != dy != dz, dx not the smallest
P = 50e6


def _lame(E, nu):
    return E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))


def laminate_closed_form(normal, fractions, layers, eig, P):
    """Normal stresses of each layer and the mean strain along x of a laminate (layers normal to
    axis ``normal``) between frictionless plates on x under stack pressure ``P``, periodic with
    zero mean strain along y and z. Piecewise-uniform strain: tangential strains equal in all
    layers, the normal stress equal in all layers, <eps_yy> = <eps_zz> = 0, <sigma_xx> = -P."""
    n = len(layers)
    A = np.zeros((3 * n, 3 * n))
    b = np.zeros(3 * n)
    rows = []

    def sig_row(k, i):  # sigma_ii of layer k as (coefficients of the 3n strains, constant)
        lam, mu = layers[k]
        c = np.zeros(3 * n)
        c[3 * k:3 * k + 3] = lam
        c[3 * k + i] += 2 * mu
        return c, -(3 * lam + 2 * mu) * eig[k]

    for k in range(n - 1):
        for i in range(3):
            if i == normal:
                (c1, d1), (c2, d2) = sig_row(k, i), sig_row(k + 1, i)
                rows.append((c1 - c2, d2 - d1))
            else:
                c = np.zeros(3 * n)
                c[3 * k + i], c[3 * (k + 1) + i] = 1.0, -1.0
                rows.append((c, 0.0))
    for i in (1, 2):
        c = np.zeros(3 * n)
        c[i::3] = fractions
        rows.append((c, 0.0))
    c = sum(f * sig_row(k, 0)[0] for k, f in enumerate(fractions))
    rows.append((c, -P - sum(f * sig_row(k, 0)[1] for k, f in enumerate(fractions))))
    for r, (c, d) in enumerate(rows):
        A[r], b[r] = c, d
    e = np.linalg.solve(A, b).reshape(n, 3)
    sig = np.array([[sig_row(k, i)[0] @ e.ravel() + sig_row(k, i)[1] for i in range(3)] for k in range(n)])
    return sig, float(np.dot(fractions, e[:, 0]))


def _laminate(normal, n_layer=4, other=3):
    shape = [other] * 3
    shape[normal] = 2 * n_layer
    lab = np.ones(shape, np.uint8)  # SE
    idx = [slice(None)] * 3
    idx[normal] = slice(0, n_layer)
    lab[tuple(idx)] = 0  # AM
    return lab


@pytest.mark.parametrize("normal", [0, 1, 2], ids=["series-x", "parallel-y", "parallel-z"])
def test_laminate_with_unequal_spacing_matches_closed_form(ti_cpu, normal):
    lab = _laminate(normal)
    r = M.stress_of_labels(lab, {0: AM, 1: SE}, eigenstrain=EPS, voxel_size=H, boundary="pressure",
                           stack_pressure=P, fields=True)
    assert r.converged
    sig, exx = laminate_closed_form(normal, [0.5, 0.5], [_lame(*AM), _lame(*SE)], [EPS[0], 0.0], P)
    for k, lab_k in enumerate((0, 1)):
        got = r.stress[..., :3][lab == lab_k]
        assert got == pytest.approx(np.broadcast_to(sig[k], got.shape), rel=1e-5, abs=1e-6 * abs(sig).max())
    assert np.abs(r.stress[..., 3:]).max() < 1e-6 * abs(sig).max()
    # the gap change is the mean strain times the physical thickness nx * dx
    assert r.plate_displacement == pytest.approx(exx * lab.shape[0] * H[0], rel=1e-5)
    assert r.force_balance < 1e-5
    # AM/SE faces: planes normal to `normal`, each face with the other two edges as its area; two
    # such planes per period (along x between plates only the inner one is a face)
    faces_per_plane = int(np.prod(lab.shape)) // lab.shape[normal]
    area = faces_per_plane * H[(normal + 1) % 3] * H[(normal + 2) % 3]
    n_planes = 1 if normal == 0 else 2
    assert r.interfaces["0/1"]["area"] == pytest.approx(n_planes * area, rel=1e-12)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_refining_one_axis_by_two_gives_the_same_stress(ti_cpu, axis):
    """Same physical structure, each voxel split in two along `axis` (half the spacing there)."""
    normal = (axis + 1) % 3  # layers across a refined in-plane axis ...
    lab = _laminate(normal)
    fine = lab.repeat(2, axis=axis)
    h2 = list(H)
    h2[axis] /= 2
    kw = dict(eigenstrain=EPS, boundary="pressure", stack_pressure=P, fields=True)
    a = M.stress_of_labels(lab, {0: AM, 1: SE}, voxel_size=H, **kw)
    b = M.stress_of_labels(fine, {0: AM, 1: SE}, voxel_size=tuple(h2), **kw)
    scale = np.abs(a.stress).max()
    assert np.abs(b.stress - a.stress.repeat(2, axis=axis)).max() < 1e-5 * scale
    assert b.plate_displacement == pytest.approx(a.plate_displacement, rel=1e-5)
    assert b.strain_energy == pytest.approx(a.strain_energy, rel=1e-5)
    assert b.interfaces["0/1"]["area"] == pytest.approx(a.interfaces["0/1"]["area"], rel=1e-12)
    # ... and along the layer normal itself
    lab = _laminate(axis)
    fine = lab.repeat(2, axis=axis)
    a = M.stress_of_labels(lab, {0: AM, 1: SE}, voxel_size=H, **kw)
    b = M.stress_of_labels(fine, {0: AM, 1: SE}, voxel_size=tuple(h2), **kw)
    assert np.abs(b.stress - a.stress.repeat(2, axis=axis)).max() < 1e-5 * np.abs(a.stress).max()
    assert b.plate_displacement == pytest.approx(a.plate_displacement, rel=1e-5)


def test_cubic_spacing_as_three_edges_is_the_scalar_case(ti_cpu, rng):
    lab = rng.integers(0, 3, (8, 8, 8)).astype(np.uint8)
    el = {0: AM, 1: SE, 2: (0.0, 0.0)}
    kw = dict(eigenstrain=EPS, boundary="pressure", stack_pressure=P, fields=True)
    a = M.stress_of_labels(lab, el, voxel_size=0.4e-6, **kw)
    b = M.stress_of_labels(lab, el, voxel_size=(0.4e-6,) * 3, **kw)
    assert np.array_equal(a.stress, b.stress)
    assert a.voxel_size == b.voxel_size == 0.4e-6


def test_floating_piece_and_slab_with_unequal_spacing(ti_cpu):
    """Periodic cell at zero mean strain, one eigenstrain in every solid: an SE slab spanning x
    and y (pore above it) carries the biaxial -E/(1 - nu) eps in plane and nothing along z; an AM
    block floating in the pore is stress-free (its rigid motions, rotations in physical lengths,
    are found and projected out, so CG converges)."""
    lab = np.full((10, 10, 10), 2, np.uint8)  # pore
    lab[:, :, :4] = 1  # an SE slab spanning x and y
    lab[3:7, 3:7, 6:9] = 0  # an AM block floating in the pore above it
    eps = 0.01
    r = M.stress_of_labels(lab, {0: AM, 1: SE, 2: (0.0, 0.0)}, eigenstrain={0: eps, 1: eps},
                           voxel_size=H, boundary="periodic", fields=True)
    assert r.converged
    biaxial = -SE[0] / (1 - SE[1]) * eps
    slab = r.stress[lab == 1]
    assert slab[:, :2] == pytest.approx(np.full((len(slab), 2), biaxial), rel=1e-5)
    assert np.abs(slab[:, 2:]).max() < 1e-5 * abs(biaxial)
    assert np.abs(r.stress[lab == 0]).max() < 1e-5 * abs(biaxial)


def test_bad_spacing_is_refused(ti_cpu):
    from microcath.errors import InputError

    lab = np.zeros((4, 4, 4), np.uint8)
    with pytest.raises(InputError, match="three"):
        M.stress_of_labels(lab, {0: AM}, voxel_size=(1e-6, 1e-6))
    with pytest.raises(InputError, match=r"voxel_size\[1\]"):
        M.stress_of_labels(lab, {0: AM}, voxel_size=(1e-6, -1e-6, 1e-6))
