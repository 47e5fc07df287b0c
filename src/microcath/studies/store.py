"""The sweep folder: one file per finished case, the table rebuilt from them.

::

    DIR/sweep.json          the study, its fingerprint and the case ids (written first)
    DIR/cases/<id>.json     one finished case: parameters, numbers, error, provenance
    DIR/cases/<id>/         the case's structure and figures, when the study keeps them
    DIR/table.parquet       one row per case (also table.csv), rebuilt from cases/
    DIR/report/             report.html with the plots

Each case file is written atomically (:func:`microcath.io.atomic.atomic_path`) and read back
before it counts, the moment the case finishes; an interrupted sweep (kill -9, a lost worker)
loses only the cases that were running. A rerun skips every case whose file is there with the
study's fingerprint; a study whose fixed part changed (base recipe, fixed values, quantities,
package version) is refused with what changed, because its cases would not mix.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import FileFormatError, InputError
from ..io.atomic import atomic_path
from ..results import jsonable
from .case import STATUS_DONE, STATUS_FAILED
from .spec import Case, Study

__all__ = ["SweepFolder", "MANIFEST", "TABLE_PARQUET", "TABLE_CSV", "REPORT_DIR"]

log = logging.getLogger(__name__)

MANIFEST = "sweep.json"
CASES_DIR = "cases"
TABLE_PARQUET = "table.parquet"
TABLE_CSV = "table.csv"
REPORT_DIR = "report"
_KIND = "microcath sweep"
_CASE_FILE = re.compile(r"^[0-9a-f]{16}\.json$")
#: the temporary name atomic_path gives a file (left behind only when the process was killed)
_TMP_FILE = re.compile(r"^\.(?:[0-9a-f]{16}|table|sweep)\.(?:json|parquet|csv)"
                       r"\.[0-9a-f]{12}\.tmp\.(?:json|parquet|csv)$")
#: table columns that are not parameters or quantities (the bookkeeping of each case)
INFO_COLUMNS = ("status", "error", "microcath_version", "wall_time_s", "worker")


def _flat(d: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(d, Mapping):
        out: dict[str, Any] = {}
        for k, v in d.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: d}


def differences(old: Mapping, new: Mapping) -> list[str]:
    """``key: old -> new`` for every leaf that differs between two fingerprints."""
    a, b = _flat(old), _flat(new)
    out = []
    for k in sorted(set(a) | set(b)):
        if a.get(k, "<absent>") != b.get(k, "<absent>"):
            out.append(f"{k}: {a.get(k, '<absent>')!r} -> {b.get(k, '<absent>')!r}")
    return out


def _write_json(path: Path, doc: dict) -> None:
    text = json.dumps(jsonable(doc), indent=1, allow_nan=False, sort_keys=False) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
        if json.loads(tmp.read_text(encoding="utf-8")) != json.loads(text):  # verified before it counts
            raise OSError(f"{path}: the file read back differs from what was written")


class SweepFolder:
    """The results folder of one study (see the module docstring)."""

    def __init__(self, out_dir: str | os.PathLike) -> None:
        self.root = Path(out_dir).absolute()
        self.cases_dir = self.root / CASES_DIR

    # ------------------------------------------------------------------ opening
    def open(self, study: Study, cases: list[Case], *, overwrite: bool = False) -> None:
        """Create the folder or check it holds results of a compatible study; writes the manifest."""
        manifest = self.root / MANIFEST
        if self.root.exists() and not self.root.is_dir():
            raise InputError(f"out_dir: {str(self.root)!r} is a file; choose a folder (-o DIR)")
        if self.root.is_dir() and any(self.root.iterdir()) and not manifest.is_file():
            raise InputError(f"out_dir: {str(self.root)!r} is not empty and is not a microcath sweep folder "
                             f"(no {MANIFEST}); choose a new or empty folder (-o DIR)")
        fp = study.fingerprint()
        if manifest.is_file():
            old = self._manifest()
            changed = differences(old.get("fingerprint", {}), fp)
            if changed and not overwrite:
                raise InputError(
                    f"study: {str(self.root)!r} holds results of a different study; mixing them would give a "
                    f"table of incompatible cases. What changed: {'; '.join(changed[:12])}"
                    f"{' ...' if len(changed) > 12 else ''}. Use another folder (-o DIR), or --overwrite to "
                    "discard the old cases")
            if changed:
                self.remove_outputs()
        self.root.mkdir(parents=True, exist_ok=True)
        self.cases_dir.mkdir(exist_ok=True)
        self._remove_leftovers()
        _write_json(manifest, {"kind": _KIND, "microcath_version": __version__, "study": study.to_dict(),
                               "fingerprint": fp, "cases": [c.id for c in cases]})

    def _manifest(self) -> dict:
        try:
            doc = json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise FileFormatError(f"{self.root / MANIFEST}: unreadable sweep manifest ({exc}); "
                                  "use another folder or --overwrite") from None
        if doc.get("kind") != _KIND:
            raise FileFormatError(f"{self.root / MANIFEST}: not a microcath sweep manifest")
        return doc

    def _remove_leftovers(self) -> None:
        """Half-written files of a sweep that was killed while writing (never complete cases)."""
        for d in (self.root, self.cases_dir):
            for p in d.iterdir():
                if p.is_file() and _TMP_FILE.match(p.name):
                    log.info("removing %s, left by an interrupted sweep", p)
                    p.unlink()

    def remove_outputs(self) -> None:
        """Delete what microcath wrote here (manifest, case files, table, report), nothing else."""
        if self.cases_dir.is_dir():
            for p in self.cases_dir.iterdir():
                if p.is_file() and _CASE_FILE.match(p.name):
                    p.unlink()
                elif p.is_dir() and re.fullmatch(r"[0-9a-f]{16}", p.name) and (p / "results.json").is_file():
                    shutil.rmtree(p)
            if not any(self.cases_dir.iterdir()):
                self.cases_dir.rmdir()
        for name in (TABLE_PARQUET, TABLE_CSV, MANIFEST):
            (self.root / name).unlink(missing_ok=True)
        rep = self.root / REPORT_DIR
        if rep.is_dir() and (rep / "results.json").is_file():
            shutil.rmtree(rep)

    # ------------------------------------------------------------------ cases
    def case_path(self, case_id: str) -> Path:
        return self.cases_dir / f"{case_id}.json"

    def case_dir(self, case_id: str) -> Path:
        return self.cases_dir / case_id

    def write_case(self, record: Mapping[str, Any]) -> Path:
        """Write one finished case atomically (verified by reading it back)."""
        path = self.case_path(record["case"])
        _write_json(path, dict(record))
        return path

    def records(self, cases: Iterable[Case], fingerprint: Mapping) -> dict[str, dict]:
        """``{case id: record}`` of the cases that have a readable file with this fingerprint."""
        out = {}
        for c in cases:
            p = self.case_path(c.id)
            if not p.is_file():
                continue
            try:
                rec = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                log.warning("%s: unreadable case file, the case runs again", p)
                continue
            if rec.get("fingerprint") == fingerprint and rec.get("case") == c.id:
                out[c.id] = rec
        return out

    # ------------------------------------------------------------------ table
    def table(self, study: Study, cases: list[Case], records: Mapping[str, dict]):
        """One row per case, in study order: parameters, seed, quantities, bounds, bookkeeping."""
        import pandas as pd

        rows = []
        varied = study.varied
        qnames = [q.name for q in study.quantities]
        with_bounds = [q.name for q in study.quantities if q.bounds is not None]
        for c in cases:
            rec = records.get(c.id, {})
            row: dict[str, Any] = {"case": c.id}
            for k in varied:
                v = c.params.get(k)
                row[k] = json.dumps(v) if isinstance(v, (list, dict)) else v
            row["seed"] = c.seed
            qs = rec.get("quantities", {})
            for name in qnames:
                row[name] = _num(qs.get(name))
            for name in with_bounds:
                lo, hi = rec.get("bounds", {}).get(name, (math.nan, math.nan))
                row[f"{name}.hs_lower"], row[f"{name}.hs_upper"] = _num(lo), _num(hi)
            row["status"] = rec.get("status", "missing")
            row["error"] = rec.get("error", "")
            row["microcath_version"] = rec.get("microcath_version", __version__)
            row["wall_time_s"] = _num(rec.get("wall_time_s"))
            row["worker"] = rec.get("worker", "")
            rows.append(row)
        df = pd.DataFrame(rows)
        df.attrs["units"] = {q.name: q.unit for q in study.quantities}
        return df

    def write_table(self, df) -> tuple[Path, Path]:
        """``table.parquet`` (pyarrow) and ``table.csv``, atomically, each read back and compared."""
        import pandas as pd

        pq, csv = self.root / TABLE_PARQUET, self.root / TABLE_CSV
        with atomic_path(pq) as tmp:
            df.to_parquet(tmp, engine="pyarrow", index=False)
            back = pd.read_parquet(tmp, engine="pyarrow")
            if back.shape != df.shape or list(back.columns) != list(df.columns):
                raise OSError(f"{pq}: the table read back differs from what was written")
        with atomic_path(csv) as tmp:
            df.to_csv(tmp, index=False)
            if pd.read_csv(tmp).shape != df.shape:
                raise OSError(f"{csv}: the table read back differs from what was written")
        return pq, csv


def _num(v: Any) -> float:
    if v is None:
        return math.nan
    if isinstance(v, str):
        return float(v) if v in ("inf", "-inf", "nan") else math.nan
    return float(v)


__all__ += ["differences", "INFO_COLUMNS", "STATUS_DONE", "STATUS_FAILED"]
