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

    from microcath import viz
    from microcath.pipeline import (
        DEFAULT_RECIPE,
        _capability,
        _generate,
        _NotBuilt,
        _phase_sigmas,
        _status_per_particle,
    )

    OUT.mkdir(parents=True, exist_ok=True)
    ms = _generate(DEFAULT_RECIPE, tuple(args.shape) if args.shape else None, args.seed, {})
    print(f"structure {ms.shape}, voxel {ms.voxel_size * 1e6:.3g} µm")
    p = OUT / "composite.png"
    viz.render_phases(ms, filename=p, window_size=(900, 700))
    _shrink(p)

    try:
        analyze = _capability("microcath.analysis", "analyze", "analysis")
        res = analyze(ms, axis="x")
        status = _status_per_particle(res)
        if status is not None and ms.particles is not None:
            p = OUT / "particle_status.png"
            viz.render_particle_status(ms, status, filename=p, window_size=(900, 700))
            _shrink(p)
    except _NotBuilt as nb:
        print(f"particle status: {nb}")

    try:
        conductivity = _capability("microcath.transport", "conductivity", "transport")
        fr = ms.volume_fractions()
        values, bounds, best = {}, {}, {}
        for carrier in ("ionic", "electronic"):
            r = conductivity(ms, carrier=carrier, axis="all")
            per = {ax: getattr(r, ax) for ax in "xyz"}
            if not all(getattr(v, "converged", True) for v in per.values()):
                print(f"conductivity: the {carrier} solve did not converge; left out of the plot")
                continue
            values[carrier] = {ax: float(v.sigma_eff) for ax, v in per.items()}
            sig = _phase_sigmas(ms, carrier, None)
            bounds[carrier] = viz.hashin_shtrikman_bounds([fr[n] for n in sig], list(sig.values()))
            best[carrier] = max(sig.values())
        if not values:
            raise _NotBuilt("no converged conductivity to plot")
        p = OUT / "conductivity.png"
        viz.plot_conductivity(values, bounds=bounds, phase_sigma=best, filename=p)
        _shrink(p)
    except _NotBuilt as nb:
        print(f"conductivity: {nb}; plotting a slice of the phases instead")
        p = OUT / "slice.png"
        viz.plot_label_slice(ms, axis="z", filename=p)
        _shrink(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
