"""Plots with matplotlib: slices, size distributions, conductivity with bounds, histograms.

Every function returns a :class:`matplotlib.figure.Figure` built without
pyplot (no global state, no GUI backend needed) and writes it when given a
``filename``. Pass ``ax=`` to draw into an axes of your own figure instead.
The numbers drawn here (Hashin-Shtrikman bounds, particle diameters) are
computed in :mod:`microcath.analysis`; this module only draws.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .. import units
from ..errors import InputError
from ..microstructure import AXES, Microstructure, axis_index
from .colors import DIVERGING_CMAP, FIELD_CMAP, OKABE_ITO, phase_colors

__all__ = [
    "plot_label_slice",
    "plot_field_slice",
    "plot_particle_size_distribution",
    "plot_conductivity",
    "plot_histogram",
    "plot_contact_distribution",
    "plot_trend",
]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- helpers
def _figure(ax: Any, figsize: tuple[float, float]):
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _save(fig, filename: str | os.PathLike | None, dpi: int) -> None:
    if filename is not None:
        path = Path(filename)
        path.parent.mkdir(parents=True, exist_ok=True)
        from ..io.atomic import atomic_path, check_image

        with atomic_path(path, verify=check_image(path)) as tmp:
            fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".").lower() or "png")
        log.info("wrote %s", path)


def _slice(a: np.ndarray, axis: int, index: int | None) -> tuple[np.ndarray, int]:
    n = a.shape[axis]
    i = n // 2 if index is None else int(index)
    if not 0 <= i < n:
        raise InputError(f"index: {AXES[axis]}={i} is outside 0..{n - 1}")
    return np.take(a, i, axis=axis), i


def _extent(ms: Microstructure, axis: int) -> tuple[list[float], str, str]:
    """imshow extent [µm] and axis names of the slice normal to ``axis`` (shown as rows=first)."""
    other = [d for d in range(3) if d != axis]
    size = [units.to_um(v) for v in ms.size]
    # the slice array is [first, second]; imshow shows rows vertically -> transpose to put first on x;
    # the extent in µm keeps unequal voxel edges to scale (imshow's default equal aspect)
    return ([0, size[other[0]], 0, size[other[1]]],
            f"{AXES[other[0]]} [µm]", f"{AXES[other[1]]} [µm]")


# --------------------------------------------------------------------------- plots
def plot_label_slice(ms: Microstructure, *, axis: int | str = "z", index: int | None = None,
                     ax: Any = None, colors: Mapping[str, str] | None = None,
                     filename: str | os.PathLike | None = None, dpi: int = 120,
                     figsize: tuple[float, float] = (6.0, 5.0)):
    """Plot one slice of the phase labels with a phase legend.

    Parameters
    ----------
    ms : Microstructure
    axis : {'x', 'y', 'z'}
        Normal of the slice.
    index : int, optional
        Voxel index of the slice (default the middle).
    ax : matplotlib Axes, optional
        Draw here instead of a new figure.
    colors : mapping, optional
        Phase name -> colour overrides.
    filename : path, optional
        Write the figure (PNG by suffix).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    a = axis_index(axis)
    sl, i = _slice(ms.labels, a, index)
    pal = phase_colors(ms.phases, overrides=colors)
    labels = list(pal)
    lut = np.zeros(256, dtype=np.int32)
    lut[labels] = np.arange(len(labels))
    cmap = ListedColormap([pal[k] for k in labels])
    fig, ax = _figure(ax, figsize)
    extent, xl, yl = _extent(ms, a)
    ax.imshow(lut[sl].T, origin="lower", cmap=cmap, vmin=-0.5, vmax=len(labels) - 0.5,
              extent=extent, interpolation="nearest")
    ax.set_xlabel(xl)
    ax.set_ylabel(yl)
    ax.set_title(f"phases, slice {AXES[a]} = {i} ({units.to_um((i + 0.5) * ms.spacing[a]):.3g} µm)")
    fr = ms.volume_fractions()
    present = set(np.unique(ms.labels).tolist())
    handles = [Patch(facecolor=pal[k], edgecolor="black", linewidth=0.5,
                     label=f"{ms.phases[k].name} ({100 * fr[ms.phases[k].name]:.1f} vol%)")
               for k in labels if k in present]
    if ax.figure is fig and len(fig.axes) == 1:
        fig.legend(handles=handles, loc="outside right upper", frameon=False, fontsize="small")
    else:
        ax.legend(handles=handles, loc="upper right", fontsize="x-small")
    _save(fig, filename, dpi)
    return fig


