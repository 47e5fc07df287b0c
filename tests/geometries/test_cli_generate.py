"""`microcath generate` on every shipped recipe at a small size, --list, bad input."""

import pytest
from microcath.geometries import list_recipes

from microcath import io
from microcath.cli.main import main


@pytest.mark.parametrize("name", sorted(list_recipes()))
def test_generate_every_recipe(name, tmp_path, capsys, small_voxel_um):
    out = tmp_path / f"{name}.mcath"
    rc = main(["generate", name, "-o", str(out), "--seed", "1", "--shape", "48", "48", "48",
               "--voxel-size-um", str(small_voxel_um(name))])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "vol. fraction" in text and "achieved" in text
    ms = io.load(out)
    assert ms.shape == (48, 48, 48)
    assert ms.provenance["recipe"] == name
    assert ms.particles is not None and ms.particles.max() > 0


def test_list(capsys):
    assert main(["generate", "--list"]) == 0
    out = capsys.readouterr().out
    assert "nmc811_lpscl_c65" in out and "default" in out


def test_set_and_errors(tmp_path, capsys):
    out = tmp_path / "a.mcath"
    rc = main(["generate", "default", "-o", str(out), "--shape", "48", "48", "48", "--voxel-size-um", "0.6",
               "--set", "porosity=0.1", "--set", "carbon_attach=1.0"])
    assert rc == 0
    assert io.load(out).volume_fractions()["pore"] == pytest.approx(0.1, abs=0.01)
    assert main(["generate", "default", "-o", str(out), "--set", "nonsense"]) == 2
    assert main(["generate", "default", "-o", str(out), "--set", "active.fraction=2"]) == 2
    assert main(["generate", "no_such", "-o", str(out)]) == 2
    assert "error:" in capsys.readouterr().err


def test_existing_output_is_refused_before_generating(tmp_path, capsys):
    out = tmp_path / "exists.mcath"
    out.write_bytes(b"keep me")
    assert main(["generate", "default", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--overwrite" in err and "exists" in err
    assert out.read_bytes() == b"keep me"
