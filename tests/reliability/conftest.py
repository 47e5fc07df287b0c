"""Fixtures of the bad-input and fault matrix (see docs/reliability.md)."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from pathlib import Path

import pytest
from reliability_helpers import structure


@pytest.fixture
def ms():
    return structure()


@pytest.fixture
def cli(capsys):
    """``cli(*args) -> (exit code, stdout, stderr)`` through the real entry point."""
    from microcath.cli.main import main

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _can_mount() -> bool:
    # MICROCATH_TEST_NO_TMPFS=1 runs the ENOSPC-writer variant even as root
    forced = os.environ.get("MICROCATH_TEST_NO_TMPFS")
    return os.geteuid() == 0 and os.path.exists("/bin/mount") and not forced


@contextlib.contextmanager
def _tmpfs(where: Path, size_kib: int):
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(where)],
                       capture_output=True)
    if r.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.fixture
def full_disk(tmp_path, monkeypatch):
    """A folder on a nearly full disk: ``(folder, kind)``.

    As root (CI), a real 512 KiB tmpfs, filled up to its last 8 KiB after ``prepare`` put
    the files that must survive; otherwise every flush of microcath's writes raises
    ``OSError(ENOSPC)``, where a full disk shows up when the write itself succeeded.
    Call ``fill()`` once the previous files are in place.
    """
    mount = tmp_path / "full"
    with _tmpfs(mount, 512) if _can_mount() else contextlib.nullcontext(False) as mounted:
        if not mounted:
            mount.mkdir(exist_ok=True)

        def fill() -> None:
            if mounted:
                fd = os.open(mount / "filler", os.O_CREAT | os.O_WRONLY)
                with contextlib.suppress(OSError):
                    while True:
                        os.write(fd, b"\0" * 4096)
                os.close(fd)
                free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
                assert free < 64 * 1024
            else:
                import microcath.io.atomic as atomic

                def no_space(path):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

                monkeypatch.setattr(atomic, "_fsync_file", no_space)

        yield mount, ("tmpfs" if mounted else "ENOSPC writer"), fill