def plot_field_slice(ms: Microstructure, values: np.ndarray, *, name: str = "field", unit: str = "",
                     axis: int | str = "z", index: int | None = None, mask: np.ndarray | None = None,
                     cmap: str | None = None, log_scale: bool = False, ax: Any = None,
                     filename: str | os.PathLike | None = None, dpi: int = 120,
                     figsize: tuple[float, float] = (6.0, 5.0)):
    """Plot one slice of a scalar field with a colour bar in its unit.

    Voxels outside ``mask`` (where the field is not defined) are grey.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.colors import LogNorm, Normalize

    a = axis_index(axis)
    v = np.asarray(values, dtype=float)
    if v.shape != ms.shape:
        raise InputError(f"values: expected shape {ms.shape} (the structure's), got {v.shape}")
    v = v.copy()
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        if m.shape != ms.shape:
            raise InputError(f"mask: expected shape {ms.shape}, got {m.shape}")
        v[~m] = np.nan
    sl, i = _slice(v, a, index)
    finite = v[np.isfinite(v)]
    if cmap is None:
        cmap = DIVERGING_CMAP if finite.size and finite.min() < 0 < finite.max() else FIELD_CMAP
    if log_scale:
        pos = finite[finite > 0]
        norm = LogNorm(vmin=float(pos.min()) if pos.size else 1e-12,
                       vmax=float(pos.max()) if pos.size else 1.0)
    elif cmap == DIVERGING_CMAP and finite.size:
        m_ = float(np.abs(finite).max())
        norm = Normalize(-m_, m_)
    else:
        norm = Normalize(float(finite.min()) if finite.size else 0.0,
                         float(finite.max()) if finite.size else 1.0)
    import matplotlib

    cm = matplotlib.colormaps[cmap].with_extremes(bad="#BBBBBB")
    fig, ax = _figure(ax, figsize)
    extent, xl, yl = _extent(ms, a)
    im = ax.imshow(np.ma.masked_invalid(sl).T, origin="lower", cmap=cm, norm=norm, extent=extent,
                   interpolation="nearest")
    cb = fig.colorbar(im, ax=ax, shrink=0.85)
    cb.set_label(f"{name} [{unit}]" if unit else name)
    ax.set_xlabel(xl)
    ax.set_ylabel(yl)
    ax.set_title(f"{name}, slice {AXES[a]} = {i}")
    _save(fig, filename, dpi)
    return fig


def plot_particle_size_distribution(data: Microstructure | np.ndarray, *, bins: int | str = "auto",
                                    ax: Any = None, filename: str | os.PathLike | None = None,
                                    dpi: int = 120, figsize: tuple[float, float] = (6.0, 4.0)):
    """Histogram of particle diameters [µm] (volume-equivalent spheres).

    Parameters
    ----------
    data : Microstructure or ndarray
        A structure with particle ids, or the diameters [m].

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ..analysis.particles import particle_diameters

    d = particle_diameters(data) if isinstance(data, Microstructure) else np.asarray(data, float)
    d_um = units.to_um(d[np.isfinite(d)])
    fig, ax = _figure(ax, figsize)
    if d_um.size:
        ax.hist(d_um, bins=bins, color=OKABE_ITO["vermillion"], edgecolor="black", linewidth=0.5)
        d50 = float(np.median(d_um))
        ax.axvline(d50, color="black", linestyle="--", linewidth=1, label=f"median {d50:.3g} µm")
        ax.legend(frameon=False)
    else:
        ax.text(0.5, 0.5, "no particles", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("particle diameter (volume-equivalent sphere) [µm]")
    ax.set_ylabel("number of particles")
    ax.set_title(f"particle size distribution (n = {d_um.size})")
    _save(fig, filename, dpi)
    return fig


def plot_conductivity(values: Mapping[str, Mapping[str, float]], *,
                      bounds: Mapping[str, tuple[float, float]] | None = None,
                      phase_sigma: Mapping[str, float] | None = None, ax: Any = None,
                      filename: str | os.PathLike | None = None, dpi: int = 120,
                      figsize: tuple[float, float] | None = None):
    """Effective conductivity per axis and carrier, with the Hashin–Shtrikman bounds drawn in.

    Parameters
    ----------
    values : mapping
        ``{carrier: {axis: sigma_eff [S/m]}}``, e.g. ``{"ionic": {"x": 0.05}}``.
    bounds : mapping, optional
        ``{carrier: (lower, upper)}`` [S/m] (see :func:`hashin_shtrikman_bounds`);
        drawn as a shaded band with the upper bound dashed.
    phase_sigma : mapping, optional
        ``{carrier: sigma of the conducting phase [S/m]}``, drawn dotted for reference.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per carrier, values in mS/cm on a log axis.
    """
    if not values:
        raise InputError("values: expected {carrier: {axis: sigma_eff [S/m]}}, got nothing")
    carriers = list(values)
    if ax is not None:
        fig, axes = ax.figure, [ax] * len(carriers)
    else:
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize or (3.6 * len(carriers) + 0.6, 4.0), layout="constrained")
        axes = fig.subplots(1, len(carriers), squeeze=False)[0]
    to_mS = 10.0  # S/m -> mS/cm
    colors = {"ionic": OKABE_ITO["sky_blue"], "electronic": OKABE_ITO["orange"]}
    for a_, carrier in zip(axes, carriers, strict=True):
        per_axis = values[carrier]
        names = [ax_ for ax_ in AXES if ax_ in per_axis] or list(per_axis)
        v = np.array([float(per_axis[n]) for n in names]) * to_mS
        xs = np.arange(len(names))
        a_.bar(xs, np.where(v > 0, v, np.nan), color=colors.get(carrier, OKABE_ITO["bluish_green"]),
               edgecolor="black", linewidth=0.5, label="σ_eff (voxel solve)", width=0.6)
        for x_, val in zip(xs, v, strict=True):
            a_.annotate(f"{val:.3g}" if val > 0 else "0\n(no path)", (x_, val if val > 0 else 0.02),
                        xycoords=("data", "data") if val > 0 else ("data", "axes fraction"),
                        ha="center", va="bottom", fontsize="small",
                        xytext=(0, 2), textcoords="offset points")
        ymin, ymax = (v[v > 0].min() if np.any(v > 0) else 1e-3), (v.max() if v.max() > 0 else 1.0)
        if bounds and carrier in bounds:
            lo, up = (float(b) * to_mS for b in bounds[carrier])
            a_.axhspan(max(lo, 1e-30), up, color="grey", alpha=0.15, label="Hashin–Shtrikman range")
            a_.axhline(up, color="black", linestyle="--", linewidth=1,
                       label=f"HS upper bound {up:.3g}")
            if lo > 0:
                a_.axhline(lo, color="black", linestyle=":", linewidth=1, label=f"HS lower {lo:.3g}")
                ymin = min(ymin, lo)
            ymax = max(ymax, up)
        if phase_sigma and carrier in phase_sigma:
            ps = float(phase_sigma[carrier]) * to_mS
            a_.axhline(ps, color=OKABE_ITO["bluish_green"], linestyle="-.", linewidth=1,
                       label=f"bulk phase {ps:.3g}")
            ymax = max(ymax, ps)
        a_.set_yscale("log")
        a_.set_ylim(ymin / 5.0, ymax * 60.0)
        from matplotlib.ticker import NullFormatter

        a_.yaxis.set_minor_formatter(NullFormatter())
        a_.set_xticks(xs, names)
        a_.set_xlabel("axis")
        a_.set_ylabel("effective conductivity [mS/cm]")
        a_.set_title(f"{carrier}")
        a_.legend(fontsize="x-small", loc="upper right", frameon=True)
    _save(fig, filename, dpi)
    return fig


