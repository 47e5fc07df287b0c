"""Strength-split coarse levels for conduction: 2x2x2 blocks split at weak and cut faces (issue 12).

Fixed 2x2x2 aggregates give the two sides of an opened face (a crack: conductance 0) one
coarse value, they weld a highly conducting cluster to the poorly conducting matrix
around it, and they weld branches of a sparse or tortuous network that meet only far away
(percolating carbon, a sulfur cathode's carbon, particles touching at small contacts).
Here every coarse level is a set of *nodes*: the connected pieces of each
2x2x2 block of the level above, where two cells of a block belong to one piece only when
the connection between them is *strong*,

    g_ab >= THETA * max(m_a, m_b),      m_a = the largest conductance leaving a,

so a cut face never joins two cells, and a carbon cell (faces of ~300 S/m) never joins a
cell of the matrix (faces of ~1e-5 S/m) until its whole cluster has become one node. The
interpolation is piecewise constant on the pieces and the coarse operator is the Galerkin
product ``P^T A P``: conductances between pieces summed, the electrode conductances of a
piece summed. A piece only touches pieces of the six face-neighbour blocks (cells of one
piece only join it by *weak* connections), so the nodes are coloured by the parity of their
block: a colour pass is Gauss-Seidel across the colours and Jacobi on the weak connections
inside a block. Such a pass is still an A-norm contraction (``2 D - A_cc = D + W_cc`` is
diagonally dominant), the forward and backward orders are adjoint, and the V-cycle stays
symmetric positive definite.

Storage of a node level (flat Taichi ndarrays): the neighbours of every node in CSR form
(``ptr`` int32, ``nbr`` int32, ``g`` face dtype; both directions stored), the electrode
conductance ``e`` per node, and, for the transfer from the level above: on the first node
level the piece of every voxel (``vmap``, int32; restriction is the voxel grid's structured
residual loop with float64 atomic sums, prolongation a gather), on deeper levels the
children of every node in CSR form (``cptr``, ``child``), so restriction and prolongation
are loops over the coarse nodes without atomics. Nodes are numbered red first. The coarsest
level (at most :data:`COARSEST_NODES` nodes) is solved exactly with a dense inverse.

The set-up (pieces, Galerkin sums, numbering) is host numpy and scipy.sparse; the cycle
runs in the kernels below, on the device.

Why this design, and what it gives: docs/transport.md (crack-aware coarse levels).
"""

import numpy as np
import scipy.sparse as sp
import taichi as ti
from scipy.sparse import csgraph

from . import krylov
from .grid import zeros as device_zeros

__all__ = ["NodeLevel", "first_level", "prolong", "THETA", "COARSEST_NODES"]

#: strength rule: a connection joins two cells of a block when g >= THETA * max(m_a, m_b)
THETA = 0.1
#: the coarsest node level is solved exactly (dense inverse) once it has at most this many nodes
COARSEST_NODES = 600
#: ... or, when the hierarchy cannot shrink any further, at most this many (else it ends with
#: Gauss-Seidel sweeps on its last level)
MAX_DENSE_NODES = 4096
#: a coarsening that keeps more than this fraction of the nodes (weakly joined nodes in few
#: blocks) is redone by joining every node to its strongest neighbour (so the hierarchy keeps
#: shrinking by at least 2x without welding a strong cluster to a weak neighbour)
MIN_REDUCTION = 0.9
#: ... the same bound for the node levels below the first (after contact loss; a level may pass
#: its own, ``NodeLevel.deep_min_reduction``, to the levels below it)
DEEP_MIN_REDUCTION = 0.9


# --------------------------------------------------------------------------- host set-up
def _pieces(n: int, ra: np.ndarray, rb: np.ndarray, g: np.ndarray, block: np.ndarray,
            theta: float) -> np.ndarray:
    """Piece of every node: components of the strong connections inside each block."""
    mx = np.zeros(n)
    np.maximum.at(mx, ra, g)
    np.maximum.at(mx, rb, g)
    join = (block[ra] == block[rb]) & (g > 0) & (g >= theta * np.maximum(mx[ra], mx[rb]))
    w = sp.coo_matrix((np.ones(int(join.sum()), np.int8), (ra[join], rb[join])), shape=(n, n))
    return csgraph.connected_components(w, directed=False)[1]


