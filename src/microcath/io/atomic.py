"""Atomic writes: a failed write never leaves a half file under the target name.

Writers write to a temporary path in the target's directory; only when they
finish is it flushed to disk and renamed onto the target (``os.replace``, atomic
on POSIX and Windows for files on one file system).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path"]

log = logging.getLogger(__name__)


def _fsync_file(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platform dependent
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - e.g. some network file systems
        pass
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file():
                _fsync_file(p)
    elif path.is_file():
        _fsync_file(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path that is renamed onto ``path`` only on success.

    Parameters
    ----------
    path : path-like
        Final name of the file (or folder).
    directory : bool
        True when the writer produces a folder (e.g. a stack of TIFF slices):
        the temporary folder is created empty and replaces ``path`` as a whole.

    The temporary name lies in the same directory, starts with a dot and keeps
    the suffix of ``path`` (writers that dispatch on the suffix still work).
    On any exception the temporary file or folder is removed and ``path`` is
    left as it was (absent, or the previous complete file).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "a.txt").read_text()
    'hello'
    """
    target = Path(path)
    parent = target.parent
    if not parent.exists():
        raise FileNotFoundError(
            f"path: the folder {str(parent)!r} of {str(target)!r} does not exist; create it first"
        )
    tmp = parent / f".{target.name}.{uuid.uuid4().hex[:12]}.tmp{target.suffix}"
    if directory:
        tmp.mkdir()
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"the writer did not produce {tmp}")
        _fsync_tree(tmp)
        if directory and target.exists():
            # os.replace cannot replace a non-empty folder: move the old one
            # aside, put the new one in place, then delete the old one.
            old = parent / f".{target.name}.{uuid.uuid4().hex[:12]}.old"
            os.replace(target, old)
            try:
                os.replace(tmp, target)
            except BaseException:
                os.replace(old, target)
                raise
            _remove(old)
        else:
            os.replace(tmp, target)
        with contextlib.suppress(OSError):  # make the rename durable
            fd = os.open(parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        log.debug("wrote %s", target)
    finally:
        if tmp.exists() or tmp.is_symlink():
            _remove(tmp)
