"""Connected components of a boolean volume (the Taichi labelling kernel behind a validating wrapper)."""

from __future__ import annotations

import numpy as np

from ..errors import InputError

__all__ = ["connected_components", "CONNECTIVITIES"]

CONNECTIVITIES = (6, 18, 26)


def check_connectivity(connectivity: int) -> int:
    """Return ``connectivity`` as an int or raise an :class:`InputError` naming it."""
    try:
        c = int(connectivity)
    except (TypeError, ValueError):
        c = -1
    if c not in CONNECTIVITIES or isinstance(connectivity, bool):
        raise InputError(
            f"connectivity: expected 6 (faces), 18 (faces + edges) or 26 (faces + edges + corners), "
            f"got {connectivity!r}"
        )
    return c


def connected_components(mask: np.ndarray, *, connectivity: int = 6) -> tuple[np.ndarray, int]:
    """Label the connected components of a 3-D boolean volume.

    Parameters
    ----------
    mask : array_like of bool, shape (nx, ny, nz)
        Voxels to label (non-zero = foreground). 1-D and 2-D inputs are
        treated as 3-D volumes with singleton axes.
    connectivity : {6, 18, 26}
        Voxels are neighbours when they share a face (6), a face or an edge
        (18), or a face, an edge or a corner (26).

    Returns
    -------
    labels : ndarray of int32, same shape as ``mask``
        ``0`` for background, ``1..n`` for the components, numbered in the
        order of their first voxel in C order (as ``scipy.ndimage.label``).
    n : int
        Number of components.

    Notes
    -----
    Runs the union-find kernel of ``microcath.gpu_kernels.labelling`` on the
    Taichi backend in use (CPU or CUDA). Boundaries are not periodic.

    >>> import numpy as np
    >>> m = np.zeros((3, 3, 3), bool); m[0, 0, 0] = m[2, 2, 2] = m[1, 1, 1] = True
    >>> connected_components(m)[1], connected_components(m, connectivity=26)[1]
    (3, 1)
    """
    c = check_connectivity(connectivity)
    m = np.asarray(mask)
    if m.dtype == object or not (m.dtype == bool or np.issubdtype(m.dtype, np.number)):
        raise InputError(f"mask: expected a boolean array, got dtype {m.dtype}")
    shape = m.shape
    if m.ndim > 3:
        raise InputError(f"mask: expected at most 3 dimensions, got shape {shape}")
    if m.size == 0:
        return np.zeros(shape, dtype=np.int32), 0
    m3 = m.reshape(shape + (1,) * (3 - m.ndim)) if m.ndim < 3 else m
    if m3.size >= 2**31 - 1:
        raise InputError(
            f"mask: {m3.size} voxels exceed the int32 index range of the labelling kernel "
            "(2^31 - 1); label sub-volumes"
        )
    m3 = np.ascontiguousarray(m3 if m3.dtype == bool else m3 != 0)
    from ..gpu_kernels.labelling import label_mask  # taichi is imported lazily

    labels, n = label_mask(m3, c)
    return labels.reshape(shape), n
