"""The study file: whole-file validation before anything runs, case expansion, stable case ids."""

import pytest

from microcath import InputError
from microcath.studies import load_study, resolve

BASE = {"recipe": "default", "shape": 24, "set": {"voxel_size_um": 0.6},
        "quantities": ["volume_fraction.NMC811", "sigma_ion_eff.x"]}


def study(**kw):
    return load_study({**BASE, **kw})


def test_grid_zip_and_seeds_multiply_in_study_order():
    st = study(seeds=2, grid={"carbon.attach": [0.0, 0.5, 1.0]},
               zip={"active.fraction": [0.6, 0.7], "electrolyte.fraction": [0.37, 0.27]})
    cases = st.cases()
    assert len(cases) == 2 * 3 * 2
    assert [c.index for c in cases] == list(range(12))
    assert cases[0].params == {"carbon.attach": 0.0, "active.fraction": 0.6, "electrolyte.fraction": 0.37}
    assert [c.seed for c in cases[:2]] == [0, 1]
    assert cases[0].shape == (24, 24, 24) and cases[0].overrides["voxel_size_um"] == 0.6
    assert len({c.id for c in cases}) == 12
    # the ids depend on the study's content only
    assert [c.id for c in study(seeds=2, grid={"carbon.attach": [0.0, 0.5, 1.0]},
                                zip={"active.fraction": [0.6, 0.7],
                                     "electrolyte.fraction": [0.37, 0.27]}).cases()] == [c.id for c in cases]


def test_unknown_keys_are_named_with_the_closest_valid_one():
    with pytest.raises(InputError, match=r"'quantites'.*did you mean 'quantities'"):
        load_study({**BASE, "quantites": ["x"]})
    with pytest.raises(InputError, match=r"'carbon.fracton'.*did you mean 'carbon.fraction'"):
        study(grid={"carbon.fracton": [0.01, 0.02]})
    with pytest.raises(InputError, match=r"'sigma_ion_ef.x'.*did you mean 'sigma_ion_eff.x'"):
        study(quantities=["sigma_ion_ef.x"])
    with pytest.raises(InputError, match=r"no phase 'NMC81'.*did you mean 'NMC811'"):
        study(quantities=["volume_fraction.NMC81"])


def test_impossible_values_are_refused_before_the_first_case():
    # every problem at once, naming the case
    with pytest.raises(InputError, match=r"2 case\(s\) cannot run.*sum to 1.*sum to 1"):
        study(grid={"active.fraction": [0.6, 0.8]})
    with pytest.raises(InputError, match="seeds"):
        study(seeds=0)
    with pytest.raises(InputError, match=r"soc.*\[0, 1\]"):
        study(grid={"soc": [0.2, 1.5]})
    with pytest.raises(InputError, match="stack_pressure_MPa"):
        study(grid={"stack_pressure_MPa": [-1.0]})
    with pytest.raises(InputError, match="anisotropic_stiffness.*true or false"):
        study(grid={"anisotropic_stiffness": ["yes"]})
    with pytest.raises(InputError, match="one length"):
        study(zip={"active.fraction": [0.6, 0.7], "electrolyte.fraction": [0.37]})
    with pytest.raises(InputError, match="also given"):
        study(grid={"voxel_size_um": [0.5, 0.6]})
    with pytest.raises(InputError, match="'seed' is varied with the study's `seeds`"):
        study(grid={"seed": [1, 2]})
    with pytest.raises(InputError, match="shape"):
        study(shape=4)


def test_quantities_name_the_stages_they_need():
    q = resolve("volume_fraction.NMC811")
    assert q.stages == ("generate",)
    assert resolve("utilisable_fraction").stages == ("generate", "analyse")
    s = resolve("sigma_e_eff.y")
    assert s.stages == ("generate", "electronic conductivity") and s.axis == "y" and s.unit == "mS/cm"
    assert resolve("opened_fraction.grain_boundary").stages == ("generate", "stress at a charged state")
    assert resolve("mechanics.strain_energy_J").unit == "J"
    # a sweep of volume fractions does not pay for the solvers
    assert study(quantities=["volume_fraction.NMC811"]).stages == ("generate",)


def test_the_command_validates_and_plans_without_running(tmp_path, capsys):
    from microcath.cli.main import main

    good = tmp_path / "s.toml"
    good.write_text('recipe = "default"\nshape = 24\nseeds = 3\nquantities = ["sigma_ion_eff.x"]\n'
                    '[set]\nvoxel_size_um = 0.6\n[grid]\n"carbon.attach" = [0.0, 1.0]\n')
    assert main(["sweep", str(good), "--check", "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "6 cases (0 already finished, 6 to run)" in err and "GiB per case" in err and "estimate" in err
    assert not (tmp_path / "out").exists()
    bad = tmp_path / "b.toml"
    bad.write_text('recipe = "default"\nquantities = ["sigma_ion_eff.x"]\n[grid]\n"carbon.atach" = [0.0]\n')
    assert main(["sweep", str(bad)]) == 2
    assert "did you mean 'carbon.attach'" in capsys.readouterr().err


def test_leftovers_of_a_killed_write_go_and_nothing_else(tmp_path):
    from microcath.studies.store import SweepFolder

    st = study(grid={"carbon.attach": [0.0]})
    f = SweepFolder(tmp_path / "s")
    f.open(st, st.cases())
    half = f.cases_dir / ".0123456789abcdef.json.0123456789ab.tmp.json"
    half.write_text("{")
    mine = f.cases_dir / ".my-notes.json"
    mine.write_text("{}")
    f.open(st, st.cases())
    assert not half.exists() and mine.exists()


def test_anisotropic_stiffness_is_a_run_parameter_not_a_recipe_key():
    cases = study(grid={"anisotropic_stiffness": [False, True]}).cases()
    assert [c.anisotropic_stiffness for c in cases] == [False, True]
    assert all("anisotropic_stiffness" not in c.overrides for c in cases)
    assert cases[0].id != cases[1].id
