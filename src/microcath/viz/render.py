"""3-D renders with PyVista: phases, one phase, particle status, fields, streamlines.

Every function takes the structure first, draws off-screen when it is given a
``filename`` (or when no display exists) and returns the image as an
``(height, width, 3)`` uint8 array. With ``show=True`` and a display, the
picture opens in an interactive window instead.

Phases are drawn as the visible voxel faces (faces between a drawn voxel and
an undrawn one: a pore, the cut-away corner or the outside), coloured by
phase, so coincident interface faces never fight for depth and every colour
in the picture is a phase colour (exactly so with ``lighting=False``).
Coordinates are in micrometres; the ruler along the bottom x edge is the
scale bar.

PyVista is imported only when a render is asked for. On a Linux machine
without ``DISPLAY`` the EGL (or else OSMesa) off-screen window of VTK is
chosen before VTK loads, so no X server is needed.
"""

from __future__ import annotations

import contextvars
import ctypes.util
import logging
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import units
from ..analysis.particles import STATUS_CODES, status_codes
from ..errors import InputError
from ..microstructure import Microstructure, axis_index
from ..phases import PhaseKind
from .colors import (
    DIVERGING_CMAP,
    FIELD_CMAP,
    KIND_COLORS,
    STATUS_COLORS,
    STATUS_LABELS,
    hex_to_rgb,
    phase_colors,
)

__all__ = [
    "render_phases",
    "render_phase",
    "render_particle_status",
    "render_binder",
    "render_field",
    "render_streamlines",
    "voxel_surface",
    "has_display",
]

log = logging.getLogger(__name__)

DEFAULT_WINDOW = (1000, 800)


