#!/usr/bin/env python
"""Regenerate the README images in ``docs/images/`` from the current code.

* ``composite.png`` — 3-D render of the default composite (corner cut away);
* ``particle_status.png`` — active particles by status (when the analysis is built);
* ``conductivity.png`` — ionic and electronic conductivity along x with the
  Hashin–Shtrikman bounds (when transport is built), else ``slice.png``, a
  mid-plane slice of the phases.

Usage::

    python scripts/make_readme_images.py [--shape 96 96 96] [--seed 0]

Every PNG is written as a palette image to stay small (< 300 KB).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"
os.environ.setdefault("MPLBACKEND", "Agg")


def _shrink(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as im:
        q = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    q.save(path, optimize=True)
    kb = path.stat().st_size / 1024
    print(f"wrote {path.relative_to(ROOT)} ({kb:.0f} KB)")
    if kb > 300:
        print(f"warning: {path.name} is larger than 300 KB", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", nargs=3, type=int, default=None, metavar=("NX", "NY", "NZ"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from microcath.geometries import generate

    from microcath import units, viz
    from microcath.analysis import analyze
    from microcath.pipeline import DEFAULT_RECIPE
    from microcath.pipeline.conductivity import bounds, phase_sigmas
    from microcath.transport import conductivity

    OUT.mkdir(parents=True, exist_ok=True)
    ms = generate(DEFAULT_RECIPE, shape=tuple(args.shape) if args.shape else None, seed=args.seed)
    print(f"structure {ms.shape}, voxel {units.to_um(ms.voxel_size):.3g} µm")
    p = OUT / "composite.png"
    viz.render_phases(ms, filename=p, window_size=(900, 700))
    _shrink(p)

    res = analyze(ms, axis="x")
    if ms.particles is not None and len(res.particles):
        p = OUT / "particle_status.png"
        viz.render_particle_status(ms, res.particles, filename=p, window_size=(900, 700))
        _shrink(p)

    values, bnds, best = {}, {}, {}
    for carrier in ("ionic", "electronic"):
        r = conductivity(ms, carrier=carrier, axis="all")
        if not r.converged:
            print(f"conductivity: the {carrier} solve did not converge; left out of the plot")
            continue
        values[carrier] = {ax: float(r[ax].sigma_eff) for ax in "xyz"}
        bnds[carrier] = bounds(ms, carrier)
        best[carrier] = max(phase_sigmas(ms, carrier).values())
    p = OUT / "conductivity.png"
    viz.plot_conductivity(values, bounds=bnds, phase_sigma=best, filename=p)
    _shrink(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