def plot_histogram(values: np.ndarray, *, name: str, unit: str = "", bins: int | str = 60,
                   weights: np.ndarray | None = None, signed: bool | None = None, ax: Any = None,
                   filename: str | os.PathLike | None = None, dpi: int = 120,
                   figsize: tuple[float, float] = (6.0, 4.0)):
    """Histogram of a field's values (e.g. von Mises stress [MPa], interface traction [MPa]).

    Parameters
    ----------
    values : ndarray
        The values (any shape; NaN ignored).
    name, unit : str
        Axis label ``name [unit]``.
    weights : ndarray, optional
        Weights per value (e.g. face areas).
    signed : bool, optional
        Mark zero with a line (default: when values of both signs occur).

    Returns
    -------
    matplotlib.figure.Figure
    """
    v = np.asarray(values, dtype=float).ravel()
    w = None if weights is None else np.asarray(weights, dtype=float).ravel()
    if w is not None and w.shape != v.shape:
        raise InputError(f"weights: expected {v.shape[0]} weights, got {w.shape[0]}")
    ok = np.isfinite(v)
    v = v[ok]
    w = None if w is None else w[ok]
    fig, ax = _figure(ax, figsize)
    if v.size:
        ax.hist(v, bins=bins, weights=w, color=OKABE_ITO["blue"], edgecolor="black", linewidth=0.3)
        if signed if signed is not None else (v.min() < 0 < v.max()):
            ax.axvline(0.0, color="black", linewidth=1)
        mean = float(np.average(v, weights=w))
        ax.axvline(mean, color=OKABE_ITO["vermillion"], linestyle="--", linewidth=1,
                   label=f"mean {mean:.3g} {unit}".rstrip())
        ax.legend(frameon=False)
    ax.set_xlabel(f"{name} [{unit}]" if unit else name)
    ax.set_ylabel("count" if w is None else "weight")
    ax.set_title(f"{name} (n = {v.size})")
    _save(fig, filename, dpi)
    return fig


