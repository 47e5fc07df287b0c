"""Readers fuzzed with truncated and bit-flipped files of every format: a clear error or the data back.

"Clear error" is one of microcath's own (FileFormatError, InputError, MaterialError: exit 2 on the
command line, with the file named), never a crash or a foreign exception. When a damaged file still
loads, the labels must be exact wherever the format carries a checksum or a checked compression
(.mcath, .h5, .vti, .tif, .npz, TIFF folders: microcath.io.checksum), and so must the voxel size
and the phase table of .mcath, .h5 and .tif; .npy and .raw have none, so there a flipped bit may
change that one voxel and nothing else.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import PHASES, structure

from microcath import io
from microcath.errors import MicrocathError
from microcath.phases import PhaseTable

FORMATS = {"native": ".mcath", "hdf5": ".h5", "vti": ".vti", "tiff": ".tif", "npz": ".npz", "npy": ".npy",
           "raw": ".raw", "tiff-folder": ""}
CHECKED = {"native", "hdf5", "vti", "tiff", "npz", "tiff-folder"}
META_CHECKED = {"native", "hdf5", "tiff"}  # voxel size and phase table under the checksum too
MS = structure(6, seed=11)
_ORIGINALS: dict[str, tuple[bytes, str]] = {}


def _original(fmt: str) -> tuple[bytes, str]:
    """The bytes of MS in ``fmt`` (for a TIFF folder: of its third slice) and the file's name."""
    if fmt not in _ORIGINALS:
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / f"s{FORMATS[fmt]}"
            io.save(MS, p, format=fmt)
            f = sorted(p.glob("*.tif"))[2] if fmt == "tiff-folder" else p
            _ORIGINALS[fmt] = (f.read_bytes(), f.name)
    return _ORIGINALS[fmt]


def _load(fmt: str, folder: Path, name: str, data: bytes):
    if fmt == "tiff-folder":
        target = folder / "stack"
        io.save(MS, target, format="tiff-folder")
        (target / name).write_bytes(data)
    else:
        target = folder / name
        target.write_bytes(data)
    extra = {}
    if fmt in ("npy", "raw", "tiff-folder"):
        extra = dict(phases=PhaseTable(PHASES), voxel_size=MS.voxel_size)
    if fmt == "raw":
        extra.update(shape=MS.shape, dtype="uint8")
    return io.load(target, format=fmt, **extra)


def _check(fmt: str, data: bytes, n_changed_bytes: int) -> None:
    original, name = _original(fmt)
    with tempfile.TemporaryDirectory() as d:
        try:
            back = _load(fmt, Path(d), name, data)
        except (MicrocathError, FileNotFoundError) as exc:
            assert str(exc).strip(), "an empty message"
            return
    assert back.shape == MS.shape
    if fmt in CHECKED or data == original:
        np.testing.assert_array_equal(back.labels, MS.labels)
    if fmt in META_CHECKED:
        assert back.voxel_size == MS.voxel_size and back.phases == MS.phases
    else:
        assert np.count_nonzero(back.labels != MS.labels) <= n_changed_bytes


# CI runs the same 25 files per case every time (derandomized); MICROCATH_FUZZ_EXAMPLES=500 runs
# that many fresh random ones (how the bugs fixed with these tests were found)
_N = os.environ.get("MICROCATH_FUZZ_EXAMPLES")
_SETTINGS = settings(max_examples=int(_N or 25), derandomize=not _N, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("fmt", list(FORMATS))
@_SETTINGS
@given(cut=st.floats(0.0, 1.0, exclude_max=True))
def test_truncated(fmt, cut):
    original, _ = _original(fmt)
    data = original[: int(cut * len(original))]
    _check(fmt, data, 0)


@pytest.mark.parametrize("fmt", list(FORMATS))
@_SETTINGS
@given(flips=st.lists(st.tuples(st.floats(0.0, 1.0, exclude_max=True), st.integers(0, 7)),
                      min_size=1, max_size=3))
def test_bit_flipped(fmt, flips):
    original, _ = _original(fmt)
    data = bytearray(original)
    for where, bit in flips:
        data[int(where * len(data))] ^= 1 << bit
    _check(fmt, bytes(data), len(flips))
