"""Peak resident memory per stage of ``stress_of_labels`` on the benchmark composite (the
kernel's high-water mark reset between stages; Linux only).

Usage: python benchmarks/profile_mechanics_memory.py N [BOUNDARY]   (e.g. 96 plates)
"""

import functools
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_conductivity import composite
from bench_mechanics import EIGEN, ELASTIC

import microcath.mechanics as m


def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) * 1024


def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) * 1024


def reset():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


N = int(sys.argv[1]) if len(sys.argv) > 1 else 64
lab = composite(N, 0)
m.stress_of_labels(composite(16, 1), ELASTIC, eigenstrain=EIGEN, voxel_size=1e-6, boundary="plates")
base = rss()
out = []


def wrap(owner, name):
    f = getattr(owner, name)

    @functools.wraps(f)
    def g(*a, **k):
        r0 = rss()
        reset()
        t = time.perf_counter()
        res = f(*a, **k)
        out.append(
            (
                name,
                (hwm() - base) / lab.size,
                (rss() - base) / lab.size,
                (r0 - base) / lab.size,
                time.perf_counter() - t,
            )
        )
        return res

    setattr(owner, name, g)


for n in ("load", "stress_field", "mean_stress", "energy"):
    wrap(m._Problem, n)
for n in ("_solve", "_interfaces", "_phase_stats", "_force_balance", "eigenstrain_field"):
    wrap(m, n)
reset()
r = m.stress_of_labels(
    lab, ELASTIC, eigenstrain=EIGEN, voxel_size=1e-6, boundary=sys.argv[2] if len(sys.argv) > 2 else "plates"
)
print(
    f"total peak {(hwm() - base) / lab.size:.0f} B/voxel (last phase), its {r.n_iter}, time {r.wall_time:.1f}"
)
print(f"{'phase':22s} {'peak':>6s} {'after':>6s} {'before':>6s} {'s':>6s}")
for name, p, a, b, t in out:
    print(f"{name:22s} {p:6.0f} {a:6.0f} {b:6.0f} {t:6.2f}")
