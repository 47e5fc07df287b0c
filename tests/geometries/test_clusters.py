"""The random lattice-animal cluster generator (Ketter et al.'s "blobs")."""

import numpy as np
import pytest
from microcath.geometries.clusters import random_walk_clusters
from scipy import ndimage

from microcath.errors import InputError


def test_fraction_is_exact_and_seeded():
    a = random_walk_clusters((20, 20, 20), 0.2, 4, rng=3)
    assert a.sum() == 1600
    assert np.array_equal(a, random_walk_clusters((20, 20, 20), 0.2, 4, rng=3))
    assert not np.array_equal(a, random_walk_clusters((20, 20, 20), 0.2, 4, rng=4))


def test_dilute_clusters_are_face_connected_of_the_given_size():
    # at 0.5 % the clusters rarely touch: almost every 6-connected component
    # (periodic wrap joins across faces, so count on a padded tiling) has 4 voxels
    a = random_walk_clusters((40, 40, 40), 0.005, 4, rng=0)
    tiled = np.pad(a, ((0, 40),) * 3, mode="wrap")
    lab, n = ndimage.label(tiled)
    sizes = np.bincount(lab.ravel())[1:]
    assert np.median(sizes) == 4
    assert sizes.max() <= 8 * 4
    assert (sizes == 4).mean() > 0.9


def test_cluster_size_one_is_a_site_mixture():
    a = random_walk_clusters((10, 10, 10), 0.3, 1, rng=1)
    assert a.sum() == 300


@pytest.mark.parametrize("kw", [dict(fraction=1.2), dict(fraction=-0.1), dict(cluster_size=0),
                                dict(cluster_size=2.5), dict(shape=(0, 4, 4))])
def test_bad_input(kw):
    args = dict(shape=(8, 8, 8), fraction=0.2, cluster_size=4) | kw
    with pytest.raises(InputError):
        random_walk_clusters(**args, rng=0)
