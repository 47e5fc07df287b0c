"""Percolation of a phase or a set of phases: clusters classified against two opposite faces.

A cluster (connected component) is *percolating* when it touches both faces
normal to the chosen axis, *dead-end* when it touches exactly one of them and
*isolated* when it touches neither. With the design conventions (separator
at ``x = 0``, current collector at ``x = nx - 1``), the ionic network is fed
from face 0 (the *inlet* face) and the electronic network from the last face
(the *outlet* face).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..microstructure import AXES, Microstructure, axis_index
from ..results import ResultMixin
from .components import check_connectivity, connected_components

__all__ = ["PercolationResult", "percolation", "classify_clusters", "ISOLATED", "DEAD_END_INLET",
           "DEAD_END_OUTLET", "PERCOLATING", "resolve_phase_set", "merge_periodic", "face_touch",
           "spanning_roots", "spanning_mask"]

ISOLATED, DEAD_END_INLET, DEAD_END_OUTLET, PERCOLATING = 0, 1, 2, 3


def resolve_phase_set(ms: Microstructure, phases, *, name: str = "phases") -> tuple[int, ...]:
    """Labels of the phases (names, labels or kind names), checked to be present in ``ms``.

    Raises :class:`InputError` for an unknown phase, an empty selection, or a
    selection with no voxel in the structure.
    """
    if isinstance(phases, Iterable) and not isinstance(phases, (str, bytes)):
        phases = list(phases)
    if phases is None or (isinstance(phases, list) and not phases):
        raise InputError(f"{name}: expected one or more phase names, labels or kinds, got {phases!r}")
    labels = ms.phases.resolve_many(phases)
    if not labels:
        raise InputError(
            f"{name}: {phases!r} matches no phase of the structure (phases: {', '.join(ms.phases.names)})"
        )
    counts = ms.label_counts()
    if sum(counts[label] for label in labels) == 0:
        names = [ms.phases[label].name for label in labels]
        raise InputError(
            f"{name}: {', '.join(names)} {'is' if len(names) == 1 else 'are'} absent from the structure "
            "(0 voxels); nothing can percolate. Choose a phase that is present "
            f"(fractions: {_fmt_fractions(ms)})"
        )
    return labels


def _fmt_fractions(ms: Microstructure) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in ms.volume_fractions().items())


def merge_periodic(labels: np.ndarray, n: int, axes: Iterable[int]) -> np.ndarray:
    """Root id of clusters ``0..n`` with clusters that meet across the periodic ``axes`` merged.

    ``roots[labels]`` gives one id per merged cluster (0 stays the background).
    """
    parent = np.arange(n + 1)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    if not n:
        return parent
    for ax in axes:
        a = np.take(labels, 0, axis=ax).ravel()
        b = np.take(labels, -1, axis=ax).ravel()
        sel = (a > 0) & (b > 0)
        for u, v in set(zip(a[sel].tolist(), b[sel].tolist(), strict=True)):
            ru, rv = find(u), find(v)
            if ru != rv:
                parent[ru] = rv
    return np.array([find(i) for i in range(n + 1)])


def face_touch(labels: np.ndarray, n: int, axis: int,
               roots: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Which clusters (ids ``0..n``, or their ``roots``) touch the first and the last face along ``axis``.

    Returns two bool arrays of length ``n + 1``; entry 0 (background) is False.
    """
    first = np.take(labels, 0, axis=axis).ravel()
    last = np.take(labels, labels.shape[axis] - 1, axis=axis).ravel()
    if roots is not None:
        first, last = roots[first], roots[last]
    touch0 = np.zeros(n + 1, dtype=bool)
    touch1 = np.zeros(n + 1, dtype=bool)
    touch0[first] = True
    touch1[last] = True
    touch0[0] = touch1[0] = False
    return touch0, touch1


def spanning_roots(labels: np.ndarray, roots: np.ndarray, axis: int = 0) -> np.ndarray:
    """Bool per cluster id: its (merged) cluster touches both faces along ``axis``."""
    n = roots.size - 1
    touch0, touch1 = face_touch(labels, n, axis, roots)
    span = touch0 & touch1
    return span[roots]


