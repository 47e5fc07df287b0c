"""microcath vs TauFactor on the same random two- and three-phase structures, same run.

For each structure and size this prints sigma_eff from microcath (tol 1e-6)
and from TauFactor's ``MultiPhaseSolver`` (default ``conv_crit=1e-2`` and,
optionally, a tighter one), both wall times, the time ratio and the relative
difference of sigma_eff.

Boundary conventions differ: microcath fixes the potential on the outer faces
(``boundary='faces'``); TauFactor pads the volume with one layer copying the
first/last layer and fixes the potential at the centres of those pad layers
(length ``N + 1`` voxels). ``--match-taufactor`` makes microcath reproduce
TauFactor's convention exactly (``boundary='taufactor'``: copies of the end
layers outside the sample, potential at their centres), which isolates the
solver error from the convention.

TauFactor is not a dependency of microcath; install it into the same
environment first (CPU build of torch first)::

    pip install torch==2.13.0 taufactor          # or: pip install -e .[benchmarks]
    python benchmarks/compare_peers.py --sizes 64 128 256 --threads 2

PoreSpy/OpenImpala are not run here (not installed in this environment);
PEERS.md lists how they were measured.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_conductivity import composite  # noqa: E402

STRUCTURES = {
    # name: (three_phase, {label: sigma}); label 0 is insulating (TauFactor's rule)
    "2-phase": (False, {0: 0.0, 1: 1.0, 2: 1e-3}),
    "3-phase": (True, {0: 0.0, 1: 1.0, 2: 1e-3}),
}


def run_microcath(lab, sig, *, match_taufactor: bool, tol: float = 1e-6):
    from microcath.transport import conductivity_of_labels

    if match_taufactor:
        t0 = time.perf_counter()
        r = conductivity_of_labels(lab, sig, boundary="taufactor", tol=tol)
        return r.sigma_eff, time.perf_counter() - t0, r.n_iter, r.converged
    t0 = time.perf_counter()
    r = conductivity_of_labels(lab, sig, tol=tol)
    return r.sigma_eff, time.perf_counter() - t0, r.n_iter, r.converged


def run_taufactor(lab, sig, *, conv_crit: float, iter_limit: int):
    import taufactor as tau

    cond = {k: v for k, v in sig.items() if v > 0}
    t0 = time.perf_counter()
    s = tau.MultiPhaseSolver(lab, cond=cond, device="cpu")
    with contextlib.redirect_stdout(io.StringIO()):
        s.solve(verbose=False, conv_crit=conv_crit, iter_limit=iter_limit)
    wall = time.perf_counter() - t0
    d = s.D_eff
    d = float(np.asarray(d).ravel()[0])
    return d, wall, int(s.iter), bool(s.converged)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--threads", type=int, default=2, help="torch threads (the machine has 2 cores)")
    ap.add_argument("--conv-crit", type=float, nargs="+", default=[1e-2],
                    help="TauFactor conv_crit values to run (default its own 1e-2)")
    ap.add_argument("--iter-limit", type=int, default=100000)
    ap.add_argument("--match-taufactor", action="store_true",
                    help="also run microcath in TauFactor's boundary convention")
    ap.add_argument("--structures", nargs="+", default=list(STRUCTURES))
    ap.add_argument("--tol", type=float, default=1e-6, help="microcath relative residual tolerance")
    args = ap.parse_args(argv)
    os.environ.setdefault("MICROCATH_ARCH", "cpu")
    try:
        import taufactor  # noqa: F401
        import torch
    except ImportError:
        print("TauFactor is not installed: pip install torch==2.13.0 taufactor", file=sys.stderr)
        return 1
    torch.set_num_threads(args.threads)
    # compile microcath's kernels outside the timed region
    run_microcath(composite(16, 1), STRUCTURES["3-phase"][1], match_taufactor=False)
    run_microcath(composite(16, 1), STRUCTURES["3-phase"][1], match_taufactor=True)
    print(f"{'structure':>9} {'size':>6} {'microcath':>28} {'TauFactor':>34} {'time ratio':>10} "
          f"{'rel diff':>9}")
    for name in args.structures:
        three, sig = STRUCTURES[name]
        for n in args.sizes:
            lab = composite(n, seed=7, three_phase=three)
            variants = [("faces", False)] + ([("tf-conv", True)] if args.match_taufactor else [])
            ours = {v: run_microcath(lab, sig, match_taufactor=m, tol=args.tol) for v, m in variants}
            for cc in args.conv_crit:
                d_tf, t_tf, it_tf, conv_tf = run_taufactor(lab, sig, conv_crit=cc,
                                                           iter_limit=args.iter_limit)
                for v, (s_ours, t_ours, it_ours, _conv) in ours.items():
                    print(f"{name:>9} {n:>5}^3 {v:>7} {s_ours:10.6g} {t_ours:7.2f}s {it_ours:4d}it "
                          f"cc={cc:<6g}{d_tf:10.6g} {t_tf:8.2f}s {it_tf:6d}it "
                          f"{t_tf / t_ours:9.1f}x {(s_ours - d_tf) / d_tf:+9.2%}"
                          f"{'' if conv_tf else ' (TF not converged)'}",
                          flush=True)
    print(f"load average: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
