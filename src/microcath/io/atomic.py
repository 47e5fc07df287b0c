"""Atomic, verified writes: a failed write never leaves a half file under the target name.

Every file and folder microcath writes goes through here:

1. stale temporaries of microcath's own beside the target (left by a killed
   run: their process is gone) are removed;
2. the writer writes to ``.microcath-tmp-<pid>-<id>-<name>`` in the target's
   folder (same file system, so the rename is atomic; the name keeps the
   target's suffix, so writers that dispatch on it still work);
3. the result is flushed to disk (``fsync``) and *checked* (its size, or a
   cheap read-back of its header or trailer: VTK's writer, for one, fails on a
   full disk without raising);
4. only then is it renamed onto the target (``os.replace``); a folder replaces
   the previous one as a whole.

A full disk or a missing permission becomes one :class:`~microcath.errors.OutputError`
naming the target, the free space and the space needed; the temporary is
removed and the target is left as it was (absent, or the previous complete file).
"""

from __future__ import annotations

import contextlib
import errno as _errno
import logging
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import MicrocathError, OutputError

__all__ = ["TMP_PREFIX", "AtomicTarget", "atomic_path", "write_bytes", "output_error", "remove_stale",
           "temp_path", "check_trailer", "check_min_size", "check_image", "human_bytes"]

log = logging.getLogger(__name__)

#: Every temporary file or folder microcath creates starts with this (hidden) prefix.
TMP_PREFIX = ".microcath-tmp-"
_TMP_RE = re.compile(r"^\.microcath-tmp-(\d+)-[0-9a-f]{8}-(?:old-)?(.+)$")
_NO_SPACE = {_errno.ENOSPC, _errno.EDQUOT, _errno.EFBIG}
_NO_PERMISSION = {_errno.EACCES, _errno.EPERM, _errno.EROFS}

Verify = Callable[[Path], None]


