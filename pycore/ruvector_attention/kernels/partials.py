r"""Softmax attention over a key set split into chunks: per-chunk partials and their exact merge.

For the scores ``s_j`` of one query row over the keys ``j`` of chunk ``c`` (masked keys at
``-inf``), a partial is

.. math:: μ_c = \max_j s_j,\quad ℓ_c = \sum_j e^{s_j - μ_c},\quad a_c = \sum_j e^{s_j - μ_c} v_j

and partials merge with the log-sum-exp rule (associative and commutative, so any tree
of merges gives the same result):

.. math:: μ = \max_c μ_c,\quad ℓ = \sum_c e^{μ_c - μ} ℓ_c,\quad a = \sum_c e^{μ_c - μ} a_c,
          \qquad \text{out} = a / ℓ,\quad w_j = e^{s_j - μ} / ℓ

Every exponent is ``<= 0`` (max-subtraction), so nothing overflows for finite scores; a
row that sees no key has ``μ = -inf`` and ``ℓ = 0``, its shift is taken as 0 and its output
and weights are 0 (the library's all-masked rule). Merged quantities are float64: a sum
of up to ``n`` float32 values cannot overflow there. Arrays carry a leading head axis ``(H, rows, ...)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .backend import wasm_kernels
from .dot import dot_scores
from .numeric import matmul

__all__ = ["Partial", "attention_partial", "finish", "merge", "partial", "weights"]


class Partial(NamedTuple):
    """``μ`` and ``ℓ`` ``(H, rows, 1)`` and ``a`` ``(H, rows, dv)`` (None when only the
    statistics are wanted, for weights), float64."""

    max: np.ndarray
    total: np.ndarray
    weighted: np.ndarray | None


def _shift(row_max: np.ndarray) -> np.ndarray:
    """``μ`` with 0 for rows that see no key, so that ``exp(-inf - 0) = 0``."""
    return np.where(np.isfinite(row_max), row_max, 0.0)


def _masked(scores: np.ndarray, pattern: np.ndarray | None) -> np.ndarray:
    """Scores with invisible entries at ``-inf`` (``pattern`` broadcasts over heads)."""
    return scores if pattern is None else np.where(pattern, scores, -np.inf)


def partial(scores: np.ndarray, pattern: np.ndarray | None, values: np.ndarray | None) -> Partial:
    """The partial of one key chunk: ``scores (H, rows, keys)`` (float32, or float64 from
    an overflow-safe kernel; exponentials stay in that dtype, as the library's softmax),
    ``pattern (rows, keys)`` (True = visible, None = all) and ``values (H, keys, dv)``
    (None: statistics only). ``scores`` may be overwritten."""
    scores = _masked(scores, pattern)
    row_max = scores.max(axis=-1, keepdims=True)
    with np.errstate(over="ignore"):  # differences beyond -float max are -inf: weight 0
        scores -= _shift(row_max)
    exp = np.exp(scores, out=scores)
    weighted = None if values is None else np.asarray(matmul(exp, values), dtype=np.float64)
    total = exp.sum(axis=-1, keepdims=True, dtype=np.float64)
    return Partial(row_max.astype(np.float64), total, weighted)


def attention_partial(
    queries: np.ndarray, keys: np.ndarray, values: np.ndarray, scale: float, pattern: np.ndarray | None
) -> Partial:
    """The partial of ``softmax(scale · q kᵀ) v`` over one chunk of keys, one head:
    ``queries (m, d)``, ``keys (n, d)``, ``values (n, dv)``, ``pattern`` ``(m, n)``-broadcastable
    or None. The wasm backend's fused kernel returns ``μ`` and ``ℓ`` with its output ``a / ℓ``
    (it keeps them anyway); elsewhere, or where float32 is too narrow, :func:`partial` of
    the scores."""
    kernels = wasm_kernels()
    if kernels is not None:
        stats = np.empty((queries.shape[0], 2), dtype=np.float32)
        out = kernels.attention(queries, keys, values, scale, pattern, None, stats=stats)
        if out is not None:
            total = stats[None, :, 1:].astype(np.float64)
            return Partial(stats[None, :, :1].astype(np.float64), total, out[None] * total)
    return partial(dot_scores(queries, keys, scale)[None], pattern, values[None])


def merge(parts: Sequence[Partial]) -> Partial:
    """The partial of the union of the parts' key chunks (the log-sum-exp rule)."""
    row_max = np.maximum.reduce([p.max for p in parts])
    shift = _shift(row_max)
    factors = [np.exp(p.max - shift) for p in parts]  # <= 1; 0 for parts that saw no key
    total = sum(f * p.total for f, p in zip(factors, parts))
    weighted = None
    if parts[0].weighted is not None:
        weighted = sum(f * p.weighted for f, p in zip(factors, parts))
    return Partial(row_max, total, weighted)  # type: ignore[arg-type]


def finish(p: Partial) -> np.ndarray:
    """The attention output ``a / ℓ`` ``(H, rows, dv)``; 0 for rows that see no key."""
    assert p.weighted is not None
    return np.divide(p.weighted, p.total, out=np.zeros_like(p.weighted), where=p.total > 0)


def weights(scores: np.ndarray, pattern: np.ndarray | None, stats: Partial) -> np.ndarray:
    """The weights ``e^{s_j - μ} / ℓ`` of one key chunk, given the merged statistics of the
    whole key set; ``(H, rows, keys)``, 0 where invisible and on rows that see no key.
    ``scores`` may be overwritten."""
    scores = _masked(scores, pattern)
    with np.errstate(over="ignore"):  # a shift beyond float32 (a float64 chunk elsewhere): weight 0
        scores -= _shift(stats.max).astype(scores.dtype)
    exp = np.exp(scores, out=scores)
    return np.divide(exp, stats.total, out=np.zeros_like(exp), where=stats.total > 0)
