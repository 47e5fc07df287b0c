"""Interactive 3-D views in Jupyter: the report's pictures, turned around with the mouse.

:func:`show` draws the same views as the report (phases with a corner cut away,
one phase, particle status, field slices, current streamlines, stresses and
opened interfaces) and hands the scene to PyVista's Jupyter backend (trame,
installed by ``pip install "microcath[jupyter]"``). Where no interactive
backend is available (no trame, not in a notebook kernel, or
``MICROCATH_JUPYTER_BACKEND=static``) it returns a :class:`StaticView`, a PNG
that notebooks display inline; the picture is the one the report would draw.

>>> from microcath import viz
>>> viz.show                               # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import io as _io
import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from ..microstructure import Microstructure

__all__ = ["show", "StaticView", "VIEWS", "jupyter_backend"]

log = logging.getLogger(__name__)

#: the views of each kind of object (the first is the default)
VIEWS = {
    "Microstructure": ("phases", "phase", "particles"),
    "AnalysisResult": ("particles",),
    "ConductivityResult": ("potential", "current", "streamlines"),
    "StressResult": ("von_mises", "hydrostatic", "opened"),
}
INTERACTIVE = ("trame", "client", "server", "html")
ENV = "MICROCATH_JUPYTER_BACKEND"


class StaticView:
    """A rendered picture that notebooks display inline (``_repr_png_``).

    Attributes
    ----------
    image : ndarray of uint8, shape (height, width, 3)
    view : str
        Which view it shows.
    """

    def __init__(self, image: np.ndarray, view: str) -> None:
        self.image = np.asarray(image)
        self.view = view

    def _repr_png_(self) -> bytes:
        from PIL import Image

        buf = _io.BytesIO()
        Image.fromarray(self.image).save(buf, format="PNG")
        return buf.getvalue()

    def __repr__(self) -> str:
        h, w = self.image.shape[:2]
        return f"StaticView({self.view!r}, {w}x{h} px)"


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


def jupyter_backend(backend: str | None = None) -> str:
    """The backend :func:`show` uses: ``backend`` or ``$MICROCATH_JUPYTER_BACKEND`` when given,
    else ``"trame"`` inside a notebook kernel with trame installed, else ``"static"``."""
    choice = backend or os.environ.get(ENV) or "auto"
    if choice == "static":
        return "static"
    trame = importlib.util.find_spec("trame_pyvista") is not None
    if choice == "auto":
        if trame and _in_kernel():
            return "trame"
        log.info("no interactive Jupyter backend (%s); showing a static image",
                 "not in a notebook kernel" if trame else "trame is not installed")
        return "static"
    if choice not in INTERACTIVE:
        raise InputError(f"backend: expected 'static', 'auto' or one of {', '.join(INTERACTIVE)}, "
                         f"got {choice!r}")
    if not trame:
        raise InputError(f"backend: {choice!r} needs trame; pip install \"microcath[jupyter]\" "
                         "(or backend='static')")
    return choice


def _need_ms(ms: Any, what: str) -> Microstructure:
    if not isinstance(ms, Microstructure):
        raise InputError(f"ms: a {what} holds no geometry; pass the structure it was computed on, "
                         f"e.g. viz.show(result, ms=ms)")
    return ms


def _draw(obj: Any, view: str, ms: Any, phase: Any, analysis: Any, options: dict) -> None:
    from . import render

    kind = type(obj).__name__
    if kind == "Microstructure":
        if view == "phases":
            render.render_phases(obj, **options)
        elif view == "phase":
            if phase is None:
                raise InputError("phase: view='phase' draws one phase; give phase= (a name or label)")
            render.render_phase(obj, phase, **options)
        else:
            if analysis is None:
                from ..analysis import analyze

                analysis = analyze(obj)
            _draw(analysis, "particles", obj, None, None, options)
        return
    ms = _need_ms(ms, kind)
    if kind == "AnalysisResult":
        t = obj.particles
        render.render_particle_status(ms, dict(zip(t.particle_id.tolist(), t.status.tolist(), strict=True)),
                                      **options)
    elif kind == "ConductivityResult":
        if obj.potential is None:
            raise InputError("result: it carries no fields; solve with fields=True, e.g. "
                             "transport.conductivity(ms, fields=True)")
        if view == "potential":
            render.render_field(ms, obj.potential, name="potential", unit="V", **options)
        elif view == "current":
            render.render_field(ms, np.linalg.norm(obj.current_density, axis=0), name="|j|",
                                unit="A/m^2", **options)
        else:
            render.render_streamlines(ms, obj.current_density, axis=obj.axis, **options)
    else:  # StressResult
        if view == "opened":
            if obj.opened is None:
                raise InputError("result: it records no opened faces; solve with a finite strength")
            render.render_opened_interfaces(ms, obj.opened, **options)
        else:
            field = obj.von_mises if view == "von_mises" else obj.hydrostatic
            if field is None:
                raise InputError("result: it carries no stress field; solve with fields=True")
            render.render_field(ms, field / 1e6, name=view.replace("_", " "), unit="MPa", **options)


def show(obj: Any, view: str | None = None, *, ms: Microstructure | None = None, phase: Any = None,
         analysis: Any = None, backend: str | None = None,
         window_size: Sequence[int] = (900, 700), **options: Any):
    """Open one of the report's 3-D views in a notebook (interactive where possible).

    Parameters
    ----------
    obj : Microstructure, AnalysisResult, ConductivityResult or StressResult
        What to draw.
    view : str, optional
        Structure: ``'phases'`` (default, corner cut away), ``'phase'`` (with ``phase=``),
        ``'particles'`` (status; analyses the structure unless ``analysis=`` is given).
        Analysis: ``'particles'``. Conductivity (solved with ``fields=True``):
        ``'potential'`` (default), ``'current'`` (field slices), ``'streamlines'``.
        Stress: ``'von_mises'`` (default), ``'hydrostatic'``, ``'opened'``.
    ms : Microstructure, optional
        The structure a result was computed on (results hold no geometry).
    phase : str or int, optional
        The phase of ``view='phase'``.
    analysis : AnalysisResult, optional
        Reused by ``view='particles'`` of a structure.
    backend : str, optional
        ``'static'``, ``'trame'`` (or another PyVista Jupyter backend); default: see
        :func:`jupyter_backend`.
    window_size : (int, int)
        Picture size [px].
    **options
        Passed to the render function (``cutaway``, ``camera``, ``slices``, ...).

    Returns
    -------
    The PyVista Jupyter widget (interactive backends), or a :class:`StaticView`.
    """
    from . import render

    kind = type(obj).__name__
    if kind not in VIEWS:
        raise InputError(f"obj: expected a Microstructure or an analysis, conductivity or stress result, "
                         f"got {kind}")
    views = VIEWS[kind]
    view = views[0] if view is None else view
    if view not in views:
        raise InputError(f"view: a {kind} has the views {', '.join(views)}; got {view!r}")
    chosen = jupyter_backend(backend)
    for reserved in ("filename", "show"):
        if reserved in options:
            raise InputError(f"{reserved}: show() displays the view; to write a file use the "
                             f"viz.render_* functions")
    box = render.HandOver(static=(chosen == "static"))
    token = render._HAND_OVER.set(box)
    try:
        _draw(obj, view, ms, phase, analysis, dict(options, window_size=window_size))
    finally:
        render._HAND_OVER.reset(token)
    plotter = box[-1]
    if chosen == "static":
        image = plotter.screenshot(return_img=True)
        plotter.close()
        return StaticView(np.asarray(image)[..., :3], view)
    return plotter.show(jupyter_backend=chosen, return_viewer=True)
