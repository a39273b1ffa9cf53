"""Flash attention: exact scaled dot-product attention over key blocks with an online softmax."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .._validation import boolean, positive_int
from ..base import DifferentiableAttention, Gradients
from ..config import AttentionConfig, spec
from ..context import CallContext
from ..kernels.dot import dot_attention, dot_scores
from ..kernels.masking import Visibility
from ..kernels.numeric import matmul
from ..registry import register

__all__ = ["FlashAttention", "FlashConfig"]


@dataclass(frozen=True)
class FlashConfig(AttentionConfig):
    dim: int = spec(positive_int)
    block_size: int = spec(positive_int, 64)
    causal: bool = spec(boolean, False)


def _masked_scores(
    queries: np.ndarray, keys: np.ndarray, scale: float, vis: Visibility, start: int, stop: int
) -> np.ndarray:
    scores = dot_scores(queries, keys[start:stop], scale)
    pattern = vis.block(start, stop)
    if pattern is not None:
        scores[~pattern] = -np.inf
    return scores


class _OnlineSoftmax:
    """Running row maximum ``μ`` and normaliser ``ℓ`` of a softmax seen block by block."""

    def __init__(self, rows: int) -> None:
        self.max = np.full((rows, 1), -np.inf, dtype=np.float32)
        self.total = np.zeros((rows, 1), dtype=np.float32)

    @property
    def shift(self) -> np.ndarray:
        """``μ``, with 0 for rows that have seen no visible key (so ``exp(-inf - 0) = 0``)."""
        return np.where(np.isfinite(self.max), self.max, np.float32(0.0))

    def absorb(self, scores: np.ndarray) -> np.ndarray:
        """Fold in a block; ``scores`` becomes ``exp(s - μ')``. Returns ``exp(μ - μ')``."""
        previous_max = self.max
        self.max = np.maximum(self.max, scores.max(axis=1, keepdims=True))
        shift = self.shift
        with np.errstate(over="ignore"):  # differences beyond -float max become -inf: weight 0
            correction = np.exp(previous_max - shift)
            np.exp(scores - shift, out=scores)
        self.total = self.total * correction + scores.sum(axis=1, keepdims=True)
        return correction


@register("flash")
class FlashAttention(DifferentiableAttention):
    r"""Exactly :class:`ScaledDotProductAttention` (scale ``1/√d``), computed block by block.

    For each block of ``block_size`` keys the running row maximum ``μ``, normaliser ``ℓ``
    and output accumulator ``a`` are rescaled (the online softmax of Milakov & Gimelshein):

    .. math:: μ' = \max(μ, \max_j s_j),\; ℓ' = e^{μ-μ'}ℓ + \sum_j e^{s_j-μ'},\;
              a' = e^{μ-μ'}a + \sum_j e^{s_j-μ'} v_j

    Peak extra memory is ``O(max(block_size · m, max_tile))``: the ``(m, n)`` score matrix
    is never built, in ``backward`` either (FlashAttention-2: each block's probabilities are
    recomputed from the row statistics). For few queries, consecutive blocks are taken together so that each
    step's score tile has up to ``max_tile`` (65,536) entries: the result is the same,
    the Python overhead per key is not.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> q, k, v = rng.normal(size=(3, 4)), rng.normal(size=(300, 4)), rng.normal(size=(300, 2))
    >>> from ruvector_attention import ScaledDotProductAttention
    >>> exact = ScaledDotProductAttention(4).compute_batch(q, k, v)
    >>> bool(np.allclose(FlashAttention(4, block_size=32).compute_batch(q, k, v), exact, atol=1e-5))
    True
    """

    Config = FlashConfig
    config: FlashConfig
    complexity = "O(n^2) time, O(n) memory"
    max_tile = 1 << 16
    """Most score entries computed per step (blocks are grouped up to this size)."""

    @property
    def _scale(self) -> float:
        return 1.0 / math.sqrt(self.config.dim)

    @property
    def partial_scale(self) -> float:
        """``1/√d``: flash is exactly scaled dot-product attention."""
        return self._scale

    def _row_bytes(self, n: int, dv: int) -> int:
        """Per query row: a few float64 score rows of one key block, and the output row."""
        return 8 * (4 * min(n, self.config.block_size) + 3 * dv)

    def _blocks(self, m: int, n: int) -> list[tuple[int, int]]:
        block = self.config.block_size
        size = block * max(1, self.max_tile // (block * m))
        return [(start, min(start + size, n)) for start in range(0, n, size)]

    def _forward(
        self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray, ctx: CallContext
    ) -> np.ndarray:
        fallback = lambda: self._online_forward(queries, keys, values, ctx.vis)
        return dot_attention(queries, keys, values, self._scale, ctx.vis, fallback)

    def _online_forward(
        self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray, vis: Visibility
    ) -> np.ndarray:
        """The forward pass in NumPy, block by block (the backend's fused kernel is the same
        algorithm in one call)."""
        # the accumulator holds the normalised output so far (a convex combination of
        # values, so it never overflows): a' = (ℓ e^{μ-μ'} a + Σ_j e^{s_j-μ'} v_j) / ℓ'
        softmax = _OnlineSoftmax(queries.shape[0])
        out = np.zeros((queries.shape[0], values.shape[1]), dtype=np.float64)
        for start, stop in self._blocks(queries.shape[0], keys.shape[0]):
            scores = _masked_scores(queries, keys, self._scale, vis, start, stop)
            previous_total = softmax.total
            correction = softmax.absorb(scores)
            seen = softmax.total > 0
            keep = np.divide(previous_total * correction, softmax.total, out=np.zeros_like(softmax.total), where=seen)
            out *= keep
            out += np.divide(matmul(scores, values[start:stop]), softmax.total, out=np.zeros_like(out), where=seen)
        return out

    def _statistics(self, queries: np.ndarray, keys: np.ndarray, vis: Visibility) -> _OnlineSoftmax:
        """Row maxima and normalisers of the softmax, in one pass over the blocks."""
        softmax = _OnlineSoftmax(queries.shape[0])
        for start, stop in self._blocks(queries.shape[0], keys.shape[0]):
            softmax.absorb(_masked_scores(queries, keys, self._scale, vis, start, stop))
        return softmax

    def _probabilities(
        self, queries: np.ndarray, keys: np.ndarray, vis: Visibility
    ) -> Iterator[tuple[int, int, np.ndarray]]:
        """Yield ``(start, stop, weights of keys start:stop)``, block by block."""
        softmax = self._statistics(queries, keys, vis)
        for start, stop in self._blocks(queries.shape[0], keys.shape[0]):
            with np.errstate(over="ignore"):  # beyond -float max: -inf, weight 0
                block = np.exp(_masked_scores(queries, keys, self._scale, vis, start, stop) - softmax.shift)
            yield start, stop, np.divide(block, softmax.total, out=np.zeros_like(block), where=softmax.total > 0)

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        out = np.empty((queries.shape[0], keys.shape[0]), dtype=np.float32)
        for start, stop, block in self._probabilities(queries, keys, ctx.vis):
            out[:, start:stop] = block
        return out

    def _backward(self, queries, keys, values, ctx, grad_output) -> Gradients:  # typed in the base class
        # D_i = Σ_j P_ij dP_ij = g_i · out_i (in float64: huge g and out overflow float32);
        # then dS = P ⊙ (dP - D) block by block
        out = self._forward(queries, keys, values, ctx)
        inner = np.sum(grad_output.astype(np.float64) * out, axis=1, keepdims=True)
        grad_query = np.zeros(queries.shape, dtype=np.float64)
        grad_keys = np.empty(keys.shape, dtype=np.float64)
        grad_values = np.empty((keys.shape[0], values.shape[1]), dtype=np.float64)
        for start, stop, block in self._probabilities(queries, keys, ctx.vis):
            grad_values[start:stop] = matmul(block.T, grad_output)
            grad_scores = block * (matmul(grad_output, values[start:stop].T) - inner) * self._scale
            grad_query += matmul(grad_scores, keys[start:stop])
            grad_keys[start:stop] = matmul(grad_scores.T, queries)
        return Gradients(query=grad_query, keys=grad_keys, values=grad_values, params={})