# --------------------------------------------------------------------------- setup
def has_display() -> bool:
    """Whether an interactive window can be opened (a display exists)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def _pyvista(off_screen: bool = True):
    """Import PyVista with a working off-screen window on headless Linux."""
    if sys.platform.startswith("linux") and not has_display():
        if "VTK_DEFAULT_OPENGL_WINDOW" not in os.environ:
            if ctypes.util.find_library("EGL"):
                os.environ["VTK_DEFAULT_OPENGL_WINDOW"] = "vtkEGLRenderWindow"
            elif ctypes.util.find_library("OSMesa"):
                os.environ["VTK_DEFAULT_OPENGL_WINDOW"] = "vtkOSOpenGLRenderWindow"
    try:
        import pyvista as pv
    except ImportError as exc:  # pragma: no cover - pyvista is a dependency
        raise ImportError(
            "3-D renders need pyvista (pip install pyvista); plots with matplotlib still work"
        ) from exc
    if off_screen:
        pv.OFF_SCREEN = True
    return pv


def _plotter(pv, window_size: Sequence[int], off_screen: bool):
    w, h = _window(window_size)
    p = pv.Plotter(off_screen=off_screen, window_size=(w, h))
    p.set_background("white")
    return p


def _window(window_size: Sequence[int] | None) -> tuple[int, int]:
    if window_size is None:
        return DEFAULT_WINDOW
    try:
        w, h = (int(v) for v in window_size)
    except (TypeError, ValueError):
        raise InputError(
            f"window_size: expected (width, height) in pixels, got {window_size!r}"
        ) from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise InputError(f"window_size: width and height must be 16..8192 pixels, got {(w, h)}")
    return w, h


class HandOver(list):
    """Where :func:`microcath.viz.notebook.show` receives the finished plotter; ``static``: it
    will only be screenshotted (a picture: back faces may be culled), else it becomes an
    interactive view."""

    def __init__(self, *, static: bool) -> None:
        super().__init__()
        self.static = bool(static)


#: set by :func:`microcath.viz.notebook.show` to a :class:`HandOver`: the finished plotter is
#: handed over (for a notebook view) instead of being screenshotted and closed
_HAND_OVER: contextvars.ContextVar[HandOver | None] = contextvars.ContextVar("microcath_plotter",
                                                                              default=None)


def _finish(p, *, filename: str | os.PathLike | None, show: bool, off_screen: bool) -> np.ndarray:
    box = _HAND_OVER.get()
    if box is not None:
        box.append(p)
        return np.zeros((1, 1, 3), np.uint8)
    if show and not off_screen:
        p.show()
        img = p.last_image if p.last_image is not None else np.zeros((1, 1, 3), np.uint8)
        return np.asarray(img)
    from ..io.atomic import atomic_path, check_image

    path = None
    if filename is not None:
        path = Path(filename)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path, verify=check_image(path)) as tmp:
            img = p.screenshot(str(tmp), return_img=True)
    else:
        img = p.screenshot(None, return_img=True)
    p.close()
    if path is not None:
        log.info("wrote %s", path)
    return np.asarray(img)[..., :3]


def _off_screen(filename, show: bool) -> bool:
    return not (show and has_display() and filename is None)


def _spacing_um(ms: Microstructure) -> tuple[float, float, float]:
    """Voxel edges (dx, dy, dz) [µm], the coordinates of every render."""
    return tuple(units.to_um(h) for h in ms.spacing)  # type: ignore[return-value]


def _grid(pv, ms: Microstructure):
    """ImageData over the structure, coordinates in µm (spacing dx, dy, dz), no data attached."""
    return pv.ImageData(dimensions=np.array(ms.shape) + 1, spacing=_spacing_um(ms))


def _cell_values(a: np.ndarray) -> np.ndarray:
    """Flatten an ``[x, y, z]`` volume the way VTK orders cells (x fastest)."""
    return np.asarray(a).ravel(order="F")


def _decorate(p, ms: Microstructure, *, scale_bar: bool, camera: str | None) -> None:
    lx, ly, _ = (units.to_um(v) for v in ms.size)
    if scale_bar:
        p.add_ruler(pointa=(0.0, ly, 0.0), pointb=(lx, ly, 0.0), title="x [µm]",
                    label_format="%.3g", font_size_factor=0.8, label_color="black",
                    tick_color="black", number_labels=5)
    if camera in (None, "iso"):
        p.view_isometric()
    elif camera in ("x", "y", "z"):
        getattr(p, f"view_{'yz' if camera == 'x' else 'xz' if camera == 'y' else 'xy'}")()
    else:
        raise InputError(f"camera: expected 'iso', 'x', 'y' or 'z', got {camera!r}")
    p.camera.zoom(0.9)


def _legend(p, entries: Sequence[tuple[str, str]]) -> None:
    if entries:
        longest = max(len(name) for name, _ in entries)
        width = min(0.6, 0.05 + 0.0115 * longest)
        p.add_legend([[name, color] for name, color in entries], bcolor="white", border=True,
                     face="rectangle", size=(width, 0.045 * len(entries) + 0.02), loc="upper left")


# --------------------------------------------------------------------------- geometry
def voxel_surface(drawn: np.ndarray, colour_index: np.ndarray, palette: np.ndarray, *,
                  voxel_size_um: float = 1.0):
    """Visible faces of the drawn voxels as a PyVista ``PolyData``.

    Parameters
    ----------
    drawn : ndarray of bool, shape (nx, ny, nz)
        Voxels that are opaque; every other voxel (and the outside) is empty.
    colour_index : ndarray of int, shape (nx, ny, nz)
        Row of ``palette`` that colours each drawn voxel.
    palette : ndarray of uint8, shape (n, 3)
        RGB colours.
    voxel_size_um : float or (float, float, float)
        Edge of a voxel, or its edges (dx, dy, dz) [µm] (the coordinates of the surface).

    Returns
    -------
    pyvista.PolyData
        Quads with cell data ``rgb`` (uint8, n_faces x 3) and ``index``.
    """
    pv = _pyvista()
    drawn = np.asarray(drawn, dtype=bool)
    nx, ny, nz = drawn.shape
    pad = np.pad(drawn, 1, constant_values=False)
    core = (slice(1, -1),) * 3
    quads: list[np.ndarray] = []
    idx: list[np.ndarray] = []
    # corner offsets (in lattice units) of the quad on each side, counter-clockwise seen from outside
    corners = {
        (0, +1): [(1, 0, 0), (1, 1, 0), (1, 1, 1), (1, 0, 1)],
        (0, -1): [(0, 0, 0), (0, 0, 1), (0, 1, 1), (0, 1, 0)],
        (1, +1): [(0, 1, 0), (0, 1, 1), (1, 1, 1), (1, 1, 0)],
        (1, -1): [(0, 0, 0), (1, 0, 0), (1, 0, 1), (0, 0, 1)],
        (2, +1): [(0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)],
        (2, -1): [(0, 0, 0), (0, 1, 0), (1, 1, 0), (1, 0, 0)],
    }
    for (ax, side), offs in corners.items():
        sl = list(core)
        sl[ax] = slice(1 + side, pad.shape[ax] - 1 + side)
        vis = drawn & ~pad[tuple(sl)]
        i, j, k = np.nonzero(vis)
        if i.size == 0:
            continue
        pts = np.stack([np.stack([i + o[0], j + o[1], k + o[2]], axis=1) for o in offs], axis=1)
        quads.append(pts)  # (n, 4, 3) lattice coordinates
        idx.append(colour_index[i, j, k])
    if not quads:
        return pv.PolyData()
    q = np.concatenate(quads)
    ci = np.concatenate(idx)
    lattice_id = (q[..., 0] + (nx + 1) * (q[..., 1] + (ny + 1) * q[..., 2])).ravel()
    uniq, inv = _compact(lattice_id, (nx + 1) * (ny + 1) * (nz + 1))
    ux = uniq % (nx + 1)
    uy = (uniq // (nx + 1)) % (ny + 1)
    uz = uniq // ((nx + 1) * (ny + 1))
    points = np.stack([ux, uy, uz], axis=1).astype(np.float32) * np.broadcast_to(
        np.asarray(voxel_size_um, np.float32), (3,))
    faces = np.empty((q.shape[0], 5), dtype=np.int64)
    faces[:, 0] = 4
    faces[:, 1:] = inv.reshape(-1, 4)
    mesh = pv.PolyData(points, faces.ravel())
    mesh.cell_data["rgb"] = np.asarray(palette, dtype=np.uint8)[ci]
    mesh.cell_data["index"] = ci.astype(np.int32)
    return mesh


#: cull the back faces of voxel surfaces in pictures (see :func:`_surface_actor`)
CULL_BACK_FACES = True
#: lattices up to this many points number the used corners with a table instead of a sort
_TABLE_POINTS = 1 << 25


def _compact(ids: np.ndarray, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(ids, return_inverse=True)`` for ids in ``[0, n_points)``: a mark table and its
    running count (linear time) where the lattice is small enough, else the sort."""
    if n_points > _TABLE_POINTS:
        return np.unique(ids, return_inverse=True)
    used = np.zeros(n_points, dtype=bool)
    used[ids] = True
    uniq = np.flatnonzero(used)
    number = np.empty(n_points, dtype=np.int64 if uniq.size >= 2**31 else np.int32)
    number[uniq] = np.arange(uniq.size, dtype=number.dtype)
    return uniq, number[ids]


