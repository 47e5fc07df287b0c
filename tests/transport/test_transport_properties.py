"""Hypothesis properties of the conduction solver: symmetries and scaling."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcath.transport import conductivity_of_labels

_SETTINGS = settings(max_examples=12, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def structures(draw):
    shape = tuple(draw(st.integers(3, 9)) for _ in range(3))
    seed = draw(st.integers(0, 2**31 - 1))
    n_phases = draw(st.integers(2, 3))
    lab = np.random.default_rng(seed).integers(0, n_phases, shape).astype(np.uint8)
    sig = {i: draw(st.sampled_from([0.0, 1e-3, 0.05, 1.0, 7.0])) for i in range(n_phases)}
    if all(v == 0 for v in sig.values()):
        sig[0] = 1.0
    return lab, sig


def _close(a, b):
    assert a == pytest.approx(b, rel=2e-5, abs=1e-12)


@_SETTINGS
@given(structures(), st.integers(0, 2))
def test_mirroring_changes_nothing(ti_cpu, case, mirror_axis):
    lab, sig = case
    ref = conductivity_of_labels(lab, sig, axis="all", tol=1e-8, dtype="float64")
    flipped = conductivity_of_labels(np.flip(lab, mirror_axis).copy(), sig, axis="all", tol=1e-8,
                                     dtype="float64")
    for a, b in zip(ref.results, flipped.results, strict=True):
        _close(a.sigma_eff, b.sigma_eff)
        assert a.percolating == b.percolating


@_SETTINGS
@given(structures(), st.permutations([0, 1, 2]))
def test_axis_permutation_permutes_the_tensor(ti_cpu, case, perm):
    lab, sig = case
    ref = conductivity_of_labels(lab, sig, axis="all", tol=1e-8, dtype="float64")
    moved = conductivity_of_labels(np.ascontiguousarray(lab.transpose(perm)), sig, axis="all", tol=1e-8,
                                   dtype="float64")
    for new_axis, old_axis in enumerate(perm):
        _close(moved[new_axis].sigma_eff, ref[old_axis].sigma_eff)


@_SETTINGS
@given(structures(), st.sampled_from([1e-4, 3.0, 250.0]))
def test_scaling_sigma_scales_sigma_eff(ti_cpu, case, factor):
    lab, sig = case
    a = conductivity_of_labels(lab, sig, tol=1e-8, dtype="float64")
    b = conductivity_of_labels(lab, {k: v * factor for k, v in sig.items()}, tol=1e-8, dtype="float64")
    _close(b.sigma_eff, a.sigma_eff * factor)
    if a.tau is not None and b.tau is not None:
        _close(a.tau, b.tau)
