"""The materials library: SI conversion against the dossier, sources, lookups, errors, overrides."""

import math

import numpy as np
import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from microcath import FileFormatError, InputError, MaterialError, PhaseKind
from microcath.data import materials_path
from microcath.materials import STATUSES, default_library, load_library

REQUIRED = ["NMC811", "NMC532", "LiCoO2", "sulfur", "Li2S", "selenium", "SeS2", "Li6PS5Cl", "Li3PS4",
            "Li10GeP2S12", "Li10SnP2S12", "Li3InCl6", "carbon_black", "VGCF", "CNT", "LiNbO3", "Li3PO4",
            "pore"]
N_A = 6.02214076e23


@pytest.fixture(scope="module")
def lib():
    return default_library()


def test_required_materials_and_kinds(lib):
    assert set(REQUIRED) <= set(lib.names)
    kinds = {"NMC811": "active", "sulfur": "active", "Li6PS5Cl": "electrolyte", "Li3InCl6": "electrolyte",
             "carbon_black": "carbon", "VGCF": "carbon", "CNT": "carbon", "LiNbO3": "coating",
             "Li3PO4": "coating", "pore": "pore"}
    for name, kind in kinds.items():
        assert lib.get(name).kind is PhaseKind(kind)


# dossier section A, in the field's units -> SI
@pytest.mark.parametrize("name, carrier, s_per_cm", [
    ("Li6PS5Cl", "ionic", 1.3e-3), ("Li3PS4", "ionic", 1.6e-4), ("Li10GeP2S12", "ionic", 1.2e-2),
    ("Li10SnP2S12", "ionic", 4e-3), ("Li3InCl6", "ionic", 1.0e-3), ("Li2S", "ionic", 3e-13),
    ("sulfur", "electronic", 5e-30), ("selenium", "electronic", 1e-5), ("LiNbO3", "ionic", 1e-5),
    ("pore", "ionic", 0.0), ("pore", "electronic", 0.0),
])
def test_conductivity_si(lib, name, carrier, s_per_cm):
    assert lib.get(name).sigma(carrier) == pytest.approx(s_per_cm * 100.0, rel=1e-12)


def test_lpscl_in_field_units(lib):
    from microcath import units

    assert lib.get("Li6PS5Cl").sigma("ionic") == pytest.approx(0.13)
    assert units.to_mS_cm(lib.get("Li6PS5Cl").sigma("ionic")) == pytest.approx(1.3)


@pytest.mark.parametrize("name, e_gpa, nu, rho", [
    ("Li6PS5Cl", 20.0, 0.3, 1.86), ("Li3PS4", 20.0, 0.3, 1.85), ("NMC811", 150.0, 0.25, 4.78),
    ("NMC532", 150.0, 0.25, 4.75), ("LiCoO2", 175.0, 0.25, 5.05),
])
def test_mechanics_and_density_si(lib, name, e_gpa, nu, rho):
    m = lib.get(name)
    assert m.youngs_modulus == pytest.approx(e_gpa * 1e9)
    assert m.poisson_ratio == pytest.approx(nu)
    assert m.density == pytest.approx(rho * 1000.0)


def _hex_density(a, c, z, molar_mass):
    volume_cm3 = math.sqrt(3) / 2 * a**2 * c * 1e-24
    return z * molar_mass / (N_A * volume_cm3) * 1000.0  # kg/m^3


def test_xray_densities_from_lattice(lib):
    """Independent check of the 'computed' densities from the lattice parameters the dossier gives."""
    assert lib.get("NMC811").density == pytest.approx(_hex_density(2.872, 14.20, 3, 97.28), rel=2e-3)
    m_lpscl = 6 * 6.941 + 30.974 + 5 * 32.06 + 35.45
    rho_lpscl = 4 * m_lpscl / (N_A * (9.85e-8) ** 3) * 1000.0
    assert lib.get("Li6PS5Cl").density == pytest.approx(rho_lpscl, rel=5e-3)
    m_li2s = 2 * 6.941 + 32.06
    assert lib.get("Li2S").density == pytest.approx(4 * m_li2s / (N_A * (5.708e-8) ** 3) * 1000, rel=5e-3)


def test_volume_changes(lib):
    assert lib.get("NMC811").volume_change() == pytest.approx(-0.051)
    assert lib.get("sulfur").volume_change() == pytest.approx(0.79)
    assert lib.get("sulfur").volume_change(0.5) == pytest.approx(0.395)
    # S8 -> Li2S from molar volumes (dossier A3: +80.8 %); the library's 0.79 is within 2 %
    v_s = 32.06 / 2.07
    v_li2s = 45.95 / 1.641
    assert lib.get("sulfur").volume_change() == pytest.approx(v_li2s / v_s - 1, abs=0.02)


