"""Attention compressed toward the uniform prior by the information-bottleneck trade-off."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import non_negative_float, positive_float, positive_int
from ..base import Attention
from ..config import AttentionConfig, spec
from ..context import CallContext
from ..info.bottleneck import compress_weights, kl_to_uniform
from ..kernels.dot import dot_softmax
from ..registry import register

__all__ = ["BottleneckAttention", "BottleneckConfig"]


@dataclass(frozen=True)
class BottleneckConfig(AttentionConfig):
    dim: int = spec(positive_int)
    beta: float = spec(non_negative_float, 0.1)
    temperature: float = spec(positive_float, 1.0)


@register("information_bottleneck")
class BottleneckAttention(Attention):
    r"""Softmax weights ``w`` replaced by the solution of the IB trade-off

    .. math:: q = \arg\min_q \mathrm{KL}(q \| w) + β\,\mathrm{KL}(q \| u) \;\propto\; w^{1/(1+β)}

    (``u`` uniform over the visible keys): ``β = 0`` is plain scaled dot-product attention
    at ``temperature``, larger ``β`` flattens the weights. After each call ``last_kl`` is
    ``KL(q ‖ u)`` (natural log; the mean over the queries of a batch).

    >>> attn = BottleneckAttention(2, beta=1.0)
    >>> attn.weights([4.0, 0.0], [[1.0, 0.0], [0.0, 1.0]]).round(4)
    array([0.8044, 0.1956], dtype=float32)
    """

    Config = BottleneckConfig
    config: BottleneckConfig
    complexity = "O(n^2)"

    def _setup(self) -> None:
        self.last_kl = 0.0

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        scale = 1.0 / (math.sqrt(self.dim) * self.config.temperature)
        mask = ctx.vis.dense()
        w = dot_softmax(queries, keys, scale, mask).astype(np.float64)
        q = compress_weights(w, 1.0 / (1.0 + self.config.beta))
        visible = keys.shape[0] if mask is None else np.asarray(mask).sum(axis=1)
        kl = kl_to_uniform(q) - np.log(keys.shape[0]) + np.log(np.maximum(visible, 1))
        seen = q.sum(axis=1) > 0
        self.last_kl = float(kl[seen].mean()) if seen.any() else 0.0
        return q.astype(np.float32)
