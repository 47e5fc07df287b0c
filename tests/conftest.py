"""Test configuration: Taichi on the CPU backend, headless rendering."""

import os

os.environ.setdefault("MICROCATH_ARCH", "cpu")
os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(20261125)


@pytest.fixture(scope="session")
def ti_cpu():
    """Start Taichi on the CPU once for the session and return the arch name."""
    from microcath.gpu_kernels import ensure_initialized

    return ensure_initialized("cpu")


@pytest.fixture(scope="session")
def screenshot():
    """``screenshot(html, out_png, size=(w, h))`` of scripts/screenshot_report.py (headless Chromium)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "screenshot_report.py"
    spec = importlib.util.spec_from_file_location("screenshot_report", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.screenshot
