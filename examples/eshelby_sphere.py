"""Where the voxel Eshelby sphere's error comes from: volume fraction, voxel staircase, mesh.

An NMC sphere (E 150 GPa, nu 0.25, -5 % volume) in LPSCl (E 20 GPa, nu 0.3) in a
periodic cell at zero mean strain; the interior hydrostatic stress (mean over
voxels within 0.6 r of the centre) against the exact value, the core-shell
(Lame) solution with a fixed outer surface at the voxelised sphere's own volume
fraction (-> Eshelby's 473.1 MPa as f -> 0). Three families of runs:

* fixed radius, shrinking volume fraction (periodic images);
* the *same* voxel staircase meshed 2x finer (each voxel split into 8): the
  finite-element error on that geometry;
* growing radius (new voxelisations): the staircase's own error.

And with ``--composite``: composite voxels (``coarsen=F``) from an image F times finer,
the remedy for the staircase (docs/mechanics.md, "Composite voxels").

Usage::

    python examples/eshelby_sphere.py                 # the table in docs/mechanics.md (~5 min on 2 cores)
    python examples/eshelby_sphere.py --quick         # r = 4 only
    python examples/eshelby_sphere.py --composite     # composite voxels at r = 4, 8, 12 and a core-shell
"""

from __future__ import annotations

import argparse

import numpy as np

from microcath import mechanics as M

AM, SE = (150e9, 0.25), (20e9, 0.30)
EPS = 0.95 ** (1 / 3) - 1


def _K(E, nu):
    return E / (3 * (1 - 2 * nu))


def _G(E, nu):
    return E / (2 * (1 + nu))


def lame_fixed_outer(f: float) -> float:
    """Core pressure [Pa] (negative: tension) of the AM core in an SE shell with a fixed outer
    surface (MECHANICS.md 2), volume fraction f."""
    Kc, Gs, Ks = _K(*AM), _G(*SE), _K(*SE)
    return 3 * Kc * EPS * (3 * Ks * f + 4 * Gs) / (3 * Kc * (1 - f) + 3 * Ks * f + 4 * Gs)


def run(n: int, rad: float, refine: int = 1, elastic=None) -> dict:
    """Voxel sphere of radius ``rad`` (voxel centres inside) centred in an ``n^3`` cell, every
    voxel split into ``refine^3`` (the same staircase on a finer mesh); ``elastic`` overrides
    the AM/SE constants ``{0: (E, nu), 1: (E, nu)}``."""
    c = (n - 1) / 2
    r2 = ((np.indices((n, n, n)) - c) ** 2).sum(0)
    lab = np.where(r2 < rad**2, 0, 1).astype(np.uint8)
    inner = r2 < (0.6 * rad) ** 2
    for ax in range(3):
        lab, inner = lab.repeat(refine, ax), inner.repeat(refine, ax)
    res = M.stress_of_labels(lab, elastic or {0: AM, 1: SE}, eigenstrain={0: EPS}, voxel_size=1e-6,
                             boundary="periodic", fields=True)
    f = float((lab == 0).mean())
    hyd = float(res.hydrostatic[inner].mean())
    return {"n": n, "r": rad, "refine": refine, "f": f, "hyd_MPa": hyd / 1e6, "hyd": hyd,
            "error": hyd / -lame_fixed_outer(f) - 1, "converged": res.converged, "iterations": res.n_iter}


def run_composite(n: int, rad: float, factor: int) -> dict:
    """The sphere of radius ``rad`` coarse voxels drawn on an image ``factor`` times finer (voxel
    centres inside), solved on the ``n^3`` coarse grid with composite voxels."""
    N = n * factor
    g = np.arange(N) + 0.5 - N / 2
    r2 = g[:, None, None] ** 2 + g[None, :, None] ** 2 + g[None, None, :] ** 2
    lab = np.where(r2 < (rad * factor) ** 2, 0, 1).astype(np.uint8)
    res = M.stress_of_labels(lab, {0: AM, 1: SE}, eigenstrain={0: EPS}, voxel_size=1e-6 / factor,
                             boundary="periodic", fields=True, coarsen=factor)
    c = np.arange(n) + 0.5 - n / 2
    inner = (c[:, None, None] ** 2 + c[None, :, None] ** 2 + c[None, None, :] ** 2) < (0.6 * rad) ** 2
    f = float((lab == 0).mean())
    hyd = float(res.hydrostatic[inner].mean())
    return {"n": n, "r": rad, "factor": factor, "f": f, "hyd_MPa": hyd / 1e6,
            "error": hyd / -lame_fixed_outer(f) - 1, "iterations": res.n_iter}


