"""Single-crystal vs polycrystalline NMC811 at the charged state, at 0 and 50 MPa stack pressure.

The shipped NMC532 pair (``nmc532_sc_lpscl`` / ``nmc532_pc_lpscl``: identical particles, the
polycrystalline one tessellated into primary grains) with the active material set to NMC811,
whose lattice-strain path (a shrinks, c collapses below x_Li ~ 0.4) gives each grain its own
anisotropic eigenstrain. One seed; the statistics over seeds are the crystallinity study's job.

    python examples/crystallinity_stress.py --shape 64 --seed 1
"""

from __future__ import annotations

import argparse
import json

from microcath.geometries import generate

from microcath import mechanics, units


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shape", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--soc", type=float, default=0.2, help="x_Li of NMC811 (0.2: charged, 4.3 V)")
    ap.add_argument("--json", default=None, help="also write the numbers to this file")
    ap.add_argument("--anisotropic-stiffness", action="store_true",
                    help="rotated single-crystal stiffness per grain (mechanics.layered_oxide_stiffness)")
    args = ap.parse_args(argv)
    rows = []
    print(f"{'structure':>16} {'P MPa':>6} {'AM/SE open':>10} {'GB open':>8} {'util before':>11} "
          f"{'util after':>10} {'s_e before':>10} {'s_e after':>10} {'s_ion after':>11} {'iter':>5}")
    for name, recipe in (("single crystal", "nmc532_sc_lpscl"), ("polycrystalline", "nmc532_pc_lpscl")):
        ms = generate(recipe, shape=(args.shape,) * 3, seed=args.seed,
                      overrides={"active.material": "NMC811"})
        for p in (0.0, 50.0):
            r = mechanics.stress(ms, state=args.soc, stack_pressure=units.MPa(p), contact=True,
                                 anisotropic_stiffness=args.anisotropic_stiffness)
            c = r.contact
            gb = r.interfaces.get("grain_boundary")
            gb = gb if gb and gb["n_faces"] else None  # a single crystal has the type, with no faces
            row = {
                "structure": name, "stack_pressure_MPa": p, "n_grains": ms.n_grains,
                "opened_active_electrolyte": r.interfaces["active/electrolyte"]["opened_fraction"],
                "opened_grain_boundary": gb["opened_fraction"] if gb else None,
                "grain_boundary_faces": gb["n_faces"] if gb else 0,
                "mean_gb_traction_MPa": gb["mean_traction"] / 1e6 if gb else None,
                "utilisable_before": c["before"]["utilisable_fraction"],
                "utilisable_after": c["after"]["utilisable_fraction"],
                "sigma_e_before_mS_cm": c["before"]["sigma_e_eff_mS_cm"],
                "sigma_e_after_mS_cm": c["after"]["sigma_e_eff_mS_cm"],
                "sigma_ion_before_mS_cm": c["before"]["sigma_ion_eff_mS_cm"],
                "sigma_ion_after_mS_cm": c["after"]["sigma_ion_eff_mS_cm"],
                "iterations": r.n_iter, "converged": r.converged,
            }
            rows.append(row)
            gbs = f"{100 * row['opened_grain_boundary']:7.1f}%" if gb else f"{'-':>8}"
            print(f"{name:>16} {p:6.0f} {100 * row['opened_active_electrolyte']:9.1f}% {gbs} "
                  f"{100 * row['utilisable_before']:10.1f}% {100 * row['utilisable_after']:9.1f}% "
                  f"{row['sigma_e_before_mS_cm']:10.3g} {row['sigma_e_after_mS_cm']:10.3g} "
                  f"{row['sigma_ion_after_mS_cm']:11.4g} {r.n_iter:5d}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