def _strongest_neighbour(n: int, ra: np.ndarray, rb: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Pieces for a level whose blocks no longer shrink it: every node joins the node of its
    strongest connection (components of that forest; every piece with a connection has at
    least two nodes, so the level at least halves)."""
    if len(g) == 0:
        return np.arange(n)
    both_a = np.concatenate([ra, rb])
    both_b = np.concatenate([rb, ra])
    gg = np.concatenate([g, g])
    order = np.lexsort((-gg, both_a))
    head = np.ones(len(order), bool)
    head[1:] = both_a[order[1:]] != both_a[order[:-1]]
    src, dst = both_a[order[head]], both_b[order[head]]
    w = sp.coo_matrix((np.ones(len(src), np.int8), (src, dst)), shape=(n, n))
    return csgraph.connected_components(w, directed=False)[1]


def _number(piece: np.ndarray, bcoord: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Renumber pieces red first (parity of the block of their coarse cell), in block order
    within a colour; returns (new id per fine node, block coordinates per piece, red count)."""
    npc = int(piece.max()) + 1
    pb = np.zeros((npc, 3), np.int64)
    pb[piece] = bcoord
    color = pb.sum(axis=1) & 1
    key = (pb[:, 0] * (pb[:, 1].max() + 1) + pb[:, 1]) * (pb[:, 2].max() + 1) + pb[:, 2]
    order = np.lexsort((key, color))
    new = np.empty(npc, _index_dtype(npc))
    new[order] = np.arange(npc)
    return new[piece], pb[order], int((color == 0).sum())


def _galerkin(agg: np.ndarray, nc: int, ra: np.ndarray, rb: np.ndarray, g: np.ndarray,
              e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coarse CSR (ptr, nbr, g; both directions) and electrode conductances of ``P^T A P``."""
    ca, cb = agg[ra], agg[rb]
    keep = ca != cb
    m = sp.coo_matrix((g[keep], (ca[keep], cb[keep])), shape=(nc, nc)).tocsr()
    m = (m + m.T).tocsr()
    m.sum_duplicates()
    m.sort_indices()
    ec = np.bincount(agg, weights=e, minlength=nc)
    return m.indptr.astype(np.int32), m.indices.astype(np.int32), m.data, ec


def _children(agg: np.ndarray, fine_index: np.ndarray, nc: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(agg, kind="stable")
    ptr = np.zeros(nc + 1, np.int64)
    np.cumsum(np.bincount(agg, minlength=nc), out=ptr[1:])
    return ptr.astype(np.int32), fine_index[order].astype(np.int32)


def _to_device(a: np.ndarray, dtype):
    d = device_zeros(dtype, (max(len(a), 1),))
    if len(a):
        d.from_numpy(np.ascontiguousarray(a, dtype=_NP[dtype]))
    return d


_NP = {ti.i32: np.int32, ti.f32: np.float32, ti.f64: np.float64}


def _face_edges(gx: np.ndarray, gy: np.ndarray, gz: np.ndarray, shape):
    """Conducting faces of a voxel grid as (a, b, g) with flat voxel indices, and the
    electrode conductance per voxel (face layout of :mod:`conduction`)."""
    nx, ny, nz = shape
    idx = np.arange(nx * ny * nz, dtype=_index_dtype(nx * ny * nz)).reshape(shape)
    parts = [(idx[:-1], idx[1:], gx[1:nx]),
             (np.roll(idx, 1, axis=1), idx, gy), (np.roll(idx, 1, axis=2), idx, gz)]
    ra, rb, g = [], [], []
    for a, b, w in parts:
        m = (w > 0) & (a != b)
        ra.append(a[m])
        rb.append(b[m])
        g.append(w[m])
    e = np.zeros(shape)
    e[0] += gx[0]
    e[-1] += gx[nx]
    return np.concatenate(ra), np.concatenate(rb), np.concatenate(g).astype(np.float64), e.ravel()


def _index_dtype(n: int):
    return np.int32 if n < 2**31 - 1 else np.int64


#: the 12 inner faces of a 2x2x2 block as pairs of its cells ``c = 4 di + 2 dj + dk``: bits
#: 0-3 along x (cells c, c + 4), 4-7 along y (c, c + 2), 8-11 along z (c, c + 1)
_BLOCK_FACES = (tuple((c, c + 4) for c in (0, 1, 2, 3)) + tuple((c, c + 2) for c in (0, 1, 4, 5))
                + tuple((c, c + 1) for c in (0, 2, 4, 6)))
_TABLE: list = []


def _block_table() -> np.ndarray:
    """(4096, 8) uint8: for every pattern of strong inner faces of a block (bit f: face
    ``_BLOCK_FACES[f]``), the piece of each cell as the smallest cell index of its component."""
    if not _TABLE:
        codes = np.arange(4096)
        lab = np.tile(np.arange(8, dtype=np.uint8), (4096, 1))
        for _ in range(7):  # minimum label propagation; a component of 8 cells has diameter <= 7
            for f, (a, b) in enumerate(_BLOCK_FACES):
                on = (codes >> f) & 1 == 1
                m = np.minimum(lab[on, a], lab[on, b])
                lab[on, a] = m
                lab[on, b] = m
        _TABLE.append(lab)
    return _TABLE[0]


def _side_max(mx: np.ndarray, g: np.ndarray, axis: int) -> None:
    """``mx`` = max(``mx``, faces of ``g`` along side ``axis`` (1 or 2) on both their cells), the
    face at index j joining cells j - 1 and j (the one at 0 wraps; 0 without periodic sides)."""
    if g.shape[axis] < 2:
        return
    lo, hi = [slice(None)] * 3, [slice(None)] * 3
    lo[axis], hi[axis] = slice(0, -1), slice(1, None)
    np.maximum(mx[tuple(lo)], g[tuple(hi)], out=mx[tuple(lo)])
    np.maximum(mx[tuple(hi)], g[tuple(hi)], out=mx[tuple(hi)])
    first, last = [slice(None)] * 3, [slice(None)] * 3
    first[axis], last[axis] = 0, -1
    np.maximum(mx[tuple(last)], g[tuple(first)], out=mx[tuple(last)])
    np.maximum(mx[tuple(first)], g[tuple(first)], out=mx[tuple(first)])


def _block_codes(gx, gy, gz, mx, shape, theta) -> np.ndarray:
    """12-bit pattern of the strong inner faces of every 2x2x2 block (``_pieces``' rule:
    ``g > 0`` and ``g >= theta max(m_a, m_b)``, compared in float64)."""
    nx, ny, nz = shape
    code = np.zeros(((nx + 1) // 2, (ny + 1) // 2, (nz + 1) // 2), np.uint16)
    for f, (ca, cb) in enumerate(_BLOCK_FACES):
        d = (ca ^ cb).bit_length() - 1  # 2: x, 1: y, 0: z
        axis = 2 - d
        start = [(ca >> 2) & 1, (ca >> 1) & 1, ca & 1]
        n = shape[axis] // 2
        if n == 0:
            continue
        sa = [slice(s0, None, 2) for s0 in start]
        sb = list(sa)
        sa[axis] = slice(0, 2 * n, 2)
        sb[axis] = slice(1, 2 * n, 2)
        if axis == 0:
            w = gx[1:2 * n:2][:, sa[1], sa[2]]
        else:
            w = (gy if axis == 1 else gz)[tuple(sb)]
        w = w.astype(np.float64)
        m = np.maximum(mx[tuple(sa)], mx[tuple(sb)]).astype(np.float64)
        strong = (w > 0) & (w >= theta * m)
        bits = np.left_shift(strong.astype(np.uint16), np.uint16(f))
        code[tuple(slice(0, k) for k in strong.shape)] |= bits
    return code


def first_level(gx: np.ndarray, gy: np.ndarray, gz: np.ndarray, shape, dtype) -> "NodeLevel":
    """The first coarse level of a voxel grid's face conductances (numpy arrays in the
    layout of :mod:`conduction`); its ``vmap`` (device) and ``children`` (host) hold voxel indices.

    Computed on the grid: the strong inner faces of each 2x2x2 block as a 12-bit pattern, the
    block's pieces from a 4096-entry table, the Galerkin sums one axis at a time from the faces
    between different pieces. The same level as :func:`_first_level_edges` (the general edge-list
    construction, kept for sides of at most 2 cells and for grids whose blocks barely join any
    cell) -- same pieces in the same order, sums equal to round-off -- at ~1/5 of its host
    memory (no list of all faces)."""
    nx, ny, nz = shape
    if min(ny, nz) <= 2:  # a side of 2 cells: its wrap face lies inside the blocks
        return _first_level_edges(gx, gy, gz, shape, dtype)
    mx = np.zeros(shape, gy.dtype)  # largest conductance leaving each voxel (exact in any dtype)
    inner = gx[1:nx]
    np.maximum(mx[:-1], inner, out=mx[:-1])
    np.maximum(mx[1:], inner, out=mx[1:])
    _side_max(mx, gy, 1)
    _side_max(mx, gz, 2)
    live = mx > 0
    live[0] |= gx[0] > 0
    live[-1] |= gx[nx] > 0
    n_live = int(np.count_nonzero(live))
    code = _block_codes(gx, gy, gz, mx, shape, THETA)
    del mx
    table = _block_table()
    bx, by, bz = code.shape
    nb = bx * by * bz
    # slot of every voxel's piece: 8 per block, the piece named by its smallest cell
    slot = np.empty(shape, np.int64 if 8 * nb >= 2**31 else np.int32)
    bflat = np.arange(nb, dtype=slot.dtype).reshape(code.shape) * 8
    for c in range(8):
        di, dj, dk = (c >> 2) & 1, (c >> 1) & 1, c & 1
        sub = slot[di::2, dj::2, dk::2]
        k = tuple(slice(0, s_) for s_ in sub.shape)
        sub[...] = bflat[k] + table[code[k], c]
    del code, bflat
    present = np.zeros(8 * nb, bool)
    present[slot[live]] = True
    n_pieces = int(np.count_nonzero(present))
    if n_pieces > MIN_REDUCTION * n_live:  # blocks barely join: strongest-neighbour pieces
        return _first_level_edges(gx, gy, gz, shape, dtype)
    # red first (parity of the block), then block order, then the piece's smallest cell:
    # the numbering of _number on the pieces of _pieces
    b = np.arange(nb)
    bc = np.stack(np.unravel_index(b, (bx, by, bz)), axis=1)
    red = np.repeat((bc.sum(axis=1) & 1) == 0, 8)
    new = np.full(8 * nb, -1, np.int32)
    on_red, on_black = present & red, present & ~red
    n_red = int(np.count_nonzero(on_red))
    new[on_red] = np.arange(n_red, dtype=np.int32)
    new[on_black] = n_red + np.arange(n_pieces - n_red, dtype=np.int32)
    order = np.concatenate([np.flatnonzero(on_red), np.flatnonzero(on_black)])
    pb = bc[order // 8].astype(np.int64)
    del on_red, on_black, red, present, order, bc, b
    vmap = np.where(live, new[slot], -1).astype(np.int32)
    del slot, new
    # Galerkin sums: faces between different pieces, one axis (and its wrap faces) at a time
    acc = sp.csr_matrix((n_pieces, n_pieces))
    pairs = [(vmap[:-1], vmap[1:], gx[1:nx])]
    for axis, g in ((1, gy), (2, gz)):
        lo, hi, first, last = ([slice(None)] * 3 for _ in range(4))
        lo[axis], hi[axis] = slice(0, -1), slice(1, None)
        first[axis], last[axis] = slice(0, 1), slice(-1, None)
        pairs.append((vmap[tuple(lo)], vmap[tuple(hi)], g[tuple(hi)]))
        pairs.append((vmap[tuple(last)], vmap[tuple(first)], g[tuple(first)]))
    for va, vb, w in pairs:
        m = (w > 0) & (va != vb)
        if m.any():
            acc = acc + sp.coo_matrix((w[m].astype(np.float64), (va[m], vb[m])),
                                      shape=(n_pieces, n_pieces)).tocsr()
        del m
    del pairs
    acc = (acc + acc.T).tocsr()
    acc.sum_duplicates()
    acc.sort_indices()
    ec = np.zeros(n_pieces)
    for plane, layer in ((gx[0], 0), (gx[nx], nx - 1)):
        v = vmap[layer]
        on = (plane > 0) & (v >= 0)
        ec += np.bincount(v[on], weights=plane[on].astype(np.float64), minlength=n_pieces)
    flat = vmap.ravel()
    live_idx = np.flatnonzero(flat >= 0)
    children = _children(flat[live_idx].astype(np.int64), live_idx, n_pieces)
    del live_idx
    level = NodeLevel(acc.indptr.astype(np.int32), acc.indices.astype(np.int32), acc.data, ec, pb, n_red,
                      children, dtype, vector_dtype=ti.f64, device_children=False)
    level.by_blocks = True
    level.vmap = _to_device(flat, ti.i32)
    return level


def _first_level_edges(gx: np.ndarray, gy: np.ndarray, gz: np.ndarray, shape, dtype) -> "NodeLevel":
    """:func:`first_level` from the list of all conducting faces (``_coarse_level``, the
    construction of the deeper levels); host memory ~250 B/voxel when every voxel conducts."""
    ra, rb, g, e = _face_edges(gx, gy, gz, shape)
    nx, ny, nz = shape
    d = e + np.bincount(ra, weights=g, minlength=e.size) + np.bincount(rb, weights=g, minlength=e.size)
    live = np.flatnonzero(d > 0)
    pos = np.full(nx * ny * nz, -1, _index_dtype(nx * ny * nz))
    pos[live] = np.arange(len(live))
    la, lb = pos[ra], pos[rb]
    del pos, ra, rb
    i, j, k = np.unravel_index(live, shape)
    bcoord = np.stack([i // 2, j // 2, k // 2], axis=1)
    block = (bcoord[:, 0] * ((ny + 1) // 2) + bcoord[:, 1]) * ((nz + 1) // 2) + bcoord[:, 2]
    level, agg = _coarse_level(len(live), la, lb, g, e[live], bcoord, block, live, dtype, vector_dtype=ti.f64)
    vmap = np.full(nx * ny * nz, -1, np.int32)
    vmap[live] = agg
    level.vmap = _to_device(vmap, ti.i32)
    return level


def _coarse_level(n, ra, rb, g, e, bcoord, block, fine_index, dtype, theta=THETA, vector_dtype=None,
                  min_reduction=None):
    """(the next level, the node of every fine node)."""
    piece = _pieces(n, ra, rb, g, block, theta)
    bound = MIN_REDUCTION if min_reduction is None else min_reduction
    by_blocks = not (piece.max() + 1 > bound * n and theta > 0)
    if not by_blocks:
        piece = _strongest_neighbour(n, ra, rb, g)
        first = np.full(int(piece.max()) + 1, n, np.int64)
        np.minimum.at(first, piece, np.arange(n))
        bcoord = bcoord[first][piece]  # a merged node keeps the block of its first member
    agg, pb, n_red = _number(piece, bcoord)
    nc = int(agg.max()) + 1
    ptr, nbr, gc, ec = _galerkin(agg, nc, ra, rb, g, e)
    children = _children(agg, fine_index, nc)
    level = NodeLevel(ptr, nbr, gc, ec, pb, n_red, children, dtype, vector_dtype=vector_dtype,
                      device_children=vector_dtype is None)
    level.by_blocks = by_blocks
    return level, agg


# --------------------------------------------------------------------------- kernels
@ti.func
def _row(x: ti.template(), ptr: ti.template(), nbr: ti.template(), g: ti.template(), e: ti.template(), i):
    """((A x)_i in flux form e x_i + sum g (x_i - x_j), diagonal) of node i."""
    xi = x[i]
    s = e[i] * xi
    d = e[i]
    for p in range(ptr[i], ptr[i + 1]):
        s += g[p] * (xi - x[nbr[p]])
        d += g[p]
    return s, d


@ti.kernel
def _node_apply(x: ti.types.ndarray(ndim=1), y: ti.types.ndarray(ndim=1), ptr: ti.types.ndarray(ndim=1),
                nbr: ti.types.ndarray(ndim=1), g: ti.types.ndarray(ndim=1), e: ti.types.ndarray(ndim=1),
                n: ti.i32) -> ti.f64:
    acc = ti.cast(0.0, ti.f64)
    for i in range(n):
        s, _d = _row(x, ptr, nbr, g, e, i)
        y[i] = s
        xi = ti.cast(x[i], ti.f64)
        en = ti.cast(e[i], ti.f64) * xi * xi
        for p in range(ptr[i], ptr[i + 1]):
            if nbr[p] > i:
                dx = xi - ti.cast(x[nbr[p]], ti.f64)
                en += ti.cast(g[p], ti.f64) * dx * dx
        acc += en
    return acc


@ti.kernel
def _node_smooth(x: ti.types.ndarray(ndim=1), b: ti.types.ndarray(ndim=1), ptr: ti.types.ndarray(ndim=1),
                 nbr: ti.types.ndarray(ndim=1), g: ti.types.ndarray(ndim=1), e: ti.types.ndarray(ndim=1),
                 tmp: ti.types.ndarray(ndim=1), n_red: ti.i32, n: ti.i32, first: ti.i32):
    """One red-black Gauss-Seidel sweep on the nodes (red: ``[0, n_red)``), colour ``first``
    (0 red) then the other; each colour pass a top-level loop, so all run in order in one launch
    (the caller loops over sweeps: one compiled kernel, docs/transport.md). Inside a colour the
    update is Jacobi (computed into ``tmp``, then added), so the pass is one fixed linear map
    whatever the thread order, and the forward and backward orders are adjoint."""
    for half in ti.static(range(2)):
        color = first if half == 0 else 1 - first
        lo = 0 if color == 0 else n_red
        hi = n_red if color == 0 else n
        for i in range(lo, hi):
            s, d = _row(x, ptr, nbr, g, e, i)
            tmp[i] = 0.0
            if d > 0:
                tmp[i] = (b[i] - s) / d
        for i in range(lo, hi):
            x[i] = x[i] + tmp[i]


@ti.kernel
def _node_restrict(x: ti.types.ndarray(ndim=1), b: ti.types.ndarray(ndim=1), ptr: ti.types.ndarray(ndim=1),
                   nbr: ti.types.ndarray(ndim=1), g: ti.types.ndarray(ndim=1), e: ti.types.ndarray(ndim=1),
                   cptr: ti.types.ndarray(ndim=1), child: ti.types.ndarray(ndim=1),
                   bc: ti.types.ndarray(ndim=1), nc: ti.i32):
    """bc = P^T (b - A x) from a node level to the next (children summed in float64)."""
    for c in range(nc):
        acc = ti.cast(0.0, ti.f64)
        for q in range(cptr[c], cptr[c + 1]):
            i = child[q]
            s, _d = _row(x, ptr, nbr, g, e, i)
            acc += ti.cast(b[i] - s, ti.f64)
        bc[c] = acc


@ti.kernel
def _node_prolong(xc: ti.types.ndarray(ndim=1), x: ti.types.ndarray(ndim=1), cptr: ti.types.ndarray(ndim=1),
                  child: ti.types.ndarray(ndim=1), nc: ti.i32):
    """x += P xc (every child takes the value of its node)."""
    for c in range(nc):
        v = xc[c]
        for q in range(cptr[c], cptr[c + 1]):  # children are distinct: a plain update, not an
            x[child[q]] = x[child[q]] + v  # atomic += (conduction._prolong_add)


@ti.kernel
def _dense_solve(minv: ti.types.ndarray(ndim=1), b: ti.types.ndarray(ndim=1), x: ti.types.ndarray(ndim=1),
                 n: ti.i32):
    for i in range(n):
        acc = ti.cast(0.0, ti.f64)
        for j in range(n):
            acc += minv[i * n + j] * ti.cast(b[j], ti.f64)
        x[i] = acc


def prolong(coarse_x, x, coarse: "NodeLevel") -> None:
    """``x += P coarse_x`` onto the level above ``coarse`` (voxels or nodes)."""
    _node_prolong(coarse_x, x, coarse.cptr, coarse.child, coarse.size)


# --------------------------------------------------------------------------- level
class NodeLevel:
    """A coarse level of pieces (implements the multigrid ``Level`` protocol).

    ``children`` (host ``(cptr, child)``) lists the fine nodes or voxels of each node; the
    device copies ``cptr``/``child`` serve the transfers from a node level above, ``vmap``
    (first level only) those from the voxel grid, which the voxel level runs itself
    (``ConductionLevel.restrict_residual``/``prolong_add``).
    """

    island_correction = None
    #: :data:`MIN_REDUCTION` of the levels below this one (None: :data:`DEEP_MIN_REDUCTION`)
    deep_min_reduction = None
    #: the pieces are those of the blocks (False: strongest-neighbour pieces of a level that
    #: the blocks no longer shrink; its colours may then join nodes of different blocks)
    by_blocks = True

    def __init__(self, ptr, nbr, g, e, bcoord, n_red, children, dtype, *, vector_dtype=None,
                 device_children: bool = True):
        self.dtype = dtype
        self.vector_dtype = vector_dtype or dtype
        self.size = len(e)
        self.shape = (self.size,)
        self.n_red = int(n_red)
        #: block of every node on this level's grid of 2x2x2 blocks (host)
        self.bcoord = bcoord
        self._host = (ptr, nbr, g, e, bcoord)
        self.ptr = _to_device(ptr, ti.i32)
        self.nbr = _to_device(nbr, ti.i32)
        self.g = _to_device(g, dtype)
        self.e = _to_device(e, dtype)
        #: (cptr, child) on the host: the fine nodes (or voxels) of every node
        self.children = children
        #: device copies for the transfers from a node level (the first level maps voxels: vmap)
        self.cptr = _to_device(children[0], ti.i32) if device_children else None
        self.child = _to_device(children[1], ti.i32) if device_children else None
        self.vmap = None
        self.minv = None
        self._coarse = None
        self._tmp = None
        if self.size <= COARSEST_NODES:
            self._make_dense()

    def _make_dense(self) -> None:
        """Exact coarsest-level solve: the inverse of the (SPD) level matrix, float64."""
        ptr, nbr, g, e, _ = self._host
        self._host = None
        a = sp.csr_matrix((g, nbr, ptr), shape=(self.size, self.size)).toarray()
        a = np.diag(a.sum(axis=1) + e) - a
        self.minv = _to_device(np.linalg.inv(a).ravel(), ti.f64)

    @property
    def nbytes(self) -> int:
        """Device bytes of this level: its arrays, its children lists and the three vectors
        (solution, right-hand side, smoothing update) the cycle keeps for it."""
        w = 4 if self.dtype == ti.f32 else 8
        wv = 4 if self.vector_dtype == ti.f32 else 8
        nnz = self.nbr.shape[0]
        n = self.size
        dense = 8 * n * n if self.minv is not None else 0
        links = self.vmap.shape[0] if self.vmap is not None else self.child.shape[0] + n + 1
        return 4 * (n + 1) + (4 + w) * nnz + w * n + 4 * links + 3 * wv * n + dense

    def new_vector(self, dtype=None):
        a = device_zeros(dtype or self.vector_dtype, (self.size,))
        krylov.fill(a, 0.0)
        return a

    def apply(self, x, y) -> float:
        return float(_node_apply(x, y, self.ptr, self.nbr, self.g, self.e, self.size))

    def smooth(self, x, b, *, forward: bool, sweeps: int = 1) -> None:
        if self._tmp is None:
            self._tmp = self.new_vector()
        first = 0 if forward else 1
        for _ in range(int(sweeps)):
            _node_smooth(x, b, self.ptr, self.nbr, self.g, self.e, self._tmp, self.n_red, self.size, first)

    def coarse_solve(self, x, b, sweeps: int) -> None:
        if self.minv is not None:
            _dense_solve(self.minv, b, x, self.size)
        else:  # only when the hierarchy was cut short by its level limit
            for _ in range(sweeps):
                self.smooth(x, b, forward=True)
                self.smooth(x, b, forward=False)

    def restrict_residual(self, x, b, coarse_b) -> None:
        c = self._coarse
        _node_restrict(x, b, self.ptr, self.nbr, self.g, self.e, c.cptr, c.child, coarse_b, c.size)

    def prolong_add(self, coarse_x, x) -> None:
        prolong(coarse_x, x, self._coarse)

    def coarsen(self) -> "NodeLevel | None":
        if self.minv is not None:
            return None
        ptr, nbr, g, e, bcoord = self._host
        n = self.size
        bound = DEEP_MIN_REDUCTION if self.deep_min_reduction is None else self.deep_min_reduction
        idt = _index_dtype(n)  # int32 node indices: host temporaries of ~2/3 the size
        rows = np.repeat(np.arange(n, dtype=idt), np.diff(ptr))
        up = nbr > rows
        ra, rb, gg = rows[up], nbr[up].astype(idt), np.asarray(g, np.float64)[up]
        del rows, up
        cb = bcoord // 2
        ny, nz = int(cb[:, 1].max()) + 1, int(cb[:, 2].max()) + 1
        block = (cb[:, 0] * ny + cb[:, 1]) * nz + cb[:, 2]
        coarse, _ = _coarse_level(n, ra, rb, gg, np.asarray(e, np.float64), cb, block,
                                  np.arange(n, dtype=idt), self.dtype, min_reduction=bound)
        if coarse.size == n:  # one block left and no two nodes joined: nothing more to coarsen
            if n <= MAX_DENSE_NODES:
                self._make_dense()
            return None
        self._host = None
        self._coarse = coarse
        coarse.deep_min_reduction = self.deep_min_reduction
        return coarse
