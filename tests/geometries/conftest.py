"""Shared helpers for the generator tests."""

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import pytest
from microcath.geometries.recipes import recipe_path


def _small_voxel_um(name: str, factor: float = 2.0) -> float:
    """The recipe's voxel size scaled so that a 48^3 box holds its particles."""
    data = tomllib.loads(recipe_path(name).read_text(encoding="utf-8"))
    return float(data["voxel_size_um"]) * factor


@pytest.fixture
def small_voxel_um():
    return _small_voxel_um