def spanning_mask(mask: np.ndarray, *, axis: int = 0, periodic: bool = False) -> np.ndarray:
    """Voxels of ``mask`` in face-connected clusters that join the two faces along ``axis``.

    With ``periodic``, clusters that meet across the two side pairs (the axes other than
    ``axis``) count as one. This is the conducting backbone the transport solver keeps.
    """
    labels, n = connected_components(mask, connectivity=6)
    sides = [a for a in range(mask.ndim) if a != axis] if periodic else []
    roots = merge_periodic(labels, n, sides)
    keep = spanning_roots(labels, roots, axis)
    keep[0] = False
    return keep[labels]


def classify_clusters(labels: np.ndarray, n: int, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Class (``ISOLATED`` .. ``PERCOLATING``) and voxel count of clusters ``0..n``.

    Entry 0 is the background (class ``ISOLATED``, its count the background voxels).
    """
    touch0, touch1 = face_touch(labels, n, axis)
    cls = np.full(n + 1, ISOLATED, dtype=np.int8)
    cls[touch0 & ~touch1] = DEAD_END_INLET
    cls[touch1 & ~touch0] = DEAD_END_OUTLET
    cls[touch0 & touch1] = PERCOLATING
    sizes = np.bincount(labels.ravel(), minlength=n + 1).astype(np.int64)
    return cls, sizes


@dataclass(frozen=True)
class PercolationResult(ResultMixin):
    """Clusters of a phase set and how they connect two opposite faces.

    Attributes
    ----------
    phases : tuple of str
        Names of the phases that form the network.
    axis : str
        ``'x'``, ``'y'`` or ``'z'``; face 0 ("inlet") is at index 0 along it,
        face 1 ("outlet") at the last index.
    connectivity : int
        6, 18 or 26.
    n_clusters : int
        Number of clusters.
    volume_fraction : float
        Fraction of the whole volume occupied by the phase set [-].
    fraction_percolating, fraction_dead_end, fraction_isolated : float
        Fraction of the *whole volume* in clusters of each class [-]; they
        sum to ``volume_fraction``. ``fraction_dead_end`` counts both faces.
    fraction_dead_end_inlet, fraction_dead_end_outlet : float
        Dead-end volume split by the face it touches [-].
    percolates : bool
        True when at least one cluster touches both faces.
    n_percolating, n_dead_end, n_isolated : int
        Number of clusters of each class.
    cluster_class : ndarray of int8, shape (n_clusters + 1,)
        Class of cluster ``k`` (``0`` isolated, ``1`` dead-end at the inlet,
        ``2`` dead-end at the outlet, ``3`` percolating); entry 0 is background.
    cluster_sizes : ndarray of int64, shape (n_clusters + 1,)
        Voxels per cluster (entry 0: voxels outside the phase set).
    labels : ndarray of int32
        Cluster id per voxel (0 outside the phase set).
    percolating_mask : ndarray of bool
        Voxels in percolating clusters.
    """

    phases: tuple[str, ...]
    axis: str
    connectivity: int
    n_clusters: int
    volume_fraction: float
    fraction_percolating: float
    fraction_dead_end: float
    fraction_isolated: float
    fraction_dead_end_inlet: float
    fraction_dead_end_outlet: float
    percolates: bool
    n_percolating: int
    n_dead_end: int
    n_isolated: int
    cluster_class: np.ndarray = field(repr=False)
    cluster_sizes: np.ndarray = field(repr=False)
    labels: np.ndarray = field(repr=False)
    percolating_mask: np.ndarray = field(repr=False)

    def connected_mask(self, face: str = "inlet") -> np.ndarray:
        """Voxels in clusters touching ``face``: ``'inlet'`` (index 0), ``'outlet'`` (last) or ``'both'``."""
        keep = {
            "inlet": (DEAD_END_INLET, PERCOLATING),
            "outlet": (DEAD_END_OUTLET, PERCOLATING),
            "both": (PERCOLATING,),
        }.get(face)
        if keep is None:
            raise InputError(f"face: expected 'inlet', 'outlet' or 'both', got {face!r}")
        return np.isin(self.cluster_class, keep)[self.labels]

    def fraction_connected(self, face: str = "inlet") -> float:
        """Fraction of the phase set's volume in clusters touching ``face`` [-]."""
        keep = {"inlet": (DEAD_END_INLET, PERCOLATING), "outlet": (DEAD_END_OUTLET, PERCOLATING),
                "both": (PERCOLATING,)}[face]
        sel = np.isin(self.cluster_class, keep)
        sel[0] = False
        tot = int(self.cluster_sizes[1:].sum())
        return float(self.cluster_sizes[sel].sum()) / tot if tot else 0.0


def percolation_of_mask(mask: np.ndarray, *, axis: int = 0, connectivity: int = 6,
                        phases: tuple[str, ...] = ()) -> PercolationResult:
    """:func:`percolation` on a plain boolean volume (no structure needed)."""
    labels, n = connected_components(mask, connectivity=connectivity)
    cls, sizes = classify_clusters(labels, n, axis)
    total = labels.size
    frac = {c: float(sizes[1:][cls[1:] == c].sum()) / total
            for c in (ISOLATED, DEAD_END_INLET, DEAD_END_OUTLET, PERCOLATING)}
    perc_mask = (cls == PERCOLATING)[labels]
    return PercolationResult(
        phases=tuple(phases), axis=AXES[axis], connectivity=int(connectivity), n_clusters=int(n),
        volume_fraction=float(sizes[1:].sum()) / total,
        fraction_percolating=frac[PERCOLATING],
        fraction_dead_end=frac[DEAD_END_INLET] + frac[DEAD_END_OUTLET],
        fraction_isolated=frac[ISOLATED],
        fraction_dead_end_inlet=frac[DEAD_END_INLET], fraction_dead_end_outlet=frac[DEAD_END_OUTLET],
        percolates=bool(np.any(cls[1:] == PERCOLATING)),
        n_percolating=int(np.count_nonzero(cls[1:] == PERCOLATING)),
        n_dead_end=int(np.count_nonzero((cls[1:] == DEAD_END_INLET) | (cls[1:] == DEAD_END_OUTLET))),
        n_isolated=int(np.count_nonzero(cls[1:] == ISOLATED)),
        cluster_class=cls, cluster_sizes=sizes, labels=labels, percolating_mask=perc_mask,
    )


def percolation(ms: Microstructure, phases, *, axis: str | int = "x",
                connectivity: int = 6) -> PercolationResult:
    """Connected clusters of a phase set and their percolation along an axis.

    Parameters
    ----------
    ms : Microstructure
        The structure.
    phases : str, int or sequence of them
        Phase names, labels or kind names (``"electrolyte"``, ``"carbon"``,
        ...) whose union forms the network.
    axis : {'x', 'y', 'z'} or {0, 1, 2}
        Direction of transport; the clusters are classified against the two
        faces normal to it.
    connectivity : {6, 18, 26}
        Voxel connectivity (6 = through faces, the conservative choice for
        transport).

    Returns
    -------
    PercolationResult

    Raises
    ------
    InputError
        Unknown phase, empty selection, or a selection absent from the structure.

    Examples
    --------
    >>> import numpy as np
    >>> from microcath import Microstructure, Phase
    >>> lab = np.zeros((4, 3, 3), np.uint8); lab[:, 1, 1] = 1
    >>> ms = Microstructure(lab, 1e-6, {0: Phase("pore", "pore"), 1: Phase("LPSCl", "electrolyte")})
    >>> r = percolation(ms, "LPSCl")
    >>> r.percolates, r.n_clusters
    (True, 1)
    """
    ax = axis_index(axis)
    conn = check_connectivity(connectivity)
    labels = resolve_phase_set(ms, phases)
    names = tuple(ms.phases[label].name for label in labels)
    return percolation_of_mask(ms.mask(labels), axis=ax, connectivity=conn, phases=names)
