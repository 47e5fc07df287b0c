"""Validation and immutability of Microstructure, Phase and PhaseTable."""

import dataclasses
import math

import numpy as np
import pytest

from microcath import Coating, InputError, Microstructure, Phase, PhaseKind, PhaseTable

PHASES = {0: Phase("pore", "pore"), 1: Phase("NMC811", "active", "NMC811"),
          2: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl")}


def labels(shape=(4, 5, 6)):
    lab = np.full(shape, 2, np.uint8)
    lab[:2] = 1
    lab[-1, -1, -1] = 0
    return lab


def grains_for(lab, n=2):
    g = np.zeros(lab.shape, np.int32)
    g[0] = 1
    g[1] = n
    return g


def quats(n):
    return np.tile([1.0, 0.0, 0.0, 0.0], (n, 1))


def test_valid_structure_and_fractions():
    lab = labels()
    ms = Microstructure(lab, 1e-6, PHASES, grains=grains_for(lab), orientations=quats(2))
    n = lab.size
    assert ms.shape == (4, 5, 6)
    assert ms.volume_fractions() == {"pore": 1 / n, "NMC811": 60 / n, "Li6PS5Cl": (n - 61) / n}
    assert ms.n_grains == 2
    assert ms.mask("active").sum() == 60
    assert ms.size == pytest.approx((4e-6, 5e-6, 6e-6))


@pytest.mark.parametrize("bad", [np.zeros((3, 3, 3), np.int32) + 300, np.zeros((3, 3, 3), np.float32),
                                 np.zeros((3, 3, 3), np.int64)])
def test_wrong_dtype(bad):
    with pytest.raises(InputError, match="labels: expected dtype uint8"):
        Microstructure(bad, 1e-6, PHASES)


def test_wrong_dtype_hint_when_values_fit():
    with pytest.raises(InputError, match=r"astype\(np.uint8\)"):
        Microstructure(np.ones((2, 2, 2), np.int64), 1e-6, PHASES)
    with pytest.raises(InputError, match="remap"):
        Microstructure(np.full((2, 2, 2), 300, np.int64), 1e-6, PHASES)


def test_not_an_array():
    with pytest.raises(InputError, match="labels: expected a numpy array"):
        Microstructure([[[0]]], 1e-6, PHASES)


@pytest.mark.parametrize("shape", [(4, 4), (2, 2, 2, 2), (5,)])
def test_wrong_rank(shape):
    with pytest.raises(InputError, match="3-D array"):
        Microstructure(np.zeros(shape, np.uint8), 1e-6, PHASES)


def test_empty_axis():
    with pytest.raises(InputError, match="at least one voxel"):
        Microstructure(np.zeros((0, 2, 2), np.uint8), 1e-6, PHASES)


def test_labels_missing_from_table():
    lab = labels()
    lab[0, 0, 0] = 7
    with pytest.raises(InputError, match=r"values \[7\] are not in the phase table"):
        Microstructure(lab, 1e-6, PHASES)


@pytest.mark.parametrize("vs", [0.0, -1e-6, math.nan, math.inf])
def test_bad_voxel_size(vs):
    with pytest.raises(InputError, match="voxel_size: expected a positive finite"):
        Microstructure(labels(), vs, PHASES)


def test_voxel_size_not_a_number_and_too_large():
    with pytest.raises(InputError, match="voxel_size: expected a number"):
        Microstructure(labels(), "big", PHASES)
    with pytest.raises(InputError, match="metres"):
        Microstructure(labels(), 0.2, PHASES)  # 0.2 m: someone meant µm


def test_grains_outside_active_phase():
    lab = labels()
    g = grains_for(lab)
    g[3, 0, 0] = 1  # electrolyte voxel
    with pytest.raises(InputError, match="1 voxels carry a grain id outside the active phases"):
        Microstructure(lab, 1e-6, PHASES, grains=g, orientations=quats(2))


def test_grains_shape_dtype_negative():
    lab = labels()
    with pytest.raises(InputError, match="grains: shape"):
        Microstructure(lab, 1e-6, PHASES, grains=np.zeros((1, 1, 1), np.int32))
    with pytest.raises(InputError, match="grains: expected an integer array"):
        Microstructure(lab, 1e-6, PHASES, grains=np.zeros(lab.shape, np.float32))
    g = grains_for(lab)
    g[0, 0, 0] = -1
    with pytest.raises(InputError, match="ids must be >= 0"):
        Microstructure(lab, 1e-6, PHASES, grains=g, orientations=quats(2))


def test_orientation_count_mismatch():
    lab = labels()
    with pytest.raises(InputError, match="3 orientations for 2 grains"):
        Microstructure(lab, 1e-6, PHASES, grains=grains_for(lab), orientations=quats(3))
    with pytest.raises(InputError, match="no orientations were given"):
        Microstructure(lab, 1e-6, PHASES, grains=grains_for(lab))
    with pytest.raises(InputError, match=r"shape \(n_grains, 4\)"):
        Microstructure(lab, 1e-6, PHASES, grains=grains_for(lab), orientations=np.ones((2, 3)))
    with pytest.raises(InputError, match="without a grain volume"):
        Microstructure(lab, 1e-6, PHASES, orientations=quats(2))


def test_non_unit_quaternions():
    lab = labels()
    q = quats(2)
    q[1] = [1.0, 1.0, 0.0, 0.0]
    with pytest.raises(InputError, match="unit norm"):
        Microstructure(lab, 1e-6, PHASES, grains=grains_for(lab), orientations=q)
    q[1] = [math.nan, 0, 0, 0]
    with pytest.raises(InputError, match="NaN"):
        Microstructure(lab, 1e-6, PHASES, grains=grains_for(lab), orientations=q)


def test_particles_outside_active_phase():
    lab = labels()
    p = np.zeros(lab.shape, np.int32)
    p[2:] = 1
    with pytest.raises(InputError, match="particle id outside the active phases"):
        Microstructure(lab, 1e-6, PHASES, particles=p)


def test_coating_validation():
    with pytest.raises(InputError, match="positive finite thickness"):
        Coating("NMC811", "LiNbO3", 0.0)
    with pytest.raises(InputError, match="not a phase"):
        Microstructure(labels(), 1e-6, PHASES, coatings=(Coating("LCO", "LiNbO3", 5e-9),))


def test_arrays_are_read_only_and_copied():
    lab = labels()
    g = grains_for(lab)
    ms = Microstructure(lab, 1e-6, PHASES, grains=g, orientations=quats(2), particles=g)
    for arr in (ms.labels, ms.grains, ms.orientations, ms.particles):
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr.flat[0] = 1
    lab[:] = 2  # the caller's array stays independent of the structure
    assert ms.labels[0, 0, 0] == 1


def test_frozen_attributes_and_replace():
    ms = Microstructure(labels(), 1e-6, PHASES)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ms.voxel_size = 2e-6
    with pytest.raises(dataclasses.FrozenInstanceError):
        ms.phases[1].name = "x"
    ms2 = ms.replace(voxel_size=2e-6)
    assert ms2.voxel_size == 2e-6 and ms.voxel_size == 1e-6
    with pytest.raises(InputError):
        ms.replace(voxel_size=-1.0)


def test_phase_and_table_errors():
    with pytest.raises(InputError, match="unknown phase kind 'solid'"):
        Phase("x", "solid")
    with pytest.raises(InputError, match="non-empty name"):
        Phase("", "pore")
    with pytest.raises(InputError, match="outside 0..255"):
        PhaseTable({256: Phase("pore", "pore")})
    with pytest.raises(InputError, match="not an integer"):
        PhaseTable({"a": Phase("pore", "pore")})
    with pytest.raises(InputError, match="must be unique"):
        PhaseTable({0: Phase("a", "pore"), 1: Phase("a", "active")})
    with pytest.raises(InputError, match="empty"):
        PhaseTable({})
    with pytest.raises(InputError, match="expected a mapping"):
        PhaseTable([Phase("a", "pore")])
    t = PhaseTable(PHASES)
    with pytest.raises(InputError, match="no phase named 'LCO'"):
        t.label_of("LCO")
    with pytest.raises(InputError, match="label 9 is not in the phase table"):
        t.resolve(9)
    assert t.resolve_many(["active", "pore"]) == (0, 1)
    assert t.labels_of_kind(PhaseKind.ELECTROLYTE) == (2,)
    assert PhaseTable.from_dict(t.to_dict()) == t
