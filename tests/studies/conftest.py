"""A real Dask cluster on loopback: ``dask scheduler`` and ``dask worker`` as separate processes."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DASK = Path(sys.executable).parent / "dask"

#: a tiny study: 2 zipped levels x 2 seeds at 24^3, ionic conductivity only
TINY = {
    "name": "tiny",
    "recipe": "default",
    "shape": 24,
    "seeds": 2,
    "quantities": ["volume_fraction.NMC811", "utilisable_fraction", "sigma_ion_eff.x", "tau_ion.x"],
    "set": {"voxel_size_um": 0.6},
    "zip": {"active.fraction": [0.60, 0.70], "electrolyte.fraction": [0.37, 0.27]},
}


def worker_env():
    env = dict(os.environ, MICROCATH_ARCH="cpu", TI_CPU_MAX_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def stop(proc):
    """End a process group this test started (by its id)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def remote(tmp_path_factory):
    """``(address, client)`` of a scheduler and one single-threaded worker, each its own process."""
    from distributed import Client

    d = tmp_path_factory.mktemp("dask")
    sfile = d / "scheduler.json"
    log_s, log_w = open(d / "scheduler.log", "w"), open(d / "worker.log", "w")
    sched = subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
                              "--no-dashboard", "--scheduler-file", str(sfile)], stdout=log_s,
                             stderr=subprocess.STDOUT, env=worker_env(), start_new_session=True, cwd=d)
    procs = [sched]
    try:
        t0 = time.time()
        while not sfile.is_file() and time.time() - t0 < 60:
            time.sleep(0.2)
        assert sfile.is_file(), (d / "scheduler.log").read_text()
        worker = subprocess.Popen([str(DASK), "worker", "--scheduler-file", str(sfile), "--nworkers", "1",
                                   "--nthreads", "1", "--no-dashboard", "--name", "remote-0"], stdout=log_w,
                                  stderr=subprocess.STDOUT, env=worker_env(), start_new_session=True, cwd=d)
        procs.append(worker)
        client = Client(scheduler_file=str(sfile), timeout=60)
        client.wait_for_workers(1, timeout=120)
        address = client.scheduler.address
        yield address, client
        client.close()
    finally:
        for p in reversed(procs):
            stop(p)
        log_s.close()
        log_w.close()
