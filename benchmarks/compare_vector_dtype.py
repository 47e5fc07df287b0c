"""Elasticity solve with float64 and float32 Krylov vectors (``mechanics.VECTOR_DTYPE``):
iterations, force balance, stresses.

Usage: python benchmarks/compare_vector_dtype.py N SEED [BOUNDARY]
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np
from bench_conductivity import composite
from bench_mechanics import EIGEN, ELASTIC

import microcath.mechanics as m

N = int(sys.argv[1])
seed = int(sys.argv[2])
lab = composite(N, seed)
res = {}
for vd in ("float64", "float32"):
    m.VECTOR_DTYPE = vd
    t = time.perf_counter()
    r = m.stress_of_labels(
        lab,
        ELASTIC,
        eigenstrain=EIGEN,
        voxel_size=1e-6,
        boundary=sys.argv[3] if len(sys.argv) > 3 else "plates",
        fields=True,
    )
    res[vd] = r
    print(
        f"{vd}: its {r.n_iter} conv {r.converged} res {r.residual:.2e} fb {r.force_balance} "
        f"time {time.perf_counter() - t:.1f} hyd {r.phases['2']['mean_hydrostatic'] / 1e6:.6f} "
        f"energy {r.strain_energy:.8e}"
    )
a, b = res["float32"].stress, res["float64"].stress
print("max stress diff / max", np.abs(a - b).max() / np.abs(b).max())
