"""Sliced-Wasserstein attention: keys scored by a sliced optimal-transport distance (theory 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import non_negative_int, positive_float, positive_int
from ..base import Attention
from ..config import AttentionConfig, spec
from ..context import CallContext
from ..kernels.cache import KeySetCache
from ..kernels.dot import dot_scores
from ..kernels.masking import top_k
from ..kernels.neighbours import squared_distances
from ..kernels.numeric import product
from ..kernels.softmax import masked_softmax
from ..kernels.sphere import random_directions
from ..registry import register

__all__ = ["SlicedWassersteinAttention", "SlicedWassersteinConfig"]


@dataclass(frozen=True)
class SlicedWassersteinConfig(AttentionConfig):
    dim: int = spec(positive_int)
    num_projections: int = spec(positive_int, 16)
    num_candidates: int = spec(positive_int, 64)
    temperature: float = spec(positive_float, 1.0)
    seed: int = spec(non_negative_int, 0)

    def state_bytes(self) -> int:
        return 3 * 8 * self.num_projections * self.dim


@register("sliced_wasserstein")
class SlicedWassersteinAttention(Attention):
    r"""Two stages: the ``num_candidates`` keys of highest ``q·k``, then

    .. math:: s_j = -\mathrm{SW}_2(q, k_j)/T,\qquad
              \mathrm{SW}_2(x, y)^2 = \tfrac1P \textstyle\sum_i W_2(θ_i·x,\ θ_i·y)^2
                                    = \tfrac1P \textstyle\sum_i \big(θ_i·(x - y)\big)^2

    the sliced Wasserstein-2 distance over ``P = num_projections`` fixed random unit
    directions ``θ_i`` (seeded): the 1-D W2 between the projected coordinates, averaged over
    the slices. As ``P`` grows it tends to ``|x - y| / √d``, POT's
    ``sliced_wasserstein_distance`` of the two points. Keys outside the candidates get
    weight 0. The projections of a key set are cached, so repeated calls on the same keys
    only project the queries.
    """

    Config = SlicedWassersteinConfig
    config: SlicedWassersteinConfig
    complexity = "O(n·P)"

    def _setup(self) -> None:
        self._directions = random_directions(self._rng, self.config.num_projections, self.config.dim)
        self._cache = KeySetCache()

    def _project(self, x: np.ndarray) -> np.ndarray:
        """``Θx`` per row, ``(rows, P)``."""
        return product(np.asarray(x, dtype=np.float64), self._directions.T)

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        candidates = top_k(dot_scores(queries, keys, 1.0), ctx.vis.pattern(), self.config.num_candidates)
        pq, pk = self._project(queries), self._cache.get(keys, self._project)
        sw = np.sqrt(squared_distances(pq, pk) / self.config.num_projections)
        return masked_softmax(-sw / self.config.temperature, candidates).astype(np.float32)

    def compute_sliced(self, query: Any, keys: Any, values: Any, mask: Any = None) -> np.ndarray:
        """Alias of :meth:`compute`."""
        return self.compute(query, keys, values, mask)
