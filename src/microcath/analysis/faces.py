"""Connectivity through voxel faces, some of which may be cut (opened interfaces).

Mechanics marks the faces that open under tension; an opened face no longer
joins its two voxels. ``cuts`` is a tuple of three boolean arrays shaped like
the volume: ``cuts[a][i, j, k]`` is the face between voxel ``(i, j, k)`` and its
neighbour one step further along axis ``a`` (faces across the volume's outer
boundary are ignored here: connectivity is not periodic).
"""

from __future__ import annotations

import numpy as np

__all__ = ["face_components", "touching_layers"]


def _edges(mask: np.ndarray, cuts, index: np.ndarray):
    rows, cols = [], []
    for ax in range(3):
        n = mask.shape[ax]
        a = [slice(None)] * 3
        b = [slice(None)] * 3
        a[ax], b[ax] = slice(0, n - 1), slice(1, n)
        ok = mask[tuple(a)] & mask[tuple(b)]
        if cuts is not None:
            ok &= ~cuts[ax][tuple(a)]
        rows.append(index[tuple(a)][ok])
        cols.append(index[tuple(b)][ok])
    return np.concatenate(rows), np.concatenate(cols)


def face_components(mask: np.ndarray, cuts=None) -> tuple[np.ndarray, int]:
    """Face-connected (6-connectivity) components of ``mask`` that do not cross a cut face.

    Returns ``(labels, n)`` with labels ``1..n`` inside ``mask`` and 0 outside.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    mask = np.asarray(mask, bool)
    index = np.full(mask.shape, -1, dtype=np.int64)
    m = int(mask.sum())
    index[mask] = np.arange(m)
    if m == 0:
        return np.zeros(mask.shape, np.int32), 0
    r, c = _edges(mask, cuts, index)
    g = coo_matrix((np.ones(r.size, np.int8), (r, c)), shape=(m, m)).tocsr()
    n, lab = connected_components(g, directed=False)
    out = np.zeros(mask.shape, np.int32)
    out[mask] = lab + 1
    return out, int(n)


def touching_layers(labels: np.ndarray, n: int, layer: int, axis: int = 0) -> np.ndarray:
    """(n + 1,) bool: components present in ``layer`` (index along ``axis``)."""
    hit = np.zeros(n + 1, bool)
    hit[np.unique(np.take(labels, layer, axis=axis))] = True
    hit[0] = False
    return hit
