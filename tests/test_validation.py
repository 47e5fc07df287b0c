"""One way in: the same checks refuse bad input in the API and on the command line."""

import math

import numpy as np
import pytest

from microcath import InputError, Microstructure, Phase, validation
from microcath.cli.main import main
from microcath.transport import conductivity_of_labels


@pytest.mark.parametrize("sigma", [1e-39, 1e-31, 1e31])
def test_conductivity_outside_the_representable_range_is_refused_not_zero(ti_cpu, sigma):
    lab = np.zeros((6, 4, 4), np.uint8)
    with pytest.raises(InputError, match="outside"):
        conductivity_of_labels(lab, {0: sigma})


def test_extreme_but_representable_conductivities_scale_the_answer(ti_cpu):
    lab = np.zeros((6, 4, 4), np.uint8)
    lab[:, :2] = 1
    for lo in (1e-30, 2.5e29):
        r = conductivity_of_labels(lab, {0: 4 * lo, 1: lo})
        assert r.converged and r.sigma_eff == pytest.approx(lo * (4 + 1) / 2, rel=1e-5)


def test_cli_refuses_the_same_conductivity(tmp_path, capsys):
    path = tmp_path / "a.npy"
    np.save(path, np.zeros((6, 4, 4), np.uint8))
    assert main(["conductivity", str(path), "--sigma", "0=1e-39"]) == 2
    assert "outside" in capsys.readouterr().err


def test_voxel_size_one_rule_everywhere(tmp_path, capsys):
    for bad in (0.0, -1e-6, math.nan, 0.02):
        with pytest.raises(InputError, match="voxel_size"):
            Microstructure(np.zeros((2, 2, 2), np.uint8), bad, {0: Phase("SE", "electrolyte")})
        with pytest.raises(InputError, match="voxel_size"):
            conductivity_of_labels(np.zeros((2, 2, 2), np.uint8), {0: 1.0}, voxel_size=bad)
    assert validation.voxel_size_um(0.2) == pytest.approx(2e-7)
    with pytest.raises(InputError, match="--voxel-size-um"):
        validation.voxel_size_um(-1)
    # an interface resistance needs an explicit voxel size (the one default cannot change the answer)
    lab = np.zeros((4, 2, 2), np.uint8)
    lab[2:] = 1
    with pytest.raises(InputError, match="voxel_size"):
        conductivity_of_labels(lab, {0: 1.0, 1: 1.0}, interface_resistance={(0, 1): 1e-4})
    path = tmp_path / "lam.npy"
    np.save(path, lab)
    assert main(["conductivity", str(path), "--sigma", "0=1", "--sigma", "1=1",
                 "--interface-resistance", "0:1=1"]) == 2
    assert "--voxel-size-um" in capsys.readouterr().err


def test_moduli_and_poisson_ratio():
    assert validation.youngs_modulus(20e9) == 20e9
    assert validation.youngs_modulus(0.0, allow_zero=True) == 0.0
    for bad in (0.0, -1.0, math.inf):
        with pytest.raises(InputError, match="youngs_modulus"):
            validation.youngs_modulus(bad)
    assert validation.poisson_ratio(0.3) == 0.3
    for bad in (-1.0, 0.5, 0.7, math.nan):
        with pytest.raises(InputError, match="poisson_ratio"):
            validation.poisson_ratio(bad)


def test_labels():
    assert validation.labels(np.zeros((2, 2, 2), np.int64)).dtype == np.uint8
    with pytest.raises(InputError, match="0..255"):
        validation.labels(np.full((2, 2, 2), 300))
    with pytest.raises(InputError, match="3-D"):
        validation.labels(np.zeros((2, 2), np.uint8))
