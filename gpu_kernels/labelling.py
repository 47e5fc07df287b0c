"""Connected-component labelling of a 3-D boolean mask (Taichi kernels).

A label-equivalence / union-find algorithm in the spirit of Playne & Hawick
(2018), "A new algorithm for parallel connected-component labelling on GPUs",
IEEE TPDS 29(6):1217, arranged so that the same kernels run well on the CPU
(parallel over the ``nx * ny`` rows along ``z``, serial inside a row) and on
CUDA:

1. ``_init_runs``: every voxel of the mask points at the first voxel of its
   run along ``z`` (that run start is a root); background is ``-1``.
2. ``_merge``: for every voxel and every neighbour of the half stencil
   (3, 9 or 13 offsets for 6-, 18- or 26-connectivity, minus the ``z``
   predecessor, already joined by the run), union the two trees with an
   atomic minimum on the roots. A pair is skipped when the pair one step
   lower in ``z`` was joined already (both ``z`` predecessors are in the
   mask), so unions happen only where runs begin or change, and when a
   "pivot" neighbour ``(x-1, y, z)`` or ``(x, y-1, z)`` in the mask is adjacent
   to both voxels (decision-tree pruning: with 26-connectivity one union
   replaces twelve when ``(x-1, y, z)`` is set). See ``_merge_plan``.
3. ``_compress_count``: every voxel points straight at its root (the smallest
   linear index of its component); the roots of each row are counted.
4. ``_assign``: roots get consecutive labels ``1..n`` in linear-index order
   from the exclusive prefix sum of the row counts (computed by the caller),
   stored negated so they can be told from indices.
5. ``_resolve``: every voxel takes its root's label in one pass (a root's
   slot holds ``-(c + 1)`` before and ``c`` after its own update, so readers
   can decode either).

The result is deterministic (labels ordered by the first voxel of each
component in C order) and independent of the thread count. The kernels take
``ti.types.ndarray`` arguments; validation and the prefix sum live in the
caller (:func:`label_mask`).
"""


import numpy as np
import taichi as ti

from .runtime import current_arch, ensure_initialized

__all__ = ["label_mask", "half_stencil"]


def half_stencil(connectivity: int) -> list[tuple[int, int, int]]:
    """Neighbour offsets that precede a voxel in C order, for 6, 18 or 26 connectivity.

    The ``z`` predecessor ``(0, 0, -1)`` is excluded (runs along ``z`` join it).
    """
    order = {6: 1, 18: 2, 26: 3}[connectivity]
    out = []
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for dz in (-1, 0, 1):
                n = abs(dx) + abs(dy) + abs(dz)
                if n == 0 or n > order:
                    continue
                if (dx, dy, dz) < (0, 0, 0) and (dx, dy, dz) != (0, 0, -1):
                    out.append((dx, dy, dz))
    return out


def _adjacent(a, b, connectivity: int) -> bool:
    d = [abs(u - v) for u, v in zip(a, b, strict=True)]
    return max(d) <= 1 and 0 < sum(d) <= {6: 1, 18: 2, 26: 3}[connectivity]


def _merge_plan(connectivity: int) -> list[tuple[tuple[int, int, int], bool, bool]]:
    """Half-stencil offsets with two skip flags: ``(offset, skip_if_p1, skip_if_p2)``.

    ``p1`` is the neighbour ``(-1, 0, 0)``, ``p2`` the neighbour ``(0, -1, 0)``. When the
    pivot is in the mask, the voxel is joined to it (that pair is never skipped by its
    own pivot), and every other neighbour adjacent to the pivot is joined to the pivot
    by a pair with a smaller largest linear index, so the union with it is redundant.
    The pivot pairs are never skipped through each other in a cycle: ``(-1, 0, 0)``
    is never skipped through ``p2``. Every skip therefore rests on pairs with a smaller
    largest index, runs, or the pivot pairs, and correctness follows by induction.
    """
    p1, p2 = (-1, 0, 0), (0, -1, 0)
    plan = []
    for o in half_stencil(connectivity):
        s1 = o != p1 and _adjacent(o, p1, connectivity)
        s2 = o not in (p1, p2) and _adjacent(o, p2, connectivity)
        plan.append((o, s1, s2))
    return plan


_STENCILS = {c: _merge_plan(c) for c in (6, 18, 26)}


@ti.func
def _find(L: ti.template(), i: ti.i32) -> ti.i32:
    r = i
    while L[r] != r:
        r = L[r]
    return r


@ti.func
def _union(L: ti.template(), a0: ti.i32, b0: ti.i32):
    a = a0
    b = b0
    done = False
    while not done:
        a = _find(L, a)
        b = _find(L, b)
        if a < b:
            old = ti.atomic_min(L[b], a)
            done = old == b
            b = old
        elif b < a:
            old = ti.atomic_min(L[a], b)
            done = old == a
            a = old
        else:
            done = True