def _cutaway_mask(shape: tuple[int, int, int], cutaway: bool | float) -> np.ndarray | None:
    if cutaway is False or cutaway is None:
        return None
    frac = 0.5 if cutaway is True else float(cutaway)
    if not 0.0 < frac < 1.0:
        raise InputError(f"cutaway: expected True, False or a fraction in (0, 1), got {cutaway!r}")
    cut = np.zeros(shape, dtype=bool)
    start = [int(round(n * (1 - frac))) for n in shape]
    cut[start[0]:, start[1]:, start[2]:] = True
    return cut


def _surface_actor(p, mesh, *, lighting: bool) -> None:
    if mesh.n_cells == 0:
        return
    shade = {"ambient": 0.35, "diffuse": 0.7} if lighting else {"ambient": 1.0, "diffuse": 0.0}
    # The voxel surface is closed and its quads face outwards, so a picture never shows a back
    # face: culling them leaves the image the same but at edges (test_viz_render) and halves the
    # software rasterisation (docs/visualisation.md, bench_run.py). Not in an interactive view,
    # where the camera may move inside the structure.
    hand = _HAND_OVER.get()
    picture = (CULL_BACK_FACES and bool(getattr(p, "off_screen", False))
               and (hand is None or getattr(hand, "static", False)))
    p.add_mesh(mesh, scalars="rgb", rgb=True, lighting=lighting, show_scalar_bar=False,
               smooth_shading=False, specular=0.0, culling="back" if picture else None, **shade)


