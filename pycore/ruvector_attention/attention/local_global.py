"""Local-global (Longformer) attention: a sliding window plus global tokens."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import as_index, non_negative_int, positive_int
from ..base import DifferentiableAttention, Gradients
from ..config import AttentionConfig, spec
from ..context import CallContext
from ..errors import InvalidInputError
from ..kernels.dot import dot_attention_backward, dot_softmax
from ..registry import register

__all__ = ["LocalGlobalAttention", "LocalGlobalConfig"]


@dataclass(frozen=True)
class LocalGlobalConfig(AttentionConfig):
    dim: int = spec(positive_int)
    window_size: int = spec(positive_int, 256)
    num_global: int = spec(non_negative_int, 1)


@register("local_global")
class LocalGlobalAttention(DifferentiableAttention):
    r"""Longformer attention: scaled dot-product restricted to a window and global tokens.

    Query at position ``i`` attends key ``j`` when ``|i - j| <= window_size // 2`` or
    ``j < num_global``; a global query (``i < num_global``) attends every key. In
    ``compute_batch`` query ``i`` sits at position ``i``; ``compute`` and ``weights`` take
    ``position`` (default ``n // 2``).

    >>> attn = LocalGlobalAttention(dim=2, window_size=2, num_global=1)
    >>> (attn.weights([0.0, 0.0], [[1.0, 0.0]] * 6, position=4) > 0).astype(int)
    array([1, 0, 0, 1, 1, 1])
    """

    Config = LocalGlobalConfig
    config: LocalGlobalConfig
    complexity = "O(n·w)"
    extra_inputs = frozenset({"position"})

    def _pattern(self, positions: np.ndarray, n: int) -> np.ndarray:
        half = self.config.window_size // 2
        keys = np.arange(n)[None, :]
        rows = positions[:, None]
        num_global = self.config.num_global
        return (np.abs(rows - keys) <= half) | (keys < num_global) | (rows < num_global)

    def _check_extras(self, extras: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        position = extras.get("position")
        if position is None:
            return {}
        if not ctx.single:
            raise InvalidInputError("position applies to a single query; a batch's queries sit at 0..m-1")
        return {"position": as_index(position, "position", upper=ctx.cols)}

    def _visible(self, ctx: CallContext) -> np.ndarray:
        """The caller's pattern restricted to the windows and global tokens, ``(m, n)``; a
        single query sits at its ``position`` (default ``n // 2``)."""
        vis = ctx.vis
        positions = np.array([ctx.extras.get("position", vis.cols // 2)]) if ctx.single else vis.positions
        return vis.restrict(self._pattern(positions, vis.cols)).dense()

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        return dot_softmax(queries, keys, 1.0 / math.sqrt(self.config.dim), self._visible(ctx))

    def _backward(self, queries, keys, values, ctx, grad_output) -> Gradients:  # typed in the base class
        scale = 1.0 / math.sqrt(self.config.dim)
        grads = dot_attention_backward(queries, keys, values, scale, self._visible(ctx), grad_output)
        return Gradients(*grads, params={})
