"""Solver arrays in numpy memory (grid.HostArray, the CPU backend's large arrays) behave as the
Taichi ndarrays they replace: the same answers, in place, with to_numpy/from_numpy."""

import numpy as np
import pytest
import taichi as ti
from microcath.geometries import generate
from microcath.gpu_kernels import grid

from microcath import mechanics as M
from microcath.transport import conductivity

AM = (150e9, 0.25)
SE = (20e9, 0.30)


@pytest.fixture
def all_host(monkeypatch):
    monkeypatch.setattr(grid, "HOST_ARRAY_BYTES", 0)


def test_zeros_is_host_memory_on_the_cpu_and_behaves_like_an_ndarray(ti_cpu, all_host):
    from microcath.gpu_kernels import krylov

    a = grid.zeros(ti.f32, 5)
    assert isinstance(a, grid.HostArray) and a.shape == (5,) and a.dtype == ti.f32  # as an ndarray's
    assert a.view(np.ndarray).dtype == np.float32 and a.ctypes.data % 64 == 0
    assert not a.any()
    a.from_numpy(np.arange(5.0))
    krylov.fill(a, 2.5)  # a kernel writes the memory in place
    out = a.to_numpy()
    assert type(out) is np.ndarray and out.tolist() == [2.5] * 5
    out[0] = 0.0
    assert a[0] == 2.5  # to_numpy is a copy, as for a Taichi ndarray


def test_host_and_taichi_arrays_share_one_kernel_instantiation(ti_cpu, monkeypatch):
    """Taichi keys an instantiation on the arrays' element type: a HostArray reports the Taichi
    dtype, so a kernel called with both kinds compiles once."""
    from microcath.gpu_kernels import krylov
    from taichi.lang import kernel_impl

    keys = []
    original = kernel_impl.Kernel.materialize

    def spy(self, *a, **k):
        keys.append((self.func.__name__, str(a[0] if a else k.get("key"))))
        return original(self, *a, **k)

    monkeypatch.setattr(kernel_impl.Kernel, "materialize", spy)
    monkeypatch.setattr(grid, "HOST_ARRAY_BYTES", 1 << 62)
    krylov.fill(grid.zeros(ti.f64, 4), 1.0)
    monkeypatch.setattr(grid, "HOST_ARRAY_BYTES", 0)
    krylov.fill(grid.zeros(ti.f64, 4), 1.0)
    assert len(keys) == 2 and keys[0] == keys[1]


def test_threshold_keeps_small_arrays_in_taichi(ti_cpu, monkeypatch):
    monkeypatch.setattr(grid, "HOST_ARRAY_BYTES", 64)
    assert isinstance(grid.zeros(ti.f64, 8), grid.HostArray)
    assert not isinstance(grid.zeros(ti.f64, 7), np.ndarray)


@pytest.fixture(scope="module")
def composite():
    return generate("default", shape=(40, 40, 40), seed=1, progress=False)


@pytest.mark.parametrize("carrier", ["ionic", "electronic"])
def test_conductivity_is_the_same_in_host_memory(ti_cpu, composite, monkeypatch, carrier):
    monkeypatch.setattr(grid, "HOST_ARRAY_BYTES", 1 << 62)
    ref = conductivity(composite, carrier=carrier)
    monkeypatch.setattr(grid, "HOST_ARRAY_BYTES", 0)
    host = conductivity(composite, carrier=carrier)
    assert ref.converged and host.converged
    assert host.sigma_eff == pytest.approx(ref.sigma_eff, rel=1e-6)
    assert abs(host.n_iter - ref.n_iter) <= 2  # island sums are atomic adds in any order


def test_laminate_closed_form_in_host_memory(ti_cpu, all_host):
    """The clamped AM/SE laminate of tests/mechanics (DOSSIER C5) with every array in host memory."""
    lab = np.zeros((12, 12, 12), np.uint8)
    lab[:, :, :6] = 1
    cl = M.stress_of_labels(lab, {0: AM, 1: SE}, eigenstrain={0: -0.017}, voxel_size=1e-6,
                            boundary="periodic", fields=True)
    s = cl.stress / 1e6
    assert s[0, 0, -1, 0] == pytest.approx(3621.19, rel=1e-5)
    assert s[..., 2] == pytest.approx(np.full(s.shape[:3], 663.57), rel=1e-5)
