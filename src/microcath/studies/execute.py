"""Run a study's cases as Dask tasks and collect one table.

:func:`sweep` is the one code path: with no ``client`` and no ``scheduler`` it starts a
:class:`dask.distributed.LocalCluster` on this machine (one single-threaded worker process per
core, or ``workers``), with ``scheduler="tcp://HOST:PORT"`` it connects to an existing cluster,
and a notebook may pass its own :class:`dask.distributed.Client`. The tasks are the same in
every case (:func:`microcath.studies.case.run_case`); each finished case is written by this
process the moment it arrives (:class:`~.store.SweepFolder`).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..progress import Tracker
from . import quantities as _q
from .case import STATUS_DONE, STATUS_FAILED, WORKER_BASE_BYTES, bytes_per_case, run_case, task_of
from .spec import Case, Study, load_study, n_voxels
from .store import SweepFolder

__all__ = ["sweep", "plan", "preview", "Plan", "SECONDS_PER_VOXEL"]

log = logging.getLogger(__name__)

#: Rough cost of each stage per voxel [s] on one worker of the shared 2-core CPU machine, for the
#: estimate printed before a sweep starts: medians of the stage times in the case files of
#: examples/sweep_composition.toml at 48^3 (2026-12-01, load average ~10 from other jobs: read them
#: as upper values); mechanics from a 20^3 case (4.4 s warm). The progress ETA is measured.
SECONDS_PER_VOXEL = {_q.GENERATE: 3.2e-5, _q.ANALYSE: 7.5e-6, _q.IONIC: 1.4e-5, _q.ELECTRONIC: 2.4e-5,
                     _q.MECHANICS: 5.5e-4}
#: fixed cost of a case [s], and of a fresh worker (imports, Taichi runtime, kernel compilation:
#: the first case of each worker took 146 s in that run, 10-25 s in bench_sweep.py at load ~3)
CASE_OVERHEAD_S = 0.5
WORKER_START_S = 60.0


@dataclass(frozen=True)
class Plan:
    """What a sweep will do, said before the first case runs."""

    n_cases: int
    n_todo: int
    n_finished: int
    bytes_per_case: int
    seconds_per_case: float
    workers: int

    @property
    def estimate_s(self) -> float:
        waves = math.ceil(self.n_todo / max(self.workers, 1)) if self.n_todo else 0
        return waves * self.seconds_per_case + (WORKER_START_S if self.n_todo else 0.0)

    def text(self) -> str:
        return (f"{self.n_cases} cases ({self.n_finished} already finished, {self.n_todo} to run) on "
                f"{self.workers} worker(s); about {self.bytes_per_case / 2**30:.2f} GiB per case "
                f"(worker included); estimate {_duration(self.estimate_s)} (rough, from per-voxel costs "
                "on a 2-core CPU; the progress ETA is measured)")


def _duration(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else (f"{s / 60:.0f} min" if s < 7200 else f"{s / 3600:.1f} h")


def plan(study: Study, cases: list[Case], n_todo: int, workers: int) -> Plan:
    """Memory per case and a time estimate."""
    stages = study.stages
    nv = max((n_voxels(study, c) for c in cases), default=0)
    mem = WORKER_BASE_BYTES + bytes_per_case(nv, stages)
    secs = CASE_OVERHEAD_S + sum(SECONDS_PER_VOXEL.get(s, 0.0) for s in stages) * nv
    if _q.IONIC in stages or _q.ELECTRONIC in stages:
        secs += sum(SECONDS_PER_VOXEL[_q.IONIC] * nv for a in _q.axes_for(study.quantities) if a != "x")
    return Plan(len(cases), n_todo, len(cases) - n_todo, mem, secs, workers)


def _local_cluster(workers: int, memory_per_case: int):
    from distributed import Client, LocalCluster

    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    limit = int(0.8 * total / workers)
    if memory_per_case > limit:
        fit = max(int(0.8 * total // memory_per_case), 0)
        raise InputError(f"workers: each case needs about {memory_per_case / 2**30:.2f} GiB and {workers} "
                         f"workers get {limit / 2**30:.2f} GiB each; use --workers {fit} or fewer"
                         if fit else
                         f"shape: each case needs about {memory_per_case / 2**30:.2f} GiB, more than 80 % of "
                         "this machine's memory; use a smaller shape")
    threads = max(1, (os.cpu_count() or 1) // workers)
    env = {"MICROCATH_ARCH": os.environ.get("MICROCATH_ARCH", "cpu"), "TI_CPU_MAX_NUM_THREADS": str(threads),
           "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
           "MKL_NUM_THREADS": str(threads)}
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=limit,
                           dashboard_address=":0", env=env)  # any free port: never collides
    return cluster, Client(cluster)


def sweep(study: str | os.PathLike | Mapping | Study, client: Any = None, *,
          out_dir: str | os.PathLike | None = None, workers: int | None = None, scheduler: str | None = None,
          overwrite: bool = False, retry_failed: bool = True, progress: bool = True, report: bool = True):
    """Run every case of a study and return its table.

    Parameters
    ----------
    study : path, dict or Study
        A study file (TOML), the same as a dict, or a :class:`~.spec.Study`
        (see :mod:`microcath.studies.spec` for the schema).
    client : dask.distributed.Client, optional
        Run on this client's cluster (a notebook's own). Default: a local cluster, or
        ``scheduler``.
    out_dir : path, optional
        The sweep folder (default ``sweep-<study name>``): case files, table, report. An
        existing one is resumed: finished cases are not run again.
    workers : int, optional
        Worker processes of the local cluster (default: one per core).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://HOST:PORT``); the same tasks go there.
    overwrite : bool
        Discard the results of a different study in ``out_dir`` (only what microcath wrote).
    retry_failed : bool
        Run cases that failed before again (default); False keeps their recorded error.
    progress : bool
        Progress bar (terminal) or one log line per case (batch).
    report : bool
        Write the plots and ``report/report.html``.

    Returns
    -------
    pandas.DataFrame
        One row per case in study order: ``case`` (id), the varied parameters, ``seed``, the
        quantities (``df.attrs["units"]``), ``<q>.hs_lower``/``<q>.hs_upper`` for conductivities,
        ``status`` (``done``/``failed``), ``error``, ``microcath_version``, ``wall_time_s``,
        ``worker``. ``df.attrs["sweep"]`` lists the case ids computed, skipped and failed in this
        call and the folder.
    """
    st = load_study(study)
    if client is not None and scheduler is not None:
        raise InputError("scheduler: give a client or a scheduler address, not both")
    if workers is not None and (isinstance(workers, bool) or int(workers) != workers or workers < 1):
        raise InputError(f"workers: expected a number of worker processes >= 1, got {workers!r}")
    if (scheduler is not None or client is not None) and workers is not None:
        raise InputError("workers: the workers of an existing scheduler are its own; give --workers only "
                         "for the local cluster")
    cases = st.cases()
    folder = SweepFolder(output_dir(st, out_dir))
    folder.open(st, cases, overwrite=overwrite)
    fp = st.fingerprint()
    finished = _finished(folder, st, cases, retry_failed)
    todo = [c for c in cases if c.id not in finished]
    n_workers = workers or (os.cpu_count() or 1)
    pl = plan(st, cases, len(todo), _n_workers(client, scheduler, n_workers))
    log.info("sweep %s: %s", st.name, pl.text())
    computed: list[str] = []
    if todo:
        own = None
        if client is None and scheduler is None:
            own, client = _local_cluster(n_workers, pl.bytes_per_case)
        elif scheduler is not None:
            from distributed import Client

            client = Client(scheduler, timeout=30)
        try:
            computed = _submit(client, st, todo, folder, progress=progress)
        finally:
            if own is not None or scheduler is not None:
                client.close()
            if own is not None:
                own.close()
    records = folder.records(cases, fp)
    df = folder.table(st, cases, records)
    folder.write_table(df)
    failed = [c.id for c in cases if records.get(c.id, {}).get("status") != STATUS_DONE]
    df.attrs["sweep"] = {"out_dir": str(folder.root), "computed": computed,
                         "skipped": [c.id for c in cases if c.id in finished], "failed": failed}
    if report:
        from .page import write_report

        write_report(st, df, folder)
    if failed:
        log.warning("sweep %s: %d of %d cases failed; the table names each error", st.name, len(failed),
                    len(cases))
    return df


def _finished(folder: SweepFolder, st: Study, cases: list[Case], retry_failed: bool) -> dict[str, dict]:
    finished = folder.records(cases, st.fingerprint())
    if retry_failed:
        finished = {k: r for k, r in finished.items() if r.get("status") == STATUS_DONE}
    return finished


def _n_workers(client, scheduler, local: int) -> int:
    if client is None and scheduler is None:
        return local
    if client is not None:
        return max(len(client.scheduler_info().get("workers", {})), 1)
    return 1  # an existing scheduler's workers are counted when it is connected


def preview(study: str | os.PathLike | Mapping | Study, *, out_dir: str | os.PathLike | None = None,
            workers: int | None = None, retry_failed: bool = True) -> tuple[Study, Plan]:
    """Validate a study and say what :func:`sweep` would do (nothing is run or written)."""
    st = load_study(study)
    cases = st.cases()
    folder = SweepFolder(output_dir(st, out_dir))
    done = _finished(folder, st, cases, retry_failed) if folder.root.is_dir() else {}
    todo = [c for c in cases if c.id not in done]
    return st, plan(st, cases, len(todo), workers or (os.cpu_count() or 1))


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name).strip("-") or "study"


def _submit(client, st: Study, todo: list[Case], folder: SweepFolder, *, progress: bool) -> list[str]:
    from distributed import as_completed

    keep = bool(st.keep)
    stamp = f"{time.time_ns():x}"
    futures = {}
    for c in todo:
        task = task_of(st, c, case_dir=str(folder.case_dir(c.id)) if keep else None)
        fut = client.submit(run_case, task, key=f"microcath-case-{c.id}-{stamp}", pure=False, retries=0)
        futures[fut] = c
    computed = []
    with Tracker(len(todo), desc=f"sweep {st.name}", enabled=progress) as tr:
        for fut in as_completed(list(futures)):
            c = futures[fut]
            try:
                rec = fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker or a task that could not run
                rec = {"case": c.id, "index": c.index, "params": c.params, "seed": c.seed,
                       "status": STATUS_FAILED, "error": f"{type(exc).__name__}: {exc}", "quantities": {},
                       "bounds": {}, "fingerprint": st.fingerprint(), "worker": "", "wall_time_s": None}
            folder.write_case(rec)
            computed.append(c.id)
            ok = rec["status"] == STATUS_DONE
            note = f"case {c.index} {c.id} on {rec.get('worker')}" + ("" if ok else f": {rec['error']}")
            tr.update(ok, note)
            fut.release()
    return computed


def output_dir(study: Study, out_dir: str | os.PathLike | None) -> Path:
    """The folder :func:`sweep` uses for ``study``."""
    return Path(out_dir) if out_dir is not None else Path(f"sweep-{_slug(study.name)}")