def human_bytes(n: float) -> str:
    """``1536 -> '1.5 KiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def _free(folder: Path) -> str:
    try:
        return human_bytes(shutil.disk_usage(folder).free)
    except OSError:  # pragma: no cover - folder vanished
        return "unknown"


def output_error(target: str | os.PathLike, exc: BaseException, *,
                 need: int | None = None) -> OutputError | None:
    """A one-line :class:`OutputError` for a full disk or a refused permission, else None."""
    if isinstance(exc, MicrocathError) or not isinstance(exc, OSError):
        return None
    target = Path(target)
    folder = target.parent
    code = exc.errno
    if code is None and _nearly_full(folder, need):  # C writers (numpy, VTK) that drop the errno
        code = _errno.ENOSPC
    if code in _NO_SPACE:
        needed = f"; about {human_bytes(need)} are needed" if need else ""
        return OutputError(
            f"{target}: cannot write it, no space left on the device ({_free(folder)} free in "
            f"{folder}{needed}); free some space or write to another disk. Nothing was written "
            "under that name", code)
    if code in _NO_PERMISSION:
        why = "the file system is read-only" if exc.errno == _errno.EROFS else "permission denied"
        return OutputError(
            f"{target}: cannot write it, {why} in {folder}; choose another output location "
            "(or fix the folder's permissions). Nothing was written under that name", exc.errno)
    return None


def _nearly_full(folder: Path, need: int | None) -> bool:
    try:
        free = shutil.disk_usage(folder).free
    except OSError:  # pragma: no cover
        return False
    return free < max(need or 0, 1 << 20)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def remove_stale(target: str | os.PathLike) -> list[Path]:
    """Remove microcath's temporaries for ``target`` whose writing process no longer exists.

    Only names of the form ``.microcath-tmp-<pid>-<id>-<target name>`` are touched (and only
    when process ``pid`` is gone): temporaries of a concurrent live writer and every other
    file are left alone. Returns what was removed.
    """
    target = Path(target)
    removed = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return removed
    for p in entries:
        m = _TMP_RE.match(p.name)
        if m and m.group(2) == target.name and not _pid_alive(int(m.group(1))):
            _remove(p)
            removed.append(p)
    if removed:
        log.info("removed %d stale temporary file(s) of killed runs beside %s", len(removed), target)
    return removed


def temp_path(target: str | os.PathLike, *, old: bool = False) -> Path:
    """A fresh temporary name beside ``target`` (see the module doc)."""
    target = Path(target)
    tag = "old-" if old else ""
    return target.parent / f"{TMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}-{tag}{target.name}"


def _fsync_file(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platform dependent
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # a full disk can show up only here
        if exc.errno in _NO_SPACE:
            raise
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file():
                _fsync_file(p)
    elif path.is_file():
        _fsync_file(path)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # make the rename durable
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_min_size(n: int) -> Verify:
    """A check that the written file holds at least ``n`` bytes."""

    def verify(tmp: Path) -> None:
        size = tmp.stat().st_size
        if size < n:
            raise ValueError(f"{size} bytes written, at least {n} expected")

    return verify


def check_trailer(trailer: bytes) -> Verify:
    """A check that the written file ends with ``trailer`` (whitespace ignored): a truncated one does not."""

    def verify(tmp: Path) -> None:
        size = tmp.stat().st_size
        with open(tmp, "rb") as fh:
            fh.seek(max(0, size - len(trailer) - 64))
            tail = fh.read().rstrip()
        if not tail.endswith(trailer):
            raise ValueError(f"the file is truncated ({size} bytes, no closing {trailer.decode()!r})")

    return verify


def check_image(path: Path) -> Verify | None:
    """The completeness check of a picture by its suffix (PNG: the closing IEND chunk), or None."""
    return check_trailer(b"IEND\xaeB`\x82") if Path(path).suffix.lower() == ".png" else None


class AtomicTarget:
    """A target being written: ``tmp`` to write to, then :meth:`commit` or :meth:`abort`.

    Parameters
    ----------
    path : path-like
        Final name of the file (or folder).
    directory : bool
        The writer produces a folder (``tmp`` is created empty).
    need : int, optional
        Bytes the write will take about (for the message on a full disk).
    """

    def __init__(self, path: str | os.PathLike, *, directory: bool = False, need: int | None = None) -> None:
        self.target = Path(path)
        self.directory = directory
        self.need = need
        parent = self.target.parent
        if not parent.is_dir():
            raise FileNotFoundError(
                f"path: the folder {str(parent)!r} of {str(self.target)!r} does not exist; create it first")
        remove_stale(self.target)
        self.tmp = temp_path(self.target)
        if directory:
            try:
                self.tmp.mkdir()
            except OSError as exc:
                raise (output_error(self.target, exc, need=need) or exc) from None
        self.done = False

    def translate(self, exc: BaseException) -> BaseException:
        """The :class:`OutputError` for ``exc`` (full disk, permission), or ``exc`` itself."""
        return output_error(self.target, exc, need=self.need) or exc

    def commit(self, verify: Verify | None = None) -> Path:
        """Check the temporary, flush it and rename it onto the target."""
        try:
            if not (self.tmp.exists() and (self.tmp.is_dir() if self.directory else self.tmp.is_file())):
                raise OutputError(f"{self.target}: the writer produced nothing; nothing was written")
            _fsync_tree(self.tmp)
            if not self.directory:
                try:
                    if self.tmp.stat().st_size == 0:
                        raise ValueError("0 bytes written")
                    if verify is not None:
                        verify(self.tmp)
                except (ValueError, OSError) as exc:
                    if isinstance(exc, OSError) and output_error(self.target, exc) is not None:
                        raise
                    raise OutputError(
                        f"{self.target}: the written file failed its check ({exc}); the disk may be "
                        f"full ({_free(self.target.parent)} free"
                        + (f", about {human_bytes(self.need)} needed" if self.need else "")
                        + "). Nothing was written under that name", _errno.EIO) from None
            elif verify is not None:
                verify(self.tmp)
            self._replace()
            _fsync_dir(self.target.parent)
        except BaseException as exc:
            translated = self.translate(exc)  # before the temporary goes: the free space tells
            self.abort()
            raise translated from None
        self.done = True
        log.debug("wrote %s", self.target)
        return self.target

    def _replace(self) -> None:
        target = self.target
        if self.directory and target.exists():
            # os.replace cannot replace a non-empty folder: move the old one aside, put the new
            # one in place, then delete the old one.
            old = temp_path(target, old=True)
            os.replace(target, old)
            try:
                os.replace(self.tmp, target)
            except BaseException:
                os.replace(old, target)
                raise
            _remove(old)
        else:
            os.replace(self.tmp, target)

    def abort(self) -> None:
        """Remove the temporary; the target is left as it was."""
        if self.tmp.exists() or self.tmp.is_symlink():
            _remove(self.tmp)
        self.done = True


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, directory: bool = False, verify: Verify | None = None,
                need: int | None = None) -> Iterator[Path]:
    """Yield a temporary path that is checked and renamed onto ``path`` only on success.

    Parameters
    ----------
    path : path-like
        Final name of the file (or folder).
    directory : bool
        True when the writer produces a folder (e.g. a stack of TIFF slices):
        the temporary folder is created empty and replaces ``path`` as a whole.
    verify : callable, optional
        ``verify(tmp)`` raises ``ValueError`` when the written file is not complete
        (see :func:`check_trailer`, :func:`check_min_size`). Files are always checked
        to be non-empty.
    need : int, optional
        About how many bytes the write takes, for the message on a full disk.

    On any exception the temporary is removed and ``path`` is left as it was; a full
    disk or a refused permission is raised as :class:`OutputError` naming ``path``.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "a.txt").read_text()
    'hello'
    """
    at = AtomicTarget(path, directory=directory, need=need)
    try:
        yield at.tmp
    except BaseException as exc:
        translated = at.translate(exc)  # before the temporary goes: the free space tells
        at.abort()
        if translated is exc:
            raise
        raise translated from None
    at.commit(verify)


def write_bytes(path: str | os.PathLike, data: bytes, *, verify: Verify | None = None) -> Path:
    """Write ``data`` to ``path`` atomically and check that every byte arrived."""
    with atomic_path(path, need=len(data), verify=_all_of(check_min_size(len(data)), verify)) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
    return Path(path)


def _all_of(*checks: Verify | None) -> Verify:
    def verify(tmp: Path) -> None:
        for c in checks:
            if c is not None:
                c(tmp)

    return verify
