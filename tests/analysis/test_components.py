"""Connected components: the Taichi union-find kernel against scipy.ndimage.label."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage

from microcath import InputError
from microcath.analysis import connected_components

RANK = {6: 1, 18: 2, 26: 3}


def assert_same_partition(a, na, b, nb):
    """Labels a and b describe the same components (a bijection between label sets)."""
    assert na == nb
    np.testing.assert_array_equal(a > 0, b > 0)
    fg = a > 0
    pairs = np.unique(np.stack([a[fg], b[fg]]), axis=1)
    assert pairs.shape[1] == na
    assert len(np.unique(pairs[0])) == na and len(np.unique(pairs[1])) == nb
    assert a.dtype == np.int32
    if na:
        assert a.max() == na and a[fg].min() == 1


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.tuples(st.integers(1, 13), st.integers(1, 13), st.integers(1, 13)),
       density=st.floats(0.0, 1.0), conn=st.sampled_from([6, 18, 26]), seed=st.integers(0, 2**32 - 1))
def test_matches_scipy_random(ti_cpu, shape, density, conn, seed):
    m = np.random.default_rng(seed).random(shape) < density
    a, na = connected_components(m, connectivity=conn)
    b, nb = ndimage.label(m, ndimage.generate_binary_structure(3, RANK[conn]))
    assert_same_partition(a, na, b, nb)


@pytest.mark.parametrize("conn", [6, 18, 26])
@pytest.mark.parametrize("p", [0.1, 0.31, 0.6])
def test_matches_scipy_near_threshold_larger(ti_cpu, rng, conn, p):
    # long, tortuous clusters stress the concurrent unions
    m = rng.random((40, 33, 57)) < p
    a, na = connected_components(m, connectivity=conn)
    b, nb = ndimage.label(m, ndimage.generate_binary_structure(3, RANK[conn]))
    assert_same_partition(a, na, b, nb)


def test_connectivity_definitions(ti_cpu):
    m = np.zeros((3, 3, 3), bool)
    m[0, 0, 0] = m[1, 1, 0] = True  # share an edge only
    m[2, 2, 1] = True  # shares a corner with (1, 1, 0)
    assert connected_components(m, connectivity=6)[1] == 3
    assert connected_components(m, connectivity=18)[1] == 2
    assert connected_components(m, connectivity=26)[1] == 1


def test_lower_dimensional_and_empty(ti_cpu):
    lab, n = connected_components(np.array([1, 1, 0, 1, 0, 1, 1], bool))
    assert n == 3 and lab.shape == (7,)
    np.testing.assert_array_equal(lab, [1, 1, 0, 2, 0, 3, 3])
    assert connected_components(np.zeros((4, 5), bool))[1] == 0
    assert connected_components(np.ones((4, 5, 6), np.uint8))[1] == 1


@pytest.mark.parametrize("bad", [0, 4, 8, "six", True, None])
def test_bad_connectivity(bad):
    with pytest.raises(InputError, match="connectivity"):
        connected_components(np.ones((2, 2, 2), bool), connectivity=bad)


def test_bad_mask():
    with pytest.raises(InputError, match="mask"):
        connected_components(np.ones((2, 2, 2, 2), bool))
    with pytest.raises(InputError, match="mask"):
        connected_components(np.array([["a"]]))
