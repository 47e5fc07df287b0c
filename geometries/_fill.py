"""Add random objects until a target number of voxels is covered (shared by carbon, electrolyte)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from microcath.errors import InputError


def fill_to_target(target: np.ndarray, paint: Callable[[int], np.ndarray], want: int, mean_volume: float,
                   *, what: str, max_rounds: int = 400, slack: int = 0) -> np.ndarray:
    """Mark voxels of ``target`` (bool, flat, modified in place) covered by painted objects.

    ``paint(k)`` returns the flat voxel indices covered by ``k`` new random
    objects; only indices where the mask ``target`` (the allowed region) is
    True count. Batches shrink as the deficit shrinks, so the final overshoot
    is at most about one object. Returns the flat indices that were claimed.

    ``slack`` voxels may stay uncovered when the rounds run out: covering the
    last scattered free voxels with random objects is a coupon-collector
    problem, and a filler asked to fill (nearly) all the free space may give up
    within that many voxels of its target instead of failing.
    """
    claimed = np.zeros(target.size, bool)
    have = 0
    gain = 1.0  # observed new voxels per object / mean_volume
    k_prev = None
    for _ in range(max_rounds):
        deficit = want - have
        if deficit <= 0.5 * mean_volume * gain or deficit <= 0:
            break
        k = max(1, int(0.7 * deficit / max(mean_volume * gain, 1e-9)))
        if k_prev is not None:
            k = min(k, 2 * k_prev)  # never jump on a noisy gain estimate
        idx = paint(k)
        new = idx[target[idx] & ~claimed[idx]]
        claimed[new] = True
        have += new.size
        if k >= 50:  # small batches give a noisy gain; keep the last good estimate
            gain = max(new.size / (k * mean_volume), 1e-3)
        k_prev = k
    else:
        if want - have <= slack:
            return np.flatnonzero(claimed)
        raise InputError(
            f"{what}: could not reach the target of {want} voxels (reached {have}); the space left for it "
            "is too small or too fragmented - lower the fraction or the object size"
        )
    return np.flatnonzero(claimed)
