"""Crack-aware coarse levels (``gpu_kernels.aggregation``, issue 12): the pieces follow the
definition, the coarse operator is the Galerkin product of an independent scipy assembly, the
block-parity colouring only puts weakly joined nodes of one block in one colour, and the
electronic solve after the stress stage's opened faces agrees with a direct sparse solve."""

import numpy as np
import pytest
from microcath.geometries import generate
from microcath.gpu_kernels import aggregation as AG
from microcath.gpu_kernels import conduction as C
from scipy import sparse
from scipy.sparse import csgraph
from scipy.sparse.linalg import spsolve

from microcath import transport
from microcath.materials import default_library
from microcath.mechanics import stress


def faces_of(sig: np.ndarray, cuts=None):
    """Face conductances in the solver's layout (harmonic means, electrodes at 2 sigma,
    no-flux sides: the wrap faces are 0), cut faces 0 -- assembled here with numpy."""
    nx, ny, nz = sig.shape
    hm = lambda a, b: np.where((a > 0) & (b > 0), 2 * a * b / np.where(a + b > 0, a + b, 1), 0.0)  # noqa: E731
    gx = np.zeros((nx + 1, ny, nz))
    gx[0], gx[nx] = 2 * sig[0], 2 * sig[-1]
    gx[1:nx] = hm(sig[:-1], sig[1:])
    gy = np.zeros((nx, ny, nz))
    gy[:, 1:] = hm(sig[:, :-1], sig[:, 1:])
    gz = np.zeros((nx, ny, nz))
    gz[:, :, 1:] = hm(sig[:, :, :-1], sig[:, :, 1:])
    if cuts is not None:
        gx[1:nx][cuts[0][:-1]] = 0
        gy[:, 1:][cuts[1][:, :-1]] = 0
        gz[:, :, 1:][cuts[2][:, :, :-1]] = 0
    return gx, gy, gz


def assemble(gx, gy, gz):
    """Sparse matrix of the voxel system and the electrode conductance per voxel."""
    nx, ny, nz = gy.shape
    idx = np.arange(nx * ny * nz).reshape(nx, ny, nz)
    pairs = [(idx[:-1], idx[1:], gx[1:nx]), (idx[:, :-1], idx[:, 1:], gy[:, 1:]),
             (idx[:, :, :-1], idx[:, :, 1:], gz[:, :, 1:])]
    a = np.concatenate([p[0].ravel() for p in pairs])
    b = np.concatenate([p[1].ravel() for p in pairs])
    g = np.concatenate([p[2].ravel() for p in pairs])
    n = idx.size
    off = sparse.coo_matrix((g, (a, b)), shape=(n, n)).tocsr()
    off = off + off.T
    e = np.zeros((nx, ny, nz))
    e[0] += gx[0]
    e[-1] += gx[nx]
    return off, e.ravel()


