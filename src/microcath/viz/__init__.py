"""Visualisation of microcath results: 3-D renders (PyVista), plots (matplotlib), colours.

Nothing here imports PyVista or matplotlib until a picture is asked for, so
``import microcath`` stays light and headless machines never touch OpenGL.

>>> from microcath import viz          # cheap
>>> viz.render_phases                  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from .colors import FIELD_CMAP, KIND_COLORS, OKABE_ITO, STATUS_COLORS, phase_colors

_LAZY = {
    "render_phases": "render",
    "render_phase": "render",
    "render_particle_status": "render",
    "render_field": "render",
    "render_streamlines": "render",
    "render_opened_interfaces": "render",
    "render_binder": "render",
    "voxel_surface": "render",
    "plot_label_slice": "plots",
    "plot_field_slice": "plots",
    "plot_particle_size_distribution": "plots",
    "plot_conductivity": "plots",
    "plot_histogram": "plots",
    "plot_contact_distribution": "plots",
    "plot_trend": "plots",
    "show": "notebook",
    "StaticView": "notebook",
    "jupyter_backend": "notebook",
}

__all__ = ["FIELD_CMAP", "KIND_COLORS", "OKABE_ITO", "STATUS_COLORS", "phase_colors", *_LAZY]


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'microcath.viz' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{mod}", __name__), name)


def __dir__() -> list[str]:
    return sorted(__all__)