def _outline(p, pv, ms: Microstructure) -> None:
    p.add_mesh(_grid(pv, ms).outline(), color="black", line_width=1)


# --------------------------------------------------------------------------- public renders
def render_phases(ms: Microstructure, *, phases: Iterable[int | str] | None = None,
                  cutaway: bool | float = True, filename: str | os.PathLike | None = None,
                  window_size: Sequence[int] = DEFAULT_WINDOW, legend: bool = True,
                  scale_bar: bool = True, lighting: bool = True, camera: str = "iso",
                  colors: Mapping[str, str] | None = None, show: bool = False) -> np.ndarray:
    """Render the phases as coloured voxel surfaces with a corner cut away.

    Parameters
    ----------
    ms : Microstructure
        The structure.
    phases : iterable of label or name, optional
        Phases to draw; default every phase that is not a pore.
    cutaway : bool or float
        Remove the corner octant nearest the camera (``True`` = half of each
        edge; a float in (0, 1) sets the fraction) to show the inside.
    filename : path, optional
        Write the picture as PNG here.
    window_size : (int, int)
        Width and height of the picture [px].
    legend, scale_bar : bool
        Draw the phase legend and the µm ruler.
    lighting : bool
        Shade the faces; ``False`` draws every phase in its exact colour.
    camera : {'iso', 'x', 'y', 'z'}
        Isometric view, or looking along an axis.
    colors : mapping, optional
        Phase name -> colour overrides.
    show : bool
        Open an interactive window when a display exists.

    Returns
    -------
    ndarray of uint8, shape (height, width, 3)
    """
    _check_ms(ms)
    off = _off_screen(filename, show)
    pv = _pyvista(off)
    if phases is None:
        labels = [k for k, ph in ms.phases.items() if ph.kind is not PhaseKind.PORE]
    else:
        labels = list(ms.phases.resolve_many(list(phases) if not isinstance(phases, (str, int))
                                             else phases))
    pal = phase_colors(ms.phases, overrides=colors)
    palette = np.zeros((256, 3), np.uint8)
    for k, c in pal.items():
        palette[k] = hex_to_rgb(c)
    drawn = np.isin(ms.labels, labels)
    cut = _cutaway_mask(ms.shape, cutaway)
    if cut is not None:
        drawn &= ~cut
    mesh = voxel_surface(drawn, ms.labels, palette, voxel_size_um=_spacing_um(ms))
    p = _plotter(pv, window_size, off)
    _surface_actor(p, mesh, lighting=lighting)
    _outline(p, pv, ms)
    if legend:
        present = set(np.unique(ms.labels[drawn]).tolist())
        _legend(p, [(ms.phases[k].name, pal[k]) for k in labels if k in present])
    _decorate(p, ms, scale_bar=scale_bar, camera=camera)
    return _finish(p, filename=filename, show=show, off_screen=off)


def render_opened_interfaces(ms: Microstructure, opened: Sequence[np.ndarray], *,
                             cutaway: bool | float = False, filename: str | os.PathLike | None = None,
                             window_size: Sequence[int] = DEFAULT_WINDOW, legend: bool = True,
                             scale_bar: bool = True, camera: str = "iso", show: bool = False) -> np.ndarray:
    """Render the active material with the voxels that lost contact on an opened face in red.

    Parameters
    ----------
    ms : Microstructure
        The structure.
    opened : three bool arrays shaped like ``ms.labels``
        ``opened[a][i, j, k]``: the face between voxel ``(i, j, k)`` and the next one along axis
        ``a`` opened (``StressResult.opened``).
    """
    _check_ms(ms)
    active = np.isin(ms.labels, ms.phases.labels_of_kind(PhaseKind.ACTIVE))
    touched = _next_to_faces(opened)
    return _render_active_marked(
        ms, active.copy(), (touched & active).astype(np.int64), ["#bbbbbb", "#d62728"],
        [("active, contact kept", "#bbbbbb"), ("active next to an opened face", "#d62728")],
        cutaway=cutaway, filename=filename, window_size=window_size, legend=legend, scale_bar=scale_bar,
        camera=camera, show=show)