@pytest.mark.parametrize("x_li", [1.0, 0.5, 0.2])
def test_nmc811_strain_path_consistent_with_volume(lib, x_li):
    """dV/V = (1 + eps_a)^2 (1 + eps_c) - 1 for a hexagonal cell."""
    m = lib.get("NMC811")
    ea, ec = m.lattice_strain(x_li)
    assert m.volume_change(x_li) == pytest.approx((1 + ea) ** 2 * (1 + ec) - 1, abs=2e-4)


def test_nmc811_c_axis_from_kondrakov(lib):
    _, ec = lib.get("NMC811").lattice_strain(0.5)
    assert ec == pytest.approx(14.467 / 14.20 - 1, abs=1e-3)
    _, ec = lib.get("NMC811").lattice_strain(0.2)
    assert ec == pytest.approx(14.030 / 14.20 - 1, abs=1e-3)


def test_state_dependent_conductivity_log_interpolation(lib):
    m = lib.get("NMC811")
    assert m.sigma("electronic") == pytest.approx(1e-5)  # 1e-7 S/cm, lithiated
    assert m.sigma("electronic", state=0.25) == pytest.approx(1.0)  # 1e-2 S/cm
    assert m.sigma("electronic", state=0.625) == pytest.approx(math.sqrt(1e-5 * 1.0))
    with pytest.raises(InputError, match="outside the documented path"):
        m.sigma("electronic", state=0.1)
    with pytest.raises(InputError, match="no dependence on a state"):
        lib.get("Li6PS5Cl").sigma("ionic", state=0.5)
    with pytest.raises(InputError, match="carrier"):
        m.sigma("holes")


def test_every_value_has_source_status_and_unit():
    """Straight from the TOML file: every value carries unit, source and a known status."""
    with open(materials_path(), "rb") as fh:
        data = tomllib.load(fh)
    n = 0
    for name, mat in data.items():
        if name.startswith("_"):
            continue
        assert mat["kind"] in {k.value for k in PhaseKind}
        for key, entry in mat.items():
            if isinstance(entry, dict) and key != "other":
                records = [entry]
            elif key == "other":
                records = list(entry.values())
            else:
                continue
            for rec in records:
                n += 1
                assert rec.get("source"), (name, key)
                assert rec.get("status") in STATUSES, (name, key)
                assert rec.get("unit"), (name, key)
                if "range" in rec:
                    lo, hi = rec["range"]
                    assert lo <= rec["value"] <= hi, (name, key)
                if rec.get("status") == "modelling_assumption":
                    assert rec.get("note"), f"{name}.{key}: a modelling assumption must say why"
    assert n > 80


def test_library_records_carry_provenance(lib):
    for m in lib.values():
        for key, v in m.values.items():
            assert v.source and v.status in STATUSES, (m.name, key)
            assert v.unit in {"S/m", "Pa", "kg/m^3", "-"}


@pytest.mark.parametrize("alias, name", [("lpscl", "Li6PS5Cl"), ("LGPS", "Li10GeP2S12"),
                                         ("nCm811", "NMC811"), ("Super P", "carbon_black"),
                                         ("carbon-black", "carbon_black"), ("LiNbO3_coating", "LiNbO3"),
                                         ("S8", "sulfur")])
def test_aliases_case_insensitive(lib, alias, name):
    assert lib.get(alias).name == name
    assert alias in lib


def test_unknown_material_error(lib):
    with pytest.raises(MaterialError) as exc:
        lib.get("NMC81")
    msg = str(exc.value)
    assert "unknown material 'NMC81'" in msg and "did you mean 'NMC811'" in msg
    assert all(n in msg for n in REQUIRED)
    assert isinstance(exc.value, KeyError)


def test_missing_property_error(lib):
    with pytest.raises(MaterialError) as exc:
        _ = lib.get("SeS2").density
    msg = str(exc.value)
    assert "'SeS2'" in msg and "'density'" in msg and "sigma_ionic" in msg and "volume_change" in msg
    with pytest.raises(MaterialError, match="'CNT' has no value for 'youngs_modulus'"):
        _ = lib.get("CNT").youngs_modulus
    with pytest.raises(MaterialError, match="lattice_strain"):
        lib.get("Li6PS5Cl").lattice_strain(0.5)
    with pytest.raises(MaterialError, match="unknown property 'shear'"):
        lib.get("Li6PS5Cl").property("shear")


