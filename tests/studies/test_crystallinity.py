"""The single-crystal vs polycrystalline comparison, small: 2 seeds at 32^3 (the issue's size), one pressure.

Checks the structure of the tables and what must hold whatever the numbers: single
crystals have no grain-boundary faces (one grain per particle) and the polycrystalline
secondaries have many; opening faces only removes conducting paths, so conductivities
and the utilisable fraction after opening never exceed their values before (Rayleigh
monotonicity of a resistor network); every p value is a probability.
"""

import numpy as np
import pytest

from microcath.studies.crystallinity import KINDS, QUANTITIES, compare_crystallinity


@pytest.fixture(scope="module")
def comparison(remote, tmp_path_factory):
    _, client = remote
    out = tmp_path_factory.mktemp("cryst") / "cmp"
    # a 12.8 µm box: the secondaries shrink to d50 4 µm (<= 5.5 µm) so that they fit twice across
    pc = {"active.size.d50_um": 4.0, "active.size.d_max_um": 5.5}
    return compare_crystallinity(seeds=2, shape=32, voxel_size_um=0.4, stack_pressures_MPa=[0.0],
                                 overrides={"polycrystalline": pc},
                                 out_dir=out, client=client, figures=False, progress=False)


def test_tables(comparison):
    t = comparison.table
    assert len(t) == 4 and (t["status"] == "done").all(), t["error"].tolist()
    assert sorted(t["kind"].unique()) == sorted(KINDS)
    assert set(QUANTITIES) <= set(t.columns)
    s = comparison.summary
    assert set(s.columns) >= {"kind", "stack_pressure_MPa", "quantity", "mean", "std", "n"}
    row = s[(s["kind"] == "polycrystalline") & (s["quantity"] == "sigma_ion_eff.x")].iloc[0]
    assert row["n"] == 2 and np.isfinite(row["std"])
    p = comparison.tests["p"].dropna()
    assert ((p >= 0) & (p <= 1)).all() and len(p) > 5
    for name in ("comparison_cases.csv", "comparison_summary.csv", "comparison_tests.csv",
                 "report/report.html"):
        assert (comparison.out_dir / name).is_file()


def test_grain_boundaries_only_in_polycrystals(comparison):
    t = comparison.table.set_index("kind")
    gb = "mechanics.interfaces.grain_boundary.n_faces"
    assert (t.loc["single_crystal", gb] == 0).all()
    assert (t.loc["polycrystalline", gb] > 200).all()
    assert t.loc["single_crystal", "opened_fraction.grain_boundary"].isna().all()
    assert t.loc["polycrystalline", "opened_fraction.grain_boundary"].between(0, 1).all()


def test_opening_never_adds_paths(comparison):
    t = comparison.table
    tol = 1e-5
    assert (t["utilisable_fraction_after"] <= t["utilisable_fraction_before"] + 1e-12).all()
    assert (t["sigma_ion_eff_after"] <= t["sigma_ion_eff.x"] * (1 + tol)).all()
    assert (t["sigma_e_eff_after"] <= t["sigma_e_eff.x"] * (1 + tol)).all()
    assert t["opened_fraction.active/electrolyte"].between(0, 1).all()
