"""CG iterations of the elasticity solve with and without the hinged-group local solve
(``mechanics.HINGED_CORRECTION``), and how far the two stress fields differ.

Usage: python benchmarks/compare_hinged_correction.py N SEED [on [LAYERS]]
  (e.g. ``128 0 on 1``: only the correction, with one overlap layer)
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np
from bench_conductivity import composite
from bench_mechanics import EIGEN, ELASTIC

import microcath.hinged_groups as hg
import microcath.mechanics as m
from microcath.hinged_groups import hinged_elements

N = int(sys.argv[1])
seed = int(sys.argv[2])
lab = composite(N, seed)
solid = lab > 0
w = hinged_elements(solid, (False, True, True))
print("hinged voxels", int(w.sum()))
res = {}


if len(sys.argv) > 4:
    hg.LAYERS = int(sys.argv[4])
for on in [True, False] if len(sys.argv) < 4 else [True]:
    m.HINGED_CORRECTION = on
    t = time.perf_counter()
    r = m.stress_of_labels(lab, ELASTIC, eigenstrain=EIGEN, voxel_size=1e-6, boundary="plates", fields=True)
    res[on] = r
    print(
        f"layers {hg.LAYERS} hinged={on}: its {r.n_iter} conv {r.converged} res {r.residual:.2e} "
        f"time {time.perf_counter() - t:.1f} hyd {r.phases['2']['mean_hydrostatic'] / 1e6:.6f}"
    )
if len(res) == 2:
    a, b = res[True].stress, res[False].stress
    print("max stress diff / max", np.abs(a - b).max() / np.abs(b).max())
