"""Make the example structure shipped with microcath (``src/microcath/data/example.mcath``).

A small demonstration composite, 48^3 voxels of 0.25 µm (12 µm cube):
NMC811 spheres (radius 1.25-2.25 µm) placed by random sequential addition
without overlap, carbon black as small spheres and pores as small voids in
the space between them, the rest Li6PS5Cl. It is a demo file, not a
realistic packing (RSA stalls near 35 vol % active; real composites reach
50-75 %); the generators of ``microcath.geometries`` make real ones.

Deterministic: NumPy's ``default_rng(SEED)`` only, so the same script gives
the same file on any machine. The provenance in the file records the script,
the seed and the parameters.

Run from the repository root::

    python scripts/make_example_structure.py [OUTPUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from microcath import Microstructure, Phase, io

SEED = 20261125
PARAMS = {
    "shape": [48, 48, 48],
    "voxel_size_um": 0.25,
    "nmc_radius_vox": [5.0, 9.0],
    "nmc_target_fraction": 0.40,
    "carbon_radius_vox": 1.5,
    "carbon_target_fraction": 0.03,
    "pore_radius_vox": [1.0, 2.0],
    "pore_target_fraction": 0.05,
}
PORE, NMC, LPSCL, CARBON = 0, 1, 2, 3


def _ball(shape, centre, radius):
    """Index slices of the bounding box and the boolean ball inside it (clipped at the faces)."""
    lo = [max(0, int(np.floor(c - radius))) for c in centre]
    hi = [min(s, int(np.ceil(c + radius)) + 1) for c, s in zip(centre, shape, strict=True)]
    grids = np.ogrid[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    d2 = sum((g - c) ** 2 for g, c in zip(grids, centre, strict=True))
    return tuple(slice(a, b) for a, b in zip(lo, hi, strict=True)), d2 <= radius**2


def make(rng: np.random.Generator) -> Microstructure:
    shape = tuple(PARAMS["shape"])
    n = int(np.prod(shape))
    labels = np.full(shape, LPSCL, dtype=np.uint8)
    particles = np.zeros(shape, dtype=np.int32)
    centres: list[tuple[np.ndarray, float]] = []
    rmin, rmax = PARAMS["nmc_radius_vox"]
    n_nmc = 0
    for _ in range(20000):
        if n_nmc >= PARAMS["nmc_target_fraction"] * n:
            break
        r = rng.uniform(rmin, rmax)
        c = rng.uniform(0, shape[0], size=3)
        if any(np.linalg.norm(c - c2) < r + r2 + 1.0 for c2, r2 in centres):
            continue
        centres.append((c, r))
        sl, ball = _ball(shape, c, r)
        labels[sl][ball] = NMC
        particles[sl][ball] = len(centres)
        n_nmc = int(np.count_nonzero(labels == NMC))
    for phase, radius_range, target in ((CARBON, (PARAMS["carbon_radius_vox"],) * 2,
                                         PARAMS["carbon_target_fraction"]),
                                        (PORE, PARAMS["pore_radius_vox"], PARAMS["pore_target_fraction"])):
        for _ in range(20000):
            if np.count_nonzero(labels == phase) >= target * n:
                break
            r = rng.uniform(*radius_range)
            c = rng.uniform(0, shape[0], size=3)
            sl, ball = _ball(shape, c, r)
            region = labels[sl]
            if np.any(region[ball] != LPSCL):  # only into free electrolyte space
                continue
            region[ball] = phase
    phases = {PORE: Phase("pore", "pore", "pore"), NMC: Phase("NMC811", "active", "NMC811"),
              LPSCL: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"),
              CARBON: Phase("carbon_black", "carbon", "carbon_black")}
    provenance = {"recipe": "example (random non-overlapping spheres)",
                  "script": "scripts/make_example_structure.py", "seed": SEED, "parameters": PARAMS}
    return Microstructure(labels, PARAMS["voxel_size_um"] * 1e-6, phases, particles=particles,
                          provenance=provenance)


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "src/microcath/data/example.mcath"
    ms = make(np.random.default_rng(SEED))
    io.save(ms, out)
    fr = ", ".join(f"{k} {v:.3f}" for k, v in ms.volume_fractions().items())
    print(f"wrote {out}: {ms.shape}, {int(ms.particles.max())} NMC particles, fractions {fr}")


if __name__ == "__main__":
    main(sys.argv[1:])
