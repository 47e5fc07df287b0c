"""Composite voxels: a fine label image on a grid ``factor`` times coarser, its interfaces kept.

A binary voxel image is a staircase: a stiff sphere of radius 8 voxels in a soft matrix carries
a misfit stress 8.5 % too high, an error of first order in ``h / r`` that no solver removes
(docs/mechanics.md). Composite voxels (Kabel, Merkert & Schneider, CMAME 294, 2015) keep what
the image knows below the voxel: a coarse voxel that two solid phases share becomes a *laminate*
of the two, with their volume fractions and the interface normal, whose stiffness and
eigenstrain are the exact ones of a stack of layers (strain continuous along the layers,
traction continuous across them). A planar interface is then represented exactly at any
position inside a voxel, and a curved one to second order.

So an image segmented at a fine resolution can be solved ``factor^3`` times cheaper, and more
accurately than the binary image at that coarser resolution: the misfitting sphere at radius 8
(from a 2x finer image) is within ~1 % of Eshelby's value against +8.5 % binary.

What stays binary (the block's majority label): voxels that a pore shares with a solid (a
laminate with a void has no stiffness across the layers, which would leave mechanisms next to
thin pore walls) and voxels with three or more phases. Their count is reported.

This module is host-side numpy with one job: the geometry (volume fractions, normals, classes)
and the laminate constants. The solver sees classes and element matrices
(:mod:`microcath.gpu_kernels.elasticity`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError

__all__ = ["CompositeVoxels", "coarsen", "laminate", "laminate_tables", "to_voigt", "from_voigt", "PHI_STEPS",
           "NORMAL_STEPS"]

#: volume fractions of a laminate are rounded to multiples of 1 / PHI_STEPS (exact for the
#: fractions of factor 2 and 4 blocks)
PHI_STEPS = 64
#: normals are rounded on a cube map: the two minor components over the major one to multiples
#: of 1 / NORMAL_STEPS (at most ~3.6 degrees off). Rounding bounds the number of distinct
#: laminates, so their element matrices stay a small table instead of one per voxel.
NORMAL_STEPS = 8
#: index of the first composite class (classes below are labels)
FIRST_CLASS = 256
_VOIGT = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


@dataclass(frozen=True)
class CompositeVoxels:
    """A coarse grid of plain and composite voxels.

    ``labels``: (nx, ny, nz) uint8, the majority label of every block (the binary image at the
    coarse resolution); ``classes``: (nx, ny, nz) int32, the label of a plain voxel or
    ``256 + j`` for a voxel of laminate ``j``; laminate ``j`` has the phases ``pairs[j]``
    (labels a < b), the volume fraction ``phi[j]`` of ``a`` and the unit normal ``normal[j]``.
    """

    labels: np.ndarray
    classes: np.ndarray
    pairs: np.ndarray
    phi: np.ndarray
    normal: np.ndarray
    factor: int
    n_composite: int  # voxels that became laminates
    n_binary: int  # mixed voxels kept binary (a pore, three or more phases, no normal)

    @property
    def n_classes(self) -> int:
        return len(self.phi)

    def summary(self) -> dict:
        n = self.labels.size
        return {"factor": self.factor, "composite_voxels": self.n_composite,
                "composite_fraction": self.n_composite / n, "mixed_kept_binary": self.n_binary,
                "laminate_classes": self.n_classes}


def coarsen(labels: np.ndarray, factor: int, solid: np.ndarray,
            periodic: tuple[bool, bool, bool] = (False, True, True)) -> CompositeVoxels:
    """Composite voxels of ``labels`` (uint8, every extent a multiple of ``factor``) on the grid
    ``factor`` times coarser. ``solid``: (256,) bool, the labels with stiffness. ``periodic``:
    the axes along which the normals' finite differences wrap."""
    factor = int(factor)
    if factor < 2:
        raise InputError(f"coarsen: expected a factor of at least 2, got {factor}")
    bad = [s for s in labels.shape if s % factor]
    if bad:
        raise InputError(f"coarsen: the image {labels.shape} is not a whole number of {factor}^3 blocks "
                         f"along every axis; crop it to a multiple of {factor} (microcath crop) or pick "
                         "another factor")
    shape = tuple(s // factor for s in labels.shape)
    blocks = labels.reshape(shape[0], factor, shape[1], factor, shape[2], factor)
    present = np.flatnonzero(np.bincount(labels.ravel(), minlength=256))
    frac = {}
    for lab in present:  # float32 fraction per present label (4 B/coarse voxel each)
        frac[int(lab)] = (blocks == lab).mean(axis=(1, 3, 5), dtype=np.float32)
    stack = np.stack([frac[int(v)] for v in present])
    majority = present[np.argmax(stack, axis=0)].astype(np.uint8)
    n_present = (stack > 0).sum(axis=0)
    classes = majority.astype(np.int32)
    mixed = n_present >= 2
    if not mixed.any():
        empty = np.zeros((0,))
        return CompositeVoxels(majority, classes, np.zeros((0, 2), int), empty, np.zeros((0, 3)), factor,
                               0, 0)
    # two-solid voxels: the pair (a < b) and the fraction of a
    two = (n_present == 2)
    order = np.argsort(-stack, axis=0)[:2]  # the two largest fractions
    la, lb = present[order[0]], present[order[1]]
    a = np.minimum(la, lb)
    b = np.maximum(la, lb)
    cand = two & solid[a] & solid[b]
    idx = np.flatnonzero(cand.ravel())
    a_c, b_c = a.ravel()[idx], b.ravel()[idx]
    phi = np.empty(len(idx))
    grad = np.empty((len(idx), 3))
    for lab in np.unique(a_c):
        sel = a_c == lab
        f = frac[int(lab)]
        phi[sel] = f.ravel()[idx[sel]]
        for ax in range(3):
            if periodic[ax]:
                g = 0.5 * (np.roll(f, -1, axis=ax) - np.roll(f, 1, axis=ax))
            else:
                g = np.gradient(f, axis=ax)
            grad[sel, ax] = g.ravel()[idx[sel]]
    norm = np.linalg.norm(grad, axis=1)
    ok = norm > 1e-6
    idx, a_c, b_c, phi, grad, norm = idx[ok], a_c[ok], b_c[ok], phi[ok], grad[ok], norm[ok]
    n = -grad / norm[:, None]  # from a into b (a laminate does not depend on the sign)
    iphi = np.clip(np.rint(phi * PHI_STEPS), 1, PHI_STEPS - 1).astype(np.int64)
    major = np.argmax(np.abs(n), axis=1)
    nm = n[np.arange(len(n)), major]
    n = n * np.sign(nm)[:, None]
    q = np.rint(n / np.abs(nm)[:, None] * NORMAL_STEPS).astype(np.int64)  # major component -> NORMAL_STEPS
    key = np.stack([a_c, b_c, iphi, q[:, 0], q[:, 1], q[:, 2]], axis=1)
    keys, inverse = np.unique(key, axis=0, return_inverse=True)
    flat = classes.ravel()
    flat[idx] = FIRST_CLASS + inverse.ravel().astype(np.int32)
    normal = keys[:, 3:].astype(np.float64)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    return CompositeVoxels(
        labels=majority, classes=flat.reshape(shape), pairs=keys[:, :2].astype(int),
        phi=keys[:, 2] / PHI_STEPS, normal=normal, factor=factor, n_composite=len(idx),
        n_binary=int(mixed.sum()) - len(idx))


# --------------------------------------------------------------------------- laminate constants
def isotropic(lam: float, mu: float) -> np.ndarray:
    """(3, 3, 3, 3) isotropic stiffness."""
    d = np.eye(3)
    return (lam * np.einsum("ij,kl->ijkl", d, d)
            + mu * (np.einsum("ik,jl->ijkl", d, d) + np.einsum("il,jk->ijkl", d, d)))


def laminate(C1: np.ndarray, C2: np.ndarray, tau1: np.ndarray, tau2: np.ndarray, phi: np.ndarray,
             n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stiffness and stress polarization of laminates of phases 1 and 2.

    ``C1, C2`` (3, 3, 3, 3) stiffnesses, ``tau1, tau2`` (3, 3) ``C_i : eps*_i``, ``phi`` (m,) the
    volume fraction of phase 1, ``n`` (m, 3) unit normals. Returns ``C_L`` (m, 3, 3, 3, 3) and
    ``tau_L`` (m, 3, 3) with ``<sigma> = C_L : <eps> - tau_L``.

    The strains of the layers differ by ``sym(d (x) n)`` (tangential strain continuous) with
    ``phi a_1 + (1 - phi) a_2 = 0``; traction continuity ``(sigma_1 - sigma_2) n = 0`` gives
    ``d = G^-1 [(tau_1 - tau_2) n - ((C_1 - C_2) : eps) n]``, ``G = (1 - phi) G_1 + phi G_2``,
    ``G_i = n C_i n`` (acoustic tensors), and the mean stress
    ``C_V : eps - tau_V + phi (1 - phi) (C_1 - C_2) : sym(d (x) n)``.
    """
    phi = np.asarray(phi, dtype=np.float64)
    w = phi * (1.0 - phi)
    dC = C1 - C2
    G = ((1.0 - phi)[:, None, None] * np.einsum("ijkl,mj,ml->mik", C1, n, n)
         + phi[:, None, None] * np.einsum("ijkl,mj,ml->mik", C2, n, n))
    Gi = np.linalg.inv(G)
    A = np.einsum("ijkl,ml->mijk", dC, n)  # dC_ijkl n_l
    CL = (phi[:, None, None, None, None] * C1 + (1.0 - phi)[:, None, None, None, None] * C2
          - w[:, None, None, None, None] * np.einsum("mijk,mkp,mpqr->mijqr", A, Gi,
                                                     np.einsum("pjqr,mj->mpqr", dC, n)))
    dt = (tau1 - tau2)[None] @ n[:, :, None]  # (m, 3, 1): (tau_1 - tau_2) n
    tauL = (phi[:, None, None] * tau1 + (1.0 - phi)[:, None, None] * tau2
            - w[:, None, None] * np.einsum("mijk,mkp,mp->mij", A, Gi, dt[..., 0]))
    return CL, tauL


def to_voigt(C: np.ndarray) -> np.ndarray:
    """(..., 3, 3, 3, 3) -> (..., 6, 6) Voigt matrix acting on engineering shear strains."""
    return np.stack([np.stack([C[..., i, j, k, l] for k, l in _VOIGT], -1) for i, j in _VOIGT], -2)


def from_voigt(C: np.ndarray) -> np.ndarray:
    """(6, 6) Voigt matrix (engineering shear) -> (3, 3, 3, 3) tensor with its minor symmetries:
    the inverse of :func:`to_voigt`."""
    idx = np.array([[0, 5, 4], [5, 1, 3], [4, 3, 2]])  # tensor index pair -> Voigt row
    return np.asarray(C, dtype=np.float64)[idx[:, :, None, None], idx[None, None, :, :]]


def laminate_tables(cv: CompositeVoxels, lam: np.ndarray, mu: np.ndarray,
                    eps_iso: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per laminate class: ``C`` (m, 6, 6) Voigt stiffness (engineering shear) and the
    stress-free strain ``eps*`` (m, 6) (tensor components xx yy zz yz xz xy), from the isotropic
    Lame constants ``lam, mu`` and linear eigenstrains ``eps_iso`` of every label (256,)."""
    m = cv.n_classes
    C6 = np.zeros((m, 6, 6))
    eps = np.zeros((m, 6))
    for a, b in {(int(p), int(q)) for p, q in cv.pairs}:
        sel = (cv.pairs[:, 0] == a) & (cv.pairs[:, 1] == b)
        C1, C2 = isotropic(lam[a], mu[a]), isotropic(lam[b], mu[b])
        t1 = (3 * lam[a] + 2 * mu[a]) * eps_iso[a] * np.eye(3)
        t2 = (3 * lam[b] + 2 * mu[b]) * eps_iso[b] * np.eye(3)
        CL, tL = laminate(C1, C2, t1, t2, cv.phi[sel], cv.normal[sel])
        Cv = to_voigt(CL)
        tv = np.stack([tL[:, i, j] for i, j in _VOIGT], -1)
        e = np.linalg.solve(Cv, tv[..., None])[..., 0]  # engineering shear
        e[:, 3:] *= 0.5
        C6[sel], eps[sel] = Cv, e
    return C6, eps
