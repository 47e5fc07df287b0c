"""Small-strain linear elasticity with eigenstrain on a voxel grid: operator, multigrid levels.

Discretisation (lengths in a reference length, the smallest voxel edge; stresses in Pa):

* every voxel is one trilinear hexahedral element (Q1, 8 nodes, full 2x2x2
  Gauss integration, so no hourglass modes next to pores), a brick with edges
  ``spacing = (hx, hy, hz)`` (unequal spacing allowed: the shape-function
  gradients are the reference-cube ones divided by the edge along each axis,
  the Gauss weight is ``hx hy hz / 8``); the stiffness of an isotropic element
  is ``lam * K_lam + mu * K_mu`` with two constant 24x24 brick matrices, and
  the finest level reads the sum for each label from a 576-number table;
* nodes sit on voxel corners. Along axes 1 and 2 the grid is periodic (``ny``,
  ``nz`` nodes). Along axis 0 it is periodic (``nx`` nodes) or bounded by two
  rigid frictionless plates (``nx + 1`` node planes, ``u_x`` prescribed on the
  first and the last plane, ``u_y``, ``u_z`` free; for a given plate force
  the last plane's ``u_x`` is one more unknown, :meth:`ElasticSolver.solve_pressure`);
* a dof that is prescribed, or that belongs to a node touching no solid
  element (pores have zero stiffness exactly), is removed by an identity row
  (its value stays 0 through the whole solve);
* the load of a uniform eigenstrain in one element is ``V B0^T (C eps*)``
  (``B0`` at the element centre), computed by the front-end.

Multigrid (the shared :class:`multigrid.VCycle` driver): trilinear
prolongation on a node grid coarsened 2x per axis. Trilinear interpolation of
a coarse element is local to that element, so the Galerkin operator
``P^T A P`` is again a sum of element matrices: a coarse element matrix is
``sum_c P_c^T K_c P_c`` over its eight children ``c``. The coarse levels store
those 24x24 matrices (symmetric, 36 blocks of 3x3 = 324 numbers) in a table
with an int32 row per element: the first coarse level one row per distinct
pattern of eight child labels, the deeper ones one row per element; the
finest level stores only a label per voxel (its row of the per-label table).
So every coarse
level sees all rigid-body modes and constant strains, pores have exactly zero
stiffness on every level (no stiff bridges), and the hierarchy is exact
Galerkin. Smoother: Chebyshev polynomial in ``D^-1 A`` with ``D`` the 3x3
nodal diagonal blocks (symmetric, needs only operator applications; red-black
Gauss-Seidel is not a valid ordering for the 27-point coupling). Coarsest
level: a dense pseudo-inverse (exact on the range, which handles the rigid
modes of floating pieces and the translations of a periodic cell).
"""


import logging
import math
from dataclasses import dataclass

import numpy as np
import taichi as ti

from . import krylov
from .grid import cpu_loops
from .grid import zeros as device_zeros
from .multigrid import VCycle, build_hierarchy
from .runtime import ensure_initialized

__all__ = ["element_matrices", "element_matrix", "label_matrices", "ElasticityLevel", "ElasticSolution",
           "ElasticSolver",
           "solve_elasticity",
           "bytes_per_voxel", "centre_gradients", "MAX_DENSE_DOFS"]

log = logging.getLogger(__name__)

_TI_DTYPES = {"float32": ti.f32, "float64": ti.f64}
#: largest coarsest level solved by a dense pseudo-inverse [dofs]
MAX_DENSE_DOFS = 3000


# --------------------------------------------------------------------------- element constants
def _corner(a: int) -> tuple[int, int, int]:
    return (a >> 2) & 1, (a >> 1) & 1, a & 1


def _spacing(spacing) -> tuple[float, float, float]:
    h = (1.0, 1.0, 1.0) if spacing is None else tuple(float(v) for v in spacing)
    if len(h) != 3 or not all(v > 0 for v in h):
        raise ValueError(f"spacing: expected three positive edge lengths, got {spacing!r}")
    return h


def _gauss_strain_matrices(spacing=None) -> tuple[np.ndarray, float]:
    """(8, 6, 24) strain-displacement matrices ``B`` at the 2x2x2 Gauss points of a brick with
    edges ``spacing`` (Voigt rows xx yy zz yz xz xy, engineering shear; dof ``3 a + p``, node
    ``a = 4 di + 2 dj + dk``) and the Gauss weight ``V / 8``. Shape-function gradients are the
    reference gradients divided by the edge along each axis."""
    h = _spacing(spacing)
    g = 0.5 + np.array([-1.0, 1.0]) / (2.0 * math.sqrt(3.0))
    out = []
    for x in g:
        for y in g:
            for z in g:
                pt = (x, y, z)
                B = np.zeros((6, 24))
                for a in range(8):
                    c = _corner(a)
                    f = [pt[d] if c[d] else 1.0 - pt[d] for d in range(3)]
                    s = [1.0 if c[d] else -1.0 for d in range(3)]
                    gx, gy, gz = (s[0] * f[1] * f[2] / h[0], f[0] * s[1] * f[2] / h[1],
                                  f[0] * f[1] * s[2] / h[2])
                    B[0, 3 * a], B[1, 3 * a + 1], B[2, 3 * a + 2] = gx, gy, gz
                    B[3, 3 * a + 1], B[3, 3 * a + 2] = gz, gy
                    B[4, 3 * a], B[4, 3 * a + 2] = gz, gx
                    B[5, 3 * a], B[5, 3 * a + 1] = gy, gx
                out.append(B)
    return np.stack(out), 0.125 * h[0] * h[1] * h[2]


def element_matrices(spacing=None) -> tuple[np.ndarray, np.ndarray]:
    """``(K_lam, K_mu)``: the 24x24 stiffness matrices of a brick with edges ``spacing``
    (default the unit cube) for ``lam = 1`` and ``mu = 1`` (trilinear brick, 2x2x2 Gauss points;
    dof ``3 a + p``, node ``a = 4 di + 2 dj + dk``)."""
    m = np.array([1.0, 1, 1, 0, 0, 0])
    return (element_matrix(np.outer(m, m), spacing),
            element_matrix(np.diag([2.0, 2, 2, 1, 1, 1]), spacing))


def element_matrix(C: np.ndarray, spacing=None) -> np.ndarray:
    """(..., 24, 24) stiffness ``sum_g w B_g^T C B_g`` of a brick of a homogeneous, possibly
    anisotropic material: ``C`` (..., 6, 6) in Voigt notation with engineering shear strains
    (the composite voxels' laminates)."""
    B, w = _gauss_strain_matrices(spacing)
    return w * np.einsum("gai,...ab,gbj->...ij", B, np.asarray(C, dtype=np.float64), B, optimize=True)


def centre_gradients(spacing=None) -> np.ndarray:
    """(8, 3): gradient of each node's shape function at the centre of a brick with edges
    ``spacing`` (default the unit cube): ``B0``."""
    h = _spacing(spacing)
    out = np.zeros((8, 3))
    for a in range(8):
        s = [1.0 if c else -1.0 for c in _corner(a)]
        out[a] = [0.25 * s[0] / h[0], 0.25 * s[1] / h[1], 0.25 * s[2] / h[2]]
    return out


