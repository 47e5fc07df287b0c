"""Independent finite-element pieces for the scipy checks of the mechanics tests (not microcath's)."""

import itertools

import numpy as np


def brick(h=(1.0, 1.0, 1.0)):
    """B matrices (6x24, Voigt with engineering shear) at the 8 Gauss points and at the centre of
    a brick with edges ``h``."""
    def bmat(pt):
        B = np.zeros((6, 24))
        for a, (i, j, k) in enumerate(itertools.product((0, 1), repeat=3)):
            c = (i, j, k)
            f = [pt[d] if c[d] else 1 - pt[d] for d in range(3)]
            s = [1 if c[d] else -1 for d in range(3)]
            g = (s[0] * f[1] * f[2] / h[0], f[0] * s[1] * f[2] / h[1], f[0] * f[1] * s[2] / h[2])
            B[0, 3 * a], B[1, 3 * a + 1], B[2, 3 * a + 2] = g
            B[3, 3 * a + 1], B[3, 3 * a + 2] = g[2], g[1]
            B[4, 3 * a], B[4, 3 * a + 2] = g[2], g[0]
            B[5, 3 * a], B[5, 3 * a + 1] = g[1], g[0]
        return B
    gp = 0.5 + np.array([-1, 1]) / (2 * np.sqrt(3))
    return [bmat(p) for p in itertools.product(gp, repeat=3)], bmat((0.5, 0.5, 0.5))


def isotropic_D(E, nu):
    lam, mu = E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))
    D = np.diag([2 * mu] * 3 + [mu] * 3)
    D[:3, :3] += lam
    return D
