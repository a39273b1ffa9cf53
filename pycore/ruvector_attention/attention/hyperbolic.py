"""Hyperbolic attention on the Poincaré ball."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import negative_float, positive_float, positive_int
from ..base import Attention
from ..config import AttentionConfig, spec
from ..context import CallContext
from ..kernels import poincare
from ..kernels.softmax import masked_softmax
from ..registry import register

__all__ = ["HyperbolicAttention", "HyperbolicConfig"]


@dataclass(frozen=True)
class HyperbolicConfig(AttentionConfig):
    dim: int = spec(positive_int)
    curvature: float = spec(negative_float, -1.0)
    temperature: float = spec(positive_float, 1.0)

    @property
    def c(self) -> float:
        """``c = -curvature > 0``; the ball has radius ``1/√c``."""
        return -self.curvature


@register("hyperbolic")
class HyperbolicAttention(Attention):
    r"""Attention by Poincaré distance, aggregating values by the weighted gyro-midpoint.

    .. math:: s_j = -d_c(q, k_j)/T,\quad w = \operatorname{softmax}(s),\quad
              \text{out} = \tfrac12 \otimes_c \frac{\sum_j w_j λ_j v_j}{\sum_j w_j (λ_j - 1)},
              \; λ_j = \frac{2}{1 - c|v_j|^2}

    Queries, keys and values outside the ball are first projected to
    ``|x| <= (1 - 4e-3)/√c``; the output always lies inside the ball.

    >>> attn = HyperbolicAttention(dim=2)
    >>> attn.compute([0.1, 0.0], [[0.1, 0.0], [-0.5, 0.0]], [[0.2, 0.0], [0.2, 0.0]]).round(6)
    array([0.2, 0. ], dtype=float32)
    """

    Config = HyperbolicConfig
    config: HyperbolicConfig
    complexity = "O(n^2)"
    row_temporaries = 12

    def _ball(self, x: np.ndarray) -> np.ndarray:
        return poincare.project(x.astype(np.float64), self.config.c)

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        distances = poincare.pairwise_distance(self._ball(queries), self._ball(keys), self.config.c)
        return masked_softmax(-distances / self.config.temperature, ctx.vis.dense())

    def _forward(
        self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray, ctx: CallContext
    ) -> np.ndarray:
        weights = self._weights(queries, keys, ctx)
        return poincare.gyro_midpoint(weights, self._ball(values), self.config.c)
