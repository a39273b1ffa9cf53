"""centroid_ot: Sinkhorn against POT, k-means against SciPy, and the attention built on them."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.vq import kmeans2, vq

import ruvector_attention as ra
from ruvector_attention.kernels.transport import kmeans, kmeans_plus_plus, log_sinkhorn

from ..oracles import needs_pot, ot


def _problem(rng, n=40, m=7, scale=1.0):
    a = rng.random(n) + 0.1
    b = rng.random(m) + 0.1
    cost = rng.random((n, m)) * scale
    return a / a.sum(), b / b.sum(), cost


@pytest.mark.parametrize("epsilon", [1.0, 0.1, 0.02])
def test_log_sinkhorn_plan_has_the_marginals(rng, epsilon):
    a, b, cost = _problem(rng)
    plan = log_sinkhorn(a, b, cost, epsilon, iterations=5000, tol=1e-10).plan
    np.testing.assert_allclose(plan.sum(axis=1), a, atol=1e-5)
    np.testing.assert_allclose(plan.sum(axis=0), b, atol=1e-5)


@needs_pot
@pytest.mark.parametrize("epsilon", [1.0, 0.1, 0.05])
def test_log_sinkhorn_equals_pot(rng, epsilon):
    a, b, cost = _problem(rng)
    ours = log_sinkhorn(a, b, cost, epsilon, iterations=5000, tol=1e-12).plan
    pot = ot.sinkhorn(a, b, cost, epsilon, method="sinkhorn_log", numItermax=5000, stopThr=1e-12)
    np.testing.assert_allclose(ours, pot, atol=1e-7, rtol=1e-5)


def test_log_sinkhorn_survives_a_tiny_epsilon(rng):
    a, b, cost = _problem(rng, scale=100.0)
    plan = log_sinkhorn(a, b, cost, 1e-3, iterations=200).plan
    assert np.isfinite(plan).all()
    np.testing.assert_allclose(plan.sum(axis=1), a, atol=1e-9)  # rows are exact after each round


@pytest.mark.parametrize("iterations", [1, 3, 10])
def test_kmeans_equals_scipy_kmeans2_from_the_same_start(rng, iterations):
    points = rng.normal(size=(60, 3))
    start = points[np.random.default_rng(5).choice(60, size=6, replace=False)]
    expected_centroids, _ = kmeans2(points, start, iter=iterations, minit="matrix")
    expected_labels = vq(points, expected_centroids)[0]  # kmeans2's labels predate its last update
    ours = kmeans(points, start, iterations)
    np.testing.assert_allclose(ours.centroids, expected_centroids, rtol=1e-12)
    np.testing.assert_array_equal(ours.labels, expected_labels)
    np.testing.assert_array_equal(ours.counts, np.bincount(expected_labels))


def test_kmeans_drops_empty_clusters():
    points = np.array([[0.0, 0.0]] * 5 + [[1.0, 1.0]] * 5)
    clusters = kmeans(points, points[[0, 1, 2, 5, 6, 7]], 10)
    assert len(clusters.centroids) == 2
    assert sorted(clusters.counts.tolist()) == [5, 5]
    assert set(clusters.labels.tolist()) == {0, 1}


def test_kmeans_plus_plus_seeds_one_centroid_per_separated_cluster(rng):
    centres = np.eye(5) * 10
    points = np.concatenate([rng.normal(c, 0.1, size=(20, 5)) for c in centres])
    for seed in range(20):
        start = kmeans_plus_plus(points, 5, np.random.default_rng(seed))
        nearest = np.linalg.norm(start[:, None] - centres[None], axis=2).argmin(axis=1)
        assert sorted(nearest.tolist()) == [0, 1, 2, 3, 4]
    assert len(kmeans_plus_plus(np.ones((6, 2)), 4, rng)) == 1  # identical points: one centroid


@needs_pot
def test_a_query_equal_to_a_key_gets_that_keys_row_of_the_plan(rng):
    attn = ra.CentroidOTAttention(6, num_centroids=5, epsilon=0.05, iterations=2000)
    keys = rng.normal(size=(30, 6)).astype(np.float32)
    solved = attn.transport(keys)
    clusters = solved.clusters
    cost = ((keys[:, None, :].astype(np.float64) - clusters.centroids[None]) ** 2).sum(-1)
    plan = ot.sinkhorn(
        np.full(30, 1 / 30), clusters.counts / 30, cost / cost.max(), 0.05, method="sinkhorn_log",
        numItermax=2000, stopThr=1e-12,
    )
    for i in (0, 7, 29):
        expected = (plan[i] * 30)[clusters.labels] / clusters.counts[clusters.labels]
        np.testing.assert_allclose(attn.weights(keys[i], keys), expected, atol=2e-5)


def test_weights_spread_each_centroid_over_its_members(rng):
    attn = ra.CentroidOTAttention(4, num_centroids=3, epsilon=0.02)
    keys = np.concatenate([rng.normal(c, 0.05, size=(n, 4)) for c, n in ((0, 4), (3, 6), (-3, 10))]).astype(np.float32)
    w = attn.weights([3, 3, 3, 3], keys)
    labels = attn.transport(keys).clusters.labels
    for label in np.unique(labels):
        members = w[labels == label]
        np.testing.assert_allclose(members, members[0], rtol=1e-6)
    assert w[4:10].sum() > 0.99  # nearly all the mass goes to the cluster at the query


def test_one_centroid_per_key_when_there_are_enough(rng):
    attn = ra.CentroidOTAttention(5, num_centroids=64)
    keys = rng.normal(size=(9, 5))
    clusters = attn.transport(keys).clusters
    assert len(clusters.centroids) == 9 and (clusters.counts == 1).all()


def test_mask_drops_keys_after_clustering(rng):
    attn = ra.CentroidOTAttention(4, num_centroids=4)
    q, k, v = rng.normal(size=4), rng.normal(size=(12, 4)), rng.normal(size=(12, 2))
    mask = np.arange(12) % 3 != 0
    w = attn.weights(q, k, mask=mask)
    full = attn.weights(q, k)
    np.testing.assert_allclose(w, full * mask / (full * mask).sum(), rtol=1e-5)
    np.testing.assert_allclose(attn.compute(q, k, v, mask=mask), w @ v, atol=1e-6)
    assert not attn.compute(q, k, v, mask=np.zeros(12, bool)).any()


def test_transport_is_cached_per_key_set(rng):
    attn = ra.CentroidOTAttention(4)
    k = rng.normal(size=(50, 4)).astype(np.float32)
    first = attn.transport(k)
    attn.compute_batch(rng.normal(size=(3, 4)), k, rng.normal(size=(50, 2)))
    assert attn.transport(k) is first
    assert attn.transport(k + 1) is not first
