"""Solver knobs given on a benchmark's command line as ``KEY=VALUE`` (shared by the compare scripts)."""

from __future__ import annotations

from collections.abc import Sequence


def conduction_knobs(args: Sequence[str]) -> dict[str, str]:
    """Parse ``KEY=VALUE`` arguments and apply them to the conduction solver: ``nu=3,6`` (sweeps
    per level, passed to every ``solve_conduction``), ``CYCLE=v|k``, ``ISLAND_MAX_VOXELS=8``,
    ``ISLAND_INTERPOLATION_CONTRAST=1e30`` (in ``transport``), ``K_LEVELS=1,2`` (the levels of
    the K-cycle that get inner Krylov steps), ``CRACK_CYCLE=v`` (the V-cycle after contact loss, as
    before session 8), ``CRACK_K_LEVELS=1`` (its K-cycle levels), ``CRACK_AWARE=0`` (fixed 2x2x2
    aggregates with the island transfers also after contact loss), ``F32_PRECONDITIONER=0`` (the cycle
    writes ``z`` in float64 under float64 Krylov vectors, as before session 9), ``F32_AFTER_CUTS=1``
    (the float32 cycle also after contact loss), ``MIN_REDUCTION=0.9`` and ``DEEP_MIN_REDUCTION=0.9``
    (``aggregation``: a first / deeper node level that keeps more than this fraction of the nodes is
    redone by strongest-neighbour pairing).
    Returns the parsed knobs."""
    from microcath.gpu_kernels import conduction as C

    from microcath import transport

    knobs = dict(a.split("=", 1) for a in args)
    if "nu" in knobs:
        orig = C.solve_conduction
        nu = tuple(int(v) for v in knobs["nu"].split(","))

        def wrapped(*a, **k):
            k["nu"] = nu
            return orig(*a, **k)

        C.solve_conduction = wrapped
    if "CYCLE" in knobs:
        C.CYCLE = knobs["CYCLE"]
    for name in ("MIN_REDUCTION", "DEEP_MIN_REDUCTION"):
        if name in knobs:
            from microcath.gpu_kernels import aggregation

            setattr(aggregation, name, float(knobs[name]))
    if "ISLAND_MAX_VOXELS" in knobs:
        C.ISLAND_MAX_VOXELS = int(knobs["ISLAND_MAX_VOXELS"])
    if "ISLAND_INTERPOLATION_CONTRAST" in knobs:
        transport.ISLAND_INTERPOLATION_CONTRAST = float(knobs["ISLAND_INTERPOLATION_CONTRAST"])
    if "K_LEVELS" in knobs:  # the K-cycle levels with inner Krylov steps, e.g. K_LEVELS=1,2
        C.K_LEVELS = tuple(int(v) for v in knobs["K_LEVELS"].split(","))
    if "CRACK_K_LEVELS" in knobs:  # the same after contact loss, e.g. CRACK_K_LEVELS=1
        C.CRACK_K_LEVELS = tuple(int(v) for v in knobs["CRACK_K_LEVELS"].split(","))
    if "CRACK_CYCLE" in knobs:  # the cycle after contact loss: k (default) or v (before session 8)
        C.CRACK_CYCLE = knobs["CRACK_CYCLE"]
    if "CRACK_AWARE" in knobs:
        C.CRACK_AWARE = knobs["CRACK_AWARE"] not in ("0", "false", "False")
    if "F32_PRECONDITIONER" in knobs:  # 0: the cycle writes z in the Krylov vectors' float64
        C.F32_PRECONDITIONER = knobs["F32_PRECONDITIONER"] not in ("0", "false", "False")
    if "F32_AFTER_CUTS" in knobs:  # 1: the float32 cycle also after contact loss
        C.F32_AFTER_CUTS = knobs["F32_AFTER_CUTS"] not in ("0", "false", "False")
    return knobs
