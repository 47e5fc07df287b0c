"""Mid-plane slice images of two generated recipes for the README (matplotlib only).

Run:  python scripts/make_geometry_images.py [--out docs/images]
Writes geometry_<recipe>.png: phases (left) and active-particle grains (right).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from microcath.geometries import generate  # noqa: E402

COLOURS = {"active": "#c0392b", "electrolyte": "#f4d03f", "carbon": "#1c1c1c", "pore": "#ffffff",
           "coating": "#2e86c1"}


def slice_png(name: str, out: Path, shape=(128, 128, 128), seed: int = 1) -> Path:
    ms = generate(name, shape=shape, seed=seed, progress=False)
    z = ms.shape[2] // 2
    lab = ms.labels[:, :, z]
    labels = sorted(ms.phases)
    colours = []
    for k in labels:
        ph = ms.phases[k]
        c = COLOURS.get(ph.kind.value, "#888888")
        if ph.kind.value == "electrolyte" and ph.name.endswith("_shell"):
            c = "#27ae60"
        colours.append(c)
    lut = np.zeros(256, int)
    lut[labels] = np.arange(len(labels))
    fig, axes = plt.subplots(1, 2, figsize=(10, 5.2), constrained_layout=True)
    ext = [0, ms.shape[1] * ms.voxel_size * 1e6, ms.shape[0] * ms.voxel_size * 1e6, 0]
    axes[0].imshow(lut[lab], cmap=ListedColormap(colours), vmin=-0.5, vmax=len(labels) - 0.5,
                   extent=ext, interpolation="nearest")
    axes[0].set_title("phases")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours]
    axes[0].legend(handles, [ms.phases[k].name for k in labels], loc="lower left", fontsize=7,
                   framealpha=0.9)
    g = ms.grains[:, :, z] if ms.grains is not None else ms.particles[:, :, z]
    rng = np.random.default_rng(0)
    cm = ListedColormap(np.vstack([[1, 1, 1, 1], rng.uniform(0.2, 0.95, (int(g.max()) + 1, 4))]))
    axes[1].imshow(np.where(g > 0, g + 1, 0), cmap=cm, extent=ext, interpolation="nearest")
    axes[1].set_title("grains" if ms.grains is not None else "particles")
    for ax in axes:
        ax.set_xlabel("y [µm]")
        ax.set_ylabel("x [µm] (separator at top)")
    fig.suptitle(f"{name}: {ms.provenance['parameters']['title']}", fontsize=9)
    path = out / f"geometry_{name}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="docs/images")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("nmc811_lpscl_c65", "lco_lno_lgps"):
        print(slice_png(name, out))


if __name__ == "__main__":
    main()
