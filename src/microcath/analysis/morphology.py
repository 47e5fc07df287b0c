"""Morphology of a composite: volume fractions, interface areas, specific surface, TPB length.

Interface areas use the staircase-corrected face estimator of
``microcath.gpu_kernels.surface`` (every face weighted by
``1 / (|n_x| + |n_y| + |n_z|)`` with the normal from a Gaussian-weighted
gradient of the two-phase indicator): an axis-aligned plane is exact, a
voxelised sphere of radius >= 5 voxels is within 1 % of ``4 pi r^2``, while
plain face counting overestimates it by 50 %. Sharp edges are rounded over
about one voxel (a 20-voxel cube reads ~5 % low).

The triple-phase boundary is the standard voxel-edge count: an edge of the
voxel grid is a TPB edge when the four voxels around it hold active
material, electrolyte and carbon. Lines along a grid axis are measured
exactly; an oblique line is measured with its staircase (its length times
``|t_x| + |t_y| + |t_z|``, 1.5 on average over directions).

Unequal voxel edges ``(dx, dy, dz)``: a face normal to ``d`` has the area
``prod(h) / h_d``, the face normal is taken in physical coordinates, and a
TPB edge along ``d`` has the length ``h_d``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..microstructure import Microstructure
from ..phases import PhaseKind
from ..results import ResultMixin

__all__ = ["MorphologyResult", "morphology", "interface_areas", "tpb_edge_count"]


@dataclass(frozen=True)
class MorphologyResult(ResultMixin):
    """Volume fractions, interfaces and triple-phase boundary of a structure.

    Attributes
    ----------
    volume: float
        Volume of the image [m^3].
    volume_fractions : dict
        ``{phase name: fraction [-]}``.
    surface_area : dict
        ``{phase name: area of its boundary with other phases [m^2]}``
        (staircase-corrected; faces on the image boundary are not counted).
    specific_surface_area : dict
        ``{phase name: surface_area / image volume [1/m]}``.
    interface_area : dict
        ``{"A|B": area of the interface between phases A and B [m^2]}`` for
        every pair that touches (names in phase-table order).
    interface_area_faces : dict
        The same pairs as raw voxel-face areas [m^2] (the uncorrected count).
    specific_interface_area : dict
        ``{"A|B": interface_area / image volume [1/m]}``.
    tpb_length : float
        Triple-phase-boundary length (active | electrolyte | carbon) [m].
    tpb_length_density : float
        ``tpb_length`` per image volume [m/m^3 = 1/m^2].
    tpb_length_density_um : float
        The same in µm/µm^3 [1/µm^2].
    """

    volume: float
    volume_fractions: dict
    surface_area: dict
    specific_surface_area: dict
    interface_area: dict
    interface_area_faces: dict
    specific_interface_area: dict
    tpb_length: float
    tpb_length_density: float
    tpb_length_density_um: float
    area_matrix: np.ndarray = field(repr=False, default=None)


def interface_areas(labels: np.ndarray, n_labels: int | None = None, *,
                    spacing: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    """Corrected and raw interface area [voxel faces] between every pair of labels.

    Parameters
    ----------
    labels : ndarray of int, shape (nx, ny, nz)
        Labels ``0..n_labels-1``.
    spacing : 3 floats
        Voxel edges ``(dx, dy, dz)`` [any length unit]; the areas come back in that unit
        squared (default: voxel faces of a cubic grid).

    Returns
    -------
    area, faces : ndarray of float64, shape (n_labels, n_labels)
        Symmetric matrices, zero diagonal; ``area`` staircase-corrected, ``faces`` the
        raw face area.
    """
    from ..gpu_kernels.surface import region_contact_areas

    lab = np.asarray(labels)
    if lab.ndim != 3 or not np.issubdtype(lab.dtype, np.integer) or lab.size == 0:
        raise InputError(f"labels: expected a non-empty 3-D integer array, got {lab.dtype} shape {lab.shape}")
    lo, hi = int(lab.min()), int(lab.max())
    n = hi + 1 if n_labels is None else int(n_labels)
    if lo < 0 or hi >= n or n > 256:
        raise InputError(
            f"labels: expected values in 0..{min(n, 256) - 1} (at most 256 labels), got {lo}..{hi}"
        )
    h = tuple(float(v) for v in spacing)
    area, faces = region_contact_areas(lab.astype(np.int32, copy=False), lab.astype(np.uint8, copy=False),
                                       n_regions=n, n_classes=n, spacing=h)
    if h[0] != 1.0:  # the kernel's unit is h0^2
        area, faces = area * h[0] ** 2, faces * h[0] ** 2
    return area, faces


def tpb_edge_count(flags: np.ndarray) -> int:
    """Number of grid edges whose four surrounding voxels carry all of bits 1, 2 and 4.

    ``flags`` is a ``uint8`` volume with bit 1 = active, 2 = electrolyte,
    4 = carbon. Edges on the image boundary (fewer than four voxels) are not counted.
    """
    return sum(tpb_edge_counts(flags))


def tpb_edge_counts(flags: np.ndarray) -> tuple[int, int, int]:
    """TPB edges (see :func:`tpb_edge_count`) along x, y and z separately."""
    f = flags
    counts = []
    for axis in range(3):
        a, b = [d for d in range(3) if d != axis]
        sl = [slice(None)] * 3
        views = []
        for da in (0, 1):
            for db in (0, 1):
                s = list(sl)
                s[a] = slice(da, f.shape[a] - 1 + da)
                s[b] = slice(db, f.shape[b] - 1 + db)
                views.append(f[tuple(s)])
        acc = views[0] | views[1]
        acc |= views[2]
        acc |= views[3]
        counts.append(int(np.count_nonzero(acc == 7)))
    return tuple(counts)  # type: ignore[return-value]


def kind_flags(ms: Microstructure) -> np.ndarray:
    """``uint8`` volume: bit 1 active, bit 2 electrolyte, bit 4 carbon."""
    lut = np.zeros(256, dtype=np.uint8)
    for bit, kind in ((1, PhaseKind.ACTIVE), (2, PhaseKind.ELECTROLYTE), (4, PhaseKind.CARBON)):
        for label in ms.phases.labels_of_kind(kind):
            lut[label] |= bit
    return lut[ms.labels]


def morphology(ms: Microstructure) -> MorphologyResult:
    """Volume fractions, staircase-corrected interface areas and TPB length density.

    Parameters
    ----------
    ms : Microstructure

    Returns
    -------
    MorphologyResult

    Examples
    --------
    >>> import numpy as np
    >>> from microcath import Microstructure, Phase
    >>> lab = np.zeros((8, 8, 8), np.uint8); lab[:4] = 1
    >>> ms = Microstructure(lab, 1e-6, {0: Phase("SE", "electrolyte"), 1: Phase("AM", "active")})
    >>> round(morphology(ms).interface_area["SE|AM"] * 1e12, 6)  # 8 x 8 voxel faces of 1 µm^2
    64.0
    """
    spacing = ms.spacing
    volume = ms.n_voxels * ms.voxel_volume
    table = list(ms.phases.items())
    names = [p.name for _, p in table]
    # phase index 0..n-1 in table order
    lut = np.zeros(256, dtype=np.uint8)
    for i, (label, _) in enumerate(table):
        lut[label] = i
    idx = lut[ms.labels]
    a_m2, f_m2 = interface_areas(idx, len(table), spacing=spacing)
    surface = {names[i]: float(a_m2[i].sum()) for i in range(len(names))}
    pairs, pairs_raw = {}, {}
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if f_m2[i, j] > 0:
                key = f"{names[i]}|{names[j]}"
                pairs[key] = float(a_m2[i, j])
                pairs_raw[key] = float(f_m2[i, j])
    edges = tpb_edge_counts(kind_flags(ms))
    tpb = (sum(edges) * spacing[0] if ms.is_cubic
           else sum(n * h for n, h in zip(edges, spacing, strict=True)))
    return MorphologyResult(
        volume=volume,
        volume_fractions=ms.volume_fractions(),
        surface_area=surface,
        specific_surface_area={k: v / volume for k, v in surface.items()},
        interface_area=pairs,
        interface_area_faces=pairs_raw,
        specific_interface_area={k: v / volume for k, v in pairs.items()},
        tpb_length=tpb,
        tpb_length_density=tpb / volume,
        tpb_length_density_um=tpb / volume * 1e-12,
        area_matrix=a_m2,
    )
