"""Results folders: ``results.json``, the structure, fields as ``.vti``, figures and ``report.html``.

A :class:`ReportBuilder` builds the folder in a hidden temporary directory next
to the target and renames it onto the target only when everything was
written (``os.replace``), so a crashed run never leaves a half folder under
the target name::

    with ReportBuilder("microcath-run", title="default composite") as rb:
        rb.add_stage(StageRecord("generate", "run", wall_time=1.2))
        png = rb.path("figures/structure.png")      # write files here
        rb.add_figure("figures/structure.png", "The structure", stage="generate")
        rb.results["volume_fractions"] = quantity({...}, "-")
    # on leaving the block: results.json + report.html written, folder moved in place

Every number in ``results.json`` carries its unit (``{"value": ..., "unit": ...}``
or a key suffix such as ``_mS_cm``); stages that did not run are listed with
the reason.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._version import __version__
from .errors import InputError
from .io.atomic import AtomicTarget, output_error
from .io.ownership import check_output, mark_folder
from .results import ResultMixin, jsonable

__all__ = ["StageRecord", "FigureRecord", "ReportBuilder", "quantity", "STATUS_RUN",
           "STATUS_NOT_RUN", "STATUS_FAILED"]

log = logging.getLogger(__name__)

STATUS_RUN = "run"
STATUS_NOT_RUN = "not run"
STATUS_FAILED = "failed"
_STATUSES = (STATUS_RUN, STATUS_NOT_RUN, STATUS_FAILED)


def quantity(value: Any, unit: str) -> dict[str, Any]:
    """A number (or a mapping/list of numbers) with its unit, for ``results.json``."""
    return {"value": jsonable(value), "unit": unit}


@dataclass(frozen=True)
class StageRecord(ResultMixin):
    """One stage of a run.

    Parameters
    ----------
    name : str
        Stage name (``generate``, ``analyse``, ...).
    status : {'run', 'not run', 'failed'}
    reason : str
        Why it did not run, or the error; empty when it ran.
    wall_time : float or None
        Seconds the stage took [s].
    summary : dict
        Headline numbers of the stage (JSON-ready, with units).
    """

    name: str
    status: str
    reason: str = ""
    wall_time: float | None = None
    summary: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in _STATUSES:
            raise InputError(f"status: expected one of {_STATUSES}, got {self.status!r}")


@dataclass(frozen=True)
class FigureRecord(ResultMixin):
    """A PNG figure in the folder (``file`` relative to the folder) with its caption."""

    file: str
    caption: str
    stage: str = ""


class ReportBuilder:
    """Build a results folder atomically (see the module docstring).

    Parameters
    ----------
    target : path
        The results folder to create.
    title : str
        Title of the report page.
    force : bool
        Replace an existing non-empty folder that microcath wrote (otherwise refuse with an
        error; a folder without microcath's marker is never replaced, see
        :mod:`microcath.io.ownership`).
    steps : str
        What the rows of the status table are (``"stage"`` for a run, ``"case"`` for a sweep).
    """

    def __init__(self, target: str | os.PathLike, *, title: str = "microcath run",
                 force: bool = False, steps: str = "stage") -> None:
        self.target = Path(target).absolute()
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise (output_error(self.target, exc) or exc) from None
        check_target(self.target, force=force)
        self.force = force
        self.title = title
        self.steps = steps
        self.stages: list[StageRecord] = []
        self.figures: list[FigureRecord] = []
        self.data_files: list[FigureRecord] = []
        self.results: dict[str, Any] = {}
        self.headline: list[tuple[str, str]] = []
        self.created = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
        self._at = AtomicTarget(self.target, directory=True)
        self.tmp = self._at.tmp
        try:
            mark_folder(self.tmp, "results")
        except OSError as exc:
            self._at.abort()
            raise self._at.translate(exc) from None
        self._done = False

    # --- context manager ----------------------------------------------------
    def __enter__(self) -> ReportBuilder:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            translated = self._at.translate(exc)
            self.abort()
            if translated is not exc:  # a full disk or a refused permission: one clear error
                raise translated from None
            return
        if not self._done:
            self.finish()

    # --- filling ------------------------------------------------------------
    def path(self, relative: str) -> Path:
        """Where to write a file that will live at ``target/relative``."""
        return path_inside(self.tmp, relative)

    def add_stage(self, record: StageRecord) -> None:
        self.stages.append(record)

    def add_figure(self, file: str, caption: str, *, stage: str = "") -> None:
        if not self.path(file).is_file():
            raise InputError(f"file: {file!r} was not written into the results folder")
        self.figures.append(FigureRecord(file, caption, stage))

    def add_file(self, file: str, caption: str, *, stage: str = "") -> None:
        """A data file (structure, ``.vti`` fields) listed with a link."""
        if not self.path(file).is_file():
            raise InputError(f"file: {file!r} was not written into the results folder")
        self.data_files.append(FigureRecord(file, caption, stage))

    def add_headline(self, label: str, text: str) -> None:
        self.headline.append((label, text))

    def retarget(self, target: str | os.PathLike) -> Path:
        """Finish into ``target`` (a sibling of the first target) instead, e.g. to keep earlier
        results when this run failed; an earlier folder there is replaced only if microcath wrote it."""
        t = Path(target).absolute()
        if t.parent != self.target.parent:
            raise InputError(f"target: {t} must lie in the same folder as {self.target}")
        check_target(t, force=True)
        self.target = self._at.target = t
        return t

    # --- finishing ----------------------------------------------------------
    def abort(self) -> None:
        """Remove the temporary folder; the target is left as it was."""
        if not self._done:
            self._at.abort()
            self._done = True

    def finish(self) -> Path:
        """Write ``results.json`` and ``report.html`` and move the folder onto the target."""
        if self._done:
            raise InputError("finish: this report was already finished or aborted")
        try:
            doc = {
                "microcath_version": __version__,
                "created": self.created,
                "title": self.title,
                "stages": [s.to_dict() | {"wall_time_unit": "s"} for s in self.stages],
                "results": jsonable(self.results),
                "figures": [f.to_dict() for f in self.figures],
                "files": [f.to_dict() for f in self.data_files],
            }
            text = json.dumps(doc, indent=2, allow_nan=False)
            (self.tmp / "results.json").write_text(text + "\n", encoding="utf-8")
            (self.tmp / "report.html").write_text(self._html(), encoding="utf-8")
            check_target(self.target, force=self.force)
            self._at.commit()
        except BaseException as exc:
            translated = self._at.translate(exc)
            self.abort()
            if translated is exc:
                raise
            raise translated from None
        self._done = True
        log.info("wrote %s", self.target / "report.html")
        return self.target

    # --- HTML ---------------------------------------------------------------
    def _html(self) -> str:
        e = html.escape
        rows = []
        for s in self.stages:
            cls = {"run": "ok", "not run": "skip", "failed": "fail"}[s.status]
            t = f"{s.wall_time:.1f} s" if s.wall_time is not None else ""
            rows.append(f"<tr><td>{e(s.name)}</td><td class='{cls}'>{e(s.status)}</td>"
                        f"<td>{e(s.reason)}</td><td class='num'>{e(t)}</td></tr>")
        head = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in self.headline)
        figs = []
        for i, f in enumerate(self.figures, 1):
            figs.append(
                f"<figure><a href='{e(f.file)}'><img src='{e(f.file)}' alt='{e(f.caption)}' "
                f"loading='eager'></a><figcaption><b>Figure {i}.</b> {e(f.caption)}</figcaption></figure>"
            )
        files = "".join(f"<li><a href='{e(f.file)}'>{e(f.file)}</a> — {e(f.caption)}</li>"
                        for f in self.data_files)
        files += "<li><a href='results.json'>results.json</a> — every number with its unit</li>"
        prov = self.results.get("structure", {}).get("provenance")
        prov_html = (f"<h2>Provenance of the structure</h2><pre>{e(json.dumps(jsonable(prov), indent=2))}"
                     "</pre>" if prov else "")
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(self.title)}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.4; }}
h1 {{ margin-bottom: 0.2em; }} .meta {{ color: #666; margin-top: 0; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left; vertical-align: top; }}
th {{ background: #f3f3f3; }} td.num {{ text-align: right; white-space: nowrap; }}
td.ok {{ color: #00734f; font-weight: 600; }} td.skip {{ color: #8a6d00; font-weight: 600; }}
td.fail {{ color: #b00020; font-weight: 600; }}
.figs {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 1.2em; }}
figure {{ margin: 0; border: 1px solid #ddd; padding: 0.5em; background: #fff; }}
figure img {{ width: 100%; height: auto; display: block; }}
figcaption {{ font-size: 0.9em; color: #333; margin-top: 0.4em; }}
pre {{ background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }}
</style></head>
<body>
<h1>{e(self.title)}</h1>
<p class="meta">microcath {e(__version__)} · {e(self.created)}</p>
<h2>Headline numbers</h2>
<table>{head or "<tr><td>no numbers (see the stages below)</td></tr>"}</table>
<h2>{e(self.steps.capitalize())}s</h2>
<table><tr><th>{e(self.steps)}</th><th>status</th><th>note</th><th>time</th></tr>{"".join(rows)}</table>
<h2>Figures</h2>
<div class="figs">{"".join(figs) or "<p>No figures.</p>"}</div>
<h2>Files</h2>
<ul>{files}</ul>
<p>Open the <code>.vti</code> files in ParaView (cell data; spacing in metres).</p>
{prov_html}
</body></html>
"""


def path_inside(folder: str | os.PathLike, relative: str) -> Path:
    """``folder/relative`` (parent folders created); refused if it points outside ``folder``."""
    root = Path(folder).resolve()
    p = (root / relative).resolve()
    if root not in p.parents:
        raise InputError(f"relative: {relative!r} points outside the results folder")
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def check_target(target: str | os.PathLike, *, force: bool) -> None:
    """Refuse an existing non-empty target unless ``force``, and anything microcath did not write.

    The rules are those of every output (:func:`microcath.io.ownership.check_output`): an empty
    folder is reused, a non-empty one is replaced only with ``force`` and only when it carries
    microcath's marker; a file in the way is never replaced.
    """
    t = Path(target)
    if t.is_dir() and not t.is_symlink() and not any(t.iterdir()):
        force = True  # an empty folder holds nothing to lose
    check_output(t, overwrite=force, fmt="results", option="out_dir (-o)", flag="--force")