def render_binder(ms: Microstructure, *, cutaway: bool | float = False,
                  filename: str | os.PathLike | None = None, window_size: Sequence[int] = DEFAULT_WINDOW,
                  legend: bool = True, scale_bar: bool = True, camera: str = "iso",
                  lighting: bool = True, show: bool = False) -> np.ndarray:
    """Render the active material and the binder: drawn binder voxels in the binder colour, and
    the active voxels under a sub-voxel film (``ms.film``) in a lighter shade of it."""
    _check_ms(ms)
    active = np.isin(ms.labels, ms.phases.labels_of_kind(PhaseKind.ACTIVE))
    binder = np.isin(ms.labels, ms.phases.labels_of_kind(PhaseKind.BINDER))
    marks = np.where(binder, 2, 0)
    colour = KIND_COLORS[PhaseKind.BINDER]
    entries = [("active", "#bbbbbb")]
    if binder.any():
        entries.append(("binder", colour))
    if ms.film is not None:
        marks[active & _next_to_faces(ms.film.face_masks())] = 1
        entries.append((f"active under a {ms.film.material} film", "#e7b7d4"))
    return _render_active_marked(
        ms, active | binder, marks, ["#bbbbbb", "#e7b7d4", colour], entries, cutaway=cutaway,
        filename=filename, window_size=window_size, legend=legend, scale_bar=scale_bar, camera=camera,
        show=show, lighting=lighting)


def _next_to_faces(faces: Sequence[np.ndarray]) -> np.ndarray:
    """Voxels on either side of the marked faces (``faces[a]``: face to the next voxel along ``a``)."""
    out = np.zeros(np.shape(faces[0]), bool)
    for ax, f in enumerate(faces):
        f = np.asarray(f, bool)
        out |= f | np.roll(f, 1, axis=ax)
    return out


def _render_active_marked(ms: Microstructure, drawn: np.ndarray, marks: np.ndarray, colours, entries, *,
                          cutaway, filename, window_size, legend, scale_bar, camera, show,
                          lighting: bool = True) -> np.ndarray:
    """The voxels ``drawn``, coloured by ``colours[marks]``, with a legend and the outline."""
    off = _off_screen(filename, show)
    pv = _pyvista(off)
    cut = _cutaway_mask(ms.shape, cutaway)
    if cut is not None:
        drawn &= ~cut
    palette = np.array([hex_to_rgb(c) for c in colours], np.uint8)
    mesh = voxel_surface(drawn, np.asarray(marks, np.int64), palette,
                         voxel_size_um=_spacing_um(ms))
    p = _plotter(pv, window_size, off)
    _surface_actor(p, mesh, lighting=lighting)
    _outline(p, pv, ms)
    if legend:
        _legend(p, entries)
    _decorate(p, ms, scale_bar=scale_bar, camera=camera)
    return _finish(p, filename=filename, show=show, off_screen=off)


def render_phase(ms: Microstructure, phase: int | str, *, filename: str | os.PathLike | None = None,
                 window_size: Sequence[int] = DEFAULT_WINDOW, **kwargs: Any) -> np.ndarray:
    """Render one phase alone (no cut-away by default); see :func:`render_phases`."""
    kwargs.setdefault("cutaway", False)
    return render_phases(ms, phases=[phase], filename=filename, window_size=window_size, **kwargs)


