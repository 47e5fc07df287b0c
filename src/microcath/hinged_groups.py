"""Groups of solid voxels that hang on the rest of their piece by edges or corners only.

A voxel structure has such groups wherever two solid voxels meet along an edge or at a
corner without sharing a face (a small particle touching the matrix at one corner, a
chain of voxels along a diagonal). Their trilinear elements are coupled to the rest
through one or two nodes, so the group can almost rotate about that hinge: the operator
has near-zero eigenvalues there that a geometric multigrid does not see (its coarse
spaces interpolate smooth fields, not a hinge), and CG spends one or two extra
iterations per group. The 128^3 benchmark composite of seed 0 has 30 of them (32
voxels) and took 18 iterations against 9 once they were made pores.

This module finds them and gives the preconditioner an exact local solve on them and one
layer of solid voxels around them (:data:`LAYERS`): on the nodes that no voxel outside
that region touches, the hinge nodes included, before and after the V-cycle (a symmetric
multiplicative two-level combination, so CG stays valid; see :class:`HingedGroups`).
On the 128^3 benchmark composite of seed 0: 18 CG iterations without, 9 with (13 with
the hinged voxels' own nodes only).

``A_OO`` is the operator restricted to the owned free dofs of the groups, assembled
from the element matrices on the host; each connected block is inverted densely (a
pseudo-inverse: a group attached at a single node has exact rotation mechanisms,
which the correction leaves alone). Only the few owned dofs cross between the host
and the device, once per preconditioner application.
"""

import logging

import numpy as np

__all__ = ["HingedGroups", "hinged_elements"]

log = logging.getLogger(__name__)

#: largest connected block solved densely [dofs]; larger blocks are left to the V-cycle
MAX_BLOCK_DOFS = 1500

#: layers of solid voxels around the hinged ones that join their local solve (overlap). With 0
#: (the hinged voxels' own nodes only) the 128^3 benchmark composite of seed 0 took 13 CG
#: iterations, with 1 (the hinge nodes and the ring of neighbours around them included) 9, as
#: many as with the hinged voxels removed; without the correction 18.
LAYERS = 1


def hinged_elements(solid: np.ndarray, periodic: tuple[bool, bool, bool]) -> np.ndarray:
    """Bool mask of the solid voxels not face-connected to the largest face-connected part of
    their piece (a piece: solid voxels joined through shared faces, edges or corners)."""
    from scipy import ndimage

    from .mechanics import _merge_periodic

    face, nf = ndimage.label(solid)  # 6-connected
    face = _merge_periodic(face, nf, periodic, shifts=(0,))
    nf = int(face.max())
    if nf <= 1:
        return np.zeros(solid.shape, bool)
    piece, npc = ndimage.label(solid, structure=np.ones((3, 3, 3), bool))
    piece = _merge_periodic(piece, npc, periodic)
    sizes = np.bincount(face.ravel(), minlength=nf + 1)
    piece_of = np.zeros(nf + 1, np.int64)
    piece_of[face.ravel()] = piece.ravel()  # every voxel of a face part lies in one piece
    # the main part of every piece: its largest face part (ties: the lowest label)
    order = np.lexsort((np.arange(1, nf + 1), -sizes[1:], piece_of[1:])) + 1
    first = np.ones(order.size, bool)
    first[1:] = piece_of[order[1:]] != piece_of[order[:-1]]
    main = np.zeros(nf + 1, bool)
    main[order[first]] = True
    hinged = ~main
    hinged[0] = False
    return hinged[face]


