"""Opened faces cut transport exactly (MECHANICS.md 2, 'Contact loss to conductivity')."""

import numpy as np
import pytest

from microcath import transport
from microcath.analysis.faces import face_components


def _laminate(n=8):
    lab = np.zeros((n, n, n), np.uint8)
    lab[:, :, ::2] = 1  # layers normal to z
    return lab


def test_opened_laminate_interfaces_block_across_and_not_along(ti_cpu):
    lab = _laminate()
    sig = {0: 1.0, 1: 0.5}
    cuts = [np.zeros(lab.shape, bool) for _ in range(3)]
    cuts[2][:, :, :-1] = lab[:, :, :-1] != lab[:, :, 1:]  # every interface between layers opens
    along = transport.conductivity_of_labels(lab, sig, voxel_size=1e-6, axis="x")
    along_cut = transport.conductivity_of_labels(lab, sig, voxel_size=1e-6, axis="x", cut_faces=tuple(cuts))
    across = transport.conductivity_of_labels(lab, sig, voxel_size=1e-6, axis="z")
    across_cut = transport.conductivity_of_labels(lab, sig, voxel_size=1e-6, axis="z", cut_faces=tuple(cuts))
    assert along_cut.sigma_eff == pytest.approx(along.sigma_eff, rel=1e-5) == pytest.approx(0.75, rel=1e-5)
    assert across.sigma_eff == pytest.approx(2 / 3, rel=1e-4)
    assert across_cut.sigma_eff == 0.0 and not across_cut.percolating


def test_cut_faces_split_components():
    mask = np.ones((4, 4, 4), bool)
    cuts = [np.zeros(mask.shape, bool) for _ in range(3)]
    cuts[0][1] = True  # the plane of faces between x = 1 and x = 2
    lab, n = face_components(mask, tuple(cuts))
    assert n == 2 and len(np.unique(lab[:2])) == 1 and lab[0, 0, 0] != lab[3, 0, 0]
    assert face_components(mask)[1] == 1