def render_particle_status(ms: Microstructure, status: Any, *, cutaway: bool | float = False,
                           context: bool = True, filename: str | os.PathLike | None = None,
                           window_size: Sequence[int] = DEFAULT_WINDOW, legend: bool = True,
                           scale_bar: bool = True, lighting: bool = True, camera: str = "iso",
                           show: bool = False) -> np.ndarray:
    """Render active particles coloured by their status.

    Parameters
    ----------
    ms : Microstructure
        A structure with a ``particles`` id volume.
    status : mapping or sequence
        Status of each particle: ``{id: name}``, or one entry per particle
        (row ``i`` = particle ``i + 1``). Names: ``utilisable``,
        ``ionically_isolated``, ``electronically_isolated``, ``dead``
        (or the integer codes :data:`STATUS_CODES`).
    context : bool
        Draw the rest of the structure as a faint grey outline box only
        (``False`` draws nothing else either way; kept for clarity).
    Other parameters as in :func:`render_phases`.

    Returns
    -------
    ndarray of uint8, shape (height, width, 3)
    """
    _check_ms(ms)
    if ms.particles is None:
        raise InputError(
            "ms: the structure has no particle ids (ms.particles is None); generate it with a "
            "recipe that records particles, or label the active phase first"
        )
    n = int(ms.particles.max())
    codes = status_codes(status, n)
    off = _off_screen(filename, show)
    pv = _pyvista(off)
    palette = np.zeros((len(STATUS_CODES) + 1, 3), np.uint8)
    palette[0] = hex_to_rgb("#BBBBBB")  # particles without a status
    for name, c in STATUS_CODES.items():
        palette[c] = hex_to_rgb(STATUS_COLORS[name])
    per_voxel = codes[ms.particles]
    drawn = ms.particles > 0
    cut = _cutaway_mask(ms.shape, cutaway)
    if cut is not None:
        drawn &= ~cut
    mesh = voxel_surface(drawn, per_voxel, palette, voxel_size_um=_spacing_um(ms))
    p = _plotter(pv, window_size, off)
    _surface_actor(p, mesh, lighting=lighting)
    _outline(p, pv, ms)
    if legend:
        present = set(np.unique(per_voxel[drawn]).tolist())
        counts = np.bincount(codes[1:], minlength=len(STATUS_CODES) + 1)
        _legend(p, [(f"{STATUS_LABELS[name]} ({counts[c]})", STATUS_COLORS[name])
                    for name, c in STATUS_CODES.items() if c in present])
    _decorate(p, ms, scale_bar=scale_bar, camera=camera)
    return _finish(p, filename=filename, show=show, off_screen=off)


