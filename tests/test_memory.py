"""Volumes too large for memory are refused before allocation, naming the size that fits."""

import numpy as np
import pytest

from microcath import MemoryBudgetError, Microstructure, Phase
from microcath.memory import check_memory

TINY = (64 * 2**20, "test memory")  # 64 MiB


def test_check_memory_names_the_largest_cube():
    check_memory((64, 64, 64), 40.0, "x", available=TINY)  # 10 MiB: fits
    with pytest.raises(MemoryBudgetError, match=r"shape: a 256x256x256 volume") as err:
        check_memory((256, 256, 256), 40.0, "x", available=TINY)
    side = int(str(err.value).split("largest cube that fits is about ")[1].split("^3")[0])
    check_memory((side,) * 3, 40.0, "x", available=TINY)  # the size it names does fit ...
    with pytest.raises(MemoryBudgetError):
        check_memory((side + 1,) * 3, 40.0, "x", available=TINY)  # ... and is the largest cube


def test_generate_refuses_a_box_too_large_before_allocating(monkeypatch):
    from microcath.geometries import composite, generate

    monkeypatch.setattr(composite, "available_memory", lambda device=True: TINY)
    with pytest.raises(MemoryBudgetError, match=r"shape: a 400x400x400 volume .*generation"):
        generate("default", shape=(400, 400, 400))


def test_analyze_refuses_a_structure_too_large(ti_cpu, monkeypatch):
    from microcath.analysis import analyze, full_analysis

    monkeypatch.setattr(full_analysis, "available_memory", lambda device=True: (2**20, "test memory"))
    lab = np.zeros((64, 64, 64), np.uint8)
    lab[:, :32] = 1
    ms = Microstructure(lab, 1e-6, {0: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"),
                                    1: Phase("NMC811", "active", "NMC811")})
    with pytest.raises(MemoryBudgetError, match="structure: a 64x64x64 volume"):
        analyze(ms)
