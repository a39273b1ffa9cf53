"""Discrete optimal transport: Lloyd's k-means and entropic OT by log-domain Sinkhorn."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .neighbours import squared_distances
from .numeric import matmul

__all__ = ["Clustering", "TransportPlan", "cluster_sums", "kmeans", "kmeans_plus_plus", "log_sinkhorn"]


@dataclass(frozen=True)
class Clustering:
    """``centroids (M, d)``, each point's ``labels (n,)`` in ``0..M-1`` and ``counts (M,)``
    (every cluster non-empty)."""

    centroids: np.ndarray
    labels: np.ndarray
    counts: np.ndarray


def cluster_sums(labels: np.ndarray, x: np.ndarray, num_clusters: int) -> np.ndarray:
    """``Σ_{i: labels_i = j} x_i`` for each cluster ``j``, ``(num_clusters, d)`` (one matrix
    product with the assignment matrix; ``np.add.at`` is an order of magnitude slower)."""
    assignment = np.zeros((num_clusters, len(labels)), dtype=x.dtype)
    assignment[labels, np.arange(len(labels))] = 1
    return matmul(assignment, x)


def kmeans_plus_plus(points: np.ndarray, num_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """``min(num_clusters, n)`` starting centroids by k-means++ seeding: each next one drawn
    with probability proportional to the squared distance to the nearest already chosen."""
    x = points.astype(np.float64)
    chosen = [int(rng.integers(len(x)))]
    nearest = squared_distances(x, x[chosen]).ravel()
    for _ in range(min(num_clusters, len(x)) - 1):
        total = nearest.sum()
        if total == 0:  # every point coincides with a centroid already
            break
        chosen.append(int(rng.choice(len(x), p=nearest / total)))
        nearest = np.minimum(nearest, squared_distances(x, x[chosen[-1:]]).ravel())
    return x[chosen]


def kmeans(points: np.ndarray, centroids: np.ndarray, iterations: int) -> Clustering:
    """``iterations`` rounds of Lloyd's algorithm from ``centroids`` (fewer if it reaches a
    fixed point); points go to their nearest final centroid.

    A centroid that loses all its points keeps its place (as SciPy's ``kmeans2``); clusters
    still empty at the end are dropped, so ``M <= len(centroids)``.
    """
    x = points.astype(np.float64)
    centroids = centroids.astype(np.float64)
    for _ in range(iterations):
        labels = squared_distances(x, centroids).argmin(axis=1)
        counts = np.bincount(labels, minlength=len(centroids))
        sums = cluster_sums(labels, x, len(centroids))
        filled = counts > 0
        updated = centroids.copy()
        updated[filled] = sums[filled] / counts[filled, None]
        if np.array_equal(updated, centroids):
            break
        centroids = updated
    labels = squared_distances(x, centroids).argmin(axis=1)
    counts = np.bincount(labels, minlength=len(centroids))
    kept = np.flatnonzero(counts)
    relabel = np.full(len(centroids), -1)
    relabel[kept] = np.arange(len(kept))
    return Clustering(centroids[kept], relabel[labels], counts[kept])


@dataclass(frozen=True)
class TransportPlan:
    """Dual potentials ``f (n,)``, ``g (M,)`` of an entropic OT problem with cost ``C``:
    the plan is ``P_ij = exp((f_i + g_j - C_ij) / ε)``."""

    f: np.ndarray
    g: np.ndarray
    cost: np.ndarray
    epsilon: float

    @property
    def plan(self) -> np.ndarray:
        return np.exp((self.f[:, None] + self.g[None, :] - self.cost) / self.epsilon)


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    top = x.max(axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.exp(x - top).sum(axis=axis))


def log_sinkhorn(
    a: np.ndarray, b: np.ndarray, cost: np.ndarray, epsilon: float, iterations: int, tol: float = 1e-9
) -> TransportPlan:
    r"""Entropic OT between histograms ``a (n,)`` and ``b (M,)`` (each summing to 1):

    .. math:: \min_{P 1 = a,\ P^T 1 = b} ⟨P, C⟩ - ε H(P)

    by Sinkhorn's alternating projections on the dual potentials, in the log domain so that
    small ``ε`` never underflows:
    ``g_j = ε log b_j - ε LSE_i((f_i - C_ij)/ε)``, ``f_i = ε log a_i - ε LSE_j((g_j - C_ij)/ε)``.
    Stops after ``iterations`` rounds or once the column marginals are within ``tol`` (the
    rows are exact after each ``f`` update).
    """
    log_a, log_b = np.log(a), np.log(b)
    f, g = np.zeros(len(a)), np.zeros(len(b))
    for _ in range(iterations):
        g = epsilon * (log_b - _logsumexp((f[:, None] - cost) / epsilon, axis=0))
        f = epsilon * (log_a - _logsumexp((g[None, :] - cost) / epsilon, axis=1))
        columns = np.exp((f[:, None] + g[None, :] - cost) / epsilon).sum(axis=0)
        if np.abs(columns - b).max() < tol:
            break
    return TransportPlan(f, g, cost, epsilon)
