"""Any registry mechanism in place of a layer's attention, keeping the layer's projections.

A mechanism with the projections of multi-head attention (``w_q, w_k, w_v, w_o`` of shape
``(d, d)`` and their biases, as ``multi_head`` has) is built for the model's dim and heads
and given the checkpoint's. Any other runs per head between them::

    out = concat_h inner(x W_q + b_q, x W_k + b_k, x W_v + b_v)_h · W_o + b_o

with ``inner`` built at the head dimension. With ``inner = flash`` (exact softmax
attention) this is the original layer, to float rounding.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base import Attention
from ..kernels.numeric import matmul
from ..registry import resolve

__all__ = ["ProjectedHeads", "attention_like"]

_PROJECTIONS = ("q", "k", "v", "o")


@dataclass
class ProjectedHeads:
    """``inner`` run on each head of a layer's own projections (``projections``: ``w_q``,
    ``b_q``, ... as ``x @ w + b``)."""

    inner: Attention
    projections: dict[str, np.ndarray]
    num_heads: int

    def _project(self, x: np.ndarray, name: str) -> np.ndarray:
        return matmul(x, self.projections[f"w_{name}"]) + self.projections[f"b_{name}"]

    def _heads(self, x: np.ndarray, name: str) -> list[np.ndarray]:
        return np.split(self._project(np.asarray(x, dtype=np.float32), name), self.num_heads, axis=-1)

    def compute_batch(self, queries: Any, keys: Any, values: Any) -> np.ndarray:
        heads = zip(self._heads(queries, "q"), self._heads(keys, "k"), self._heads(values, "v"), strict=True)
        merged = np.concatenate([self.inner.compute_batch(q, k, v) for q, k, v in heads], axis=-1)
        return self._project(merged, "o").astype(np.float32)

    def compute(self, query: Any, keys: Any, values: Any) -> np.ndarray:
        return self.compute_batch(np.asarray(query, dtype=np.float32)[None, :], keys, values)[0]

    def head_weights_batch(self, queries: Any, keys: Any) -> np.ndarray:
        heads = zip(self._heads(queries, "q"), self._heads(keys, "k"), strict=True)
        return np.stack([self.inner.weights_batch(q, k) for q, k in heads])

    def train(self, mode: bool = True) -> ProjectedHeads:
        self.inner.train(mode)
        return self


def _has_projections(attention: Attention, dim: int) -> bool:
    params = attention.parameters()
    return all(params.get(f"w_{p}", np.empty(0)).shape == (dim, dim) for p in _PROJECTIONS)


def attention_like(name: str, projections: dict[str, np.ndarray], dim: int, num_heads: int, options: dict[str, Any]) -> Attention | ProjectedHeads:
    """Mechanism ``name`` for a layer of width ``dim`` with ``num_heads`` heads, using the
    layer's ``projections`` (its own where it has them, else around each head)."""
    mechanism = resolve(name)
    if "num_heads" in {field.name for field in dataclasses.fields(mechanism.Config)}:
        candidate = mechanism.for_dim(dim, **{"num_heads": num_heads, **options})
        if _has_projections(candidate, dim):
            candidate.load_parameters({**candidate.parameters(), **projections})
            return candidate
    return ProjectedHeads(mechanism.for_dim(dim // num_heads, **options), projections, num_heads)