def plot_contact_distribution(fractions: Mapping[str, np.ndarray], *, bins: int = 20, ax: Any = None,
                              filename: str | os.PathLike | None = None, dpi: int = 120,
                              figsize: tuple[float, float] = (6.0, 4.0)):
    """Distribution of per-particle contact fractions (share of each particle's surface).

    Parameters
    ----------
    fractions : mapping
        ``{partner: array of contact fractions in [0, 1], one per particle}``,
        e.g. ``{"electrolyte": ..., "carbon": ..., "pore": ...}``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure(ax, figsize)
    palette = [OKABE_ITO[k] for k in ("sky_blue", "orange", "bluish_green", "reddish_purple", "blue")]
    edges = np.linspace(0.0, 1.0, bins + 1)
    for (partner, vals), color in zip(fractions.items(), palette * 4, strict=False):
        v = np.asarray(vals, dtype=float)
        v = v[np.isfinite(v)]
        if v.size and (v.min() < -1e-9 or v.max() > 1 + 1e-9):
            raise InputError(f"fractions[{partner!r}]: contact fractions must lie in [0, 1]")
        ax.hist(v, bins=edges, histtype="step", linewidth=1.8, color=color,
                label=f"{partner} (mean {100 * v.mean():.0f} %)" if v.size else partner)
    ax.set_xlabel("fraction of particle surface in contact [-]")
    ax.set_ylabel("number of particles")
    ax.set_title("per-particle contact")
    ax.legend(frameon=False)
    _save(fig, filename, dpi)
    return fig


def plot_trend(series: Mapping[str, Mapping[str, Any]], *, xlabel: str, ylabel: str,
               band_label: str = "Hashin–Shtrikman range", log_y: bool | None = None, ax: Any = None,
               filename: str | os.PathLike | None = None, dpi: int = 120,
               figsize: tuple[float, float] = (5.6, 4.0)):
    """A quantity against a parameter: mean with its spread over repetitions, one line per series.

    Parameters
    ----------
    series : mapping
        ``{label: {"x": values, "mean": ..., "spread": ..., "n": counts, "lower": ..., "upper": ...}}``;
        ``x`` numbers or category names, ``spread`` drawn as error bars (one standard deviation),
        ``lower``/``upper`` (optional) as a shaded band (e.g. the Hashin-Shtrikman bounds).
    xlabel, ylabel : str
        Axis labels (with units).
    log_y : bool, optional
        Logarithmic y axis (default: when the positive values span more than two decades).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not series:
        raise InputError("series: expected {label: {'x': ..., 'mean': ..., 'spread': ...}}, got nothing")
    fig, ax_ = _figure(ax, figsize)
    colors = list(OKABE_ITO.values())
    cats: list[str] = []
    numeric = all(np.issubdtype(np.asarray(s["x"]).dtype, np.number) for s in series.values())
    if not numeric:
        for s in series.values():
            cats += [str(v) for v in s["x"] if str(v) not in cats]
    allv = []
    for i, (label, s) in enumerate(series.items()):
        x = np.asarray(s["x"], float) if numeric else np.array([cats.index(str(v)) for v in s["x"]], float)
        m = np.asarray(s["mean"], float)
        sp = np.nan_to_num(np.asarray(s.get("spread", np.zeros_like(m)), float))
        c = colors[(i + 1) % len(colors)]
        if s.get("lower") is not None and s.get("upper") is not None:
            ax_.fill_between(x, np.asarray(s["lower"], float), np.asarray(s["upper"], float), color=c,
                             alpha=0.15, linewidth=0, label=f"{band_label}{f' ({label})' if label else ''}")
            allv += list(np.asarray(s["lower"], float)) + list(np.asarray(s["upper"], float))
        n = np.asarray(s.get("n", np.ones_like(m)), int)
        tag = f" (n = {n.min()}" + (f"–{n.max()}" if n.max() != n.min() else "") + ")"
        ax_.errorbar(x, m, yerr=sp, color=c, marker="o", capsize=3, linewidth=1.5,
                     label=(label or "mean ± 1 s.d. over seeds") + tag)
        allv += list(m)
    pos = np.asarray([v for v in allv if np.isfinite(v) and v > 0])
    if log_y is None:
        log_y = pos.size > 1 and pos.max() / pos.min() > 100
    if log_y:
        ax_.set_yscale("log")
    if not numeric:
        ax_.set_xticks(range(len(cats)), cats)
    ax_.set_xlabel(xlabel)
    ax_.set_ylabel(ylabel)
    ax_.grid(True, alpha=0.3)
    ax_.legend(fontsize="small")
    _save(fig, filename, dpi)
    return fig
