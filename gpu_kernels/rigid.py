"""Rigid-body modes of the solid pieces of a node grid, on the device.

The elasticity operator is singular on every solid piece that the boundary
conditions leave free to move: its translations and rotations about a
reference node cost no energy. ``microcath.mechanics`` finds the pieces and
which of their six motions are free; this module holds what runs in every CG
iteration on full-size vectors, so that the vectors never leave the device:

* ``piece_dot``: ``s[p, j] = sum over the nodes of piece p of m_j . x`` for the six
  candidate modes ``m_j`` (three translations, then the rotations ``e_ax x r``
  about x, y, z, with ``r`` the node's position relative to the piece's
  reference node, minimum image along periodic axes, in lengths);
* ``piece_subtract``: ``x -= sum_j c[p, j] m_j`` on every node of piece ``p``;
* ``piece_gram``: the 6x6 Gram matrices ``m_i . m_j`` per piece;
* ``piece_norm2``: ``sum |x|^2`` over the free dofs of each piece.

Modes are built on the fly from the piece id of each node (int32), its
index and the piece's reference node, and are zero on removed dofs (the
level's free-dof bits). Sums over a piece run in blocks of consecutive nodes:
each block accumulates in registers and adds to the piece's slot once per
run of that piece (a node grid is mostly one big piece: one atomic add per
block instead of one per node, which serialises on the CPU).
"""


import taichi as ti

from .grid import cpu_loops

__all__ = ["piece_dot", "piece_subtract", "piece_gram", "piece_mode", "piece_norm2", "block_size"]


def block_size() -> int:
    """Nodes per reduction block: long serial runs on the CPU, short ones on a GPU."""
    return 8192 if cpu_loops() else 64


