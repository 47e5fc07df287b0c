"""Data shipped with microcath: the materials library and a small example structure."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["example_path", "materials_path"]


def _path(name: str) -> Path:
    ref = resources.files(__name__).joinpath(name)
    # an installed wheel unpacks into site-packages, so the resource is a real file
    return Path(str(ref))


def example_path() -> Path:
    """Path of ``example.mcath``: a 48^3 NMC811 / Li6PS5Cl / carbon black / pore structure
    (0.25 µm voxels) made by ``scripts/make_example_structure.py``."""
    path = _path("example.mcath")
    if not path.is_file():  # pragma: no cover - broken installation
        raise FileNotFoundError(f"the example structure is missing from the installation ({path})")
    return path


def materials_path() -> Path:
    """Path of the shipped materials library ``materials.toml``."""
    return _path("materials.toml")