def direct_sigma_eff(sig: np.ndarray, cuts) -> float:
    """sigma_eff along axis 0 of the system with ``cuts`` opened: components of the face graph
    that touch both electrodes (scipy.sparse.csgraph), direct sparse solve."""
    gx, gy, gz = faces_of(sig, cuts)
    off, e = assemble(gx, gy, gz)
    n = off.shape[0]
    _, comp = csgraph.connected_components(off, directed=False)
    nx = sig.shape[0]
    first, last = np.zeros(n, bool), np.zeros(n, bool)
    first[: n // nx] = gx[0].ravel() > 0
    last[n - n // nx:] = gx[nx].ravel() > 0
    span = np.intersect1d(comp[first], comp[last])
    keep = np.flatnonzero(np.isin(comp, span))
    a = off[keep][:, keep]
    lap = sparse.diags(np.asarray(off.sum(axis=1)).ravel()[keep] + e[keep]) - a
    rhs = np.zeros(n)
    rhs[: n // nx] = gx[0].ravel()
    phi = spsolve(lap.tocsc(), rhs[keep])
    full = np.zeros(n)
    full[keep] = phi
    inlet = gx[0].ravel() * (1.0 - full[: n // nx]) * np.isin(np.arange(n // nx), keep)
    return float(inlet.sum()) * nx / (sig.shape[1] * sig.shape[2])


def test_pieces_follow_cuts_and_strength(ti_cpu):
    """Two phases at contrast 1e3 and a cut plane inside the first layer of blocks: every
    piece lies in one 2x2x2 block, is connected through strong faces of its block, and no
    strong face of a block joins two pieces (so no piece crosses a cut face)."""
    rng = np.random.default_rng(3)
    sig = np.where(rng.random((6, 6, 6)) < 0.3, 1e3, 1.0)
    cuts = [np.zeros(sig.shape, bool) for _ in range(3)]
    cuts[0][0] = True  # faces between x = 0 and x = 1: inside the blocks of x-cells 0, 1
    gx, gy, gz = faces_of(sig, cuts)
    lv = AG.first_level(gx, gy, gz, sig.shape, C._TI_DTYPES["float64"])
    cptr, child = lv.children
    piece = np.full(sig.size, -1)
    for c in range(lv.size):
        piece[child[cptr[c]:cptr[c + 1]]] = c
    assert (piece >= 0).all()
    off, _ = assemble(gx, gy, gz)
    coo = sparse.triu(off).tocoo()
    mx = np.asarray(off.max(axis=1).todense()).ravel()
    ijk = np.stack(np.unravel_index(np.arange(sig.size), sig.shape), 1) // 2
    same_block = (ijk[coo.row] == ijk[coo.col]).all(axis=1)
    strong = same_block & (coo.data >= AG.THETA * np.maximum(mx[coo.row], mx[coo.col]))
    assert (piece[coo.row[strong]] == piece[coo.col[strong]]).all()  # maximal
    for c in range(lv.size):
        cells = child[cptr[c]:cptr[c + 1]]
        assert len(np.unique(ijk[cells], axis=0)) == 1  # one block
        sub = sparse.coo_matrix((np.ones(strong.sum()), (coo.row[strong], coo.col[strong])),
                                shape=off.shape).tocsr()[cells][:, cells]
        assert csgraph.connected_components(sub, directed=False)[0] == 1  # connected
    # the cut plane: cells x = 0 and x = 1 never share a piece
    assert not np.intersect1d(piece.reshape(sig.shape)[0], piece.reshape(sig.shape)[1]).size


def test_coarse_operator_is_galerkin_product_and_two_coloured(ti_cpu, monkeypatch):
    monkeypatch.setattr(AG, "COARSEST_NODES", 8)  # several levels on a small grid
    rng = np.random.default_rng(5)
    sig = 10.0 ** rng.uniform(-6, 3, (9, 8, 7))  # odd sizes: blocks of one cell at the ends
    cuts = [rng.random(sig.shape) < 0.3 for _ in range(3)]
    gx, gy, gz = faces_of(sig, cuts)
    off, e = assemble(gx, gy, gz)
    a = sparse.diags(np.asarray(off.sum(axis=1)).ravel() + e) - off
    lv = AG.first_level(gx, gy, gz, sig.shape, C._TI_DTYPES["float64"])
    levels = [lv]
    while levels[-1].minv is None:
        levels.append(levels[-1].coarsen())
    fine = a
    fallbacks = 0
    for k, lvl in enumerate(levels):
        cptr, child = lvl.children
        rows = child
        cols = np.repeat(np.arange(lvl.size), np.diff(cptr))
        p = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(fine.shape[0], lvl.size))
        if k == 0:  # voxels without any conducting face are no unknowns
            live = np.asarray(abs(a).sum(axis=1)).ravel() > 0
            assert p.sum() == live.sum() and (np.asarray(p.sum(axis=1)).ravel() == live).all()
        else:
            assert (np.asarray(p.sum(axis=1)).ravel() == 1).all()
        gal = (p.T @ fine @ p).toarray()
        ours = _dense(lvl)
        np.testing.assert_allclose(ours, gal, rtol=1e-12, atol=1e-12 * abs(gal).max())
        # colours: nodes of one colour only meet inside a block (weak connections), else
        # each neighbour is in a face-neighbour block of the other colour
        red = np.arange(lvl.size) < lvl.n_red
        bc = lvl.bcoord
        assert ((bc.sum(axis=1) % 2 == 0) == red).all()
        if lvl.by_blocks:
            i, j = np.nonzero(np.triu(gal, 1))
            same_colour = red[i] == red[j]
            assert (bc[i][same_colour] == bc[j][same_colour]).all()
            assert (np.abs(bc[i] - bc[j]).sum(axis=1)[~same_colour] == 1).all()
        else:
            fallbacks += 1
        # a colour pass is an A-norm contraction: 2 D - A_cc = D + W_cc is diagonally dominant
        for c in (red, ~red):
            if not c.any():
                continue
            acc = gal[np.ix_(c, c)]
            m2 = 2 * np.diag(np.diag(acc)) - acc
            assert np.linalg.eigvalsh(m2).min() > -1e-12 * abs(m2).max()
        fine = sparse.csr_matrix(gal)
    assert len(levels) >= 3
    print(f"{len(levels)} levels, {fallbacks} strongest-neighbour levels")


def _dense(lvl) -> np.ndarray:
    ptr, nbr, g, e = (lvl.ptr.to_numpy(), lvl.nbr.to_numpy(), lvl.g.to_numpy(), lvl.e.to_numpy())
    n = lvl.size
    nnz = ptr[-1]
    a = sparse.csr_matrix((g[:nnz], nbr[:nnz], ptr), shape=(n, n)).toarray()
    return np.diag(a.sum(axis=1) + e[:n]) - a


N = 40  # the default recipe needs 40^3 (particle size); spsolve ~30 s


def opened(n: int):
    """The default composite after the stress stage at x_Li 0.2 (its opened faces, as
    ``microcath run`` cuts them), and the electronic conductivity per voxel."""
    ms = generate("default", shape=(n, n, n), seed=1)
    lib = default_library()
    sig_lab = np.zeros(256)
    for label, phase in ms.phases.items():
        sig_lab[label] = 0.0 if phase.material is None else lib.get(phase.material).sigma("electronic")
    cuts = stress(ms, state=0.2, stack_pressure=0.0, contact=False, fields=False).opened
    return ms, tuple(cuts), sig_lab[ms.labels]


@pytest.fixture(scope="module")
def opened_composite():
    ms, cuts, sig = opened(N)
    return ms, cuts, direct_sigma_eff(sig, cuts)


@pytest.mark.slow
def test_electronic_after_opening_matches_direct_solve(ti_cpu, opened_composite):
    ms, cuts, ref = opened_composite
    r = transport.conductivity(ms, carrier="electronic", axis="x", cut_faces=cuts)
    assert r.converged and r.flux_balance < 1e-6
    assert abs(r.sigma_eff - ref) / ref < 1e-4
    assert r.n_iter <= 30  # 16 measured with the K-cycle (pytest -s), 32 with the V-cycle
    print(f"crack-aware: sigma_eff {r.sigma_eff:.9g}, direct {ref:.9g}, "
          f"rel diff {abs(r.sigma_eff - ref) / ref:.2e}, {r.n_iter} iterations")


@pytest.mark.parametrize("shape", [(9, 8, 7), (6, 6, 6), (5, 7, 9), (3, 3, 3), (12, 11, 10)])
@pytest.mark.parametrize("wrap", [False, True])
def test_first_level_on_the_grid_equals_the_edge_list_level(ti_cpu, monkeypatch, shape, wrap):
    """``first_level`` (block patterns and a table, on the grid) builds the level of the general
    edge-list construction: the same pieces in the same order, colours, children and
    electrode conductances, Galerkin sums to round-off. Two conductance levels (300 and 1e-5)
    with cut faces, so that blocks split and the grid path (not its fallback) runs."""
    monkeypatch.setattr(AG, "COARSEST_NODES", 0)  # keep the host CSR of the level
    rng = np.random.default_rng(sum(shape) + wrap)
    sig = np.where(rng.random(shape) < 0.3, 300.0, 1e-5)
    sig[rng.random(shape) < 0.1] = 0.0
    gx, gy, gz = faces_of(sig, [rng.random(shape) < 0.2 for _ in range(3)])
    if wrap:  # periodic sides: the wrap faces conduct
        hm = 2 * sig[:, -1] * sig[:, 0] / np.where(sig[:, -1] + sig[:, 0] > 0, sig[:, -1] + sig[:, 0], 1)
        gy[:, 0] = hm
        hz = 2 * sig[:, :, -1] * sig[:, :, 0] / np.where(sig[:, :, -1] + sig[:, :, 0] > 0,
                                                         sig[:, :, -1] + sig[:, :, 0], 1)
        gz[:, :, 0] = hz
    gx, gy, gz = (g.astype(np.float32) for g in (gx, gy, gz))
    fallback = []
    real = AG._first_level_edges
    monkeypatch.setattr(AG, "_first_level_edges", lambda *a: fallback.append(1) or real(*a))
    f32 = C._TI_DTYPES["float32"]
    grid = AG.first_level(gx, gy, gz, shape, f32)
    assert not fallback
    ref = real(gx, gy, gz, shape, f32)
    assert grid.size == ref.size and grid.n_red == ref.n_red
    np.testing.assert_array_equal(grid.vmap.to_numpy(), ref.vmap.to_numpy())
    (ptr, nbr, g, e, bc), (rptr, rnbr, rg, re_, rbc) = grid._host, ref._host
    np.testing.assert_array_equal(ptr, rptr)
    np.testing.assert_array_equal(nbr, rnbr)
    np.testing.assert_allclose(g, rg, rtol=1e-12)
    np.testing.assert_allclose(e, re_, rtol=1e-12)
    np.testing.assert_array_equal(bc, rbc)
    for a, b in zip(grid.children, ref.children, strict=True):
        np.testing.assert_array_equal(a, b)
