"""Electronic percolation of carbon in a Li6PS5Cl matrix: carbon black vs VGCF.

Two-phase composites of Li6PS5Cl with conductive carbon, as pressed to measure
the electronic percolation of the carbon: sigma_e,eff against carbon content for
C65 carbon black (agglomerates) and for VGCF fibres. The literature point:
for Li6PS5Cl/C65 the electronic percolation threshold is about 4 wt% C65
(Batteries 9 (2023) 595, abstract; DOSSIER A2 / materials library).

Structures: a Li6PS5Cl matrix (no pores) into which carbon is placed with
microcath's carbon generator (``geometries.carbon.place_carbon``, the one the
recipes use): agglomerates as spheres with a log-normal diameter (d50 0.6 µm,
s = 0.25, the default recipe's C65), fibres as capsules 0.3 µm thick and 6 µm
long, isotropic (VGCF-H is 0.15 µm x 6 µm; a fibre one voxel thick is not
face-connected where it runs obliquely, so fibres are drawn two voxels thick).
Weight fractions are converted with the library's densities
(Li6PS5Cl 1.86, carbon black 1.9, VGCF 2.0 g/cm3). Conductivities from the
materials library (carbon black 3 S/cm, VGCF 1e3 S/cm, Li6PS5Cl 3e-9 S/cm).
Box 64^3 voxels of 0.15 µm (9.6 µm); three seeds per point.

The percolation threshold of the voxel model is read as the content where the
carbon first spans the box in at least half of the seeds.

Runtime on 2 CPU cores: about 4 minutes with the defaults.

Usage::

    python examples/carbon_percolation/run.py [--size 64] [--seeds 3] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from microcath.geometries.carbon import place_carbon
from microcath.geometries.distributions import LogNormal, Monodisperse

from microcath import transport
from microcath.analysis.percolation import spanning_mask
from microcath.materials import default_library
from microcath.microstructure import Microstructure
from microcath.phases import Phase, PhaseTable

VOXEL = 0.15e-6
PUBLISHED_THRESHOLD_WT = 4.0  # wt% C65 in Li6PS5Cl, Batteries 9 (2023) 595
WT_PERCENT = {
    "carbon_black": [2, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40],
    "VGCF": [1, 2, 3, 4, 6, 8, 10, 12, 15],
}


def volume_fraction(wt: float, carbon: str, lib) -> float:
    rc = lib.get(carbon).property("density")
    rs = lib.get("Li6PS5Cl").property("density")
    w = wt / 100.0
    return (w / rc) / (w / rc + (1 - w) / rs)


def structure(carbon: str, phi: float, n: int, seed: int) -> Microstructure:
    rng = np.random.default_rng(seed)
    shape = (n, n, n)
    free = np.ones(shape, dtype=bool)
    n_c = int(round(phi * free.size))
    if carbon == "carbon_black":
        kw = dict(form="agglomerates", size=LogNormal(0.6e-6, 0.25).scaled(1.0 / VOXEL))
    else:
        kw = dict(form="fibres", diameter=0.3e-6 / VOXEL, length=Monodisperse(6e-6).scaled(1.0 / VOXEL),
                  orientation="isotropic")
    idx = place_carbon(free, n_c, rng=rng, **kw)
    labels = np.zeros(shape, dtype=np.uint8)
    labels.ravel()[idx] = 1
    phases = PhaseTable({0: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"), 1: Phase(carbon, "carbon", carbon)})
    return Microstructure(labels, VOXEL, phases)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent)
    ap.add_argument("--plot-only", action="store_true", help="redraw the figure from DIR/results.json")
    args = ap.parse_args()
    if args.plot_only:
        plot(json.loads((args.out / "results.json").read_text()), args.out / "carbon_percolation.png")
        return
    lib = default_library()
    out: dict[str, dict] = {}
    for carbon, wts in WT_PERCENT.items():
        rows = []
        for wt in wts:
            phi = volume_fraction(wt, carbon, lib)
            sig, span, reached = [], [], []
            for s in range(args.seeds):
                ms = structure(carbon, phi, args.size, 1000 * s + int(10 * wt))
                r = transport.conductivity(ms, carrier="electronic", axis="x")
                if not r.converged:
                    raise RuntimeError(f"{carbon} {wt} wt% seed {s}: the solve did not converge")
                sig.append(r.sigma_eff * 10.0)  # S/m -> mS/cm
                c = ms.labels == 1
                span.append(bool(spanning_mask(c, axis=0).any()))
                reached.append(float(c.mean()))
            rows.append({"wt_percent": wt, "vol_fraction_target": phi,
                         "vol_fraction": float(np.mean(reached)), "sigma_mS_cm": sig, "spanning": span})
            print(f"{carbon:13s} {wt:5.1f} wt% ({phi * 100:5.2f} vol%): sigma_e,eff "
                  f"{np.mean(sig):.3e} mS/cm, spanning in {sum(span)}/{len(span)} seeds", flush=True)
        thr = next((r["wt_percent"] for r in rows if sum(r["spanning"]) * 2 >= len(r["spanning"])), None)
        out[carbon] = {"rows": rows, "threshold_wt_percent": thr,
                       "sigma_carbon_mS_cm": lib.get(carbon).property("sigma_electronic") * 10.0}
        print(f"{carbon}: voxel-model threshold {thr} wt% (published for C65 in Li6PS5Cl: "
              f"{PUBLISHED_THRESHOLD_WT} wt%)")
    out["settings"] = {"size": args.size, "voxel_size_um": VOXEL * 1e6, "seeds": args.seeds,
                       "published_threshold_wt_percent_C65": PUBLISHED_THRESHOLD_WT}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(out, indent=2) + "\n")
    plot(out, args.out / "carbon_percolation.png")


def plot(out: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for carbon, col, lab in (("carbon_black", "tab:blue", "C65 agglomerates (d50 0.6 µm)"),
                             ("VGCF", "tab:red", "VGCF fibres (0.3 x 6 µm)")):
        rows = out[carbon]["rows"]
        x = [r["wt_percent"] for r in rows]
        s = np.array([r["sigma_mS_cm"] for r in rows])
        lo = np.maximum(s.min(1), 1e-8)
        ax.fill_between(x, lo, s.max(1), color=col, alpha=0.2)
        ax.plot(x, np.exp(np.log(np.maximum(s, 1e-8)).mean(1)), "o-", color=col, label=lab)
        if out[carbon]["threshold_wt_percent"] is not None:
            ax.axvline(out[carbon]["threshold_wt_percent"], color=col, ls=":", lw=1)
    ax.axvline(PUBLISHED_THRESHOLD_WT, color="k", ls="--",
               label="C65 threshold in Li6PS5Cl, Batteries 9 (2023) 595")
    ax.set_yscale("log")
    ax.set_xlabel("carbon content (wt%)")
    ax.set_ylabel("σ_e,eff (mS/cm)")
    st = out["settings"]
    ax.set_title(f"Li6PS5Cl + carbon, {st['size']}³ voxels of {st['voxel_size_um']:.2g} µm, "
                 f"{st['seeds']} seeds")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
