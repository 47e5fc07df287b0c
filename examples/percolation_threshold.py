"""Site percolation on the simple cubic lattice with microcath's labelling kernel.

Two checks of ``microcath.analysis`` against known percolation physics
(DOSSIER C3):

1. **Threshold, 6-connectivity, L = 128.** The probability that a random
   128^3 lattice (sites occupied with probability p, free boundaries) has a
   cluster touching both faces normal to x. It crosses 0.5 near the bulk
   threshold p_c = 0.3116 (Wang et al., PRE 87 (2013) 052107), slightly
   above it at finite L. The crossing is found by a least-squares fit of an
   error function to the measured spanning fractions.
2. **Reference curves, 6/18/26-connectivity, L = 64.** The same random
   fields as the reference computation ``shared/physics/calc/perc_mc.py``
   (``numpy.random.default_rng(12345)``, 120 samples per p, drawn in the
   same order; copied to ``examples/data/perc_mc_L64.json``) are labelled
   with microcath. Because the fields are identical the spanning counts must
   agree exactly; the script also reports the agreement in units of the
   binomial error.

Runtime on 2 CPU cores: about 3 minutes with the defaults (``--samples 100``
at L = 128; the L = 64 part always uses the reference's 120 samples).
``--quick`` runs a reduced version (L = 64 threshold, 24 samples) in ~1 minute.

Usage::

    python examples/percolation_threshold.py [--samples 100] [--out docs/images/percolation_threshold.png]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
from scipy.optimize import curve_fit
from scipy.special import erf

from microcath.analysis import percolation_of_mask

HERE = Path(__file__).resolve().parent
REF = HERE / "data" / "perc_mc_L64.json"
P_C = {6: 0.3116077, 18: 0.1372, 26: 0.0976}


def spans(field: np.ndarray, p: float, conn: int) -> bool:
    return percolation_of_mask(field < p, axis=0, connectivity=conn).percolates


def threshold_curve(L: int, ps: np.ndarray, samples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = []
    for p in ps:
        hits = sum(spans(rng.random((L, L, L), dtype=np.float32), p, 6) for _ in range(samples))
        out.append(hits / samples)
    return np.array(out)


def fit_crossing(ps: np.ndarray, P: np.ndarray) -> tuple[float, float]:
    """p where a fitted 0.5 * (1 + erf((p - p50) / w)) crosses 0.5, and its standard error."""
    f = lambda p, p50, w: 0.5 * (1 + erf((p - p50) / w))  # noqa: E731
    (p50, w), cov = curve_fit(f, ps, P, p0=(ps[len(ps) // 2], 0.01))
    return float(p50), float(math.sqrt(cov[0, 0]))


def reference_curves(ref: dict) -> dict[int, np.ndarray]:
    """Relabel the reference's random fields (same generator, same order) with microcath."""
    L, n = ref["protocol"]["L"], ref["protocol"]["samples_per_p"]
    rng = np.random.default_rng(12345)
    out = {}
    for conn in (6, 18, 26):
        p_json = ref[str(conn)]["p"]
        ps = np.linspace(p_json[0], p_json[-1], len(p_json))  # the reference's unrounded grid
        out[conn] = np.array([sum(spans(rng.random((L, L, L)), p, conn) for _ in range(n)) / n for p in ps])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=100, help="samples per p for the L=128 curve")
    ap.add_argument("--L", type=int, default=128, help="lattice edge for the threshold curve")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--quick", action="store_true", help="L=64, 24 samples (about a minute)")
    ap.add_argument("--out", default=str(HERE.parent / "docs" / "images" / "percolation_threshold.png"))
    args = ap.parse_args()
    if args.quick:
        args.L, args.samples = 64, 24
    ref = json.loads(REF.read_text())
    t0 = time.perf_counter()

    # 1. threshold at L = 128
    ps = np.linspace(0.300, 0.324, 13)
    P = threshold_curve(args.L, ps, args.samples, args.seed)
    p50, dp50 = fit_crossing(ps, P)
    ok1 = abs(p50 - 0.31) <= 0.01
    print(f"[1] 6-connectivity, L={args.L}, {args.samples} samples per p: P_span(p) =")
    print("    " + "  ".join(f"{p:.3f}:{v:.2f}" for p, v in zip(ps, P, strict=True)))
    print(f"    P_span = 0.5 at p = {p50:.4f} +- {dp50:.4f} (bulk p_c = {P_C[6]}); "
          f"within 0.31 +- 0.01: {'PASS' if ok1 else 'FAIL'}  ({time.perf_counter() - t0:.0f} s)")

    # 2. the reference curves at L = 64 with the same random fields
    t1 = time.perf_counter()
    ours = reference_curves(ref)
    n = ref["protocol"]["samples_per_p"]
    ok2 = True
    for conn in (6, 18, 26):
        Pr = np.array(ref[str(conn)]["P_span"])
        Po = ours[conn]
        pooled = np.clip((Pr + Po) / 2, 1.0 / n, 1 - 1.0 / n)
        sigma = np.sqrt(2 * pooled * (1 - pooled) / n)  # binomial error of a difference
        z = np.abs(Po - Pr) / sigma
        exact = bool(np.array_equal(np.round(Po * n), np.round(Pr * n)))
        ok2 &= exact or bool(np.all(z < 3))
        p50c, _ = fit_crossing(np.array(ref[str(conn)]["p"]), Po)
        print(f"[2] {conn:2d}-connectivity, L=64, same fields as the reference: identical counts: {exact}; "
              f"max |dP| = {np.abs(Po - Pr).max():.3f} (max {z.max():.2f} binomial sigma); "
              f"P_span = 0.5 at p = {p50c:.4f} (reference {ref[str(conn)]['p_half']:.4f}, "
              f"bulk p_c {P_C[conn]})")
    print(f"    {'PASS' if ok2 else 'FAIL'}  ({time.perf_counter() - t1:.0f} s)")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    ax = axes[0]
    err = np.sqrt(np.clip(P * (1 - P), 0.25 / args.samples, None) / args.samples)
    ax.errorbar(ps, P, yerr=err, fmt="o", color="#0072B2", label=f"microcath, L={args.L}, {args.samples}/p")
    fine = np.linspace(ps[0], ps[-1], 200)
    ax.plot(fine, np.interp(fine, ps, P), color="#0072B2", lw=0.8)
    ax.plot(ref["6"]["p"], ref["6"]["P_span"], "s", mfc="none", color="#E69F00",
            label="reference L=64 (scipy)")
    ax.axvline(P_C[6], color="k", ls="--", lw=1, label="bulk $p_c$ = 0.3116")
    ax.axhline(0.5, color="grey", lw=0.6)
    ax.axvspan(0.30, 0.32, color="#009E73", alpha=0.08, label="0.31 ± 0.01")
    ax.set(xlabel="site occupation probability p", ylabel="spanning probability (x)",
           title=f"6-connectivity: P=0.5 at p={p50:.4f}")
    ax.legend(fontsize=8, loc="upper left")
    ax = axes[1]
    for conn, col in ((18, "#D55E00"), (26, "#CC79A7")):
        pr = np.array(ref[str(conn)]["p"])
        Pr = np.array(ref[str(conn)]["P_span"])
        e = np.sqrt(np.clip(Pr * (1 - Pr), 0.25 / n, None) / n)
        ax.errorbar(pr, Pr, yerr=e, fmt="s", mfc="none", color=col, label=f"reference {conn}-conn (scipy)")
        ax.plot(pr, ours[conn], "x", color=col, ms=8, label=f"microcath {conn}-conn")
        ax.axvline(P_C[conn], color=col, ls="--", lw=0.8)
    ax.axhline(0.5, color="grey", lw=0.6)
    ax.set(xlabel="site occupation probability p", ylabel="spanning probability",
           title="L=64, 120 samples per p, same random fields")
    ax.legend(fontsize=8, loc="center")
    fig.tight_layout()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    print(f"plot written to {out}  (total {time.perf_counter() - t0:.0f} s)")
    if not (ok1 and ok2):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
