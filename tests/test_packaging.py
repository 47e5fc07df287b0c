"""The wheel must ship every subpackage: pyproject lists them explicitly
(because of the package-dir mapping of ``geometries`` and ``gpu_kernels``),
so a new subpackage that is not listed would be silently left out."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _packages_on_disk():
    roots = {"microcath": ROOT / "src" / "microcath",
             "microcath.geometries": ROOT / "geometries",
             "microcath.gpu_kernels": ROOT / "gpu_kernels"}
    found = set()
    for name, root in roots.items():
        for init in root.rglob("__init__.py"):
            rel = init.parent.relative_to(root).parts
            if name == "microcath" and rel and rel[0] in ("geometries", "gpu_kernels"):
                continue
            found.add(".".join((name, *rel)))
    return found


def test_every_subpackage_is_listed_in_pyproject():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(cfg["tool"]["setuptools"]["packages"])
    missing = _packages_on_disk() - listed
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"


@pytest.mark.parametrize("mod", ["microcath", "microcath.geometries", "microcath.gpu_kernels"])
def test_mapped_packages_import(mod):
    __import__(mod)