def run_core_shell(n: int = 32, a: float = 8.0, b: float = 14.0, factor: int = 2) -> dict:
    """NMC core (radius ``a`` coarse voxels) in an LPSCl shell (radius ``b``) floating in a pore,
    composite voxels from an image ``factor`` times finer, against the free-outer-surface
    core-shell (Lame) pressure (MECHANICS.md 2) at the image's own core fraction."""
    N = n * factor
    g = np.arange(N) + 0.5 - N / 2
    r2 = g[:, None, None] ** 2 + g[None, :, None] ** 2 + g[None, None, :] ** 2
    lab = np.full((N,) * 3, 2, np.uint8)
    lab[r2 < (b * factor) ** 2] = 1
    lab[r2 < (a * factor) ** 2] = 0
    f = float((lab == 0).sum() / (lab != 2).sum())
    Kc, Gs, Ks = _K(*AM), _G(*SE), _K(*SE)
    p = 12 * Kc * Gs * EPS * (1 - f) / (3 * Kc + 4 * Gs + 4 * f * Gs * (Kc - Ks) / Ks)
    res = M.stress_of_labels(lab, {0: AM, 1: SE, 2: (0.0, 0.0)}, eigenstrain={0: EPS},
                             voxel_size=1e-6 / factor, boundary="periodic", fields=True, coarsen=factor)
    c = np.arange(n) + 0.5 - n / 2
    inner = (c[:, None, None] ** 2 + c[None, :, None] ** 2 + c[None, None, :] ** 2) < (0.6 * a) ** 2
    hyd = float(res.hydrostatic[inner].mean())
    return {"f": f, "hyd_MPa": hyd / 1e6, "error": hyd / -p - 1, "iterations": res.n_iter}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--composite", action="store_true", help="composite voxels from finer images")
    args = ap.parse_args(argv)
    if args.composite:
        print(f"{'n':>4} {'r':>5} {'image':>6} {'f':>7} {'hyd MPa':>9} {'vs exact':>9} {'iter':>5}")
        for n, rad, factor in ((16, 4.0, 2), (16, 4.0, 4), (32, 8.0, 2), (32, 8.0, 4), (48, 12.0, 2)):
            row = run_composite(n, rad, factor)
            print(f"{n:>4} {rad:5.0f} {str(factor) + 'x':>6} {row['f']:7.4f} {row['hyd_MPa']:9.1f} "
                  f"{100 * row['error']:+8.2f}% {row['iterations']:5d}", flush=True)
        row = run_core_shell()
        print(f"core-shell, free outer surface (core 8, shell 14, 2x image): core fraction {row['f']:.4f}, "
              f"{row['hyd_MPa']:.1f} MPa, {100 * row['error']:+.2f}% vs Lame, {row['iterations']} iterations")
        return 0
    cases = [(16, 4.0, 1), (32, 4.0, 1), (16, 4.0, 2)]
    if not args.quick:
        cases += [(32, 8.0, 1), (48, 8.0, 1), (64, 8.0, 1), (32, 8.0, 2), (48, 12.0, 1)]
    print(f"{'n':>4} {'r':>5} {'refine':>6} {'f':>7} {'hyd MPa':>9} {'vs exact':>9} {'iter':>5}")
    for n, rad, refine in cases:
        row = run(n, rad, refine)
        print(f"{row['n'] * refine:>4} {row['r'] * refine:5.0f} {refine:>6} {row['f']:7.4f} "
              f"{row['hyd_MPa']:9.1f} {100 * row['error']:+8.2f}% {row['iterations']:5d}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
