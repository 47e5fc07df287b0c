"""Sparse, tortuous conducting networks (issue 12: carbon that percolates, a sulfur cathode's
carbon once sulfur is an insulator): the solver coarsens them into the strength-split pieces
of ``gpu_kernels.aggregation``, and the answer is checked against a direct sparse solve of the
same finite-volume system."""

import numpy as np
import pytest
from microcath.geometries import generate
from microcath.gpu_kernels import conduction as C
from test_transport_reference import direct_sigma_eff

from microcath import transport
from microcath.materials import default_library


def _spy(monkeypatch) -> list:
    """Record the ``pieces`` argument of every conduction solve."""
    calls = []
    real = C.solve_conduction

    def spy(*args, **kwargs):
        calls.append(kwargs.get("pieces", False))
        return real(*args, **kwargs)

    monkeypatch.setattr(C, "solve_conduction", spy)
    return calls


def test_network_fraction_counts_the_spanning_strong_voxels():
    """At island contrast the network is the strong voxels that span (islands excluded); when no
    strong cluster spans it is every kept voxel (the matrix carries the current)."""
    lab = np.ones((10, 6, 6), np.uint8)  # matrix, label 1
    lab[:, 0, 0] = 2  # a strong channel across the box: 10 voxels
    lab[3:5, 3:5, 3:5] = 2  # a strong island: 8 voxels
    sig = np.zeros(256)
    sig[1], sig[2] = 1e-5, 300.0
    keep = np.ones(lab.shape, bool)
    islands = transport._islands(lab, keep, sig, 0, False)
    assert islands is not None and len(islands[0]) == 8
    assert transport._network_fraction(lab, keep, sig, 0, islands) == pytest.approx(10 / lab.size)
    lab[:, 0, 0] = 1  # no strong path: the network is the whole kept matrix
    islands = transport._islands(lab, keep, sig, 0, False)
    assert transport._network_fraction(lab, keep, sig, 0, islands) == pytest.approx(1.0)
    one = np.zeros(256)
    one[1] = one[2] = 1.0  # a single conductivity: every kept voxel
    keep[:, 3:, :] = False
    assert transport._network_fraction(lab, keep, one, 0, None) == pytest.approx(0.5)


@pytest.fixture(scope="module")
def sulfur_and_reference():
    """S/C/Li3PS4 at 64^3 (seed 1) and the direct solve of its electronic problem: only the carbon
    black (18 vol%, a network near its threshold) conducts once sulfur (5e-28 S/m, below 1e-20 of
    the carbon's 300 S/m) is an insulator."""
    ms = generate("s_c_li3ps4", shape=(64, 64, 64), seed=1)
    lib = default_library()
    sig_lab = np.zeros(256)
    for label, phase in ms.phases.items():
        s = 0.0 if phase.material is None else lib.get(phase.material).sigma("electronic")
        sig_lab[label] = s if s >= transport.NEGLIGIBLE_CONTRAST * 300.0 else 0.0
    return ms, direct_sigma_eff(sig_lab[ms.labels])


def test_sulfur_carbon_network_matches_direct_solve(ti_cpu, monkeypatch, sulfur_and_reference):
    """On the pieces at once (before them: 72 iterations with 2x2x2 aggregates); the answer must
    be the direct solve's."""
    ms, ref = sulfur_and_reference
    calls = _spy(monkeypatch)
    r = transport.conductivity(ms, carrier="electronic", axis="x")
    assert calls == [True]
    assert r.converged and r.flux_balance < 1e-6
    assert abs(r.sigma_eff - ref) / ref < 1e-4
    assert r.n_iter <= 40  # 72 with 2x2x2 aggregates, 16 with the pieces
    print(f"sigma_eff {r.sigma_eff:.9g}, direct {ref:.9g}, {r.n_iter} iterations")


def test_dense_networks_keep_the_structured_levels(ti_cpu, monkeypatch, caplog):
    """The default composite: electrons through the NMC/electrolyte matrix around carbon
    islands, ions through the electrolyte (47 vol%): the 2x2x2 levels, watched (``None``),
    converge fast enough that the solve never moves onto the pieces."""
    ms = generate("default", shape=(40, 40, 40), seed=1)
    calls = _spy(monkeypatch)
    with caplog.at_level("INFO", logger="microcath.gpu_kernels.conduction"):
        transport.conductivity(ms, carrier="electronic", axis="x")
        transport.conductivity(ms, carrier="ionic", axis="x")
    assert calls == [None, None]
    assert "strength-split pieces" not in caplog.text


def test_slow_structured_solve_continues_on_the_pieces(ti_cpu, monkeypatch, caplog, sulfur_and_reference):
    """The switch: the S/C/Li3PS4 carbon network started on the 2x2x2 levels (72 iterations
    there), moved onto the pieces after the probe, ends at the direct solve's answer."""
    monkeypatch.setattr(transport, "PIECES_NETWORK_FRACTION", 0.0)  # watched, not pieces at once
    ms, ref = sulfur_and_reference
    with caplog.at_level("INFO", logger="microcath.gpu_kernels.conduction"):
        r = transport.conductivity(ms, carrier="electronic", axis="x")
    assert "continuing on the strength-split pieces" in caplog.text
    assert r.converged and r.flux_balance < 1e-6
    assert abs(r.sigma_eff - ref) / ref < 1e-4
    assert C.PROBE_ITERATIONS < r.n_iter <= C.PROBE_ITERATIONS + 40
    print(f"sigma_eff {r.sigma_eff:.9g}, direct {ref:.9g}, {r.n_iter} iterations")


def test_pieces_refused_by_the_memory_budget_fall_back(ti_cpu, monkeypatch):
    """When the pieces do not fit, the structured levels solve the same system (more iterations)."""
    ms = generate("s_c_li3ps4", shape=(40, 40, 40), seed=1)
    base = transport.conductivity(ms, carrier="electronic", axis="x")
    real = transport._check_memory

    def no_pieces(shape, dtype, *, vector_dtype=None, cracks=False):
        if cracks:
            from microcath.errors import MemoryBudgetError

            raise MemoryBudgetError("test: no room for the pieces")
        return real(shape, dtype, vector_dtype=vector_dtype, cracks=cracks)

    monkeypatch.setattr(transport, "_check_memory", no_pieces)
    calls = _spy(monkeypatch)
    r = transport.conductivity(ms, carrier="electronic", axis="x")
    assert calls == [False]  # neither at once nor watched
    assert r.converged and abs(r.sigma_eff - base.sigma_eff) / base.sigma_eff < 1e-4
