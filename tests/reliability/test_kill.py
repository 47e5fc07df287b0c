"""kill -9 in the middle of a write: the target is absent or the previous file, never half a file;
the killed writer's temporaries go at the next write to the same place."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from reliability_helpers import temporaries

from microcath import io

WRITER = """
import sys
import numpy as np
from microcath import io
a = np.random.default_rng(0).integers(0, 256, (200, 200, 200), dtype=np.uint8)  # zlib cannot shrink it
print("ready", flush=True)
io.write_array(sys.argv[1], a, format=sys.argv[2])
print("done", flush=True)
"""


def _kill_mid_write(target, fmt) -> bool:
    """Start a writer, kill -9 it once its temporary exists; True if it was caught mid-write."""
    env = dict(os.environ, MICROCATH_ARCH="cpu")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target), fmt], stdout=subprocess.PIPE,
                            env=env, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        t0 = time.monotonic()
        while time.monotonic() - t0 < 30:
            if temporaries(target.parent):
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return True
            if proc.poll() is not None:
                return False
            time.sleep(0.002)
        return False
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


@pytest.mark.parametrize("fmt,name", [("tiff", "v.tif"), ("vti", "v.vti"), ("tiff-folder", "stack")])
def test_kill_during_write_keeps_previous(tmp_path, fmt, name):
    target = tmp_path / name
    previous = np.arange(8, dtype=np.uint8).reshape(2, 2, 2)
    io.write_array(target, previous, format=fmt)
    assert _kill_mid_write(target, fmt), "the writer finished before it could be killed"
    assert temporaries(tmp_path)  # the killed writer's half-written temporary ...
    np.testing.assert_array_equal(io.read_array(target, format=fmt, dataset="labels"), previous)
    io.write_array(target, previous + 1, format=fmt)  # ... goes at the next write here
    assert temporaries(tmp_path) == []
    np.testing.assert_array_equal(io.read_array(target, format=fmt, dataset="labels"), previous + 1)


def test_kill_during_first_write_leaves_no_target(tmp_path):
    target = tmp_path / "new.tif"
    assert _kill_mid_write(target, "tiff")
    assert not target.exists()
    io.write_array(target, np.zeros((2, 2, 2), np.uint8))
    assert temporaries(tmp_path) == []