@ti.func
def _rel(n, p, ref: ti.template(), mx, ny, nz, per_x, hx, hy, hz):
    """Position of node ``n`` relative to the reference node of piece ``p`` [lengths]."""
    i = n // (ny * nz)
    j = (n // nz) % ny
    k = n % nz
    r = ti.Vector([ti.cast(i, ti.f64) - ref[3 * p], ti.cast(j, ti.f64) - ref[3 * p + 1],
                   ti.cast(k, ti.f64) - ref[3 * p + 2]])
    if per_x != 0:
        r[0] -= mx * ti.round(r[0] / mx)
    r[1] -= ny * ti.round(r[1] / ny)
    r[2] -= nz * ti.round(r[2] / nz)
    return ti.Vector([r[0] * hx, r[1] * hy, r[2] * hz])


@ti.func
def _on(mask: ti.template(), n):
    m = ti.cast(mask[n], ti.i32)
    return ti.Vector([ti.cast(m & 1, ti.f64), ti.cast((m >> 1) & 1, ti.f64), ti.cast((m >> 2) & 1, ti.f64)])


@ti.func
def _modes_dot(r, v):
    """(m_j . v) for the six modes at a node with relative position ``r`` (``v`` masked)."""
    return ti.Vector([v[0], v[1], v[2], r[1] * v[2] - r[2] * v[1], r[0] * v[2] - r[2] * v[0],
                      r[0] * v[1] - r[1] * v[0]], dt=ti.f64)


@ti.func
def _mode(j: ti.template(), r):
    """Mode ``j`` at a node with relative position ``r`` (3-vector, unmasked)."""
    m = ti.Vector([0.0, 0.0, 0.0], dt=ti.f64)
    if ti.static(j < 3):
        m[j] = 1.0
    elif ti.static(j == 3):  # e_x x r
        m[1], m[2] = -r[2], r[1]
    elif ti.static(j == 4):  # as microcath.mechanics: u_x = -r_z, u_z = r_x
        m[0], m[2] = -r[2], r[0]
    else:
        m[0], m[1] = -r[1], r[0]
    return m


@ti.kernel
def piece_dot(x: ti.types.ndarray(ndim=1), pid: ti.types.ndarray(ndim=1), mask: ti.types.ndarray(ndim=1),
              ref: ti.types.ndarray(ndim=1), s: ti.types.ndarray(ndim=1), mx: ti.i32, ny: ti.i32, nz: ti.i32,
              per_x: ti.i32, hx: ti.f64, hy: ti.f64, hz: ti.f64, block: ti.i32):
    """``s[6 p + j] += m_j . x`` over the nodes of every piece (``s`` zeroed by the caller)."""
    n_nodes = pid.shape[0]
    for blk in range((n_nodes + block - 1) // block):
        cur = 0
        acc = ti.Vector([0.0] * 6, dt=ti.f64)
        for n in range(blk * block, ti.min(n_nodes, (blk + 1) * block)):
            p = pid[n]
            if p > 0:
                if p != cur:
                    if cur > 0:
                        for t in ti.static(range(6)):
                            ti.atomic_add(s[6 * cur + t], acc[t])
                    cur = p
                    acc = ti.Vector([0.0] * 6, dt=ti.f64)
                on = _on(mask, n)
                v = ti.Vector([ti.cast(x[3 * n], ti.f64), ti.cast(x[3 * n + 1], ti.f64),
                               ti.cast(x[3 * n + 2], ti.f64)]) * on
                acc += _modes_dot(_rel(n, p, ref, mx, ny, nz, per_x, hx, hy, hz), v)
        if cur > 0:
            for t in ti.static(range(6)):
                ti.atomic_add(s[6 * cur + t], acc[t])


@ti.kernel
def piece_subtract(x: ti.types.ndarray(ndim=1), pid: ti.types.ndarray(ndim=1), mask: ti.types.ndarray(ndim=1),
                   ref: ti.types.ndarray(ndim=1), c: ti.types.ndarray(ndim=1), mx: ti.i32, ny: ti.i32,
                   nz: ti.i32, per_x: ti.i32, hx: ti.f64, hy: ti.f64, hz: ti.f64, dt: ti.template()):
    """``x -= sum_j c[6 p + j] m_j`` on the free dofs of every node of piece ``p``."""
    for n in range(pid.shape[0]):
        p = pid[n]
        if p > 0:
            r = _rel(n, p, ref, mx, ny, nz, per_x, hx, hy, hz)
            on = _on(mask, n)
            d = ti.Vector([0.0, 0.0, 0.0], dt=ti.f64)
            for j in ti.static(range(6)):
                d += c[6 * p + j] * _mode(j, r)
            for q in ti.static(range(3)):
                x[3 * n + q] = ti.cast(ti.cast(x[3 * n + q], ti.f64) - on[q] * d[q], dt)


@ti.kernel
def piece_gram(pid: ti.types.ndarray(ndim=1), mask: ti.types.ndarray(ndim=1), ref: ti.types.ndarray(ndim=1),
               g: ti.types.ndarray(ndim=1), mx: ti.i32, ny: ti.i32, nz: ti.i32, per_x: ti.i32, hx: ti.f64,
               hy: ti.f64, hz: ti.f64, block: ti.i32):
    """``g[36 p + 6 i + j] += m_i . m_j`` (free dofs only) over the nodes of every piece."""
    n_nodes = pid.shape[0]
    for blk in range((n_nodes + block - 1) // block):
        cur = 0
        acc = ti.Matrix.zero(ti.f64, 6, 6)
        for n in range(blk * block, ti.min(n_nodes, (blk + 1) * block)):
            p = pid[n]
            if p > 0:
                if p != cur:
                    if cur > 0:
                        for a, b in ti.static(ti.ndrange(6, 6)):
                            ti.atomic_add(g[36 * cur + 6 * a + b], acc[a, b])
                    cur = p
                    acc = ti.Matrix.zero(ti.f64, 6, 6)
                r = _rel(n, p, ref, mx, ny, nz, per_x, hx, hy, hz)
                on = _on(mask, n)
                for a in ti.static(range(6)):
                    row = _modes_dot(r, on * _mode(a, r))
                    for b in ti.static(range(6)):
                        acc[a, b] += row[b]
        if cur > 0:
            for a, b in ti.static(ti.ndrange(6, 6)):
                ti.atomic_add(g[36 * cur + 6 * a + b], acc[a, b])


@ti.kernel
def piece_mode(x: ti.types.ndarray(ndim=1), pid: ti.types.ndarray(ndim=1), mask: ti.types.ndarray(ndim=1),
               ref: ti.types.ndarray(ndim=1), j: ti.template(), mx: ti.i32, ny: ti.i32, nz: ti.i32,
               per_x: ti.i32, hx: ti.f64, hy: ti.f64, hz: ti.f64, dt: ti.template()):
    """``x = m_j`` of every piece (0 on removed dofs and outside every piece)."""
    for n in range(pid.shape[0]):
        p = pid[n]
        m = ti.Vector([0.0, 0.0, 0.0], dt=ti.f64)
        if p > 0:
            m = _on(mask, n) * _mode(j, _rel(n, p, ref, mx, ny, nz, per_x, hx, hy, hz))
        for q in ti.static(range(3)):
            x[3 * n + q] = ti.cast(m[q], dt)


@ti.kernel
def piece_norm2(x: ti.types.ndarray(ndim=1), pid: ti.types.ndarray(ndim=1), mask: ti.types.ndarray(ndim=1),
                s: ti.types.ndarray(ndim=1), block: ti.i32):
    """``s[p] += sum |x|^2`` over the free dofs of the nodes of every piece."""
    n_nodes = pid.shape[0]
    for blk in range((n_nodes + block - 1) // block):
        cur = 0
        acc = ti.cast(0.0, ti.f64)
        for n in range(blk * block, ti.min(n_nodes, (blk + 1) * block)):
            p = pid[n]
            if p > 0:
                if p != cur:
                    if cur > 0:
                        ti.atomic_add(s[cur], acc)
                    cur = p
                    acc = 0.0
                on = _on(mask, n)
                for q in ti.static(range(3)):
                    acc += on[q] * ti.cast(x[3 * n + q], ti.f64) ** 2
        if cur > 0:
            ti.atomic_add(s[cur], acc)
