"""The multigrid cycle in float32 under float64 Krylov vectors (``F32_PRECONDITIONER``) against
the cycle in float64, on a generated composite (RECIPE: default, or a name that
``bench_conductivity.py --recipe`` takes, e.g. vgcf; electrons unless CARRIER=ionic), in one
process: the two alternate ``REPEATS`` times (default 2) and the fastest of each counts, so the
ratio is measured in the same run on the same machine state.

Usage: python benchmarks/compare_f32_preconditioner.py N [REPEATS] [RECIPE]
"""

import os
import sys
import time

from bench_conductivity import generated  # noqa: E402 (scripts run from benchmarks/)
from microcath.gpu_kernels import conduction as C

from microcath import transport

N = int(sys.argv[1])
REPEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
RECIPE = sys.argv[3] if len(sys.argv) > 3 else "default"
CARRIER = os.environ.get("CARRIER", "electronic")
ms = generated(RECIPE, N)
small = generated(RECIPE, 48)
best = {}
for flag in (True, False):  # compile both variants' kernels before timing
    C.F32_PRECONDITIONER = flag
    transport.conductivity(small, carrier=CARRIER)
for _ in range(REPEATS):
    for flag in (False, True):
        C.F32_PRECONDITIONER = flag
        t = time.perf_counter()
        r = transport.conductivity(ms, carrier=CARRIER)
        wall = time.perf_counter() - t
        if not r.converged:
            raise SystemExit(f"F32_PRECONDITIONER={flag}: not converged ({r.reason})")
        prev = best.get(flag)
        best[flag] = (min(wall, prev[0]) if prev else wall, r.n_iter, r.sigma_eff)
for flag, name in ((False, "cycle in float64"), (True, "cycle in float32")):
    wall, its, sig = best[flag]
    print(f"{RECIPE} {N}^3 {CARRIER} {name}: its {its} time {wall:.2f} s sigma {sig:.8e}")
d = abs(best[True][2] - best[False][2]) / abs(best[False][2])
print(f"speed-up {best[False][0] / best[True][0]:.2f}x, sigma relative difference {d:.1e}")
