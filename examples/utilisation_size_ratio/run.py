"""Active-material utilisation against loading for three particle size ratios (after Shi et al. 2020).

Shi, Tu, Tian, Xiao, Miara, Kononova, Ceder, Adv. Energy Mater. 10 (2020)
1902881 (DOSSIER B6): in random packings of cathode active material (CAM) and
solid-electrolyte (SE) particles, the utilisation at high CAM loading depends on
the size ratio r_CAM / r_SE; more than 50 vol% CAM with high utilisation needs
small SE particles with large CAM, and ionic percolation is the limiting factor.
Their curve points were not found, so the published statement is what is
compared.

Structures: NMC811 spheres (log-normal, d50 4 µm, s = 0.2, truncated at 6 µm)
packed to 40-70 vol% of the solids with Li6PS5Cl particles (d50 4, 1.6 and 0.8 µm, i.e.
r_CAM / r_SE = 1, 2.5 and 5) placed at random in the space left up to 15 vol%
of pores, no carbon (with no pores the SE fills every gap, becomes a matrix and
the size ratio no longer matters);
64^3 voxels of 0.25 µm (16 µm box), two seeds per point. Utilisation is the
fraction of the active volume in particles that touch the SE network joined to
the separator (``analysis.ionic_connected_fraction``; microcath's "utilisable"
fraction also asks for an electronic path, which without carbon is another
question). 70 vol% of the solids is 60 vol% of the box, about the densest
random packing of these rigid spheres that the generator reaches (pellets reach
more by deforming the SE).

Runtime on 2 CPU cores: about 8 minutes.

Usage::

    python examples/utilisation_size_ratio/run.py [--size 64] [--seeds 2] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from microcath.geometries import generate

from microcath.analysis import analyze

RATIOS = (1.0, 2.5, 5.0)
FRACTIONS = (0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70)
D_CAM_UM = 4.0
POROSITY = 0.15  # of the box; the CAM loading is a fraction of the solids (CAM + SE)


def case(phi: float, ratio: float, size: int, seed: int) -> dict:
    ov = {
        "basis": "volume", "porosity": POROSITY, "boundary": "periodic",
        "active.material": "NMC811", "active.fraction": phi, "active.grains": {"mode": "none"},
        "active.size": {"distribution": "lognormal", "d50_um": D_CAM_UM, "spread": 0.2, "d_max_um": 6.0},
        "electrolyte.material": "Li6PS5Cl", "electrolyte.fraction": 1.0 - phi,
        "electrolyte.size": {"distribution": "lognormal", "d50_um": D_CAM_UM / ratio, "spread": 0.2},
    }
    ms = generate("lco_li3incl6", shape=(size,) * 3, voxel_size=0.25e-6, seed=seed, progress=False,
                  overrides=ov)
    a = analyze(ms)
    fr = ms.volume_fractions()
    return {"phi": phi, "ratio": ratio, "seed": seed,
            "phi_reached": float(fr["NMC811"] / (fr["NMC811"] + fr["Li6PS5Cl"])),
            "ionic_connected_fraction": float(a.ionic_connected_fraction),
            "contact_fraction": float(a.contact_fraction)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent)
    ap.add_argument("--plot-only", action="store_true", help="redraw the figure from DIR/results.json")
    args = ap.parse_args()
    path = args.out / "results.json"
    if not args.plot_only:
        rows = []
        for ratio in RATIOS:
            for phi in FRACTIONS:
                for s in range(args.seeds):
                    r = case(phi, ratio, args.size, 1 + s)
                    rows.append(r)
                    print(f"r_CAM/r_SE {ratio:3.1f}  CAM {100 * r['phi_reached']:4.1f} vol%  seed {s}: "
                          f"ionically connected {100 * r['ionic_connected_fraction']:5.1f} %", flush=True)
        args.out.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"size": args.size, "voxel_size_um": 0.25, "rows": rows}, indent=2) + "\n")
    plot(json.loads(path.read_text()), args.out / "utilisation_size_ratio.png")


def plot(data: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = data["rows"]
    fig, ax = plt.subplots(figsize=(6, 4.3))
    for ratio, col in zip(RATIOS, ("tab:red", "tab:orange", "tab:green"), strict=True):
        x, m, e = [], [], []
        for phi in FRACTIONS:
            v = [r for r in rows if r["ratio"] == ratio and r["phi"] == phi]
            if not v:
                continue
            x.append(100 * np.mean([r["phi_reached"] for r in v]))
            u = [100 * r["ionic_connected_fraction"] for r in v]
            m.append(np.mean(u))
            e.append(np.std(u, ddof=1) if len(u) > 1 else 0.0)
        ax.errorbar(x, m, yerr=e, fmt="o-", color=col, capsize=3, label=f"r_CAM / r_SE = {ratio:g}")
    ax.set_xlabel("CAM loading (vol% of the solids)")
    ax.set_ylabel("CAM ionically connected (% of CAM volume)")
    ax.set_title(f"NMC811 + Li6PS5Cl particles, {data['size']}³ voxels of {data['voxel_size_um']} µm")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


if __name__ == "__main__":
    main()
