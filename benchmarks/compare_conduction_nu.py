"""Electronic (or, with CARRIER=ionic, ionic) conductivity of the generated default composite
(or, with RECIPE=vgcf, another benchmark recipe of bench_conductivity.py) with a chosen
smoothing per level: iterations and time.

Usage: [RECIPE=vgcf] python benchmarks/compare_conduction_nu.py N [nu=3,6] [ISLAND_MAX_VOXELS=8] [CYCLE=v]
"""

import os
import sys
import time

from _knobs import conduction_knobs  # noqa: E402 (scripts run from benchmarks/)
from bench_conductivity import generated  # noqa: E402

from microcath import transport

N = int(sys.argv[1])
CARRIER = os.environ.get("CARRIER", "electronic")
knobs = conduction_knobs(sys.argv[2:])
RECIPE = os.environ.get("RECIPE", "default")
ms = generated(RECIPE, N)
transport.conductivity(generated(RECIPE, 48), carrier=CARRIER)
t = time.perf_counter()
r = transport.conductivity(ms, carrier=CARRIER)
print(
    N,
    knobs,
    "its",
    r.n_iter,
    "time %.2f" % (time.perf_counter() - t),
    f"sigma {r.sigma_eff:.6e}",
    "conv",
    r.converged,
)
