"""Helpers shared by the benchmark scripts (imported from the scripts' folder): the peak-memory
probe and the per-size command line and worker process."""

import resource


def maxrss_bytes() -> int:
    """Peak resident memory of this process [bytes]: VmHWM (reset at exec, unlike ru_maxrss,
    which a child inherits from its parent on Linux), else ru_maxrss."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def size_parser(description: str):
    """The command line every per-size benchmark shares: --sizes, --dtype, --arch and the
    hidden --worker (the script re-runs itself per size so each size has its own peak RSS)."""
    import argparse

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256])
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--arch", default=None, help="cpu or cuda (default $MICROCATH_ARCH or auto)")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    return ap


def run_worker(script: str, path: str, dtype: str, extra=()) -> dict:
    """Run ``script --worker path --dtype dtype`` in a fresh process; its last stdout line (JSON)."""
    import json
    import os
    import subprocess
    import sys

    out = subprocess.run([sys.executable, script, "--worker", path, "--dtype", dtype, *extra],
                         capture_output=True, text=True, env=os.environ.copy())
    if out.returncode != 0:
        lines = [ln for ln in out.stderr.strip().splitlines() if ln.strip()]
        raise WorkerError(lines[-1] if lines else f"worker exited with status {out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])


class WorkerError(RuntimeError):
    """A benchmark worker process failed; the message is the last line it wrote to stderr."""
