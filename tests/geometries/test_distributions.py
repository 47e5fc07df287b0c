"""Size distributions: KS tests of the drawn diameters against scipy's laws."""

import math

import numpy as np
import pytest
from microcath.geometries import LogNormal, Monodisperse, TableDistribution, draw_to_volume
from microcath.geometries.distributions import from_spec
from scipy import stats


def test_lognormal_number_basis_ks():
    dist = LogNormal(5.0, 0.35)
    d = dist.sample(3000, np.random.default_rng(1))
    # scipy's untruncated log-normal as the oracle (the +-3 s truncation removes 0.27 % of the mass)
    res = stats.kstest(d, stats.lognorm(s=0.35, scale=5.0).cdf)
    assert res.pvalue > 0.01


def test_lognormal_volume_basis_is_hatch_choate():
    dist = LogNormal(8.0, 0.4, basis="volume")
    assert dist.d50 == pytest.approx(8.0 * math.exp(-3 * 0.4**2))
    d = np.sort(dist.sample(40000, np.random.default_rng(2)))
    w = np.cumsum(d**3) / np.sum(d**3)
    assert d[np.searchsorted(w, 0.5)] == pytest.approx(8.0, rel=0.03)


def test_draw_to_volume_keeps_the_distribution():
    dist = LogNormal(10.0, 0.3)
    d = draw_to_volume(dist, 0.6 * 200.0**3, np.random.default_rng(3))
    assert np.sum(math.pi / 6 * d**3) == pytest.approx(0.6 * 200.0**3, rel=1e-9)
    assert stats.kstest(d, stats.lognorm(s=0.3, scale=10.0).cdf).pvalue > 0.01


def test_table_volume_weights():
    t = TableDistribution((2.0, 4.0), (1.0, 1.0), basis="volume")
    # equal volumes -> 8x as many small particles
    assert t.probabilities == pytest.approx([8 / 9, 1 / 9])
    d = t.sample(9000, np.random.default_rng(0))
    assert np.mean(d == 2.0) == pytest.approx(8 / 9, abs=0.015)


@pytest.mark.parametrize("spec", [
    {"distribution": "lognormal", "d50_um": -1.0},
    {"distribution": "monodisperse", "d_um": 0},
    {"distribution": "lognormal", "d50_um": 3, "spread": 4.0},
    {"distribution": "table", "d_um": [1, -2], "weights": [1, 1]},
    {"distribution": "table", "d_um": [1, 2], "weights": [1]},
    {"distribution": "gamma", "d_um": 1},
    {"distribution": "lognormal", "d50_um": 3, "sigma": 0.3},
    {"distribution": "lognormal"},
])
def test_bad_specs_refused(spec):
    with pytest.raises(ValueError):
        from_spec(spec)


def test_monodisperse():
    assert np.all(Monodisperse(3.0).sample(5) == 3.0)
