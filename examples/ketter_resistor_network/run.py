"""Reproduce the documented test cases of Ketter et al.'s resistor-network code.

Ketter, Greb, Bernges, Zeier, Nat. Commun. (2025), doi 10.1038/s41467-025-56514-5
(DOSSIER B4). Their code's README documents three test cases:

1. series 50/50 of 0.71 and 0.32 W/(m K) -> 0.4412 (the harmonic mean);
2. parallel 50/50 -> 0.5150 (the arithmetic mean);
3. 60^3 voxels, 80 % of a phase at 5.22 mS/cm and 20 % insulating clusters of
   4 voxels each ("blobs3D") -> 3.02 +- 0.01 mS/cm over random realisations.

Case 3 is statistical: the structures come from
``microcath.geometries.clusters.random_walk_clusters``, written from their
generator's description (not their code), and the conductivity from
microcath's conduction solver with the same boundary conditions as theirs
(fixed potential on the two faces normal to x, the plates half a voxel from the
first voxel centres; no flux through the four sides). The script also draws
the conductivity of the same kind of structure against the insulating fraction
beside the Hashin-Shtrikman upper bound.

Runtime on 2 CPU cores: about 30 s with the defaults.

Usage::

    python examples/ketter_resistor_network/run.py [--realisations 10] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from microcath.geometries.clusters import random_walk_clusters

from microcath.analysis.bounds import hashin_shtrikman_bounds
from microcath.transport import conductivity_of_labels

PUBLISHED = {"series": 0.4412, "parallel": 0.5150, "clusters_mS_cm": 3.02, "clusters_spread_mS_cm": 0.01}
SIGMA_MS_CM = 5.22


def laminates() -> dict[str, float]:
    """Cases 1 and 2: a 20^3 block, half 0.71 and half 0.32, in series and in parallel."""
    lab = np.zeros((20, 20, 20), dtype=np.uint8)
    lab[10:] = 1
    sig = {0: 0.71, 1: 0.32}
    series = conductivity_of_labels(lab, sig, axis="x").sigma_eff
    parallel = conductivity_of_labels(lab, sig, axis="y").sigma_eff
    return {"series": series, "parallel": parallel}


def cluster_case(seed: int, fraction: float = 0.2, size: int = 60, cluster: int = 4) -> float:
    """Case 3 for one realisation: sigma_eff along x [mS/cm]."""
    blobs = random_walk_clusters((size,) * 3, fraction, cluster, rng=seed)
    res = conductivity_of_labels(blobs.astype(np.uint8), {0: SIGMA_MS_CM * 0.1, 1: 0.0}, axis="x")
    if not res.converged:
        raise RuntimeError(f"seed {seed}: the solve did not converge")
    return res.sigma_eff * 10.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--realisations", type=int, default=10)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = ap.parse_args()

    lam = laminates()
    vals = np.array([cluster_case(seed) for seed in range(args.realisations)])
    fr = np.round(np.arange(0.0, 0.61, 0.05), 2)
    curve = [[cluster_case(100 + 10 * i + k, fraction=f) for k in range(3)] for i, f in enumerate(fr)]
    hs = [hashin_shtrikman_bounds([1 - f, f], [SIGMA_MS_CM, 0.0])[1] for f in fr]

    summary = {
        "series": {"microcath": lam["series"], "published": PUBLISHED["series"]},
        "parallel": {"microcath": lam["parallel"], "published": PUBLISHED["parallel"]},
        "clusters_60": {
            "microcath_mean_mS_cm": float(vals.mean()), "microcath_std_mS_cm": float(vals.std(ddof=1)),
            "realisations": int(vals.size), "values_mS_cm": vals.tolist(),
            "published_mS_cm": PUBLISHED["clusters_mS_cm"],
            "published_spread_mS_cm": PUBLISHED["clusters_spread_mS_cm"],
        },
        "curve": {"insulating_fraction": fr.tolist(), "sigma_mS_cm": curve, "hs_upper_mS_cm": hs},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(summary, indent=2) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.axvspan(3.01, 3.03, color="tab:orange", alpha=0.3, label="Ketter et al. 3.02 ± 0.01")
    a1.hist(vals, bins=8, color="tab:blue", label=f"microcath, {vals.size} realisations")
    a1.set_xlim(2.99, 3.05)
    a1.xaxis.set_major_locator(plt.MaxNLocator(5))
    a1.set_xlabel("σ_eff (mS/cm)")
    a1.set_ylabel("realisations")
    a1.set_title("60³, 20 % insulating 4-voxel clusters")
    a1.legend(fontsize=8)
    c = np.array(curve)
    a2.errorbar(fr, c.mean(1), yerr=c.std(1, ddof=1), fmt="o", label="microcath (3 seeds, mean ± sd)")
    a2.plot(fr, hs, "k--", label="Hashin-Shtrikman upper bound")
    a2.plot([0.2], [PUBLISHED["clusters_mS_cm"]], "s", color="tab:orange", label="Ketter et al. test case")
    a2.set_xlabel("insulating cluster fraction")
    a2.set_ylabel("σ_eff (mS/cm)")
    a2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out / "ketter_clusters.png", dpi=120)
    print(f"series   {lam['series']:.4f} (published {PUBLISHED['series']})")
    print(f"parallel {lam['parallel']:.4f} (published {PUBLISHED['parallel']})")
    print(f"clusters {vals.mean():.3f} +- {vals.std(ddof=1):.3f} mS/cm over {vals.size} realisations "
          f"(published 3.02 +- 0.01)")


if __name__ == "__main__":
    main()
