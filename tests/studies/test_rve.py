"""Is the box big enough: the adequacy rule on hand-made numbers, and a tiny real RVE run."""

import math

import pytest

from microcath import InputError
from microcath.studies import rve
from microcath.studies.box_size import adequate_size


def test_the_smallest_adequate_size_needs_agreement_up_to_the_largest():
    sizes = [16, 24, 32, 48]
    # mean settles from 24 on (changes 10 %, 2 %, 1 %), spread 20 %, 4 %, 3 %, 2 %
    best, change, ok = adequate_size(sizes, [0.9, 1.0, 1.02, 1.03], [0.2, 0.04, 0.03, 0.02], 0.05)
    assert change[:3] == pytest.approx([0.1, 0.02 / 1.02, 0.01 / 1.03])
    assert ok == [False, True, True, True] and best == 24
    # a good size followed by a bad one does not count
    best, _, ok = adequate_size(sizes, [1.0, 1.0, 1.0, 1.2], [0.01] * 4, 0.05)
    assert ok == [True, True, False, True] and best is None
    # the largest alone never qualifies: nothing confirms it
    best, _, _ = adequate_size(sizes, [0.5, 0.7, 0.9, 1.0], [0.01] * 4, 0.05)
    assert best is None
    best, _, _ = adequate_size([16, 24], [1.0, 1.0], [math.inf, 0.0], 0.05)
    assert best is None


def test_rve_of_a_tiny_recipe_on_the_loopback_cluster(remote, tmp_path):
    res = rve("default", sizes=[16, 24], seeds=2, quantities=["volume_fraction.NMC811"], tolerance=0.5,
              overrides={"voxel_size_um": 0.6, "active.size.d50_um": 2.0}, client=remote[1],
              out_dir=tmp_path / "rve", progress=False)
    s = res.summary
    assert s["size"].tolist() == [16, 24] and s["n"].tolist() == [2, 2]
    # the table's own numbers: mean and relative spread over the two seeds at 16^3
    t = res.table[res.table["shape"] == 16]["volume_fraction.NMC811"]
    assert s["mean"][0] == pytest.approx(t.mean())
    assert s["spread"][0] == pytest.approx(t.std(ddof=1) / t.mean())
    # fractions hit their target within the generator's tolerance, so 50 % is met at 16^3
    assert res.adequate == {"volume_fraction.NMC811": 16, "all": 16}
    assert "smallest adequate box for all quantities: 16^3" in res.statement
    assert (tmp_path / "rve" / "report" / "report.html").is_file()
    with pytest.raises(InputError, match="at least 2"):
        rve("default", sizes=[16, 24], seeds=1)
    with pytest.raises(InputError, match="two box sizes"):
        rve("default", sizes=[16], seeds=2)
