"""Small synthetic structures for the visualisation tests (no generator needed)."""

import numpy as np

from microcath import Microstructure, Phase


def make_composite(n: int = 20, seed: int = 0, *, pores: bool = True) -> Microstructure:
    """Spheres of NMC811 (with particle ids) in Li6PS5Cl with carbon and pore voxels."""
    rng = np.random.default_rng(seed)
    lab = np.ones((n, n, n), np.uint8)  # electrolyte
    part = np.zeros((n, n, n), np.int32)
    grid = np.stack(np.indices((n, n, n)), axis=-1).astype(float)
    pid = 0
    for _ in range(8):
        c = rng.uniform(0, n, 3)
        r = rng.uniform(n / 8, n / 5)
        m = (((grid - c) ** 2).sum(-1) < r * r) & (part == 0)
        if m.any():
            pid += 1
            part[m] = pid
            lab[m] = 2
    free = lab == 1
    lab[free & (rng.random(lab.shape) < 0.08)] = 3
    if pores:
        lab[(lab == 1) & (rng.random(lab.shape) < 0.06)] = 0
    phases = {0: Phase("pore", "pore"), 1: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"),
              2: Phase("NMC811", "active", "NMC811"), 3: Phase("carbon", "carbon", "carbon")}
    return Microstructure(lab, 0.5e-6, phases, particles=part, provenance={"recipe": "test-synthetic"})


def colour_share(img: np.ndarray, rgb, tol: int = 3) -> float:
    """Fraction of pixels within ``tol`` (per channel) of ``rgb``."""
    d = np.abs(img[..., :3].astype(int) - np.asarray(rgb, int)[None, None, :]).max(axis=-1)
    return float(np.count_nonzero(d <= tol)) / d.size


def read_png(path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))