def _field_array(ms: Microstructure, values: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(values)
    if a.shape != ms.shape:
        raise InputError(f"{name}: expected a field of shape {ms.shape} (the structure's), got {a.shape}")
    return a.astype(np.float32, copy=False)


def _slice_positions(ms: Microstructure, slices: Mapping[str, int] | None) -> list[tuple[int, float]]:
    h = _spacing_um(ms)
    if slices is None:
        slices = {ax: n // 2 for ax, n in zip("xyz", ms.shape, strict=True)}
    out = []
    for ax, i in slices.items():
        a = axis_index(ax)
        n = ms.shape[a]
        if not 0 <= int(i) < n:
            raise InputError(f"slices: {ax}={i} is outside 0..{n - 1}")
        out.append((a, (int(i) + 0.5) * h[a]))
    return out


def render_field(ms: Microstructure, values: np.ndarray, *, name: str = "field", unit: str = "",
                 mode: str = "slices", mask: np.ndarray | None = None,
                 slices: Mapping[str, int] | None = None, cmap: str | None = None,
                 clim: Sequence[float] | None = None, log_scale: bool = False,
                 filename: str | os.PathLike | None = None,
                 window_size: Sequence[int] = DEFAULT_WINDOW, scale_bar: bool = True,
                 camera: str = "iso", show: bool = False) -> np.ndarray:
    """Render a scalar field as orthogonal slices or as a volume.

    Parameters
    ----------
    ms : Microstructure
        The structure the field lives on.
    values : ndarray, shape ms.shape
        The field (e.g. potential [V], current-density magnitude [A/m^2]).
    name, unit : str
        Shown in the colour bar title as ``name [unit]``.
    mode : {'slices', 'volume'}
        Three orthogonal slices (through the centre, or ``slices``) or a volume render.
    mask : ndarray of bool, optional
        Voxels where the field is defined; others are shown grey (slices) or
        transparent (volume).
    slices : mapping, optional
        ``{'x': i, 'y': j, 'z': k}`` voxel indices of the slices.
    cmap : str, optional
        Colour map; default ``cividis`` (``RdBu_r`` for fields with both signs).
    clim : (float, float), optional
        Colour range.
    log_scale : bool
        Logarithmic colour scale (positive fields).
    Other parameters as in :func:`render_phases`.

    Returns
    -------
    ndarray of uint8, shape (height, width, 3)
    """
    _check_ms(ms)
    a = _field_array(ms, values, "values").copy()
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        if m.shape != ms.shape:
            raise InputError(f"mask: expected shape {ms.shape}, got {m.shape}")
        a[~m] = np.nan
    if mode not in ("slices", "volume"):
        raise InputError(f"mode: expected 'slices' or 'volume', got {mode!r}")
    finite = a[np.isfinite(a)]
    if cmap is None:
        cmap = DIVERGING_CMAP if finite.size and finite.min() < 0 < finite.max() else FIELD_CMAP
    if clim is None and finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        if cmap == DIVERGING_CMAP:
            m_ = max(abs(lo), abs(hi))
            lo, hi = -m_, m_
        if log_scale:
            pos = finite[finite > 0]
            lo = float(pos.min()) if pos.size else 1e-12
        clim = (lo, hi if hi > lo else lo + 1.0)
    off = _off_screen(filename, show)
    pv = _pyvista(off)
    title = f"{name} [{unit}]" if unit else name
    grid = _grid(pv, ms)
    grid.cell_data[name] = _cell_values(a)
    p = _plotter(pv, window_size, off)
    sbar = {"title": title, "color": "black", "fmt": "%.3g", "vertical": True,
            "position_x": 0.85, "position_y": 0.1, "height": 0.7, "width": 0.08}
    if mode == "slices":
        for ax, pos in _slice_positions(ms, slices):
            normal = [0.0, 0.0, 0.0]
            normal[ax] = 1.0
            origin = list(grid.center)
            origin[ax] = pos
            sl = grid.slice(normal=normal, origin=origin)
            p.add_mesh(sl, scalars=name, cmap=cmap, clim=clim, nan_color="#BBBBBB",
                       log_scale=log_scale, scalar_bar_args=sbar, lighting=False)
    else:
        pts = grid.cell_data_to_point_data()
        vals = np.asarray(pts.point_data[name], dtype=np.float32)
        fill = clim[0] if clim is not None else 0.0
        pts.point_data[name] = np.where(np.isfinite(vals), vals, fill).astype(np.float32)
        p.add_volume(pts, scalars=name, cmap=cmap, clim=clim, opacity="linear",
                     scalar_bar_args=sbar, log_scale=log_scale,
                     opacity_unit_distance=units.to_um(max(ms.size)) / 8)
    _outline(p, pv, ms)
    _decorate(p, ms, scale_bar=scale_bar, camera=camera)
    return _finish(p, filename=filename, show=show, off_screen=off)


def render_streamlines(ms: Microstructure, current_density: np.ndarray, *,
                       name: str = "current density",
                       unit: str = "A/m^2", axis: int | str = "x", n_seeds: int = 150,
                       phase_context: Iterable[int | str] | None = None, rng: Any = 0,
                       filename: str | os.PathLike | None = None,
                       window_size: Sequence[int] = DEFAULT_WINDOW, scale_bar: bool = True,
                       camera: str = "iso", show: bool = False) -> np.ndarray:
    """Render current streamlines from the inlet face, coloured by current density.

    Parameters
    ----------
    ms : Microstructure
        The structure.
    current_density : ndarray, shape (3, nx, ny, nz)
        Current-density vectors per voxel [A/m^2].
    axis : {'x', 'y', 'z'}
        Direction of the applied potential drop; seeds lie on the low face.
    n_seeds : int
        Number of seed points (drawn in voxels of the inlet layer that carry current).
    phase_context : iterable of label or name, optional
        Phases drawn as a translucent surface for orientation (default none).
    rng : int or numpy.random.Generator
        Seed of the seed-point draw.
    Other parameters as in :func:`render_field`.

    Returns
    -------
    ndarray of uint8, shape (height, width, 3)
    """
    _check_ms(ms)
    j = np.asarray(current_density, dtype=np.float32)
    if j.shape != (3, *ms.shape):
        raise InputError(
            f"current_density: expected shape (3, {', '.join(map(str, ms.shape))}), got {j.shape}"
        )
    a = axis_index(axis)
    rng = np.random.default_rng(rng)
    off = _off_screen(filename, show)
    pv = _pyvista(off)
    h = _spacing_um(ms)
    grid = _grid(pv, ms)
    vec = np.stack([_cell_values(j[c]) for c in range(3)], axis=1)
    vec = np.where(np.isfinite(vec), vec, 0.0).astype(np.float32)
    grid.cell_data["j"] = vec
    mag = np.linalg.norm(j, axis=0)
    mag = np.where(np.isfinite(mag), mag, 0.0)
    pts = grid.cell_data_to_point_data()
    # seeds: centres of inlet-layer voxels that carry current
    inlet = np.take(mag, 0, axis=a)
    thr = 0.05 * float(inlet.max()) if inlet.size and inlet.max() > 0 else np.inf
    cand = np.argwhere(inlet > thr)
    p = _plotter(pv, window_size, off)
    if cand.size:
        pick = cand[rng.choice(len(cand), size=min(n_seeds, len(cand)), replace=False)]
        seeds = np.zeros((len(pick), 3), np.float32)
        others = [d for d in range(3) if d != a]
        seeds[:, a] = 0.5 * h[a]
        seeds[:, others[0]] = (pick[:, 0] + 0.5) * h[others[0]]
        seeds[:, others[1]] = (pick[:, 1] + 0.5) * h[others[1]]
        lines = pts.streamlines_from_source(pv.PolyData(seeds), vectors="j",
                                            integration_direction="forward", max_steps=4000,
                                            initial_step_length=0.2, step_unit="cl",
                                            terminal_speed=1e-12 * float(mag.max() or 1.0),
                                            max_length=4.0 * units.to_um(max(ms.size)))
        if lines.n_points:
            speed = np.linalg.norm(np.asarray(lines.point_data["j"]), axis=1)
            lines.point_data[name] = speed
            hi = float(np.percentile(speed, 99)) if speed.size else 1.0
            try:
                shown = lines.tube(radius=0.2 * min(h), n_sides=6)
            except Exception:  # noqa: BLE001 - degenerate lines: draw them as lines
                shown = lines
            p.add_mesh(shown, scalars=name, cmap=FIELD_CMAP, clim=(0.0, hi if hi > 0 else 1.0),
                       line_width=2, lighting=True, ambient=0.4,
                       scalar_bar_args={"title": f"{name} [{unit}]", "color": "black", "fmt": "%.3g",
                                        "vertical": True, "position_x": 0.85, "position_y": 0.1,
                                        "height": 0.7, "width": 0.08})
        else:
            log.warning("streamlines: no line left the seeds; is the current field zero?")
    else:
        log.warning("streamlines: no voxel on the inlet face carries current; nothing to draw")
    if phase_context is not None:
        labels = ms.phases.resolve_many(list(phase_context))
        pal = phase_colors(ms.phases)
        palette = np.zeros((256, 3), np.uint8)
        for k, c in pal.items():
            palette[k] = hex_to_rgb(c)
        surf = voxel_surface(np.isin(ms.labels, labels), ms.labels, palette, voxel_size_um=h)
        if surf.n_cells:
            p.add_mesh(surf, scalars="rgb", rgb=True, opacity=0.15, show_scalar_bar=False)
    _outline(p, pv, ms)
    _decorate(p, ms, scale_bar=scale_bar, camera=camera)
    return _finish(p, filename=filename, show=show, off_screen=off)


def _check_ms(ms: Any) -> None:
    if not isinstance(ms, Microstructure):
        raise InputError(f"ms: expected a microcath.Microstructure, got {type(ms).__name__}")
