"""Builders of hand-made structures for the analysis tests."""

import numpy as np

from microcath import Microstructure, Phase

PHASES = {
    0: Phase("pore", "pore"),
    1: Phase("NMC811", "active", "NMC811"),
    2: Phase("Li6PS5Cl", "electrolyte", "Li6PS5Cl"),
    3: Phase("carbon", "carbon", "carbon_black"),
}
PORE, AM, SE, C = 0, 1, 2, 3


def make(labels, particles=None, voxel_size=1e-6, phases=None):
    return Microstructure(np.asarray(labels, np.uint8), voxel_size, phases or PHASES,
                          particles=None if particles is None else np.asarray(particles, np.int32))


def ball(shape, centre, radius):
    g = np.indices(shape).astype(float) + 0.5
    c = np.asarray(centre, float)[:, None, None, None]
    return ((g - c) ** 2).sum(0) < radius**2


NX, NY, NZ = 40, 20, 20


def designed():
    """Pore matrix; an electrolyte bus from the separator (x = 0), a carbon bus from the collector.

    P1 touches both buses -> utilisable; P2 touches only the carbon bus -> ionically isolated;
    P3 touches only the electrolyte bus -> electronically isolated; P4 floats in the pore,
    touching an electrolyte pocket and a carbon pocket connected to neither face -> dead;
    P5 touches the electrolyte bus and P1 (particle-particle contact) -> utilisable.
    """
    lab = np.full((NX, NY, NZ), PORE, np.uint8)
    pid = np.zeros((NX, NY, NZ), np.int32)
    lab[:25, :4, :] = SE  # electrolyte bus, x = 0 .. 24
    lab[15:, 16:, :] = C  # carbon bus, x = 15 .. 39

    def put(k, xs, ys, zs):
        lab[xs, ys, zs] = AM
        pid[xs, ys, zs] = k

    put(1, slice(18, 22), slice(4, 16), slice(2, 6))
    put(2, slice(30, 34), slice(12, 16), slice(2, 6))
    put(3, slice(5, 9), slice(4, 8), slice(2, 6))
    put(4, slice(5, 9), slice(10, 13), slice(10, 14))
    lab[5:9, 13:15, 10:14] = SE  # isolated electrolyte pocket on P4
    lab[9:11, 10:13, 10:14] = C  # isolated carbon pocket on P4
    put(5, slice(18, 22), slice(4, 8), slice(6, 10))
    return make(lab, pid)
