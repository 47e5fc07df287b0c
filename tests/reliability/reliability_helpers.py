"""Helpers of the bad-input and fault matrix (see docs/reliability.md)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from microcath import Microstructure, Phase

PHASES = {0: Phase("pore", "pore", "pore"), 1: Phase("NMC811", "active", "NMC811"),
          2: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl")}
SPEC = "0=pore,1=NMC811,2=Li6PS5Cl"


def structure(n: int = 12, seed: int = 3) -> Microstructure:
    """A small random three-phase structure (0.5 µm voxels)."""
    lab = np.random.default_rng(seed).integers(0, 3, (n, n, n)).astype(np.uint8)
    return Microstructure(lab, 0.5e-6, PHASES)


def one_line_error(err: str, *needles: str) -> str:
    """The single ``error:`` line (no traceback), which must contain every needle."""
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err, err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    """``{relative path: sha1}`` of every file under ``folder`` (hidden ones included)."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file():
            out[str(p.relative_to(folder))] = hashlib.sha1(p.read_bytes()).hexdigest()
    return out


def temporaries(folder: Path) -> list[str]:
    """microcath's temporary files and folders left in ``folder``."""
    return [p.name for p in Path(folder).iterdir() if p.name.startswith(".microcath-tmp-")]
