"""Why the electronic solve after contact loss is slow: what the slow error is made of.

The structure and opened faces of ``compare_contact_loss.py`` (default recipe, seed 0,
``stress(state=0.2)``). Three measurements:

1. CG iterations with the opened faces cut (conductance 0, as microcath solves them) and, as
   a diagnostic only, with the opened faces *leaking* a fraction of their conductance;
2. the preconditioner as a stationary iteration ``e <- e - B A e`` from a random error: the
   A-norm contraction per step (the last steps show the slowest modes);
3. where that slow error lives: its energy by face type (phase pair) and how constant it is
   on each carbon cluster.

Usage: python benchmarks/diagnose_contact_loss.py [N]      (N = 64 by default, ~2 min)
"""

import sys

import microcath.gpu_kernels.conduction as C
import numpy as np
from microcath.geometries import generate
from microcath.gpu_kernels import krylov
from scipy import ndimage

from microcath import transport
from microcath.mechanics import stress

N = int(sys.argv[1]) if len(sys.argv) > 1 else 64
ms = generate("default", shape=(N, N, N), seed=0, progress=False)
cuts = stress(ms, state=0.2, stack_pressure=0.0, contact=False, fields=False).opened
_apply_cuts = C._apply_cuts


def leaking(fraction):
    """A replacement for ``conduction._apply_cuts`` that scales the cut faces by ``fraction``."""
    def apply(gx, gy, gz, cuts_, shape):
        nx, ny, nz = shape
        g = gx.to_numpy().reshape(nx + 1, ny, nz)
        g[1:nx][cuts_[0][:nx - 1]] *= fraction
        gx.from_numpy(g.ravel())
        for arr, cut, ax in ((gy, cuts_[1], 1), (gz, cuts_[2], 2)):
            g = arr.to_numpy().reshape(nx, ny, nz)
            g[np.roll(cut, 1, axis=ax)] *= fraction
            arr.from_numpy(g.ravel())
    return apply


for fraction in (0.0, 1e-3, 1e-1):
    C._apply_cuts = _apply_cuts if fraction == 0.0 else leaking(fraction)
    r = transport.conductivity(ms, carrier="electronic", cut_faces=cuts)
    print(f"{N}^3 electronic after opening, cut faces at {fraction:g} x their conductance: "
          f"{r.n_iter} iterations, sigma_eff {r.sigma_eff:.4e} S/m, converged {r.converged}")
C._apply_cuts = _apply_cuts

slow = {}
_pcg = krylov.pcg


def probing_pcg(op, precond, b, x, **kw):
    """Before the solve: 80 steps of the stationary iteration with the solve's own B."""
    nx, ny, nz = op.shape
    gx = op.gx.to_numpy().reshape(nx + 1, ny, nz)
    gy = op.gy.to_numpy().reshape(nx, ny, nz)
    gz = op.gz.to_numpy().reshape(nx, ny, nz)
    live = ((gx[:-1] + gx[1:] + gy + np.roll(gy, -1, 1) + gz + np.roll(gz, -1, 2)) > 0).ravel()
    e, ae, be = op.new_vector(), op.new_vector(), op.new_vector()
    e.from_numpy(np.random.default_rng(0).standard_normal(op.size) * live)
    energy = []
    for _ in range(80):
        energy.append(op.apply(e, ae))
        precond(ae, be)
        e.from_numpy(e.to_numpy() - be.to_numpy())
    slow["ratios"] = np.array(energy[1:]) / np.array(energy[:-1])
    slow["e"] = e.to_numpy().reshape(op.shape)
    slow["faces"] = (gx, gy, gz)
    return _pcg(op, precond, b, x, **kw)


C.krylov.pcg = probing_pcg
transport.conductivity(ms, carrier="electronic", cut_faces=cuts)
C.krylov.pcg = _pcg
ratios = slow["ratios"]
print("A-norm^2 contraction per stationary step: steps 1-3 " + " ".join(f"{v:.3f}" for v in ratios[:3])
      + ", steps 77-79 " + " ".join(f"{v:.3f}" for v in ratios[-3:]))
e, (gx, gy, gz) = slow["e"], slow["faces"]
lab = ms.labels
names = {k: p.name for k, p in ms.phases.items()}
share: dict = {}
faces = ((gx[1:-1], lab[:-1], lab[1:], e[:-1] - e[1:]),
         (gy, np.roll(lab, 1, 1), lab, np.roll(e, 1, 1) - e),
         (gz, np.roll(lab, 1, 2), lab, np.roll(e, 1, 2) - e))
total = 0.0
for g, la, lb, de in faces:
    en = g.astype(np.float64) * de**2
    total += en.sum()
    lo, hi = np.minimum(la, lb), np.maximum(la, lb)
    for a, b in {(int(p), int(q)) for p, q in zip(lo.ravel()[en.ravel() > 0], hi.ravel()[en.ravel() > 0],
                                                   strict=True)}:
        key = f"{names[a]}/{names[b]}"
        share[key] = share.get(key, 0.0) + float(en[(lo == a) & (hi == b)].sum())
print("slow error's energy by face type: " + ", ".join(f"{k} {v / total:.3f}" for k, v in
                                                        sorted(share.items(), key=lambda kv: -kv[1])))
carbon = np.isin(lab, [k for k, p in ms.phases.items() if p.kind.value == "carbon"])
cl, n = ndimage.label(carbon)
idx = ndimage.value_indices(cl)
spread = []
for c in range(1, n + 1):
    v = e[idx[c]]
    spread.append((v.max() - v.min()) / max(float(np.abs(e).max()), 1e-300))
print(f"carbon clusters: {n}; the slow error's spread inside a cluster / max |e|: median "
      f"{np.median(spread):.1e}, max {np.max(spread):.1e} (each cluster nearly one value: island modes)")
