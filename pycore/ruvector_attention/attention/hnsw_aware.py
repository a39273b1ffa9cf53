"""HNSW-aware attention: keys carry the HNSW layer they live on (seed 004 FR-004.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as check
from .._validation import non_negative_int, positive_int
from ..config import DRAWN_PARAMETER_BYTES, AttentionConfig, spec
from ..context import CallContext
from ..errors import DimensionMismatchError, InvalidInputError
from ..kernels.softmax import Segments
from ..registry import register
from ._offset_keys import KeyTerms, OffsetKeyAttention, PerKey

__all__ = ["HNSWAwareAttention", "HNSWAwareConfig"]

INIT_STD = 0.02
"""Standard deviation of the initial layer embeddings and biases (small: the mechanism
starts close to ``scaled_dot``)."""


@dataclass(frozen=True)
class HNSWAwareConfig(AttentionConfig):
    dim: int = spec(positive_int)
    max_layers: int = spec(positive_int, 16)
    seed: int = spec(non_negative_int, 0)

    def state_bytes(self) -> int:
        return DRAWN_PARAMETER_BYTES * self.max_layers * (self.dim + 1)


def layer_indices(value: Any, n: int, upper: int) -> np.ndarray:
    """``hnsw_layers`` as integers ``(n,)`` in ``[0, upper)``: a real array (integral values)
    with one entry per key; otherwise a typed error naming the argument."""
    arr = check.as_array(value, "hnsw_layers")
    if arr.shape != (n,):
        raise DimensionMismatchError(
            f"hnsw_layers must have shape {(n,)} (one layer per key), got {arr.shape}", expected=[n], actual=list(arr.shape)
        )
    if not np.array_equal(arr, np.floor(arr)):
        raise InvalidInputError(f"hnsw_layers must hold integers, got {arr[arr != np.floor(arr)][0]}")
    if arr.min() < 0 or arr.max() >= upper:
        raise InvalidInputError(f"hnsw_layers must be in [0, {upper}) (max_layers), got values in [{arr.min():g}, {arr.max():g}]")
    return arr.astype(np.intp)


@register("hnsw_aware")
class HNSWAwareAttention(OffsetKeyAttention):
    r"""Scaled dot-product attention whose keys know their HNSW layer ``l_j``:

    .. math:: s_{ij} = \frac{q_i \cdot (k_j + E_{l_j})}{\sqrt d} + b_{l_j}

    with a learned layer embedding ``E (max_layers, dim)`` (parameter ``layer_embedding``)
    and per-layer score bias ``b (max_layers,)`` (``layer_bias``), both initialised
    ``N(0, 0.02²)`` from ``seed``. ``hnsw_layers=`` gives each key's layer (ints ``(n,)``
    in ``[0, max_layers)``, default all 0). With ``E = 0, b = 0`` it equals ``scaled_dot``;
    ``weights @ V == compute``.

    >>> attn = HNSWAwareAttention(2, max_layers=3)
    >>> attn.load_parameters({"layer_embedding": np.zeros((3, 2)), "layer_bias": [0.0, 0.0, 2.0]})
    >>> attn.weights([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], hnsw_layers=[0, 2]).round(4)
    array([0.1192, 0.8808], dtype=float32)
    """

    Config = HNSWAwareConfig
    config: HNSWAwareConfig
    extra_inputs = frozenset({"hnsw_layers"})

    def _setup(self) -> None:
        cfg = self.config
        self._params["layer_embedding"] = self._rng.normal(0.0, INIT_STD, (cfg.max_layers, cfg.dim)).astype(np.float32)
        self._params["layer_bias"] = self._rng.normal(0.0, INIT_STD, cfg.max_layers).astype(np.float32)

    def _check_extras(self, extras: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        layers = extras.get("hnsw_layers")
        if layers is None:
            return {"layers": PerKey(np.zeros(ctx.cols, dtype=np.intp))}
        return {"layers": PerKey(layer_indices(layers, ctx.cols, self.config.max_layers))}

    def _terms(self, ctx: CallContext) -> KeyTerms:
        layers = ctx.extras["layers"].value
        return KeyTerms(self._params["layer_embedding"][layers], self._params["layer_bias"][layers])

    def _term_grads(self, ctx: CallContext, grad_offsets: np.ndarray, grad_bias: np.ndarray | None) -> dict[str, np.ndarray]:
        """Each key's gradient goes to its layer's row: ``∂L/∂E_l = Σ_{j: l_j = l} ∂L/∂a_j``."""
        assert grad_bias is not None
        by_layer = Segments(ctx.extras["layers"].value, self.config.max_layers)
        return {
            "layer_embedding": by_layer.sum(grad_offsets.astype(np.float64)),
            "layer_bias": by_layer.sum(grad_bias),
        }
