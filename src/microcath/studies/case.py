"""One case of a study, as a Dask task: the pipeline's stages its quantities need, numbers out.

:func:`run_case` runs on a worker. It takes a plain dict (:func:`task_of`, picklable, no
paths that only the client sees unless the case keeps its files) and returns a plain dict,
the case record, whatever happens: a case that fails is a record with ``status = "failed"``
and the error, never an exception that would stop the sweep. The worker's Taichi runtime is
started once (``ensure_initialized`` is idempotent) and reused by every case it runs.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import os
import socket
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import InputError
from . import quantities as _q
from .spec import Case, Study

__all__ = ["run_case", "task_of", "bytes_per_case", "STATUS_DONE", "STATUS_FAILED"]

log = logging.getLogger(__name__)

STATUS_DONE = "done"
STATUS_FAILED = "failed"

#: resident memory of a worker before its case's arrays: numpy, scipy, taichi, microcath and the
#: Taichi CPU runtime. Measured 2026-12-01: a plain process peaks at 0.28 GiB after a 20^3 case
#: with every stage (``worker_peak_rss_bytes`` of the case file); a Dask worker adds its own
#: machinery, so 0.5 GiB is budgeted.
WORKER_BASE_BYTES = 512 << 20


def bytes_per_case(n_voxels: int, stages: tuple[str, ...]) -> int:
    """Peak memory of one case beyond the worker's base [B]: its most demanding stage.

    From the per-voxel budgets each front end states and checks (generation, analysis, the
    conduction and elasticity solvers).
    """
    from .. import transport
    from ..analysis.full_analysis import ANALYZE_BYTES_PER_VOXEL
    from ..geometries.composite import GENERATE_BYTES_PER_VOXEL
    from ..gpu_kernels import conduction, elasticity
    from ..mechanics import HOST_BYTES_PER_VOXEL

    # any solve of a volume from transport.PIECES_MIN_VOXELS on may run on the strength-split pieces
    # (sparse or tortuous networks, docs/transport.md), whose set-up needs the most
    cond = conduction.bytes_per_voxel("float32")
    if n_voxels >= transport.PIECES_MIN_VOXELS:
        cond = max(cond, conduction.bytes_per_voxel("float32", "float64", cracks=True))
    per = {_q.GENERATE: GENERATE_BYTES_PER_VOXEL, _q.ANALYSE: ANALYZE_BYTES_PER_VOXEL,
           _q.IONIC: cond, _q.ELECTRONIC: cond,
           _q.MECHANICS: elasticity.bytes_per_voxel("float32", pressure=True) + HOST_BYTES_PER_VOXEL}
    labels = 6  # labels, particle and grain ids kept for the whole case
    return int(n_voxels * (labels + max(per.get(s, 0.0) for s in stages)))


def task_of(study: Study, case: Case, *, case_dir: str | None = None) -> dict[str, Any]:
    """The picklable description of a case that :func:`run_case` runs."""
    return {
        "id": case.id, "index": case.index, "params": case.params, "seed": case.seed,
        "recipe": None if study.recipe is None else study.recipe.params,
        "structure": study.structure, "voxel_size_um": study.voxel_size_um,
        "overrides": case.overrides, "shape": case.shape, "soc": case.soc,
        "stack_pressure_MPa": case.stack_pressure_MPa, "anisotropic_stiffness": case.anisotropic_stiffness,
        "quantities": [q.name for q in study.quantities], "stages": list(study.stages),
        "axes": list(_q.axes_for(study.quantities)), "keep": list(study.keep), "case_dir": case_dir,
        "fingerprint": study.fingerprint(), "phases": None,
    }


def _worker_name() -> str:
    try:
        from distributed import get_worker

        w = get_worker()
        return str(w.name if w.name is not None else w.address)
    except (ImportError, ValueError):
        return f"local-{os.getpid()}"


def _worker_memory_limit() -> int | None:
    try:
        from distributed import get_worker

        limit = get_worker().memory_manager.memory_limit
        return int(limit) if limit else None
    except (ImportError, ValueError, AttributeError):
        return None


def _not_converged(results: dict, stages: list[str]) -> list[str]:
    out = []
    for carrier, entry in results.get("conductivity", {}).items():
        for ax, a in entry.get("axes", {}).items():
            if not a.get("converged", True):
                out.append(f"{carrier} conductivity along {ax} did not converge")
    mech = results.get("mechanics")
    if mech is not None and not mech.get("converged", True):
        out.append(f"the stress solve did not converge (residual {mech.get('residual')})")
    return out


def _cell_parameters(results: dict, record: dict) -> None:
    """The case's effective parameters for a cell model (``microcath export-params`` on the
    sweep folder), or why there are none (e.g. a study without the analysis stage)."""
    from ..cell_parameters import effective_parameters
    from ..errors import InputError

    try:
        record["effective_parameters"] = effective_parameters(results)
    except (InputError, KeyError, TypeError, ValueError) as exc:
        record["effective_parameters_error"] = f"{type(exc).__name__}: {exc}"


def run_case(task: dict[str, Any]) -> dict[str, Any]:
    """Run one case (on a Dask worker or in this process); returns its record (never raises)."""
    t0 = time.perf_counter()
    record: dict[str, Any] = {
        "case": task["id"], "index": task["index"], "params": task["params"], "seed": task["seed"],
        "status": STATUS_FAILED, "error": "", "quantities": {}, "bounds": {}, "stages": {},
        "microcath_version": __version__, "worker": _worker_name(), "host": socket.gethostname(),
        "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "fingerprint": task["fingerprint"],
    }
    try:
        _run(task, record)
    except Exception as exc:  # noqa: BLE001 - a failing case is recorded, the sweep goes on
        record["status"] = STATUS_FAILED
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["traceback"] = traceback.format_exc(limit=8)
    record["wall_time_s"] = time.perf_counter() - t0
    record["worker_peak_rss_bytes"] = _peak_rss()
    return record


def _peak_rss() -> int | None:
    """Peak resident memory of this (worker) process so far [B]; None where unknown."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024  # Linux reports KiB


