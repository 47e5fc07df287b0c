"""Import helpers for real stacks: a region of interest and binning by a majority vote.

A FIB-SEM or X-ray tomogram is often larger than the region worth simulating,
and finer than the question needs. :func:`crop` keeps a box of voxels;
:func:`binning` merges blocks of ``fx x fy x fz`` voxels into one, each new
voxel taking the label held by most of its block (ties go to the lower label),
so no new label appears and thin phases are not smeared into grey values. The
spacing grows by the factors; grains and particle ids are voted the same way
and kept only inside active voxels. Both record what they did in the provenance
(``"import"`` entry), and both are what ``microcath import --crop/--bin`` runs.

>>> import numpy as np
>>> from microcath import Microstructure, Phase
>>> lab = np.zeros((4, 4, 4), np.uint8); lab[:2] = 1
>>> ms = Microstructure(lab, 1e-8, {0: Phase("pore", "pore"), 1: Phase("NMC811", "active")})
>>> b = binning(ms, (2, 2, 1))
>>> b.shape, b.spacing
((2, 2, 4), (2e-08, 2e-08, 1e-08))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from ..microstructure import Microstructure
from ..phases import PhaseKind

__all__ = ["crop", "binning", "parse_crop", "parse_bin", "block_majority"]

_CROP_EXAMPLE = "'0:128,0:128,10:74'"


def parse_crop(region: Any, shape: Sequence[int], *, name: str = "crop") -> tuple[tuple[int, int], ...]:
    """A region of interest -> ``((x0, x1), (y0, y1), (z0, z1))`` checked against ``shape``.

    ``region`` is a string ``"x0:x1,y0:y1,z0:z1"`` (an empty bound means the array's
    start or end, ``":"`` the whole axis) or three ``(start, stop)`` pairs; stops are
    exclusive, as in NumPy slicing. Negative or out-of-range bounds are refused (no
    silent clipping), naming the axis and the array's extent.
    """
    if isinstance(region, str):
        parts = [p.strip() for p in region.split(",")]
        if len(parts) != 3:
            raise InputError(f"{name}: expected x0:x1,y0:y1,z0:z1 (e.g. {_CROP_EXAMPLE}), got {region!r}")
        pairs = []
        for p, ax, n in zip(parts, "xyz", shape, strict=True):
            lo, sep, hi = p.partition(":")
            if not sep:
                raise InputError(f"{name}: axis {ax}: expected start:stop, got {p!r} (e.g. {_CROP_EXAMPLE})")
            try:
                pairs.append((int(lo) if lo.strip() else 0, int(hi) if hi.strip() else int(n)))
            except ValueError:
                raise InputError(f"{name}: axis {ax}: {p!r} is not start:stop with integers") from None
    else:
        try:
            pairs = [(int(a), int(b)) for a, b in region]
        except (TypeError, ValueError):
            raise InputError(f"{name}: expected three (start, stop) pairs or 'x0:x1,y0:y1,z0:z1', "
                             f"got {region!r}") from None
        if len(pairs) != 3:
            raise InputError(f"{name}: expected three (start, stop) pairs, got {len(pairs)}")
    for (lo, hi), ax, n in zip(pairs, "xyz", shape, strict=True):
        if not 0 <= lo < hi <= n:
            raise InputError(
                f"{name}: axis {ax}: {lo}:{hi} is outside the array (0:{n}) or empty; "
                f"the array has shape {tuple(int(s) for s in shape)}"
            )
    return tuple(pairs)  # type: ignore[return-value]


def parse_bin(factor: Any, *, name: str = "bin") -> tuple[int, int, int]:
    """A binning factor -> ``(fx, fy, fz)``: one integer >= 1 for all axes, or three
    (``2``, ``"2"``, ``"1,1,2"``, ``(1, 1, 2)``)."""
    items = factor
    if isinstance(factor, str):
        items = [p for p in factor.replace(" ", ",").split(",") if p]
    if np.ndim(items) == 0:
        items = [items]
    items = list(items)
    if len(items) not in (1, 3):
        raise InputError(f"{name}: expected one integer factor or three (fx,fy,fz), e.g. 2 or 1,1,2, "
                         f"got {factor!r}")
    out = []
    for v in items:
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise InputError(f"{name}: {v!r} is not an integer factor") from None
        if isinstance(v, (bool, np.bool_)) or f != int(f) or f < 1:
            raise InputError(f"{name}: factors are integers >= 1, got {v!r}")
        out.append(int(f))
    return (out[0],) * 3 if len(out) == 1 else tuple(out)  # type: ignore[return-value]


def block_majority(array: np.ndarray, factor: tuple[int, int, int]) -> np.ndarray:
    """The most frequent value of every ``fx x fy x fz`` block (ties: the lowest value).

    ``array``'s shape must be divisible by ``factor``.
    """
    fx, fy, fz = factor
    nx, ny, nz = (s // f for s, f in zip(array.shape, factor, strict=True))
    blocks = array.reshape(nx, fx, ny, fy, nz, fz).transpose(0, 2, 4, 1, 3, 5).reshape(-1, fx * fy * fz)
    if blocks.shape[1] == 1:
        return array.copy()
    blocks = np.sort(blocks, axis=1)  # equal values side by side; the first maximum is the lowest
    best = np.zeros(blocks.shape[0], dtype=np.int64)
    best_count = np.zeros(blocks.shape[0], dtype=np.int64)
    for j in range(blocks.shape[1]):
        count = np.count_nonzero(blocks == blocks[:, j:j + 1], axis=1)
        better = count > best_count
        best[better], best_count[better] = j, count[better]
    return blocks[np.arange(blocks.shape[0]), best].reshape(nx, ny, nz).astype(array.dtype, copy=False)


def _record(ms: Microstructure, key: str, value: Any) -> dict:
    prov = dict(ms.provenance)
    steps = list(prov.get("import_steps", []))
    steps.append({key: value})
    prov["import_steps"] = steps
    return prov


def _orientations_for(grains: np.ndarray | None, q: np.ndarray | None) -> np.ndarray | None:
    """Orientations of the grain ids still present (ids are kept, so rows 0..max-1 stay)."""
    if grains is None or q is None:
        return None
    return q[: int(grains.max())] if grains.size else q[:0]


def crop(ms: Microstructure, region: Any) -> Microstructure:
    """The structure inside a box of voxels.

    Parameters
    ----------
    ms : Microstructure
    region : str or three (start, stop) pairs
        ``"x0:x1,y0:y1,z0:z1"`` in voxels (stops exclusive); see :func:`parse_crop`.

    Returns
    -------
    Microstructure
        Same spacing and phases; grains, orientations and particle ids cut to the box.
    """
    box = parse_crop(region, ms.shape)
    sl = tuple(slice(lo, hi) for lo, hi in box)
    grains = None if ms.grains is None else ms.grains[sl]
    return ms.replace(labels=ms.labels[sl], grains=grains,
                      orientations=_orientations_for(grains, ms.orientations),
                      particles=None if ms.particles is None else ms.particles[sl],
                      provenance=_record(ms, "crop", [list(p) for p in box]))


def binning(ms: Microstructure, factor: Any, *, pad: bool = False) -> Microstructure:
    """Merge blocks of ``fx x fy x fz`` voxels into one by a majority vote per label.

    Parameters
    ----------
    ms : Microstructure
    factor : int or (int, int, int)
        Binning factor per axis (``2``, or ``(1, 1, 2)`` to bin only z).
    pad : bool
        When a factor does not divide the shape: pad the far end of that axis by
        repeating its last layer (recorded), instead of refusing.

    Returns
    -------
    Microstructure
        Spacing multiplied by the factors; grains and particle ids voted per block and
        kept only where the voted label is active.
    """
    f = parse_bin(factor)
    rem = [(-n) % k for n, k in zip(ms.shape, f, strict=True)]
    if any(rem) and not pad:
        bad = ", ".join(f"{ax}: {n} voxels by {k}"
                        for ax, n, k, r in zip("xyz", ms.shape, f, rem, strict=True) if r)
        raise InputError(
            f"bin: the factor does not divide the shape ({bad}); crop to a multiple first "
            "(--crop), or pass pad=True (CLI: --bin-pad) to repeat the last layers"
        )
    widths = [(0, r) for r in rem]

    def vote(vol: np.ndarray | None) -> np.ndarray | None:
        if vol is None:
            return None
        return block_majority(np.pad(vol, widths, mode="edge") if any(rem) else vol, f)

    labels = vote(ms.labels)
    active = np.isin(labels, ms.phases.labels_of_kind(PhaseKind.ACTIVE))
    grains = vote(ms.grains)
    particles = vote(ms.particles)
    if grains is not None:
        grains = np.where(active, grains, 0).astype(np.int32)
    if particles is not None:
        particles = np.where(active, particles, 0).astype(np.int32)
    spacing = tuple(h * k for h, k in zip(ms.spacing, f, strict=True))
    entry: dict[str, Any] = {"factor": list(f), "rule": "majority vote per label, ties to the lower label"}
    if any(rem):
        entry["padded"] = rem
    return ms.replace(labels=labels, spacing=spacing, grains=grains,
                      orientations=_orientations_for(grains, ms.orientations), particles=particles,
                      provenance=_record(ms, "bin", entry))
