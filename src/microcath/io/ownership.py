"""What microcath may replace: the one overwrite policy of every command that writes.

* A target that does not exist is fine once its folder exists and accepts a
  file (checked *before* any computation, by creating and removing a probe).
* An existing target is replaced only with ``--overwrite`` (``force=True``), and
  only when microcath could have written it:

  - a *file* target must be a regular file of the format being written (its
    first bytes carry that format's signature; formats without one, raw and
    CSV, must carry the format's suffix);
  - a *folder* target (a results folder, a folder of TIFF slices) must be empty
    or carry microcath's marker file :data:`MARKER` (results folders written
    before the marker existed are recognised by their ``results.json``).

  Anything else (an arbitrary folder, a file of another kind) is refused with
  the reason, whatever ``--overwrite`` says.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import InputError
from .atomic import output_error, temp_path
from .sniff import describe, looks_like, sniff_format

__all__ = ["MARKER", "FOLDER_FORMATS", "check_output", "mark_folder", "read_marker", "is_marked",
           "replaceable"]

#: The file microcath puts into every folder it writes.
MARKER = ".microcath-output"
#: Output kinds that are folders.
FOLDER_FORMATS = ("tiff-folder", "results")
#: Suffixes of the output kinds whose content has no signature.
_SUFFIXES = {"raw": (".raw", ".bin"), "csv": (".csv",), "json": (".json",)}


def mark_folder(folder: str | os.PathLike, kind: str, **extra: Any) -> Path:
    """Write :data:`MARKER` into ``folder`` (a folder microcath is writing), with ``extra`` facts."""
    p = Path(folder) / MARKER
    doc = {"written_by": "microcath", "version": __version__, "kind": kind, **extra}
    p.write_text(json.dumps(doc) + "\n", encoding="utf-8")
    return p


def read_marker(folder: str | os.PathLike) -> dict | None:
    """The content of ``folder``'s marker, or None (no marker, or not readable as JSON)."""
    try:
        doc = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def is_marked(folder: str | os.PathLike) -> bool:
    """True when ``folder`` carries microcath's marker (or is a results folder from before it)."""
    folder = Path(folder)
    if (folder / MARKER).is_file():
        return True
    results = folder / "results.json"
    if results.is_file() and (folder / "report.html").is_file():
        try:
            return "microcath_version" in json.loads(results.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            return False
    return False


def replaceable(path: str | os.PathLike, fmt: str) -> str | None:
    """Why the existing ``path`` may not be replaced by a ``fmt`` output; None when it may."""
    p = Path(path)
    if fmt in FOLDER_FORMATS:
        if not p.is_dir() or p.is_symlink():
            return f"{p} is a file, and a {fmt} output is a folder"
        if any(p.iterdir()) and not is_marked(p):
            return (f"{p} is a folder that microcath did not write (it has no {MARKER} marker), "
                    "so it may hold other data")
        return None
    if p.is_dir():
        return f"{p} is a folder, and the output is a {fmt} file"
    if not p.is_file():
        return f"{p} is not a regular file"
    ok = looks_like(p, fmt)
    if ok is False:
        return f"{p} holds {describe(sniff_format(p))}, not a {fmt} file"
    if ok is None and fmt in _SUFFIXES and p.suffix.lower() not in _SUFFIXES[fmt]:
        return f"{p} does not have a {fmt} suffix ({', '.join(_SUFFIXES[fmt])})"
    return None


def _probe(folder: Path, target: Path) -> None:
    probe = temp_path(folder / f"{target.name}.probe")
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as exc:
        raise (output_error(target, exc) or exc) from None
    os.close(fd)
    probe.unlink()


def check_output(path: str | os.PathLike, *, overwrite: bool, fmt: str, option: str = "-o",
                 flag: str = "--overwrite") -> Path:
    """Check an output location before any work: its folder, its permission, the overwrite policy.

    Parameters
    ----------
    path : path-like
        The target file or folder.
    overwrite : bool
        Whether the user allowed replacing an existing target.
    fmt : str
        What will be written: a format of :mod:`microcath.io` (``native``, ``vti``, ``npy``,
        ...), ``csv``, ``png``, or a folder kind of :data:`FOLDER_FORMATS`.
    option, flag : str
        The option that named ``path`` and the one that allows replacing, for the message.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        The folder does not exist, the target exists without ``overwrite``, or it is
        something microcath did not write.
    OutputError
        The folder does not accept a file (permission, read-only file system, full disk).
    """
    p = Path(path)
    folder = p.absolute().parent
    if not folder.is_dir():
        raise InputError(f"{option}: the folder {str(folder)!r} of {str(p)!r} does not exist; create it "
                         "first or choose another location")
    if p.exists() or p.is_symlink():
        if not overwrite:
            raise InputError(f"{option}: {p} exists; pass {flag} to replace it, or choose another name")
        why = replaceable(p, fmt)
        if why is not None:
            raise InputError(f"{option}: {why}; {flag} replaces only what microcath wrote. Choose "
                             "another name (nothing was changed)")
    _probe(folder, p)
    return p