def _run(task: dict[str, Any], record: dict[str, Any]) -> None:
    from ..gpu_kernels import ensure_initialized
    from ..pipeline import STAGES, RunConfig, RunContext, run_stages
    from ..report import STATUS_RUN, ReportBuilder

    ensure_initialized()
    structure = None
    if task["structure"] is not None:
        from .. import io as mio

        vs = task["voxel_size_um"]
        structure = mio.load(task["structure"], voxel_size=None if vs is None else vs * 1e-6)
    shape = task["shape"] or (tuple(structure.shape) if structure is not None else
                              tuple(_recipe(task).with_overrides(task["overrides"]).params["shape"]))
    limit = _worker_memory_limit()
    need = WORKER_BASE_BYTES + bytes_per_case(math.prod(shape), tuple(task["stages"]))
    if limit is not None and need > limit:
        raise InputError(f"shape: this case needs about {need / 2**30:.2f} GiB, more than the "
                         f"{limit / 2**30:.2f} GiB memory limit of worker {record['worker']}; run fewer "
                         "workers (--workers) or give them more memory")
    keep = task["keep"]
    config = RunConfig(recipe=_recipe(task), shape=task["shape"], seed=task["seed"],
                       overrides=task["overrides"], progress=False, figures="figures" in keep,
                       axes=tuple(task["axes"]), soc=task["soc"],
                       stack_pressure=float(task["stack_pressure_MPa"]) * 1e6,
                       anisotropic_stiffness=bool(task.get("anisotropic_stiffness", False)))
    stages = [s for s in STAGES if s.name in task["stages"]]
    if "figures" in keep:
        from ..pipeline import export

        stages.append(export.STAGE)  # fields.vti of the case
    with tempfile.TemporaryDirectory(prefix="microcath-case-") as tmp:
        target = Path(task["case_dir"]) if keep else Path(tmp) / "case"
        rb = ReportBuilder(target, title=f"sweep case {task['id']}", force=True)
        try:
            ctx = RunContext(config=config, folder=rb.tmp, structure=structure)
            ctx, records, _, lines = run_stages(stages, ctx, rb, strict=True, progress=False)
            for ln in lines:
                rb.add_headline(ln.label, ln.text)
            results = rb.results
            record["stages"] = {r.name: r.wall_time for r in records if r.status == STATUS_RUN}
            not_run = [f"{r.name}: {r.reason}" for r in records if r.status != STATUS_RUN]
            if not_run:
                raise RuntimeError("stage(s) did not run: " + "; ".join(not_run))
            bad = _not_converged(results, task["stages"])
            if bad:
                raise RuntimeError("; ".join(bad) + " (a non-converged number is not reported)")
            for name in task["quantities"]:
                q = _q.resolve(name)
                value, bounds = _q.extract(q, results)
                record["quantities"][name] = value
                if bounds is not None:
                    record["bounds"][name] = list(bounds)
            _cell_parameters(results, record)
            if keep:
                if "structure" in keep and "figures" not in keep:  # with figures, generate saved it
                    from .. import io as mio

                    mio.save(ctx.structure, rb.path("structure.mcath"))
                    rb.add_file("structure.mcath", "the structure of this case (microcath native HDF5)")
                rb.finish()
                record["files"] = str(target)
        finally:
            rb.abort()
    record["status"] = STATUS_DONE


def _recipe(task: dict[str, Any]):
    from ..geometries.recipes import Recipe

    if task["recipe"] is None:
        return "default"
    p = task["recipe"]
    return Recipe.from_dict(p, name=p.get("name"))
