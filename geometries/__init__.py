"""Generators of composite-cathode microstructures (``microcath.geometries``).

Randomness is drawn with NumPy's ``Generator`` from the caller's ``rng`` and
rasterised deterministically, so a seed gives the same structure on any
machine and thread count.

>>> from microcath.geometries import GenerationReport, generate
>>> ms = generate("default", shape=(48, 48, 48), voxel_size=0.6e-6, seed=1, progress=False)
>>> type(ms).__name__, ms.provenance["recipe"]
('Microstructure', 'nmc811_lpscl_c65')
>>> rep = GenerationReport.from_provenance(ms)    # targets vs achieved, also after save/load
"""

from .composite import TOLERANCE, Generated, GenerationReport, check_recipe, generate
from .distributions import LogNormal, Monodisperse, SizeDistribution, TableDistribution, draw_to_volume
from .grains import random_quaternions, tessellate_grains
from .packing import Packing, PackingError, pack, random_sequential_addition
from .rasterize import equivalent_radii, paint_capsules, paint_spheres, rasterize_particles
from .recipes import DEFAULT_RECIPE, Recipe, list_recipes, load_recipe

__all__ = [
    "DEFAULT_RECIPE",
    "Generated",
    "GenerationReport",
    "LogNormal",
    "Monodisperse",
    "Packing",
    "PackingError",
    "Recipe",
    "SizeDistribution",
    "TOLERANCE",
    "TableDistribution",
    "check_recipe",
    "draw_to_volume",
    "equivalent_radii",
    "generate",
    "list_recipes",
    "load_recipe",
    "pack",
    "paint_capsules",
    "paint_spheres",
    "random_quaternions",
    "random_sequential_addition",
    "rasterize_particles",
    "tessellate_grains",
]