def test_override_returns_new_library(lib):
    lib2 = lib.override("LPSCl", sigma_ionic_mS_cm=3.0, youngs_modulus=22e9)
    m2 = lib2.get("Li6PS5Cl")
    assert m2.sigma("ionic") == pytest.approx(0.3)
    assert m2.youngs_modulus == pytest.approx(22e9)
    assert m2.value("sigma_ionic").status == "user"
    assert m2.density == pytest.approx(1860.0)  # untouched values kept
    assert lib.get("Li6PS5Cl").sigma("ionic") == pytest.approx(0.13)  # original unchanged
    lib3 = lib.override("SeS2", density_g_cm3=3.0)
    assert lib3.get("SeS2").density == pytest.approx(3000.0)


@pytest.mark.parametrize("props, match", [
    ({"sigma_ionic": math.nan}, "finite"), ({"sigma_ionic_S_cm": -1.0}, "must be >= 0"),
    ({"poisson_ratio": 0.7}, "Poisson"), ({"sigma_ion": 1.0}, "unknown property 'sigma_ion'"),
    ({"density_g_cm3": "heavy"}, "expected a number"),
])
def test_override_bad_values(lib, props, match):
    with pytest.raises(InputError, match=match):
        lib.override("Li6PS5Cl", **props)


def test_user_file_merges_and_extends(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text("""
[lpscl]
sigma_ionic_mS_cm = 2.8

[Li7P3S11]
kind = "electrolyte"
aliases = ["LPS-glass-ceramic"]
[Li7P3S11.sigma_ionic_S_cm]
value = 1.7e-2
source = "Seino et al., EES 7 (2014) 627"
status = "verified"
""")
    lib = load_library(f)
    assert lib.get("Li6PS5Cl").sigma("ionic") == pytest.approx(0.28)
    assert lib.get("Li6PS5Cl").value("sigma_ionic").source == f"user file {f}"
    assert lib.get("Li6PS5Cl").density == pytest.approx(1860.0)
    assert lib.get("lps-glass-ceramic").sigma("ionic") == pytest.approx(1.7)
    assert lib.get("Li7P3S11").value("sigma_ionic").status == "verified"
    assert "NMC811" in lib
    with pytest.raises(InputError, match="'lpscl': a new material needs a kind"):
        load_library(f, extend=False)  # alone, 'lpscl' patches nothing
    g = tmp_path / "alone.toml"
    g.write_text("[Li7P3S11]" + f.read_text().split("[Li7P3S11]", 1)[1])
    alone = load_library(g, extend=False)
    assert alone.names == ("Li7P3S11",)


@pytest.mark.parametrize("body, err, match", [
    ("[Li6PS5Cl]\nsigma_ionic_S_cm = nan\n", InputError, "finite"),
    ("[Li6PS5Cl]\nsigma_ionic_S_cm = -0.001\n", InputError, "must be >= 0"),
    ("[Li6PS5Cl.sigma_electronic_S_cm]\nvalue = 1e-9\nunit = \"mS/cm\"\n", InputError, "contradicts"),
    ("[newmat]\nsigma_ionic_S_cm = 1e-3\n", InputError, "needs a kind"),
    ("[Li6PS5Cl]\nsigma_ionic_S_cm = \n", FileFormatError, "not valid TOML"),
])
def test_user_file_errors(tmp_path, body, err, match):
    f = tmp_path / "bad.toml"
    f.write_text(body)
    with pytest.raises(err, match=match):
        load_library(f)


def test_missing_user_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such materials file"):
        load_library(tmp_path / "nope.toml")


def test_default_library_cached_and_phase_spec_kinds(lib):
    from microcath.io import parse_phase_spec

    assert default_library() is lib
    _, table = parse_phase_spec({0: "pore", 1: "NMC811", 2: "LPSCl", 3: "binder"})
    assert [(p.name, p.kind.value) for p in table.values()] == [
        ("pore", "pore"), ("NMC811", "active"), ("Li6PS5Cl", "electrolyte"), ("binder", "binder")]


def test_to_dict_is_json_ready(lib):
    import json

    d = json.loads(json.dumps(lib.get("NMC811").to_dict()))
    assert d["properties"]["sigma_electronic"]["file_unit"] == "S/cm"
    assert np.allclose(d["lattice_strain"]["eps_c"], [0.0, 0.019, -0.012])


def test_get_with_default(lib):
    assert lib.get("unobtainium", None) is None
    assert lib.get("lgps", None).name == "Li10GeP2S12"
