"""The finest elasticity operator against the sum of its element matrices, assembled on the host,
with every node on the element path, with the homogeneous and interface-pattern stencils, and with
a pattern table too small for all patterns (the rest keep the element path)."""

import numpy as np
import pytest


def _level(lab, per_x, el, ti):
    nx, ny, nz = lab.shape
    mx = nx if per_x else nx + 1
    lam, mu = np.zeros(256), np.zeros(256)
    for k, (E, nu) in {0: (150.0, 0.25), 1: (20.0, 0.30), 3: (5.0, 0.2)}.items():  # 2: pore
        lam[k] = E * nu / ((1 + nu) * (1 - 2 * nu))
        mu[k] = E / (2 * (1 + nu))

    def nd(a, dt):
        d = ti.ndarray(dt, (a.size,))
        d.from_numpy(np.ascontiguousarray(a).ravel())
        return d

    rng = np.random.default_rng(3)
    mask = rng.choice([7, 7, 7, 5, 0], size=mx * ny * nz).astype(np.uint8)  # some removed dofs
    return el.ElasticityLevel((mx, ny, nz), nx, per_x, nd(mask, ti.u8), ti.f64,
                              ke=nd(el.label_matrices(lam, mu, (1.0, 0.8, 1.3)), ti.f64), lab=nd(lab, ti.u8),
                              lam=nd(lam, ti.f64), mu=nd(mu, ti.f64), spacing=(1.0, 0.8, 1.3),
                              vector_dtype=ti.f64)


def _host_apply(lvl, x):
    K, conn = lvl.element_matrices_host()
    dof = (3 * conn[:, :, None] + np.arange(3)).reshape(len(conn), 24)
    y = np.zeros_like(x)
    np.add.at(y, dof, np.einsum("eij,ej->ei", K, x[dof]))
    free = lvl.free_dofs().astype(bool)
    return np.where(free, y, x)


@pytest.mark.parametrize("per_x", [False, True], ids=["plates", "periodic"])
def test_pattern_stencils_are_the_element_sum(ti_cpu, per_x, monkeypatch):
    import taichi as ti
    from microcath.gpu_kernels import elasticity as el

    rng = np.random.default_rng(11)
    lab = rng.choice([0, 1, 2, 3], size=(3, 3, 3), p=[0.4, 0.3, 0.15, 0.15]).astype(np.uint8)
    lab = lab.repeat(2, 0).repeat(2, 1).repeat(2, 2)[:6, :5, :6]  # some homogeneous nodes
    x = rng.standard_normal(3 * (6 if per_x else 7) * 5 * 6)
    want = None
    seen = {}
    for name, hom, pat, nbytes in [("element path", False, False, 8.0), ("stencils", True, True, 1e9),
                                   ("partial table", True, True, 0.0)]:
        monkeypatch.setattr(el, "HOMOGENEOUS_STENCIL", hom)
        monkeypatch.setattr(el, "PATTERN_STENCIL", pat)
        monkeypatch.setattr(el, "PATTERN_BYTES", nbytes)
        lvl = _level(lab, per_x, el, ti)
        if name == "partial table":  # room for a few patterns only
            monkeypatch.setattr(el, "PATTERN_BYTES", 8.0 * el.PATTERN_SIZE * 5 / lvl.n_nodes)
            lvl = _level(lab, per_x, el, ti)
        if want is None:
            want = _host_apply(lvl, x)
        xd, yd = lvl.new_vector(), lvl.new_vector()
        xd.from_numpy(x)
        lvl.apply(xd, yd)
        seen[name] = (lvl.patterns, lvl.pattern_coverage)
        np.testing.assert_allclose(yd.to_numpy(), want, rtol=0, atol=1e-12 * np.abs(want).max(), err_msg=name)
    assert seen["element path"][0] is False
    assert seen["stencils"] == (True, 1.0)
    assert seen["partial table"][0] and 0.0 < seen["partial table"][1] < 1.0
