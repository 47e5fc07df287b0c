#!/usr/bin/env python
"""Open a run's report.html in headless Chromium and save a screenshot.

Proves that the page renders in a real browser with its images loaded.
Chromium comes from Debian's packages: ``apt-get install -y chromium``.

Usage::

    python scripts/screenshot_report.py [REPORT_HTML] [-o docs/images/report_screenshot.png]

Without REPORT_HTML a small run is made first (``microcath run --shape 48 48 48``
into a temporary folder). Exit code 0 when the screenshot was written and is
not blank; 3 when no Chromium is installed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(html: Path, out: Path, *, size: tuple[int, int] = (1200, 2000), timeout: float = 120) -> Path:
    """Screenshot ``html`` with headless Chromium into ``out`` (PNG)."""
    exe = find_chromium()
    if exe is None:
        raise FileNotFoundError("chromium: not installed (apt-get install -y chromium)")
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="microcath-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={out}",
               f"--window-size={size[0]},{size[1]}", "--virtual-time-budget=5000",
               html.absolute().as_uri()]
        subprocess.run(cmd, check=True, timeout=timeout, capture_output=True)
    if not out.is_file():
        raise RuntimeError(f"chromium wrote no screenshot to {out}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report", nargs="?", type=Path, help="report.html (default: make a small run)")
    ap.add_argument("-o", "--out", type=Path, default=ROOT / "docs/images/report_screenshot.png")
    ap.add_argument("--size", nargs=2, type=int, default=(1200, 2000), metavar=("W", "H"))
    args = ap.parse_args(argv)
    if find_chromium() is None:
        print("chromium is not installed (apt-get install -y chromium)", file=sys.stderr)
        return 3
    with tempfile.TemporaryDirectory(prefix="microcath-report-") as tmp:
        html = args.report
        if html is None:
            from microcath.pipeline import run_main_job

            res = run_main_job(out_dir=Path(tmp) / "run", shape=(48, 48, 48), progress=False)
            html = res.report_html
        out = screenshot(Path(html), args.out, size=tuple(args.size))
    import numpy as np
    from PIL import Image

    with Image.open(out) as im:
        rgb = np.asarray(im.convert("RGB"))
    # the phase renders and slices carry the electrolyte's (shaded) sky blue; a page whose
    # images failed to load shows none of it
    r, g, b = (rgb[..., c].astype(int) for c in range(3))
    sky = float(np.mean((b > 150) & (b - r > 80) & (g > 100)))
    print(f"wrote {out} ({rgb.shape[1]}x{rgb.shape[0]} px; {100 * sky:.1f} % electrolyte-blue pixels)")
    return 0 if sky > 0.02 else 1


if __name__ == "__main__":
    sys.exit(main())