def label_matrices(lam: np.ndarray, mu: np.ndarray, spacing=None) -> np.ndarray:
    """(256, 576) element matrix ``lam K_lam + mu K_mu`` of every label (row-major 24x24): the
    finest level's operator reads its coefficients from this table."""
    kl, km = element_matrices(spacing)
    lam = np.asarray(lam, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    return (lam[:, None, None] * kl + mu[:, None, None] * km).reshape(len(lam), 576)


def _stencil_pattern() -> tuple[tuple[int, int, int, int, int], ...]:
    """Structurally non-zero entries ``(oi, oj, ok, p, q)`` of the 27-point stencil of a
    homogeneous region (offsets -1..1 per axis, 3x3 block entry ``(p, q)``): 153 of 243. The
    off-diagonal couplings of a face neighbour and the ``p, q`` couplings across an edge
    neighbour not along that edge's plane cancel between the elements sharing the pair (mirror
    symmetry of the brick), for any edges ``(hx, hy, hz)``."""
    kl, km = element_matrices((1.0, 1.0, 1.0))
    S = np.zeros((3, 3, 3, 3, 3))
    for K in (kl, km):
        S += np.abs(_stencils(K))
    nz = np.argwhere(S > 1e-12 * S.max())
    return tuple((int(oi) - 1, int(oj) - 1, int(ok) - 1, int(p), int(q)) for oi, oj, ok, p, q in nz)


def _stencils(K: np.ndarray) -> np.ndarray:
    """(..., 3, 3, 3, 3, 3): the assembled stencil ``S[oi+1, oj+1, ok+1, p, q]`` of a node whose
    eight elements all have the element matrix ``K`` (..., 24, 24)."""
    S = np.zeros(K.shape[:-2] + (3, 3, 3, 3, 3))
    for a in range(8):
        ca = _corner(a)
        for b in range(8):
            cb = _corner(b)
            o = tuple(cb[d] - ca[d] + 1 for d in range(3))
            S[(Ellipsis,) + o + (slice(None), slice(None))] += K[..., 3 * a:3 * a + 3, 3 * b:3 * b + 3]
    return S


def label_stencils(lam: np.ndarray, mu: np.ndarray, spacing=None) -> np.ndarray:
    """(256, 153) the non-zero stencil entries (:data:`STENCIL`) of a node inside a region of
    one label: the finest level's fast path, ~3.8x fewer products than the eight elements'."""
    K = label_matrices(lam, mu, spacing).reshape(-1, 24, 24)
    S = _stencils(K)
    return np.stack([S[:, oi + 1, oj + 1, ok + 1, p, q] for oi, oj, ok, p, q in STENCIL], axis=1)


def _galerkin_children(spacing=None) -> tuple[np.ndarray, np.ndarray]:
    """(8, 324) packed ``P_c^T K P_c`` of each child ``c`` for ``lam = 1`` and ``mu = 1``."""
    kl, km = element_matrices(spacing)
    pc = [np.kron(_PC[c], np.eye(3)) for c in range(8)]
    return (np.stack([_pack(P.T @ kl @ P) for P in pc]), np.stack([_pack(P.T @ km @ P) for P in pc]))


def _child_prolongations() -> np.ndarray:
    """(8 children, 8 fine nodes, 8 coarse nodes): trilinear weights inside a coarse element."""
    w1 = {0: (1.0, 0.0), 1: (0.5, 0.5), 2: (0.0, 1.0)}
    P = np.zeros((8, 8, 8))
    for c in range(8):
        cc = _corner(c)
        for b in range(8):
            bb = _corner(b)
            for A in range(8):
                AA = _corner(A)
                P[c, b, A] = np.prod([w1[cc[d] + bb[d]][AA[d]] for d in range(3)])
    return P


def _bidx(a: int, b: int) -> int:
    """Packed index of block (a, b), a <= b, of a symmetric 8x8 block matrix (36 blocks)."""
    return a * 8 - a * (a - 1) // 2 + (b - a)


def _pack(K: np.ndarray) -> np.ndarray:
    out = np.zeros(324)
    for a in range(8):
        for b in range(a, 8):
            out[_bidx(a, b) * 9:(_bidx(a, b) + 1) * 9] = K[3 * a:3 * a + 3, 3 * b:3 * b + 3].ravel()
    return out


_PACK_ROWS = np.array([3 * a + p for a in range(8) for b in range(a, 8) for p in range(3) for q in range(3)])
_PACK_COLS = np.array([3 * b + q for a in range(8) for b in range(a, 8) for p in range(3) for q in range(3)])


def _pack_many(K: np.ndarray) -> np.ndarray:
    """(..., 24, 24) -> (..., 324): :func:`_pack` of many matrices at once."""
    return K[..., _PACK_ROWS, _PACK_COLS]


def unpack(packed: np.ndarray) -> np.ndarray:
    """(..., 324) packed element matrices -> (..., 24, 24)."""
    out = np.zeros(packed.shape[:-1] + (24, 24))
    for a in range(8):
        for b in range(a, 8):
            blk = packed[..., _bidx(a, b) * 9:(_bidx(a, b) + 1) * 9].reshape(packed.shape[:-1] + (3, 3))
            out[..., 3 * a:3 * a + 3, 3 * b:3 * b + 3] = blk
            if a != b:
                out[..., 3 * b:3 * b + 3, 3 * a:3 * a + 3] = np.swapaxes(blk, -1, -2)
    return out


_PC = _child_prolongations()
#: the 153 structurally non-zero entries of a homogeneous node's stencil
STENCIL = _stencil_pattern()
#: the homogeneous-node fast path of the finest level (:func:`_apply_stencil`): a node whose
#: eight elements share one stiff label takes the label's assembled stencil, 153 products
#: instead of 576 (see docs/mechanics.md)
HOMOGENEOUS_STENCIL = True
#: ``hom`` of a node that takes the element path
NOT_HOMOGENEOUS = 255
#: the interface-node fast path of the finest level (:func:`_apply_stencil`): a node whose eight
#: elements do not share one label takes the assembled 27-point stencil of its pattern of eight
#: element labels (243 products from a table, instead of 576 from the element matrices), for the
#: most frequent patterns that fit ``PATTERN_BYTES`` per node (float64 stencils); the rest keep the
#: element path (docs/mechanics.md, session 12)
PATTERN_STENCIL = True
PATTERN_BYTES = 8.0
#: float64 entries of one pattern's stencil: 27 neighbours x 3 x 3
PATTERN_SIZE = 243
#: the entries of :data:`STENCIL` grouped by neighbour offset ``(oi+1) 9 + (oj+1) 3 + (ok+1)``
_STENCIL_BY_OFFSET = tuple(tuple(t for t, (oi, oj, ok, _, _) in enumerate(STENCIL)
                                 if (oi + 1) * 9 + (oj + 1) * 3 + (ok + 1) == o) for o in range(27))


def _fetch_index(a: int, b: int, p: int, q: int) -> int:
    """Position of K[3a+p, 3b+q] in the packed 324 numbers."""
    if a <= b:
        return _bidx(a, b) * 9 + p * 3 + q
    return _bidx(b, a) * 9 + q * 3 + p


# --------------------------------------------------------------------------- grid helpers
@ti.func
def _wrap(v, n):
    r = v
    if r < 0:
        r += n
    elif r >= n:
        r -= n
    return r


@ti.func
def _index0(v, n, per_x):
    """Index ``v`` along axis 0: wrapped when periodic, else -1 outside ``0..n-1``."""
    r = v
    if per_x != 0:
        r = _wrap(v, n)
    elif v < 0 or v >= n:
        r = -1
    return r


@ti.func
def _elem_of(i, j, k, ai: ti.template(), aj: ti.template(), ak: ti.template(), nex, ny, nz, per_x):
    """Flat element whose local corner (ai, aj, ak) is node (i, j, k), or -1."""
    ei = _index0(i - ai, nex, per_x)
    e = -1
    if ei >= 0:
        e = (ei * ny + _wrap(j - aj, ny)) * nz + _wrap(k - ak, nz)
    return e


@ti.func
def _node(i, j, k, di: ti.template(), dj: ti.template(), dk: ti.template(), mx, ny, nz, per_x):
    """Flat node (i + di, j + dj, k + dk) with periodic wrap (axis 0 only when per_x)."""
    ii = i + di
    if per_x != 0:
        ii = _wrap(ii, mx)
    return (ii * ny + _wrap(j + dj, ny)) * nz + _wrap(k + dk, nz)


@ti.func
def _node_of(ei, ej, ek, b, mx, ny, nz, per_x):
    """Flat node of local corner ``b`` (run-time, bits ``di dj dk``) of element (ei, ej, ek)."""
    return _node(ei + ((b >> 2) & 1), ej + ((b >> 1) & 1), ek + (b & 1), 0, 0, 0, mx, ny, nz, per_x)


@ti.func
def _row(x: ti.template(), lab: ti.template(), lam: ti.template(), mu: ti.template(), ke: ti.template(),
         i, j, k, mx, nex, ny, nz, per_x, fine: ti.template()):
    """Row block ``(A x)`` of node (i, j, k), accumulated in float64 (3-vector): the sum over
    the node's (up to) eight elements of their element matrices' rows (576 products). The loop
    over an element's eight nodes runs at run time: unrolled, this function made every kernel
    that uses it take ~40 s and ~1 GB to compile on the CPU backend."""
    y = ti.Vector([0.0, 0.0, 0.0], dt=ti.f64)
    for a in ti.static(range(8)):
        ai, aj, ak = ti.static((a >> 2) & 1, (a >> 1) & 1, a & 1)
        e = _elem_of(i, j, k, ai, aj, ak, nex, ny, nz, per_x)
        if e >= 0:
            ei = e // (ny * nz)
            ej = (e // nz) % ny
            ek = e % nz
            if ti.static(fine):
                lb = ti.cast(lab[e], ti.i32)
                l_ = ti.cast(lam[lb], ti.f64)
                m_ = ti.cast(mu[lb], ti.f64)
                if l_ != 0.0 or m_ != 0.0:
                    base = lb * 576 + ti.static(72 * a)  # row 3a of the label's element matrix
                    for b in range(8):
                        n = _node_of(ei, ej, ek, b, mx, ny, nz, per_x)
                        for q in ti.static(range(3)):
                            xv = ti.cast(x[3 * n + q], ti.f64)
                            for p in ti.static(range(3)):
                                y[p] += ti.cast(ke[base + 24 * p + 3 * b + q], ti.f64) * xv
            else:
                base = ti.cast(lab[e], ti.i32) * 324  # the element's row of the packed table
                for b in range(8):
                    n = _node_of(ei, ej, ek, b, mx, ny, nz, per_x)
                    # block (a, b) is stored once for a <= b (transposed for a > b)
                    lo = ti.min(b, a)
                    hi = ti.max(b, a)
                    blk = base + 9 * (lo * 8 - lo * (lo - 1) // 2 + (hi - lo))
                    for q in ti.static(range(3)):
                        xv = ti.cast(x[3 * n + q], ti.f64)
                        for p in ti.static(range(3)):
                            off = 3 * p + q
                            if b < a:
                                off = 3 * q + p
                            y[p] += ti.cast(ke[blk + off], ti.f64) * xv
    return y


@ti.func
def _takes_element_path(hom: ti.template(), pid: ti.template(), n, fine: ti.template(),
                        patterns: ti.template()):
    """Coarse levels: every node; the finest: nodes with neither a homogeneous nor a pattern stencil
    (``pid`` is read only with ``patterns``: it is a 1-entry placeholder otherwise)."""
    take = True
    if ti.static(fine):
        take = hom[n] == NOT_HOMOGENEOUS
        if ti.static(patterns):
            if pid[n] >= 0:
                take = False
    return take


@ti.kernel
def _apply(x: ti.types.ndarray(ndim=1), y: ti.types.ndarray(ndim=1), lab: ti.types.ndarray(ndim=1),
           lam: ti.types.ndarray(ndim=1), mu: ti.types.ndarray(ndim=1), ke: ti.types.ndarray(ndim=1),
           hom: ti.types.ndarray(ndim=1), pid: ti.types.ndarray(ndim=1), mask: ti.types.ndarray(ndim=1),
           mx: ti.i32, nex: ti.i32, ny: ti.i32, nz: ti.i32, per_x: ti.i32, fine: ti.template(),
           patterns: ti.template()):
    """y = A x (identity rows on removed dofs). On the finest level only the nodes that take no
    stencil (``hom[n] == NOT_HOMOGENEOUS`` and ``pid[n] < 0``; the rest is :func:`_apply_stencil`'s)."""
    if ti.static(cpu_loops()):
        for i, j in ti.ndrange(mx, ny):
            for k in range(nz):
                n = (i * ny + j) * nz + k
                if _takes_element_path(hom, pid, n, fine, patterns):
                    r = _row(x, lab, lam, mu, ke, i, j, k, mx, nex, ny, nz, per_x, fine)
                    for p in ti.static(range(3)):
                        y[3 * n + p] = ti.select(((mask[n] >> p) & 1) != 0, r[p], x[3 * n + p])
    else:
        for i, j, k in ti.ndrange(mx, ny, nz):
            n = (i * ny + j) * nz + k
            if _takes_element_path(hom, pid, n, fine, patterns):
                r = _row(x, lab, lam, mu, ke, i, j, k, mx, nex, ny, nz, per_x, fine)
                for p in ti.static(range(3)):
                    y[3 * n + p] = ti.select(((mask[n] >> p) & 1) != 0, r[p], x[3 * n + p])


@ti.func
def _neighbour_lines(i, j, k, mx, ny, nz, per_x):
    """Node indices (-1, 0, +1) along each axis around node (i, j, k): y and z wrap; x wraps when
    periodic, else is clamped to the end planes (a node there has no element beyond them, so the
    entries that read the clamped index are 0; nodes with all eight elements never reach it)."""
    im, ip = i - 1, i + 1
    if per_x != 0:
        im, ip = _wrap(im, mx), _wrap(ip, mx)
    else:
        im, ip = ti.max(im, 0), ti.min(ip, mx - 1)
    return (ti.Vector([im, i, ip]), ti.Vector([_wrap(j - 1, ny), j, _wrap(j + 1, ny)]),
            ti.Vector([_wrap(k - 1, nz), k, _wrap(k + 1, nz)]))


@ti.func
def _stencil_row(x: ti.template(), st: ti.template(), base, i, j, k, mx, ny, nz, per_x):
    """Row block of a node inside one label's region: the 153 non-zero entries of the label's
    assembled 27-point stencil (:data:`STENCIL`, row ``base`` of ``st``), unrolled."""
    ii, jj, kk = _neighbour_lines(i, j, k, mx, ny, nz, per_x)
    y = ti.Vector([0.0, 0.0, 0.0], dt=ti.f64)
    for o in ti.static(range(27)):
        oi, oj, ok = ti.static(o // 9, (o // 3) % 3, o % 3)
        n = (ii[oi] * ny + jj[oj]) * nz + kk[ok]
        for t in ti.static(_STENCIL_BY_OFFSET[o]):
            p, q = ti.static(STENCIL[t][3], STENCIL[t][4])
            y[p] += ti.cast(st[base + t], ti.f64) * ti.cast(x[3 * n + q], ti.f64)
    return y


@ti.func
def _pattern_row(x: ti.template(), pst: ti.template(), base, i, j, k, mx, ny, nz, per_x):
    """Row block of an interface node: its pattern's assembled 27-point stencil (row ``base`` of
    ``pst``, neighbour-major, then the 3x3 block row-major), 243 products, unrolled. Between plates
    the neighbours beyond an end plane are clamped onto it: their entries are 0 (no element)."""
    ii, jj, kk = _neighbour_lines(i, j, k, mx, ny, nz, per_x)
    y = ti.Vector([0.0, 0.0, 0.0], dt=ti.f64)
    for o in ti.static(range(27)):
        oi, oj, ok = ti.static(o // 9, (o // 3) % 3, o % 3)
        n = (ii[oi] * ny + jj[oj]) * nz + kk[ok]
        for q in ti.static(range(3)):
            xv = ti.cast(x[3 * n + q], ti.f64)
            for p in ti.static(range(3)):
                y[p] += pst[base + ti.static(9 * o + 3 * p + q)] * xv
    return y


@ti.kernel
def _apply_stencil(x: ti.types.ndarray(ndim=1), y: ti.types.ndarray(ndim=1), st: ti.types.ndarray(ndim=1),
                   hom: ti.types.ndarray(ndim=1), pst: ti.types.ndarray(ndim=1),
                   pid: ti.types.ndarray(ndim=1), mask: ti.types.ndarray(ndim=1), mx: ti.i32, ny: ti.i32,
                   nz: ti.i32, per_x: ti.i32, patterns: ti.template()):
    """y = A x on the nodes whose eight elements exist and share one stiff label, and (with
    ``patterns``) on the interface nodes that have a pattern stencil (``pid[n] >= 0``); the rest is
    :func:`_apply`'s. Both are the same sum as the eight element matrices', regrouped."""
    for i, j, k in ti.ndrange(mx, ny, nz):
        n = (i * ny + j) * nz + k
        h = ti.cast(hom[n], ti.i32)
        if h != NOT_HOMOGENEOUS:
            r = _stencil_row(x, st, h * ti.static(len(STENCIL)), i, j, k, mx, ny, nz, per_x)
            for p in ti.static(range(3)):
                y[3 * n + p] = ti.select(((mask[n] >> p) & 1) != 0, r[p], x[3 * n + p])
        elif ti.static(patterns):
            g = pid[n]
            if g >= 0:
                r = _pattern_row(x, pst, g * PATTERN_SIZE, i, j, k, mx, ny, nz, per_x)
                for p in ti.static(range(3)):
                    y[3 * n + p] = ti.select(((mask[n] >> p) & 1) != 0, r[p], x[3 * n + p])


def node_patterns(lab: np.ndarray, hom: np.ndarray, ke: np.ndarray, lam: np.ndarray, mu: np.ndarray,
                  shape, nex: int, per_x: bool, max_patterns: int):
    """The assembled stencils of the interface nodes' patterns (host, numpy).

    A node that takes no homogeneous stencil (``hom == NOT_HOMOGENEOUS``) is described by the
    labels of its eight elements (corner ``a`` of element ``a``; 255 where there is none, beyond a
    plate). Its row of ``A`` is the sum of those elements' element-matrix rows, so nodes with the
    same eight labels share one 27-point stencil: ``S[o][p][q] = sum_a K_lab(a)[3a + p, 3b + q]``
    over the corners ``b`` at neighbour offset ``o = b - a``, summed in float64 from the element
    matrices the element path reads. The ``max_patterns`` most frequent patterns get a stencil.

    Returns ``(pid, pst, covered)``: int32 pattern per node (-1: element path), float64 stencils
    (``PATTERN_SIZE`` per pattern), the fraction of the interface nodes covered; ``None`` when
    the labels are not uint8 below 255 (composite-voxel classes keep the element path).
    """
    mx, ny, nz = shape
    if lab.dtype != np.uint8 or (lab.size and int(lab.max()) >= 255) or max_patterns < 1:
        return None
    nodes = np.flatnonzero(hom == NOT_HOMOGENEOUS)
    pid = np.full(hom.size, -1, np.int32)
    if nodes.size == 0:
        return pid, np.zeros(PATTERN_SIZE), 1.0
    i, j, k = nodes // (ny * nz), (nodes // nz) % ny, nodes % nz
    key = np.zeros(nodes.size, np.uint64)
    for a in range(8):
        ai, aj, ak = _corner(a)
        ei = i - ai
        if per_x:
            ok = np.ones(nodes.size, bool)
            ei = ei % nex
        else:
            ok = (ei >= 0) & (ei < nex)
            ei = np.clip(ei, 0, nex - 1)
        e = (ei * ny + (j - aj) % ny) * nz + (k - ak) % nz
        la = np.where(ok, lab[e], 255).astype(np.uint64)
        key |= la << np.uint64(8 * a)
    keys, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:max_patterns]  # the most frequent first
    rank = np.full(len(keys), -1, np.int64)
    rank[order] = np.arange(len(order))
    pid[nodes] = rank[inv]
    kept = keys[order]
    stiff = (lam != 0.0) | (mu != 0.0)  # the element path skips elements with neither
    K = ke.reshape(-1, 24, 24).astype(np.float64) * stiff[:len(ke) // 576, None, None]
    pst = np.zeros((len(kept), 27, 3, 3))
    for a in range(8):
        la = ((kept >> np.uint64(8 * a)) & np.uint64(255)).astype(np.int64)
        has = la != 255
        Ka = K[la[has]]
        ca = np.array(_corner(a))
        for b in range(8):
            oi, oj, ok_ = np.array(_corner(b)) - ca
            o = (oi + 1) * 9 + (oj + 1) * 3 + (ok_ + 1)
            pst[has, o] += Ka[:, 3 * a:3 * a + 3, 3 * b:3 * b + 3]
    covered = float(counts[order].sum() / nodes.size)
    return pid, pst.ravel(), covered


@ti.kernel
def _classify_homogeneous(hom: ti.types.ndarray(ndim=1), lab: ti.types.ndarray(ndim=1),
                          lam: ti.types.ndarray(ndim=1), mu: ti.types.ndarray(ndim=1), mx: ti.i32,
                          nex: ti.i32, ny: ti.i32, nz: ti.i32, per_x: ti.i32):
    """hom[n] = the label of node n's eight elements when they all exist, share it and it is
    stiff; else NOT_HOMOGENEOUS (label 255 itself always takes the element path)."""
    for i, j, k in ti.ndrange(mx, ny, nz):
        n = (i * ny + j) * nz + k
        same = -1
        e0 = _elem_of(i, j, k, 0, 0, 0, nex, ny, nz, per_x)
        if e0 >= 0:
            same = ti.cast(lab[e0], ti.i32)
            for a in ti.static(range(1, 8)):
                ai, aj, ak = ti.static((a >> 2) & 1, (a >> 1) & 1, a & 1)
                e = _elem_of(i, j, k, ai, aj, ak, nex, ny, nz, per_x)
                if e < 0:
                    same = -1
                elif ti.cast(lab[e], ti.i32) != same:
                    same = -1
        if same >= NOT_HOMOGENEOUS:  # a composite voxel's class (or label 255): element path
            same = -1
        if same >= 0:
            if lam[same] == 0.0 and mu[same] == 0.0:  # a pore: its node takes no stencil
                same = -1
        if same < 0:
            same = NOT_HOMOGENEOUS
        hom[n] = ti.cast(same, ti.u8)


@ti.kernel
def _residual(x: ti.types.ndarray(ndim=1), b: ti.types.ndarray(ndim=1), r: ti.types.ndarray(ndim=1),
              lab: ti.types.ndarray(ndim=1), lam: ti.types.ndarray(ndim=1), mu: ti.types.ndarray(ndim=1),
              ke: ti.types.ndarray(ndim=1), mask: ti.types.ndarray(ndim=1),
              mx: ti.i32, nex: ti.i32, ny: ti.i32, nz: ti.i32, per_x: ti.i32, fine: ti.template()) -> ti.f64:
    """r = b - A x in float64; returns ||r||^2."""
    s = ti.cast(0.0, ti.f64)
    for i, j, k in ti.ndrange(mx, ny, nz):
        n = (i * ny + j) * nz + k
        row = _row(x, lab, lam, mu, ke, i, j, k, mx, nex, ny, nz, per_x, fine)
        for p in ti.static(range(3)):
            v = ti.cast(0.0, ti.f64)
            if ((mask[n] >> p) & 1) != 0:
                v = ti.cast(b[3 * n + p], ti.f64) - row[p]
            r[3 * n + p] = v
            s += v * v
    return s


@ti.kernel
def _diag_inverse(dinv: ti.types.ndarray(ndim=1), lab: ti.types.ndarray(ndim=1),
                  lam: ti.types.ndarray(ndim=1), mu: ti.types.ndarray(ndim=1), ke: ti.types.ndarray(ndim=1),
                  mask: ti.types.ndarray(ndim=1), mx: ti.i32, nex: ti.i32, ny: ti.i32, nz: ti.i32,
                  per_x: ti.i32, fine: ti.template()):
    """Inverse of each node's 3x3 diagonal block restricted to its free dofs (0 elsewhere);
    a node touching no stiffness loses all its dofs (``mask`` cleared)."""
    for i, j, k in ti.ndrange(mx, ny, nz):
        n = (i * ny + j) * nz + k
        D = ti.Matrix.zero(ti.f64, 3, 3)
        for a in ti.static(range(8)):
            ai, aj, ak = ti.static((a >> 2) & 1, (a >> 1) & 1, a & 1)
            e = _elem_of(i, j, k, ai, aj, ak, nex, ny, nz, per_x)
            if e >= 0:
                if ti.static(fine):
                    lb = ti.cast(lab[e], ti.i32)
                    for p, q in ti.static(ti.ndrange(3, 3)):
                        D[p, q] += ti.cast(ke[lb * 576 + ti.static(24 * (3 * a + p) + 3 * a + q)], ti.f64)
                else:
                    for p, q in ti.static(ti.ndrange(3, 3)):
                        D[p, q] += ti.cast(ke[ti.cast(lab[e], ti.i32) * 324
                                              + ti.static(_fetch_index(a, a, p, q))], ti.f64)
        tr = D[0, 0] + D[1, 1] + D[2, 2]
        m = mask[n]
        if not (tr > 0.0):
            m = ti.u8(0)
        for p in ti.static(range(3)):
            if ((m >> p) & 1) == 0:
                for q in ti.static(range(3)):
                    D[p, q] = 0.0
                    D[q, p] = 0.0
                D[p, p] = 1.0
        Di = D.inverse()
        for p in ti.static(range(3)):
            if ((m >> p) & 1) == 0:
                for q in ti.static(range(3)):
                    Di[p, q] = 0.0
                    Di[q, p] = 0.0
        mask[n] = m
        for p, q in ti.static(ti.ndrange(3, 3)):
            dinv[9 * n + 3 * p + q] = Di[p, q]


@ti.func
def _child(E, c, cny, cnz, ny, nz):
    """Fine element of child ``c`` (corner bits di dj dk) of coarse element ``E``."""
    I = E // (cny * cnz)
    J = (E // cnz) % cny
    K = E % cnz
    return ((2 * I + ((c >> 2) & 1)) * ny + 2 * J + ((c >> 1) & 1)) * nz + 2 * K + (c & 1)


@ti.func
def _fetch(kf: ti.template(), e, a, b, p, q):
    v = 0.0
    if a <= b:
        v = kf[e * 324 + (a * 8 - a * (a - 1) // 2 + b - a) * 9 + p * 3 + q]
    else:
        v = kf[e * 324 + (b * 8 - b * (b - 1) // 2 + a - b) * 9 + q * 3 + p]
    return v


@ti.kernel
def _galerkin_coarse(kc: ti.types.ndarray(ndim=1), kf: ti.types.ndarray(ndim=1),
                     kidx: ti.types.ndarray(ndim=1), w: ti.types.ndarray(ndim=1), cex: ti.i32, cny: ti.i32,
                     cnz: ti.i32, ny: ti.i32, nz: ti.i32):
    """Coarse element matrices sum_c P_c^T K_c P_c from stored fine element matrices (row
    ``kidx[e]`` of ``kf`` for fine element ``e``)."""
    for E in range(cex * cny * cnz):
        for t in range(324):
            kc[E * 324 + t] = 0.0
        for c in range(8):
            e = ti.cast(kidx[_child(E, c, cny, cnz, ny, nz)], ti.i32)
            for A in range(8):
                for B in range(A, 8):
                    blk = (A * 8 - A * (A - 1) // 2 + B - A) * 9
                    for a in range(8):
                        wa = w[(c * 8 + a) * 8 + A]
                        if wa != 0.0:
                            for b in range(8):
                                wb = w[(c * 8 + b) * 8 + B]
                                if wb != 0.0:
                                    for p, q in ti.ndrange(3, 3):
                                        kc[E * 324 + blk + p * 3 + q] += wa * wb * _fetch(kf, e, a, b, p, q)


@ti.kernel
def _restrict(rf: ti.types.ndarray(ndim=1), rc: ti.types.ndarray(ndim=1), maskc: ti.types.ndarray(ndim=1),
              cmx: ti.i32, cny: ti.i32, cnz: ti.i32, mx: ti.i32, ny: ti.i32, nz: ti.i32, per_x: ti.i32):
    """rc = P^T rf (trilinear weights; removed coarse dofs get 0)."""
    for I, J, K in ti.ndrange(cmx, cny, cnz):
        nc = (I * cny + J) * cnz + K
        acc = ti.Vector([0.0, 0.0, 0.0], dt=ti.f64)
        for di, dj, dk in ti.static(ti.ndrange(3, 3, 3)):
            ii = _index0(2 * I + di - 1, mx, per_x)
            if ii >= 0:
                wgt = ti.static((1.0 if di == 1 else 0.5) * (1.0 if dj == 1 else 0.5)
                                * (1.0 if dk == 1 else 0.5))
                n = (ii * ny + _wrap(2 * J + dj - 1, ny)) * nz + _wrap(2 * K + dk - 1, nz)
                for p in ti.static(range(3)):
                    acc[p] += wgt * ti.cast(rf[3 * n + p], ti.f64)
        for p in ti.static(range(3)):
            rc[3 * nc + p] = ti.select(((maskc[nc] >> p) & 1) != 0, acc[p], 0.0)


@ti.kernel
def _prolong_add(xc: ti.types.ndarray(ndim=1), xf: ti.types.ndarray(ndim=1), maskf: ti.types.ndarray(ndim=1),
                 mx: ti.i32, ny: ti.i32, nz: ti.i32, cmx: ti.i32, cny: ti.i32, cnz: ti.i32, per_x: ti.i32):
    """xf += P xc on the free fine dofs."""
    for i, j, k in ti.ndrange(mx, ny, nz):
        n = (i * ny + j) * nz + k
        acc = ti.Vector([0.0, 0.0, 0.0], dt=ti.f64)
        oi, oj, ok_ = i & 1, j & 1, k & 1
        for pi, pj, pk in ti.static(ti.ndrange(2, 2, 2)):
            # parents along each axis: i // 2 (weight 1 if i is even, 1/2 if odd) and
            # i // 2 + 1 (weight 1/2 if odd, else 0)
            wi = (1 - pi) * (1.0 - 0.5 * oi) + pi * 0.5 * oi
            wj = (1 - pj) * (1.0 - 0.5 * oj) + pj * 0.5 * oj
            wk = (1 - pk) * (1.0 - 0.5 * ok_) + pk * 0.5 * ok_
            wgt = wi * wj * wk
            if wgt > 0.0:
                I = i // 2 + pi
                if per_x != 0:
                    I = _wrap(I, cmx)
                J = _wrap(j // 2 + pj, cny)
                K = _wrap(k // 2 + pk, cnz)
                nc = (I * cny + J) * cnz + K
                for p in ti.static(range(3)):
                    acc[p] += wgt * ti.cast(xc[3 * nc + p], ti.f64)
        for p in ti.static(range(3)):
            if ((maskf[n] >> p) & 1) != 0:  # the node's own dofs: a plain update, not an atomic +=
                xf[3 * n + p] = xf[3 * n + p] + acc[p]  # (conduction._prolong_add)


@ti.kernel
def _block_jacobi(z: ti.types.ndarray(ndim=1), r: ti.types.ndarray(ndim=1), dinv: ti.types.ndarray(ndim=1),
                  scale: ti.f64, d: ti.types.ndarray(ndim=1), beta: ti.f64):
    """d = beta d + scale * D^-1 r  (z unused placeholder keeps one signature per dtype)."""
    for n in range(r.shape[0] // 3):
        for p in ti.static(range(3)):
            s = ti.cast(0.0, ti.f64)
            for q in ti.static(range(3)):
                s += ti.cast(dinv[9 * n + 3 * p + q], ti.f64) * ti.cast(r[3 * n + q], ti.f64)
            d[3 * n + p] = beta * d[3 * n + p] + scale * s


@ti.kernel
def _axpy(y: ti.types.ndarray(ndim=1), x: ti.types.ndarray(ndim=1), a: ti.f64):
    for i in range(y.shape[0]):
        y[i] += a * x[i]


@ti.kernel
def _scale(y: ti.types.ndarray(ndim=1), a: ti.f64):
    for i in range(y.shape[0]):
        y[i] *= a


@ti.kernel
def _zero_removed(v: ti.types.ndarray(ndim=1), mask: ti.types.ndarray(ndim=1)):
    """v = 0 on the removed dofs (mask bit clear)."""
    for n in range(mask.shape[0]):
        for p in ti.static(range(3)):
            if ((mask[n] >> p) & 1) == 0:
                v[3 * n + p] = 0.0


@ti.kernel
def _add_ramp(x: ti.types.ndarray(ndim=1), a: ti.f64, mx: ti.i32, ny: ti.i32, nz: ti.i32):
    """``x += a g``: the x dofs of node plane ``i`` by ``a i / (mx - 1)`` (the lifting of a plate's
    motion, :class:`_PlateBorder`)."""
    for i, j, k in ti.ndrange(mx, ny, nz):
        n = (i * ny + j) * nz + k
        x[3 * n] = x[3 * n] + a * (ti.cast(i, ti.f64) / (mx - 1))


@ti.kernel
def _sub_into(r: ti.types.ndarray(ndim=1), b: ti.types.ndarray(ndim=1), ax: ti.types.ndarray(ndim=1)):
    """r = b - ax."""
    for i in range(r.shape[0]):
        r[i] = b[i] - ax[i]


# --------------------------------------------------------------------------- levels
class ElasticityLevel:
    """One level of the elasticity hierarchy (the :class:`multigrid.Level` protocol).

    Parameters
    ----------
    shape : (mx, ny, nz)
        Node grid.
    nex : int
        Elements along axis 0 (``mx`` when periodic, ``mx - 1`` between plates).
    per_x : bool
        Periodic along axis 0.
    mask : ti.ndarray of uint8 (mx * ny * nz,)
        Free-dof bits per node (bit p: component p free); nodes touching no stiffness are
        cleared on construction.
    lab : ndarray
        Row of ``ke`` per element: the label (uint8) on the finest level, or an int32 class when
        there are composite voxels (``256 + j`` for row ``j`` of ``extra``); an int32 index on
        the coarse levels (elements with the same matrix share a row).
    lam, mu : ndarrays (finest level) or None
        The Lame constants per label [Pa] (256, then one non-zero flag per composite class).
    ke : ndarray
        Finest level: the element matrix of every label (``label_matrices``, 576 float64 per
        label) followed by the ``extra`` ones; coarse levels: packed element matrices (324 per
        row).
    extra : (m, 24, 24) float64, optional
        Finest level: the element matrices of the composite-voxel classes (host copy, for the
        first coarse level's Galerkin products).
    spacing : 3 floats
        Edges of one fine element (finest level only; the coarse element matrices carry it).
    """

    def __init__(self, shape, nex: int, per_x: bool, mask, dtype, *, ke, lab, lam=None, mu=None,
                 spacing=None, degree: int = 3, lower: float = 1.0 / 30.0, vector_dtype=None, extra=None):
        self.shape = tuple(int(s) for s in shape)
        self.nex, self.per_x = int(nex), bool(per_x)
        self.n_nodes = int(np.prod(self.shape))
        self.dtype = dtype  # storage of the element matrices and the diagonal blocks
        self.vdtype = vector_dtype or dtype  # storage of the vectors of this level
        self.fine = lam is not None
        self.spacing = _spacing(spacing)
        dummy_f = device_zeros(ti.f64, (1,))
        self.lab = lab
        self.lam = lam if lam is not None else dummy_f
        self.mu = mu if mu is not None else dummy_f
        self.ke = ke
        self.extra = extra
        self.st = dummy_f
        self.hom = device_zeros(ti.u8, (1,))
        self.stencil = bool(self.fine and HOMOGENEOUS_STENCIL)
        if self.fine:  # the homogeneous-node stencils (fast path of the fine operator)
            self.hom = device_zeros(ti.u8, (self.n_nodes,))
            krylov.fill(self.hom, NOT_HOMOGENEOUS)
        if self.stencil:
            self.st = device_zeros(ti.f64, (256 * len(STENCIL),))
            st = label_stencils(lam.to_numpy()[:256], mu.to_numpy()[:256], self.spacing)
            self.st.from_numpy(st.ravel())
            _classify_homogeneous(self.hom, lab, lam, mu, *self._dims())
        self.pid = device_zeros(ti.i32, (1,))
        self.pst = dummy_f
        self.patterns = False
        self.pattern_coverage = 0.0
        if self.stencil and PATTERN_STENCIL:
            max_patterns = int(PATTERN_BYTES * self.n_nodes / (8 * PATTERN_SIZE))
            got = node_patterns(lab.to_numpy(), self.hom.to_numpy(), ke.to_numpy(), lam.to_numpy(),
                                mu.to_numpy(), self.shape, self.nex, self.per_x, max_patterns)
            if got is not None:
                pid, pst, self.pattern_coverage = got
                self.pid = device_zeros(ti.i32, (self.n_nodes,))
                self.pid.from_numpy(pid)
                self.pst = device_zeros(ti.f64, (pst.size,))
                self.pst.from_numpy(pst)
                self.patterns = True
                log.debug("fine elasticity level %s: pattern stencils for %.1f %% of the interface nodes "
                          "(%d patterns)", self.shape, 100 * self.pattern_coverage, pst.size // PATTERN_SIZE)
        self.mask = mask
        self.degree, self.lower = int(degree), float(lower)
        self.dinv = device_zeros(dtype, (9 * self.n_nodes,))
        _diag_inverse(self.dinv, self.lab, self.lam, self.mu, self.ke, self.mask, *self._dims(), self.fine)
        self.np_dtype = np.float32 if self.vdtype == ti.f32 else np.float64
        self._r = self.new_vector()
        self._d = self.new_vector()
        self._t = self.new_vector()
        self.lam_max = self._estimate_lam_max()
        self._dense = None

    # -- protocol
    def _dims(self):
        mx, ny, nz = self.shape
        return mx, self.nex, ny, nz, int(self.per_x)

    def new_vector(self, dtype=None):
        v = device_zeros(dtype or self.vdtype, (3 * self.n_nodes,))
        krylov.fill(v, 0.0)
        return v

    def apply(self, x, y) -> None:
        if not (self.patterns and self.pattern_coverage == 1.0):  # else every node has a stencil
            _apply(x, y, self.lab, self.lam, self.mu, self.ke, self.hom, self.pid, self.mask, *self._dims(),
                   self.fine, self.patterns)
        if self.stencil:
            mx, _, ny, nz, per_x = self._dims()
            _apply_stencil(x, y, self.st, self.hom, self.pst, self.pid, self.mask, mx, ny, nz, per_x,
                           self.patterns)

    def residual(self, x, b, r) -> float:
        return float(_residual(x, b, r, self.lab, self.lam, self.mu, self.ke, self.mask,
                               *self._dims(), self.fine))

    accepts_zero_guess = True

    def smooth(self, x, b, *, forward: bool = True, sweeps: int | None = None,
               zero_guess: bool = False) -> None:
        """Chebyshev smoothing of degree ``sweeps`` (default the level's degree) on A x = b;
        ``zero_guess``: ``x`` is 0, so the first residual is ``b`` (one operator application
        fewer)."""
        deg = self.degree if sweeps is None else int(sweeps)
        hi = 1.1 * self.lam_max
        lo = self.lower * self.lam_max
        theta, delta = 0.5 * (hi + lo), 0.5 * (hi - lo)
        sigma = theta / delta
        rho = 1.0 / sigma
        r, d, t = self._r, self._d, self._t
        if zero_guess:
            krylov.copy(r, b)
        else:
            self.apply(x, t)
            _sub_into(r, b, t)
        _block_jacobi(t, r, self.dinv, 1.0 / theta, d, 0.0)
        for it in range(deg):
            _axpy(x, d, 1.0)
            if it == deg - 1:
                break
            self.apply(d, t)
            _axpy(r, t, -1.0)
            rho_new = 1.0 / (2.0 * sigma - rho)
            _block_jacobi(t, r, self.dinv, 2.0 * rho_new / delta, d, rho_new * rho)
            rho = rho_new

    def coarse_solve(self, x, b, sweeps: int) -> None:
        if self._dense is None and 3 * self.n_nodes <= MAX_DENSE_DOFS:
            self._dense = self._pseudo_inverse()
        if self._dense is not None:
            x.from_numpy((self._dense @ b.to_numpy().astype(np.float64)).astype(self.np_dtype))
            return
        for _ in range(max(1, sweeps // self.degree)):
            self.smooth(x, b, sweeps=self.degree)

    def restrict_residual(self, x, b, coarse_b) -> None:
        self.apply(x, self._t)
        _sub_into(self._r, b, self._t)
        c = self._coarse
        _restrict(self._r, coarse_b, c.mask, *c.shape, *self.shape, int(self.per_x))

    def prolong_add(self, coarse_x, x) -> None:
        c = self._coarse
        _prolong_add(coarse_x, x, self.mask, *self.shape, *c.shape, int(self.per_x))

    def coarsen(self) -> "ElasticityLevel | None":
        mx, ny, nz = self.shape
        if 3 * self.n_nodes <= MAX_DENSE_DOFS // 4:
            return None
        if self.nex % 2 or ny % 2 or nz % 2 or min(self.nex, ny, nz) < 4:
            return None
        cex, cny, cnz = self.nex // 2, ny // 2, nz // 2
        cmx = cex if self.per_x else cex + 1
        if self.fine:
            ke, kidx = self._first_coarse_matrices(cex, cny, cnz)
        else:
            ke = device_zeros(self.dtype, (cex * cny * cnz * 324,))
            kidx = device_zeros(ti.i32, (cex * cny * cnz,))
            kidx.from_numpy(np.arange(cex * cny * cnz, dtype=np.int32))
            w = device_zeros(ti.f64, (512,))
            w.from_numpy(_PC.ravel())
            _galerkin_coarse(ke, self.ke, self.lab, w, cex, cny, cnz, ny, nz)
        mask = self.mask.to_numpy().reshape(self.shape)
        cmask = np.full((cmx, cny, cnz), 7, dtype=np.uint8)
        if not self.per_x:  # prescribed x dofs on the plates carry over to the coarse plates
            for plane in (0, -1):
                if not (mask[plane] & 1).any():
                    cmask[plane] &= 6
        cm = device_zeros(ti.u8, (cmask.size,))
        cm.from_numpy(cmask.ravel())
        coarse = ElasticityLevel((cmx, cny, cnz), cex, self.per_x, cm, self.dtype, ke=ke, lab=kidx,
                                 degree=self.degree, lower=self.lower)
        self._coarse = coarse
        return coarse

    def _first_coarse_matrices(self, cex: int, cny: int, cnz: int):
        """Galerkin element matrices of the first coarse level, ``sum_c lam_c G_lam,c + mu_c
        G_mu,c`` over the eight children. A coarse element's matrix depends only on its
        children's labels, so it is computed and stored once per distinct pattern of eight labels
        (a few thousand at most in a three-phase structure, against one per coarse element)
        with an int32 row index per coarse element: the same numbers in ~1/300 of the memory."""
        _, ny, nz = self.shape
        lab = self.lab.to_numpy().reshape(self.nex, ny, nz)
        kids = lab.reshape(cex, 2, cny, 2, cnz, 2).transpose(0, 2, 4, 1, 3, 5)  # child c = 4 di + 2 dj + dk
        width = lab.dtype.itemsize  # 1 (labels) or 4 (classes of composite voxels)
        keys = np.ascontiguousarray(kids).reshape(-1, 8).view(np.dtype((np.void, 8 * width))).ravel()
        del lab, kids
        keys, inverse = np.unique(keys, return_inverse=True)
        patterns = keys.view(np.uint8 if width == 1 else np.int32).reshape(-1, 8)
        gl, gm = _galerkin_children(self.spacing)
        lam, mu = self.lam.to_numpy(), self.mu.to_numpy()
        lam[256:] = 0.0  # composite classes: their own matrices below, not lam K_lam + mu K_mu
        mu[256:] = 0.0
        K = lam[patterns] @ gl + mu[patterns] @ gm  # (n_patterns, 324) in float64
        if self.extra is not None:
            for c in range(8):
                P = np.kron(_PC[c], np.eye(3))
                rows = np.flatnonzero(patterns[:, c] >= 256)
                for r0 in range(0, len(rows), 2048):  # ~10 MB per temporary
                    sel = rows[r0:r0 + 2048]
                    K[sel] += _pack_many(P.T @ self.extra[patterns[sel, c] - 256] @ P)
        log.debug("first coarse level: %d element-matrix patterns for %d elements", len(K), inverse.size)
        ke = device_zeros(self.dtype, (K.size,))
        ke.from_numpy(K.ravel().astype(np.float32 if self.dtype == ti.f32 else np.float64))
        kidx = device_zeros(ti.i32, (inverse.size,))
        kidx.from_numpy(inverse.astype(np.int32).ravel())
        return ke, kidx

    # -- set-up helpers
    def _estimate_lam_max(self, iters: int = 15) -> float:
        """Largest eigenvalue of ``D^-1 A`` by power iteration (the Chebyshev interval takes
        1.1x of it; the estimate approaches from below)."""
        rng = np.random.default_rng(12345)
        v, t = self._d, self._t
        v.from_numpy(rng.standard_normal(3 * self.n_nodes, dtype=self.np_dtype))  # no host copy beyond v's
        _zero_removed(v, self.mask)
        lam = 1.0
        for _ in range(iters):
            nrm = math.sqrt(krylov.dot(v, v))
            if nrm == 0.0:
                return 1.0
            _scale(v, 1.0 / nrm)
            self.apply(v, t)
            _block_jacobi(t, t, self.dinv, 1.0, v, 0.0)  # v = D^-1 A v
            lam = math.sqrt(krylov.dot(v, v))
        krylov.fill(v, 0.0)
        return max(lam, 1e-30)

    def work_vectors(self):
        """Two scratch vectors of this level (the smoother's ``d`` and ``t``): free for set-up
        work between smoothing calls, overwritten by the next one."""
        return self._d, self._t

    def free_dofs(self) -> np.ndarray:
        """(3 n_nodes,) 1 on free dofs, 0 on removed ones."""
        m = self.mask.to_numpy()
        return ((m[:, None] >> np.arange(3)) & 1).ravel().astype(np.float64)

    def element_matrices_host(self) -> tuple[np.ndarray, np.ndarray]:
        """(n_elements, 24, 24) element matrices and (n_elements, 8) node ids, on the host."""
        mx, ny, nz = self.shape
        i, j, k = np.meshgrid(np.arange(self.nex), np.arange(ny), np.arange(nz), indexing="ij")
        conn = np.empty(i.shape + (8,), dtype=np.int64)
        for a in range(8):
            di, dj, dk = _corner(a)
            ii = (i + di) % mx if self.per_x else i + di
            conn[..., a] = (ii * ny + (j + dj) % ny) * nz + (k + dk) % nz
        conn = conn.reshape(-1, 8)
        if self.fine:
            K = self.ke.to_numpy().reshape(-1, 24, 24)[self.lab.to_numpy()]
        else:
            K = unpack(self.ke.to_numpy().reshape(-1, 324).astype(np.float64))[self.lab.to_numpy()]
        return K, conn

    def _pseudo_inverse(self) -> np.ndarray:
        K, conn = self.element_matrices_host()
        nd = 3 * self.n_nodes
        A = np.zeros((nd, nd))
        dof = (3 * conn[:, :, None] + np.arange(3)).reshape(len(conn), 24)
        for e in range(len(conn)):
            A[np.ix_(dof[e], dof[e])] += K[e]
        free = self.free_dofs().astype(bool)
        Af = A[np.ix_(free, free)]
        w, V = np.linalg.eigh(Af)
        cut = max(w.max(), 1e-300) * (1e-5 if self.np_dtype == np.float32 else 1e-10)
        inv = np.where(w > cut, 1.0 / np.where(w > cut, w, 1.0), 0.0)
        out = np.zeros((nd, nd))
        out[np.ix_(free, free)] = (V * inv) @ V.T
        return out


# --------------------------------------------------------------------------- solve
@dataclass
class ElasticSolution:
    """Displacements [voxel lengths] on the node grid and the convergence record."""

    u: np.ndarray  # (mx, ny, nz, 3)
    converged: bool
    n_iter: int
    residual: float
    history: list
    reason: str
    n_levels: int
    mask: np.ndarray  # (mx, ny, nz) free-dof bits after removing nodes without stiffness
    plate: float | None = None  # x displacement of the last plate [voxel lengths] (solve_pressure)


def bytes_per_voxel(dtype: str = "float32", vector_dtype: str | None = None, pressure: bool = False) -> float:
    """Planned device memory per voxel of a solve [B]: the finest level (label, mask, the
    homogeneous-stencil class, x in float64, b, the three CG and three smoother vectors in
    ``vector_dtype``, the 3x3 diagonal inverses in ``dtype``, the interface-pattern index and at
    most ``PATTERN_BYTES`` of pattern stencils; ``pressure``: the float64 column ``K g`` of the
    moving plate, :meth:`ElasticSolver.solve_pressure`) and the coarse levels (their vectors and
    diagonal blocks, the element matrices: one per label pattern on the first coarse level, one
    per element deeper)."""
    w = 4 if dtype == "float32" else 8
    wv = {"float32": 4, "float64": 8}[vector_dtype or dtype]
    fine = 1 + 1 + 1 + 3 * 8 + 7 * 3 * wv + 9 * w  # the stencil class is allocated either way
    if PATTERN_STENCIL:
        fine += 4 + PATTERN_BYTES
    if pressure:
        fine += 3 * 8
    coarse = 4 / 8 + (324 * w + 4) / 64 * (1 + 1 / 8 + 1 / 64)
    return fine + coarse + (5 * 3 * w + 9 * w + 1) / 8 * 1.15


class ElasticSolver:
    """The multigrid hierarchy and preconditioner of one operator, kept for several loads.

    Building the hierarchy (coarse Galerkin matrices, Chebyshev bounds, rigid modes, hinged
    groups) is a fixed cost of every operator; the free cell (seven loads) or an effective
    stiffness (six) pays it once. :meth:`solve` takes one load with the plates held,
    :meth:`solve_pressure` one with the last plate moving under a force. Parameters as
    :func:`solve_elasticity`.
    """

    def __init__(self, labels: np.ndarray, lam: np.ndarray, mu: np.ndarray, *, periodic_x: bool,
                 mask: np.ndarray, dtype: str = "float32", degree: int = 3, levels_out: list | None = None,
                 nullspace=None, local=None, vector_dtype: str | None = None, spacing=None,
                 extra_matrices: np.ndarray | None = None):
        ensure_initialized()
        tdt = _TI_DTYPES[dtype]
        nx, ny, nz = labels.shape
        mx = nx if periodic_x else nx + 1
        self.shape = (mx, ny, nz)
        lam = np.asarray(lam, dtype=np.float64)[:256]
        mu = np.asarray(mu, dtype=np.float64)[:256]
        ke = label_matrices(lam, mu, spacing)
        if extra_matrices is None:
            lab_d = device_zeros(ti.u8, (labels.size,))
            lab_d.from_numpy(np.ascontiguousarray(labels, dtype=np.uint8).ravel())
        else:  # element classes (composite voxels, grains): class 256 + j has extra_matrices[j]
            extra_matrices = np.asarray(extra_matrices, dtype=np.float64).reshape(-1, 24, 24)
            lab_d = device_zeros(ti.i32, (labels.size,))
            lab_d.from_numpy(np.ascontiguousarray(labels, dtype=np.int32).ravel())
            flag = np.ones(len(extra_matrices))  # non-zero: the element is stiff
            lam, mu = np.concatenate([lam, 0 * flag]), np.concatenate([mu, flag])
            ke = np.concatenate([ke, extra_matrices.reshape(-1, 576)])
        lam_d = device_zeros(ti.f64, (len(lam),))
        lam_d.from_numpy(np.ascontiguousarray(lam))
        mu_d = device_zeros(ti.f64, (len(mu),))
        mu_d.from_numpy(np.ascontiguousarray(mu))
        mask_d = device_zeros(ti.u8, (mx * ny * nz,))
        mask_d.from_numpy(np.ascontiguousarray(mask, dtype=np.uint8).ravel())
        ke_d = device_zeros(ti.f64, (ke.size,))
        ke_d.from_numpy(ke.ravel())
        self.fine = fine = ElasticityLevel((mx, ny, nz), nx, periodic_x, mask_d, tdt, ke=ke_d, lab=lab_d,
                                           lam=lam_d, mu=mu_d, spacing=spacing, degree=degree,
                                           vector_dtype=_TI_DTYPES[vector_dtype or dtype],
                                           extra=extra_matrices)
        self.levels = levels = build_hierarchy(fine)
        if levels_out is not None:
            levels_out.extend(levels)
        vcycle = VCycle(levels, nu=degree, coarse_sweeps=30)
        self.precond = vcycle
        self.project = project = nullspace(fine) if nullspace is not None else None
        correct = local(fine) if local is not None else None
        if project is not None or correct is not None:
            def precond(r, z):
                if project is not None:
                    project(r)
                if correct is not None:
                    correct(r, z, vcycle)
                else:
                    vcycle(r, z)
                if project is not None:
                    project(z)
            self.precond = precond
        self._b = fine.new_vector()
        self._x = fine.new_vector(ti.f64)

    def solve(self, load, *, x0: np.ndarray | None = None, tol: float = 1e-6, maxiter: int = 300,
              accept=None) -> ElasticSolution:
        """Solve for one load (an array or a function that returns it, see
        :func:`solve_elasticity`)."""
        x = self._x
        self._place_load(load)
        if x0 is not None:
            x.from_numpy(np.ascontiguousarray(x0, dtype=np.float64).reshape(-1))
            _zero_removed(x, self.fine.mask)
        info = krylov.pcg(self.fine, self.precond, self._b, x, tol=tol, maxiter=maxiter, accept=accept,
                          stall_stop=True)
        return self._solution(info)

    def solve_pressure(self, load, *, column, force: float, tol: float = 1e-6,
                       maxiter: int = 300) -> ElasticSolution:
        """Solve with the last plate moving as one body under the x ``force`` (its x dofs held at
        0 in this operator's mask): the displacement is ``u = v + U g`` with the lifting ``g`` of
        the plate's motion (x dofs ``i / (mx - 1)`` on node plane ``i``) and ``column`` (mx, ny, nz,
        3; an array or a function that returns it, like ``load``) its forces ``K g`` on every dof
        (see :class:`_PlateBorder`). ``u`` of the solution includes ``U g``; ``plate`` is ``U``."""
        lift = np.arange(self.shape[0]) / (self.shape[0] - 1)
        kg = column() if callable(column) else column
        kg = np.asarray(kg, dtype=np.float64).reshape(self.shape + (3,))
        border = _PlateBorder(self, kg, float(np.einsum("ijk,i->", kg[..., 0], lift)))  # c = g^T K g
        del kg, column
        f_lift = self._place_load(load, lift)
        b = krylov.Bordered(self._b, [force + f_lift])
        x = krylov.Bordered(self._x, [0.0])
        info = krylov.pcg(border, border.precond, b, x, tol=tol, maxiter=maxiter, stall_stop=True)
        del border
        return self._solution(info, plate=float(x.e[0]), lift=lift)

    def _place_load(self, load, lift: np.ndarray | None = None) -> float | None:
        """The load (an array or a function that returns it) into ``b`` (removed dofs 0, rigid modes
        projected out) and ``x = 0``; freed on the host once on the device (24 B/node that CG does
        not need). With ``lift``: returns ``g^T f`` of the plate's lifting (x dofs ``lift[i]``)."""
        fine, b = self.fine, self._b
        f = load() if callable(load) else load
        f = np.ascontiguousarray(f, dtype=np.float64).reshape(self.shape + (3,))
        f_lift = None if lift is None else float(np.einsum("ijk,i->", f[..., 0], lift))
        b.from_numpy(f.reshape(-1).astype(fine.np_dtype, copy=False))
        del f, load
        _zero_removed(b, fine.mask)
        krylov.fill(self._x, 0.0)
        if self.project is not None:
            self.project(b)
        return f_lift

    def _solution(self, info, plate: float | None = None, lift: np.ndarray | None = None) -> ElasticSolution:
        """The solution from ``x`` (rigid modes projected out); with ``plate``, ``U g`` added on the
        nodes that touch a solid and on every node of the moving plate."""
        if self.project is not None:
            self.project(self._x)
        u = self._x.to_numpy().reshape(self.shape + (3,))
        mask = self.fine.mask.to_numpy().reshape(self.shape)
        if plate is not None:
            moves = mask != 0
            moves[-1] = True
            u[..., 0] += np.where(moves, plate * lift[:, None, None], 0.0)
        return ElasticSolution(u=u, converged=info.converged, n_iter=info.n_iter,
                               residual=info.residual if math.isfinite(info.residual) else math.inf,
                               history=info.history, reason=info.reason, n_levels=len(self.levels),
                               mask=mask, plate=plate)


class _PlateBorder:
    """The operator of a plate that moves as one body under a given force (the ``'pressure'``
    boundary of :mod:`microcath.mechanics`) with its preconditioner.

    The x dofs of the last node plane are removed from the grid operator ``K`` (a plate held at
    0). The displacement is ``u = v + U g`` with ``v`` in ``K``'s free dofs and ``g`` a lifting
    of the plate's motion: the x dofs of node plane ``i`` at ``i / (mx - 1)``, the ramp of a
    uniform strain (1 on the moving plate, 0 on the other), whose forces ``K g`` are those of a
    uniform eigenstrain, non-zero only where the stiffness changes. The system is bordered::

        [ K    k  ] [v]   [f          ]     k = K g on the free dofs,  c = g^T K g,
        [ k^T  c  ] [U] = [F + g^T f  ]     F: the plate's x force

    With the lifting, ``c`` is the stiffness of the uniformly strained composite (a Voigt-type
    bound of the true ``c - k^T K^-1 k``), not that of the plate's first element layer: ``K v`` and
    ``U k`` do not nearly cancel, so float32 vectors keep the small energy of a compliant
    structure; ``k`` is kept in float64 and the true residual sums ``K (v + U g)`` row by row in
    float64 (``U g`` added to the float64 iterate for the call), so a float32 solve reaches the
    accuracy of the plain one.

    Preconditioner: block diagonal, the V-cycle for ``v`` and ``Z = R / c`` for ``U``. CG then needs
    about the iterations of one solve with ``K`` where the superposition of two solves (the load
    with the plate held, then a unit plate displacement) needed two (``bench_mechanics.py
    --boundary pressure``: 9 against 17-18 at 64^3 and 128^3). Not kept (throw-away checks): the
    exact block inverse with the V-cycle ``M`` in ``K``'s place (``w = M k``, ``s = c - k.w``,
    ``Z = (R - w.r) / s``, ``z = M r - w Z``) saved a couple of iterations for one more vector and
    one more V-cycle to set up, and left the mean sigma_xx further from the stack pressure at the
    same tolerance; without the lifting (``g = e_p``, ``c`` the stiffness of the plate's first
    element layer) float32 vectors stalled above the tolerance or broke down on a compliant
    column."""

    def __init__(self, solver: "ElasticSolver", column: np.ndarray, diag: float):
        if not diag > 0.0:
            raise ValueError(f"the lifting's energy g^T K g must be positive, got {diag}")
        fine = solver.fine
        self.solver, self.fine = solver, fine
        kg = np.asarray(column, dtype=np.float64).reshape(-1, 3)
        bits = fine.mask.to_numpy()
        for p in range(3):  # the removed dofs' entries to 0, in place (no second 24 B/node array)
            kg[((bits >> p) & 1) == 0, p] = 0.0
        del bits
        self.k = fine.new_vector(ti.f64)
        self.k.from_numpy(kg.reshape(-1))
        self.c = float(diag)

    # -- the LinearOperator protocol on Bordered vectors
    def new_vector(self, dtype=None):
        return krylov.Bordered(self.fine.new_vector(dtype), [0.0])

    def apply(self, x, y):
        U = float(x.e[0])
        self.fine.apply(x.v, y.v)
        krylov.lincomb(y.v, 1.0, self.k, U)
        y.e[0] = krylov.dot(self.k, x.v) + self.c * U

    def residual(self, x, b, r) -> float:
        U = float(x.e[0])
        dims = self.fine.shape
        _add_ramp(x.v, U, *dims)  # x is float64: K (v + U g) in one float64 sum per row
        self.fine.residual(x.v, b.v, r.v)  # removed rows (the plate's x dofs among them) get 0
        _add_ramp(x.v, -U, *dims)
        r.e[0] = b.e[0] - krylov.dot(self.k, x.v) - self.c * U
        return krylov.dot(r, r)

    def precond(self, r, z) -> None:
        self.solver.precond(r.v, z.v)
        z.e[0] = r.e[0] / self.c


def solve_elasticity(labels: np.ndarray, lam: np.ndarray, mu: np.ndarray, load: np.ndarray, *,
                     periodic_x: bool, mask: np.ndarray, x0: np.ndarray | None = None,
                     dtype: str = "float32", tol: float = 1e-6, maxiter: int = 300,
                     degree: int = 3, accept=None, levels_out: list | None = None,
                     nullspace=None, local=None, vector_dtype: str | None = None,
                     spacing=None, extra_matrices: np.ndarray | None = None) -> ElasticSolution:
    """Solve ``A u = f`` for the node displacements with multigrid-preconditioned CG.

    Parameters
    ----------
    labels : (nx, ny, nz) uint8
        Label per element (voxel); int32 classes with ``extra_matrices`` (``256 + j``: a
        composite voxel whose element matrix is ``extra_matrices[j]``).
    lam, mu : (256,) float64
        Lame constants per label [Pa] (0 and 0 for pores).
    load : (mx, ny, nz, 3) float64, or a function that returns it
        Right-hand side [Pa voxel^2] (0 on prescribed dofs). Given as a function, the array is
        made here and freed as soon as it is on the device.
    periodic_x : bool
        Periodic along axis 0 (``mx = nx``), else plates (``mx = nx + 1``).
    mask : (mx, ny, nz) uint8
        Free-dof bits per node before removing nodes that touch no solid.
    spacing : 3 floats, optional
        Edges of one element in the length unit of ``u`` and ``load`` (default the unit cube).
    nullspace : callable, optional
        ``nullspace(level) -> project`` builds the projector onto the complement of the
        operator's null space (rigid modes of the pieces, see ``microcath.mechanics``);
        ``project(v)`` works in place on a flat vector of the finest level. The residual and
        the preconditioned residual are projected in every iteration, so CG stays in the
        range of the singular operator and float32 round-off cannot build up rigid motions.
    local : callable, optional
        ``local(level) -> precondition`` (or None) builds ``precondition(r, z, inner)``, a
        symmetric preconditioner around the V-cycle ``inner`` (``z = B r``; ``r`` unchanged on
        return): the exact solve on the hinged groups of ``microcath.hinged_groups``.
    """
    solver = ElasticSolver(labels, lam, mu, periodic_x=periodic_x, mask=mask, dtype=dtype, degree=degree,
                           levels_out=levels_out, nullspace=nullspace, local=local,
                           vector_dtype=vector_dtype, spacing=spacing, extra_matrices=extra_matrices)
    return solver.solve(load, x0=x0, tol=tol, maxiter=maxiter, accept=accept)
