"""Sulfur-type (S, Se, SeS2) triphase composites with the active material coated on carbon.

With ``carbon.form = "host"`` the carbon particles are packed as hosts and
the active material is laid on them as a conformal shell whose thickness is
chosen (on the distance transform) so that exactly the target number of
voxels becomes active; each shell keeps the id of its carbon host as its
particle id. "Separate particles" composites need nothing special: sulfur is
then packed as the active particles and carbon added as agglomerates.
"""

from __future__ import annotations

import numpy as np

from microcath.errors import InputError

from .coatings import distance_from
from .packing import Packing

__all__ = ["coat_hosts", "owner_centres"]


def coat_hosts(host_ids: np.ndarray, n_active: int, *, periodic) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices of the ``n_active`` voxels nearest the hosts, and the host id of each."""
    dist, nearest = distance_from(host_ids > 0, periodic=periodic, return_indices=True)
    flat = dist.ravel()
    outside = np.flatnonzero(flat > 0)
    if n_active > outside.size:
        raise InputError(
            f"active.fraction: {n_active} active voxels do not fit around the carbon hosts "
            f"({outside.size} free); lower the active or carbon fraction")
    # nearest first; ties broken by voxel index (stable sort) -> deterministic
    order = outside[np.argsort(flat[outside], kind="stable")[:n_active]]
    owner = host_ids.ravel()[nearest.ravel()[order]]
    return np.sort(order), owner[np.argsort(order)]


def owner_centres(packing: Packing) -> np.ndarray:
    """Centres used for grain texture of host-coated particles (the host centres)."""
    return packing.centres
