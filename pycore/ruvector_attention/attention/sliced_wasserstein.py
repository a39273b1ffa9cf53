"""Sliced-Wasserstein attention: keys scored by a sliced optimal-transport distance (theory 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import non_negative_int, positive_float, positive_int
from ..base import Attention
from ..config import AttentionConfig, spec
from ..kernels.cache import KeySetCache
from ..kernels.masking import Visibility
from ..kernels.softmax import masked_softmax
from ..registry import register

__all__ = ["SlicedWassersteinAttention", "SlicedWassersteinConfig"]


@dataclass(frozen=True)
class SlicedWassersteinConfig(AttentionConfig):
    dim: int = spec(positive_int)
    num_projections: int = spec(positive_int, 16)
    num_candidates: int = spec(positive_int, 64)
    temperature: float = spec(positive_float, 1.0)
    seed: int = spec(non_negative_int, 0)


@register("sliced_wasserstein")
class SlicedWassersteinAttention(Attention):
    r"""Two stages: the ``num_candidates`` keys of highest ``q·k``, then

    .. math:: s_j = -\mathrm{SW}(q, k_j)/T,\qquad
              \mathrm{SW}(x, y)^2 = \tfrac1P \textstyle\sum_i \big(\mathrm{sort}(Θx)_i - \mathrm{sort}(Θy)_i\big)^2

    the 1-D Wasserstein-2 distance between the ``P = num_projections`` values of ``x`` and
    of ``y`` on fixed random unit directions ``Θ`` (seeded). Keys outside the candidates
    get weight 0. The sorted projections of a key set are cached, so repeated calls on the
    same keys skip the sort.
    """

    Config = SlicedWassersteinConfig
    config: SlicedWassersteinConfig
    complexity = "O(n·P·log P)"

    def _setup(self) -> None:
        directions = self._rng.standard_normal((self.config.num_projections, self.config.dim))
        self._directions = directions / np.linalg.norm(directions, axis=1, keepdims=True)
        self._cache = KeySetCache()

    def sorted_projections(self, x: np.ndarray) -> np.ndarray:
        """``sort(Θx)`` per row, ``(rows, P)``."""
        return np.sort(np.asarray(x, dtype=np.float64) @ self._directions.T, axis=1)

    def _weights(self, queries: np.ndarray, keys: np.ndarray, vis: Visibility) -> np.ndarray:
        n = keys.shape[0]
        mask = vis.dense()
        visible = np.ones((queries.shape[0], n), bool) if mask is None else np.asarray(mask)
        dots = np.where(visible, queries @ keys.T, -np.inf)
        count = min(self.config.num_candidates, n)
        kth = np.partition(dots, n - count, axis=1)[:, n - count : n - count + 1]
        candidates = (dots >= kth) & visible  # ties at the last candidate's score all join
        pq, pk = self.sorted_projections(queries), self._cache.get(keys, self.sorted_projections)
        sw = np.sqrt(np.mean((pq[:, None, :] - pk[None, :, :]) ** 2, axis=2))
        return masked_softmax(-sw / self.config.temperature, candidates).astype(np.float32)

    def compute_sliced(self, query: Any, keys: Any, values: Any, mask: Any = None) -> np.ndarray:
        """Alias of :meth:`compute`."""
        return self.compute(query, keys, values, mask)
