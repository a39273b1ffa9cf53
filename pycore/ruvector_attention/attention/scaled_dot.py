"""Scaled dot-product attention."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import (
    boolean,
    non_negative_int,
    optional,
    positive_float,
    positive_int,
    probability,
)
from ..base import DifferentiableAttention, Gradients
from ..config import AttentionConfig, spec
from ..context import CallContext
from ..kernels.dot import dot_attention, dot_attention_backward, dot_softmax
from ..registry import register

__all__ = ["ScaledDotProductAttention", "ScaledDotConfig"]


@dataclass(frozen=True)
class ScaledDotConfig(AttentionConfig):
    dim: int = spec(positive_int)
    scale: float | None = spec(optional(positive_float), None)
    causal: bool = spec(boolean, False)
    dropout: float = spec(probability, 0.0)
    temperature: float = spec(positive_float, 1.0)
    seed: int = spec(non_negative_int, 0)

    @property
    def score_scale(self) -> float:
        """The factor on ``q·k``: ``scale / temperature``, scale defaulting to ``1/√d``."""
        scale = 1.0 / math.sqrt(self.dim) if self.scale is None else self.scale
        return scale / self.temperature


@register("scaled_dot")
class ScaledDotProductAttention(DifferentiableAttention):
    r"""``softmax(q·K^T · scale / temperature) V``.

    .. math:: s_j = \frac{q \cdot k_j \cdot \text{scale}}{T}, \quad
              \text{out} = \sum_j \operatorname{softmax}(s)_j v_j

    Shapes: query ``(d,)`` or queries ``(m, d)``, keys ``(n, d)``, values ``(n, dv)``.
    Dropout (train mode only, seeded by ``seed``) acts on the weights.

    >>> import numpy as np
    >>> attn = ScaledDotProductAttention(dim=2)
    >>> attn.compute([1.0, 0.0], [[1.0, 0.0], [-1.0, 0.0]], [[1.0], [0.0]]).round(4)
    array([0.8044], dtype=float32)
    """

    Config = ScaledDotConfig
    config: ScaledDotConfig
    complexity = "O(n^2)"

    @property
    def partial_scale(self) -> float | None:
        """``scale / temperature``, except while dropout acts (training)."""
        return None if self.training and self.config.dropout > 0 else self.config.score_scale

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        weights = dot_softmax(queries, keys, self.config.score_scale, ctx.vis.dense())
        return self._dropout(weights)

    def _forward(self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray, ctx: CallContext) -> np.ndarray:
        if self.training and self.config.dropout > 0:  # dropout acts on the weights
            return super()._forward(queries, keys, values, ctx)
        return dot_attention(queries, keys, values, self.config.score_scale, ctx.vis)

    def _backward(self, queries, keys, values, ctx, grad_output) -> Gradients:  # typed in the base class
        grads = dot_attention_backward(queries, keys, values, self.config.score_scale, ctx.vis.dense(), grad_output)
        return Gradients(*grads, params={})
