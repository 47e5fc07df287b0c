"""Electronic (and ionic) conductivity of the generated default composite before and after the
stress stage's opened faces are cut: iterations and time, with optional solver knobs.

The structure is ``generate default --shape N N N --seed 0`` (``microcath run``'s at 128^3); the
opened faces are those of ``mechanics.stress(..., state=0.2)`` (no stack pressure, strength 0).

Usage: python benchmarks/compare_contact_loss.py N [nu=4,8] [CYCLE=k] [dtype=float64]
       [ISLAND_INTERPOLATION_CONTRAST=1e30] [CRACK_AWARE=0]
(``CRACK_AWARE=0``: the fixed 2x2x2 aggregates of session 5 after opening, for the before/after
table of docs/transport.md)
"""

import sys
import time

from _knobs import conduction_knobs  # noqa: E402 (scripts run from benchmarks/)
from microcath.geometries import generate
from microcath.gpu_kernels import aggregation
from microcath.gpu_kernels import conduction as C

from microcath import transport
from microcath.mechanics import stress

_build = C.build_hierarchy
node_bytes = []


def _recording(fine, **kw):
    """build_hierarchy that records the device bytes of the crack-aware node levels."""
    levels = _build(fine, **kw)
    nodes = [lv for lv in levels if isinstance(lv, aggregation.NodeLevel)]
    if nodes:
        node_bytes.append(sum(lv.nbytes for lv in nodes) / fine.size)
    return levels


C.build_hierarchy = _recording

N = int(sys.argv[1])
knobs = conduction_knobs(sys.argv[2:])
dtype = knobs.get("dtype", "float32")
ms = generate("default", shape=(N, N, N), seed=0, progress=False)
cuts = stress(ms, state=0.2, stack_pressure=0.0, contact=False, fields=False).opened
for carrier in ("ionic", "electronic"):
    for when, c in (("before", None), ("after", cuts)):
        t0 = time.perf_counter()
        node_bytes.clear()
        r = transport.conductivity(ms, carrier=carrier, cut_faces=c, dtype=dtype)
        extra = f" node levels {node_bytes[0]:.1f} B/voxel" if node_bytes else ""
        print(f"{N}^3 {carrier:10s} {when:6s} {knobs} its {r.n_iter} sigma {r.sigma_eff:.6e} "
              f"conv {r.converged} flux balance {r.flux_balance:.1e} time {time.perf_counter() - t0:.2f} s"
              + extra)
