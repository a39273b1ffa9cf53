"""Centroid optimal-transport attention: queries transported onto k-means centroids of the keys
(theory 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as check
from .._validation import non_negative_int, positive_float, positive_int
from ..base import Attention
from ..config import AttentionConfig, spec
from ..context import CallContext
from ..kernels.cache import KeySetCache
from ..kernels.neighbours import squared_distances
from ..kernels.numeric import matmul
from ..kernels.softmax import masked_softmax, normalize_rows
from ..kernels.transport import Clustering, cluster_sums, kmeans, kmeans_plus_plus, log_sinkhorn
from ..registry import register

__all__ = ["CentroidOTAttention", "CentroidOTConfig", "CentroidTransport"]


@dataclass(frozen=True)
class CentroidOTConfig(AttentionConfig):
    dim: int = spec(positive_int)
    num_centroids: int = spec(positive_int, 16)
    epsilon: float = spec(positive_float, 0.1)
    iterations: int = spec(positive_int, 50)
    seed: int = spec(non_negative_int, 0)
    kmeans_iterations: int = spec(positive_int, 10)


@dataclass(frozen=True)
class CentroidTransport:
    """What a key set reduces to: its clustering, the centroid potentials ``g`` of the
    Sinkhorn solution and the cost ``scale`` (largest key-centroid squared distance)."""

    clusters: Clustering
    g: np.ndarray
    scale: float


@register("centroid_ot")
class CentroidOTAttention(Attention):
    r"""Keys are clustered by k-means (k-means++ seeding from ``seed``) into ``M <= num_centroids`` centroids ``c_j`` of mass
    ``b_j = |cluster j| / n``; entropic OT (log-domain Sinkhorn) moves the uniform measure
    on the keys onto ``b`` with cost ``C(x, c_j) = |x - c_j|² / s`` (``s`` the largest
    key-centroid cost). A query is transported like a key, by the solution's centroid
    potential ``g``:

    .. math:: π(j \mid q) = \operatorname{softmax}_j\big((g_j - C(q, c_j))/ε\big),\qquad
              w_k = π(j_k \mid q) / |\text{cluster } j_k|

    so for a query equal to key ``i`` the centroid weights are row ``i`` of the optimal
    plan, ``P_i / a_i``; crowded centroids are discounted by their potentials. Masked keys
    are dropped after clustering and the rest renormalised. The clustering and potentials
    are cached per key set; without a mask the output is ``π @ (cluster means of V)``,
    ``O(m·M·dv)``.
    """

    Config = CentroidOTConfig
    config: CentroidOTConfig
    complexity = "O(n·M) per key set + O(m·M)"

    def _setup(self) -> None:
        self._cache = KeySetCache()

    def transport(self, keys: Any) -> CentroidTransport:
        """Cluster ``keys (n, d)`` and solve the OT problem (cached for the last key set)."""
        return self._transport(check.as_keys(keys, dim=self.dim))

    def _transport(self, keys: np.ndarray) -> CentroidTransport:
        return self._cache.get(keys, self._solve)

    def _solve(self, keys: np.ndarray) -> CentroidTransport:
        cfg = self.config
        start = kmeans_plus_plus(keys, cfg.num_centroids, np.random.default_rng(cfg.seed))
        clusters = kmeans(keys, start, cfg.kmeans_iterations)
        cost = squared_distances(keys.astype(np.float64), clusters.centroids)
        scale = float(cost.max()) or 1.0
        n = len(keys)
        solution = log_sinkhorn(np.full(n, 1.0 / n), clusters.counts / n, cost / scale, cfg.epsilon, cfg.iterations)
        return CentroidTransport(clusters, solution.g, scale)

    def centroid_weights(self, queries: np.ndarray, solved: CentroidTransport) -> np.ndarray:
        """``π(j | q)`` for each query, ``(m, M)``."""
        cost = squared_distances(queries.astype(np.float64), solved.clusters.centroids) / solved.scale
        return masked_softmax((solved.g[None, :] - cost) / self.config.epsilon)

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        solved = self._transport(keys)
        labels, counts = solved.clusters.labels, solved.clusters.counts
        weights = self.centroid_weights(queries, solved)[:, labels] / counts[labels]
        mask = ctx.vis.dense()
        if mask is not None:
            weights = normalize_rows(weights * mask)
        return weights.astype(np.float32)

    def _forward(self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray, ctx: CallContext) -> np.ndarray:
        if ctx.vis.dense() is not None:
            return matmul(self._weights(queries, keys, ctx), values)
        solved = self._transport(keys)
        counts = solved.clusters.counts
        means = cluster_sums(solved.clusters.labels, values, len(counts)) / counts[:, None].astype(np.float32)
        return matmul(self.centroid_weights(queries, solved), means)
