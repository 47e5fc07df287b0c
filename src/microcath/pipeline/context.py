"""The run context and the stage contract of ``microcath run``.

A run is a list of :class:`Stage` objects. Each stage is a function of the
:class:`RunContext` (the structure and the results so far) that returns a
:class:`StageOutput`: numbers for ``results.json``, figures and data files it
wrote with their captions, headline lines, voxel fields for ``fields.vti``, and
the results it adds to the context. The driver (:mod:`.driver`) applies the
output and hands the new context to the next stage.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..microstructure import Microstructure
from ..report import path_inside

__all__ = ["RunConfig", "RunContext", "Stage", "StageOutput", "Figure", "Line", "NEEDS"]

#: What a stage may need: the context fields that earlier stages fill in.
NEEDS = ("structure", "analysis", "conductivity", "mechanics")


@dataclass(frozen=True)
class RunConfig:
    """What the user asked for (``microcath run`` options).

    Attributes
    ----------
    recipe : str
        Geometry recipe name or TOML path.
    shape : (int, int, int) or None
        Voxels per axis (None: the recipe's).
    seed : int
        Generator seed.
    overrides : mapping
        Recipe values to change (``--set``).
    window_size : (int, int)
        Size of the 3-D renders [px].
    progress : bool
        Progress bars and log lines.
    figures : bool
        Draw the figures and write the data files (structure, particle table, fields); False:
        numbers only (what a sweep case needs).
    axes : tuple of str
        Axes of the conductivity stages (x is the headline; others add ``axes`` entries).
    soc : float or None
        State coordinate of the stress stage (``x_Li``; None: each active material's charged end).
    stack_pressure : float
        Stack pressure of the stress stage [Pa].
    anisotropic_stiffness : bool
        Grains of a layered oxide take a rotated single-crystal stiffness in the stress stage.
    """

    recipe: str = "default"
    shape: tuple[int, int, int] | None = None
    seed: int = 0
    overrides: Mapping[str, Any] = field(default_factory=dict)
    window_size: tuple[int, int] = (900, 720)
    progress: bool = True
    figures: bool = True
    axes: tuple[str, ...] = ("x",)
    soc: float | None = None
    stack_pressure: float = 0.0
    anisotropic_stiffness: bool = False


@dataclass(frozen=True)
class RunContext:
    """Everything a stage can read. Immutable: the driver derives a new one after each stage.

    Attributes
    ----------
    config : RunConfig
    folder : Path
        Where the results folder is being built (files written here end up in ``out_dir``);
        use :meth:`path`.
    structure : Microstructure or None
        The structure (set by the generate stage, or given).
    analysis : microcath.analysis.AnalysisResult or None
        Set by the analyse stage.
    conductivity : mapping
        ``{carrier: ConductivityResult}`` along x, one entry per conductivity stage that ran.
    mechanics : object or None
        The mechanics result (set by a mechanics stage).
    fields : mapping
        ``{name: (array, unit)}`` voxel fields collected so far, written to ``fields.vti``.
    """

    config: RunConfig
    folder: Path
    structure: Microstructure | None = None
    analysis: Any = None
    conductivity: Mapping[str, Any] = field(default_factory=dict)
    mechanics: Any = None
    fields: Mapping[str, tuple[np.ndarray, str]] = field(default_factory=dict)

    def path(self, relative: str) -> Path:
        """Where to write the file that will be ``out_dir/relative`` (folders created)."""
        return path_inside(self.folder, relative)

    def has(self, need: str) -> bool:
        """Whether the context holds ``need`` (one of :data:`NEEDS`)."""
        present = {"structure": self.structure is not None, "analysis": self.analysis is not None,
                   "conductivity": bool(self.conductivity), "mechanics": self.mechanics is not None}
        return present[need]

    def updated(self, out: StageOutput) -> RunContext:
        """The context after a stage: its results added, its fields collected."""
        changes: dict[str, Any] = {}
        if out.structure is not None:
            changes["structure"] = out.structure
        if out.analysis is not None:
            changes["analysis"] = out.analysis
        if out.conductivity:
            changes["conductivity"] = {**self.conductivity, **out.conductivity}
        if out.mechanics is not None:
            changes["mechanics"] = out.mechanics
        if out.fields:
            changes["fields"] = {**self.fields, **out.fields}
        return dataclasses.replace(self, **changes) if changes else self


@dataclass(frozen=True)
class Figure:
    """A file a stage wrote into the results folder (``file`` relative to it) and its caption.

    ``stage`` files it under another name in the report (default: the stage's own).
    """

    file: str
    caption: str
    stage: str = ""


@dataclass(frozen=True)
class Line:
    """A headline line of the report and of ``microcath run``'s output: ``label: text``."""

    label: str
    text: str


@dataclass(frozen=True)
class StageOutput:
    """What a stage returns. Every field is optional.

    Attributes
    ----------
    summary : dict
        Numbers of the stage (with units) for its row in ``results.json``.
    results : dict
        Entries of ``results.json["results"]`` (a dict value is merged into an existing one,
        e.g. ``{"conductivity": {"ionic": ...}}``).
    headline : dict
        Headline numbers (``results.json["results"]["headline"]`` and ``RunResult.headline``).
    lines : tuple of Line
        Headline lines, in order.
    figures, files : tuple of Figure
        Figures (PNG) and data files the stage wrote (with :meth:`RunContext.path`).
    fields : dict
        ``{name: (array, unit)}`` voxel fields for ``fields.vti``.
    structure, analysis, conductivity, mechanics
        Results the stage adds to the context (``conductivity``: ``{carrier: result}``).
    not_run : str
        Non-empty: the stage did not run, and this says why (e.g. its solver is not built).
    """

    summary: Mapping[str, Any] = field(default_factory=dict)
    results: Mapping[str, Any] = field(default_factory=dict)
    headline: Mapping[str, Any] = field(default_factory=dict)
    lines: tuple[Line, ...] = ()
    figures: tuple[Figure, ...] = ()
    files: tuple[Figure, ...] = ()
    fields: Mapping[str, tuple[np.ndarray, str]] = field(default_factory=dict)
    structure: Microstructure | None = None
    analysis: Any = None
    conductivity: Mapping[str, Any] = field(default_factory=dict)
    mechanics: Any = None
    not_run: str = ""


@dataclass(frozen=True)
class Stage:
    """One step of a run.

    Attributes
    ----------
    name : str
        Shown in the report and ``results.json`` (``"generate"``, ``"ionic conductivity"``, ...).
    run : callable
        ``run(ctx: RunContext) -> StageOutput``.
    needs : tuple of str
        Context fields (:data:`NEEDS`) that must be present; otherwise the stage is recorded
        as *not run* with the reason.
    """

    name: str
    run: Callable[[RunContext], StageOutput]
    needs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [n for n in self.needs if n not in NEEDS]
        if unknown:
            raise InputError(f"needs: {unknown} are not fields of the run context; expected some of {NEEDS}")
