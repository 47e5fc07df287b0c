"""Binder in a sheet-type cathode: sigma_ion,eff and utilisable NMC811 against binder content.

The shipped sheet recipe (``nmc811_lpscl_sheet``: NMC811, Li6PS5Cl particles, carbon black,
NBR) at 70 wt% NMC811 and 2 wt% carbon; the binder (0-5 wt%) replaces Li6PS5Cl by weight.
Four placements: a film on the active particles covering all of their surface or half of it
(thinner than a voxel it is recorded face by face and blocks the faces it covers; thicker,
it is drawn), necks at the particle contacts, and a carbon-binder domain
(50 % internal porosity). One seed per point (a loop; the sweep machinery will take this over).

    python examples/binder_study.py --shape 64 --voxel-um 0.4 --seed 1 --json binder_study.json \\
        --figure docs/images/binder_study.png
"""

from __future__ import annotations

import argparse
import json
import time

from microcath.geometries import GenerationReport, generate

from microcath import analysis, transport, units

CASES = {  # label -> recipe overrides of the binder
    "film, coverage 1": {"binder.placement": "film", "binder.coverage": 1.0},
    "film, coverage 0.5": {"binder.placement": "film", "binder.coverage": 0.5},
    "necks": {"binder.placement": "necks"},
    "carbon-binder domain": {"binder.placement": "cbd"},
}


def run_case(wt: float, over: dict, *, shape: int, seed: int, voxel_um: float) -> dict:
    ov = {"electrolyte.fraction": round(0.28 - wt, 6), "binder.fraction": wt, **over}
    if wt == 0:
        ov = {"electrolyte.fraction": 0.28, "binder.fraction": 0.0}
    t0 = time.perf_counter()
    ms = generate("nmc811_lpscl_sheet", shape=(shape,) * 3, voxel_size=units.um(voxel_um), seed=seed,
                  overrides=ov, progress=False)
    a = analysis.analyze(ms)
    ion = transport.conductivity(ms, carrier="ionic")
    rep = GenerationReport.from_provenance(ms).binder
    return {"binder_wt": wt, "binder_vol": rep.get("content_reached_vol", 0.0),
            "coverage_active": rep.get("active_coverage", 0.0),
            "sigma_ion_eff_mS_cm": units.to_mS_cm(ion.sigma_eff), "converged": ion.converged,
            "utilisable_fraction": a.utilisable_fraction, "contact_fraction": a.contact_fraction,
            "triphase_fraction": a.mean_triphase_fraction, "status_counts": a.status_counts,
            "film_drawn": rep.get("drawn"), "film_thickness_um": rep.get("thickness_um"),
            "seconds": time.perf_counter() - t0}


def contact_per_volume(*, shape: int, seed: int, voxel_um: float, wt: float = 0.02) -> dict:
    """Contact fraction lost per binder volume fraction: necks against drawn films (default recipe,
    electrolyte matrix, PVDF at ``wt``); the measurement behind tests/binder (which uses 48^3)."""
    kw = dict(shape=(shape,) * 3, voxel_size=units.um(voxel_um), seed=seed, progress=False)
    base = analysis.analyze(generate("default", **kw)).contact_fraction
    out = {"no binder": {"contact_fraction": base}}
    for label, over in (("necks", {"binder.placement": "necks"}),
                        ("film 1 voxel", {"binder.thickness_um": voxel_um,
                                          "binder.patch_size_um": 4 * voxel_um}),
                        ("film 2 voxels", {"binder.thickness_um": 2 * voxel_um,
                                           "binder.patch_size_um": 4 * voxel_um})):
        ov = {"binder.material": "PVDF", "binder.fraction": wt, **over}
        ms = generate("default", overrides=ov, **kw)
        rep = GenerationReport.from_provenance(ms).binder
        c = analysis.analyze(ms).contact_fraction
        out[label] = {"contact_fraction": c, "binder_vol": rep["content_reached_vol"],
                      "drop_per_volume": (base - c) / rep["content_reached_vol"]}
    return out


def plot(rows: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)
    for (label, pts), mk in zip(rows.items(), "os^D", strict=True):
        x = [100 * p["binder_wt"] for p in pts]
        axes[0].plot(x, [p["sigma_ion_eff_mS_cm"] for p in pts], marker=mk, label=label)
        axes[1].plot(x, [p["utilisable_fraction"] for p in pts], marker=mk, label=label)
        axes[2].plot(x, [p["contact_fraction"] for p in pts], marker=mk, label=label)
    for ax, yl in zip(axes, ("σ_ion,eff along x [mS/cm]", "utilisable NMC811 (volume share)",
                             "NMC811/Li6PS5Cl contact fraction"), strict=True):
        ax.set_xlabel("binder content [wt%]")
        ax.set_ylabel(yl)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("NBR binder in a sheet-type NMC811 / Li6PS5Cl / carbon cathode (one seed per point)")
    fig.savefig(path, dpi=130)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shape", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--voxel-um", type=float, default=0.4, help="voxel edge [µm] (recipe: 0.3)")
    ap.add_argument("--contents", type=float, nargs="+", default=[0.0, 0.01, 0.02, 0.03, 0.04, 0.05],
                    help="binder weight fractions")
    ap.add_argument("--json", default=None, help="also write the numbers to this file")
    ap.add_argument("--figure", default=None, help="write the figure to this PNG")
    ap.add_argument("--contact-per-volume", action="store_true",
                    help="only compare the contact lost per binder volume: necks vs films (default recipe)")
    args = ap.parse_args(argv)
    if args.contact_per_volume:
        for k, v in contact_per_volume(shape=args.shape, seed=args.seed, voxel_um=args.voxel_um).items():
            print(f"{k:>14}: " + ", ".join(f"{n} {x:.4g}" for n, x in v.items()))
        return 0
    kw = dict(shape=args.shape, seed=args.seed, voxel_um=args.voxel_um)
    base = run_case(0.0, {}, **kw)
    rows: dict[str, list] = {}
    print(f"{'placement':>22} {'wt%':>4} {'vol%':>5} {'cov.':>5} {'s_ion mS/cm':>11} {'util':>6} "
          f"{'contact':>7} {'triph.':>6}")
    for label, over in CASES.items():
        rows[label] = [base] + [run_case(w, over, **kw) for w in args.contents if w > 0]
        for p in rows[label]:
            print(f"{label:>22} {100 * p['binder_wt']:4.1f} {100 * p['binder_vol']:5.2f} "
                  f"{p['coverage_active']:5.2f} {p['sigma_ion_eff_mS_cm']:11.4g} "
                  f"{p['utilisable_fraction']:6.3f} {p['contact_fraction']:7.3f} "
                  f"{p['triphase_fraction']:6.3f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"shape": args.shape, "seed": args.seed, "voxel_um": args.voxel_um, "rows": rows},
                      fh, indent=1)
    if args.figure:
        plot(rows, args.figure)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
