"""Generators of composite-cathode microstructures (``microcath.geometries``).

Randomness is drawn with NumPy's ``Generator`` from the caller's ``rng`` and
rasterised deterministically, so a seed gives the same structure on any
machine and thread count.
"""

__all__: list[str] = []