class HingedGroups:
    """The local correction of :mod:`hinged_groups` for one discrete problem.

    ``HingedGroups(prob)(level)`` returns ``precondition(r, z, inner)`` or ``None`` when the
    structure has no hinged group: the symmetric multiplicative combination of the exact local
    solve ``B1 = S A_OO^+ S^T`` with the preconditioner ``inner`` (the V-cycle),

        z1 = B1 r,   z2 = z1 + inner(r - A z1),   z = z2 + B1 (r - A z2),

    whose error propagator ``(I - B1 A)(I - B A)(I - B1 A)`` is A-symmetric, so CG stays valid.
    (Added to the V-cycle instead, the correction doubles the response of the dofs the V-cycle
    already handles, and CG took 11 iterations instead of 9 on a 48^3 composite.) ``A z1`` and
    ``(A z2)_O`` involve only the hinged elements, whose matrices the host keeps; ``r - A z1``
    is written into ``r`` on those few dofs for the inner call and restored exactly after it.
    ``prob`` is a ``mechanics._Problem``.
    """

    def __init__(self, prob, layers: int | None = None):
        self.prob = prob
        self.layers = LAYERS if layers is None else int(layers)
        self.n_groups = 0
        self.n_dofs = 0

    def __call__(self, level):
        import taichi as ti
        from scipy.sparse import block_diag, coo_matrix
        from scipy.sparse.csgraph import connected_components

        prob = self.prob
        weak = hinged_elements(prob.solid, (prob.per_x, True, True))
        if not weak.any():
            return None
        if self.layers:
            from scipy import ndimage

            modes = ["wrap" if prob.per_x else "constant", "wrap", "wrap"]
            weak = prob.solid & ndimage.maximum_filter(weak, size=2 * self.layers + 1, mode=modes)
        shape = (prob.mx, prob.ny, prob.nz)
        touch_weak = np.zeros(shape, np.int32)
        touch_strong = np.zeros(shape, np.int32)
        strong = (prob.solid & ~weak).astype(np.int32)
        weak_i = weak.astype(np.int32)
        for a in range(8):
            prob._scatter(weak_i, a, touch_weak)
            prob._scatter(strong, a, touch_strong)
        del strong, weak_i
        owned = ((touch_weak > 0) & (touch_strong == 0)).ravel()
        near = (touch_weak > 0).ravel()  # owned and hinge nodes: all nodes of hinged elements
        del touch_weak, touch_strong
        m = level.mask.to_numpy()
        free = ((m[:, None] >> np.arange(3)) & 1).astype(bool)  # (nodes, 3)
        d_dofs = np.flatnonzero((free & near[:, None]).ravel())
        is_owned = (free & owned[:, None]).ravel()[d_dofs]
        if not is_owned.any():
            return None
        where = np.full(3 * m.size, -1, np.int64)
        where[d_dofs] = np.arange(d_dofs.size)
        # the hinged elements' matrices on the free dofs of their nodes
        ei, ej, ek = np.nonzero(weak)
        lab = prob.labels[ei, ej, ek]
        node = np.empty((ei.size, 8), np.int64)
        for a in range(8):
            di, dj, dk = (a >> 2) & 1, (a >> 1) & 1, a & 1
            ii = (ei + di) % prob.mx if prob.per_x else ei + di
            node[:, a] = (ii * prob.ny + (ej + dj) % prob.ny) * prob.nz + (ek + dk) % prob.nz
        ed = where[(3 * node[:, :, None] + np.arange(3)).reshape(-1, 24)]  # (elements, 24)
        rows, cols, vals = [], [], []
        for e0 in range(0, ei.size, 2048):  # vectorised in chunks (~9 MB of element matrices each)
            d = ed[e0:e0 + 2048]
            K = prob.element_stiffness(lab[e0:e0 + 2048])
            r_, c_ = np.broadcast_arrays(d[:, :, None], d[:, None, :])
            ok = (r_ >= 0) & (c_ >= 0)
            rows.append(r_[ok])
            cols.append(c_[ok])
            vals.append(K[ok])
        nd = d_dofs.size
        A = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                       shape=(nd, nd)).tocsr()
        o = np.flatnonzero(is_owned)  # owned dofs, as positions in d_dofs
        Aoo = A[o][:, o]
        nb, block = connected_components(Aoo, directed=False)
        keep, inverses = [], []
        skipped = 0
        for c in range(nb):
            idx = np.flatnonzero(block == c)
            if idx.size > MAX_BLOCK_DOFS:
                skipped += 1
                continue
            Ac = Aoo[idx][:, idx].toarray()
            w, V = np.linalg.eigh(0.5 * (Ac + Ac.T))
            cut = max(float(w.max()), 1e-300) * 1e-10
            inv = np.where(w > cut, 1.0 / np.where(w > cut, w, 1.0), 0.0)
            keep.append(o[idx])
            inverses.append((V * inv) @ V.T)
        if not keep:
            return None
        self.n_groups = len(keep)
        ob = np.concatenate(keep)  # owned dofs that get the local solve (positions in d_dofs)
        self.n_dofs = int(ob.size)
        self._b1 = block_diag(inverses, format="csr")  # on ob
        self._a_do = A[:, ob].tocsr()  # rows d_dofs, columns ob
        self._a_od = A[ob].tocsr()  # rows ob, columns d_dofs
        self._ob = ob
        self._d_idx = ti.ndarray(ti.i32, (nd,))
        self._d_idx.from_numpy(d_dofs.astype(np.int32))
        self._o_idx = ti.ndarray(ti.i32, (ob.size,))
        self._o_idx.from_numpy(d_dofs[ob].astype(np.int32))
        self._gd = ti.ndarray(ti.f64, (nd,))
        self._sd = ti.ndarray(level.vdtype, (nd,))
        self._so = ti.ndarray(level.vdtype, (ob.size,))
        self._np = np.float32 if level.vdtype == ti.f32 else np.float64
        log.debug("hinged groups: %d blocks, %d owned dofs, %d near dofs (%d blocks over %d dofs "
                  "left to the V-cycle)", self.n_groups, self.n_dofs, nd, skipped, MAX_BLOCK_DOFS)
        return self.precondition

    def precondition(self, r, z, inner) -> None:
        """``z = B r`` of the symmetric multiplicative combination (see the class doc)."""
        from .gpu_kernels import krylov

        krylov.gather(r, self._d_idx, self._gd)
        rd = self._gd.to_numpy()  # exact copy of r on the near dofs (float32 fits in float64)
        z1 = self._b1 @ rd[self._ob]
        self._sd.from_numpy((rd - self._a_do @ z1).astype(self._np))
        krylov.scatter(r, self._d_idx, self._sd)  # r - A z1 (A z1 lives on the near dofs only)
        inner(r, z)
        self._sd.from_numpy(rd.astype(self._np))
        krylov.scatter(r, self._d_idx, self._sd)  # r restored bit for bit
        self._so.from_numpy(z1.astype(self._np))
        krylov.scatter_add(z, self._o_idx, self._so)  # z2 = z1 + inner(r - A z1)
        krylov.gather(z, self._d_idx, self._gd)
        r2 = rd[self._ob] - self._a_od @ self._gd.to_numpy()
        self._so.from_numpy((self._b1 @ r2).astype(self._np))
        krylov.scatter_add(z, self._o_idx, self._so)