@ti.kernel
def _init_runs(mask: ti.types.ndarray(dtype=ti.u8, ndim=1), L: ti.types.ndarray(dtype=ti.i32, ndim=1),
               nrows: ti.i32, nz: ti.i32):
    for row in range(nrows):
        base = row * nz
        start = -1
        for k in range(nz):
            i = base + k
            if mask[i] != 0:
                if start < 0:
                    start = i
                L[i] = start
            else:
                start = -1
                L[i] = -1


@ti.kernel
def _merge(mask: ti.types.ndarray(dtype=ti.u8, ndim=1), L: ti.types.ndarray(dtype=ti.i32, ndim=1),
           nx: ti.i32, ny: ti.i32, nz: ti.i32, conn: ti.template()):
    for row in range(nx * ny):
        x = row // ny
        y = row % ny
        base = row * nz
        for k in range(nz):
            i = base + k
            if mask[i] != 0:
                below = k > 0 and mask[i - 1] != 0
                p1 = x > 0 and mask[i - ny * nz] != 0
                p2 = y > 0 and mask[i - nz] != 0
                for e in ti.static(_STENCILS[conn]):
                    o = e[0]
                    pivot_skip = False
                    if ti.static(e[1]):
                        pivot_skip = p1
                    if ti.static(e[2]):
                        pivot_skip = pivot_skip or p2
                    if not pivot_skip:
                        xx = x + o[0]
                        yy = y + o[1]
                        kk = k + o[2]
                        if 0 <= xx and xx < nx and 0 <= yy and yy < ny and 0 <= kk and kk < nz:
                            j = (xx * ny + yy) * nz + kk
                            if mask[j] != 0:
                                # the pair one step lower in z was joined already -> skip
                                skip = below and kk > 0 and mask[j - 1] != 0
                                if not skip:
                                    _union(L, i, j)


@ti.kernel
def _compress_count(L: ti.types.ndarray(dtype=ti.i32, ndim=1), counts: ti.types.ndarray(dtype=ti.i32, ndim=1),
                    nrows: ti.i32, nz: ti.i32):
    for row in range(nrows):
        base = row * nz
        c = 0
        for k in range(nz):
            i = base + k
            v = L[i]
            if v >= 0:
                if v == i:
                    c += 1
                else:
                    L[i] = _find(L, v)
        counts[row] = c


@ti.kernel
def _assign(L: ti.types.ndarray(dtype=ti.i32, ndim=1), offsets: ti.types.ndarray(dtype=ti.i32, ndim=1),
            nrows: ti.i32, nz: ti.i32):
    for row in range(nrows):
        base = row * nz
        c = offsets[row]
        for k in range(nz):
            i = base + k
            if L[i] == i:
                c += 1
                L[i] = -c - 1  # label c stored as -(c + 1) <= -2; background stays -1


@ti.kernel
def _resolve(L: ti.types.ndarray(dtype=ti.i32, ndim=1), n: ti.i32):
    for i in range(n):
        v = L[i]
        if v == -1:
            L[i] = 0
        elif v <= -2:  # a root: its own label
            L[i] = -v - 1
        else:  # points at a root, which holds -(c + 1) or, once resolved, c >= 1
            w = L[v]
            L[i] = w if w > 0 else -w - 1


def label_mask(mask: np.ndarray, connectivity: int = 6) -> tuple[np.ndarray, int]:
    """Label the connected components of a C-contiguous 3-D ``uint8``/``bool`` mask.

    Trusts its input (the public wrapper ``microcath.analysis.connected_components``
    validates). Returns ``(labels int32, n)`` with labels ``1..n`` ordered by
    the first voxel of each component in C order, ``0`` for background.
    """
    ensure_initialized()
    nx, ny, nz = (int(s) for s in mask.shape)
    n = nx * ny * nz
    m = np.ascontiguousarray(mask).view(np.uint8).reshape(-1)
    nrows = nx * ny
    if current_arch() in (None, "cpu"):
        # the CPU backend works on the NumPy buffers in place: no copies
        L = np.empty(n, dtype=np.int32)
        counts = np.empty(nrows, dtype=np.int32)
        mk = m
    else:  # pragma: no cover - device path, measured when a GPU is lent
        L = ti.ndarray(ti.i32, shape=n)
        counts = ti.ndarray(ti.i32, shape=nrows)
        mk = ti.ndarray(ti.u8, shape=n)
        mk.from_numpy(m)
    _init_runs(mk, L, nrows, nz)
    _merge(mk, L, nx, ny, nz, connectivity)
    _compress_count(L, counts, nrows, nz)
    c = counts if isinstance(counts, np.ndarray) else counts.to_numpy()
    csum = np.cumsum(c, dtype=np.int64)
    n_comp = int(csum[-1]) if nrows else 0
    offsets = np.empty(nrows, dtype=np.int32)
    offsets[0] = 0
    offsets[1:] = csum[:-1]
    if not isinstance(L, np.ndarray):  # pragma: no cover - device path
        off = ti.ndarray(ti.i32, shape=nrows)
        off.from_numpy(offsets)
        offsets = off
    _assign(L, offsets, nrows, nz)
    _resolve(L, n)
    out = L if isinstance(L, np.ndarray) else L.to_numpy()
    return out.reshape(nx, ny, nz), n_comp
