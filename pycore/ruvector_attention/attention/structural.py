"""Structural attention: per-key graph features (degree, centrality, ...) added to the keys
through a learned projection (seed 004 FR-004.4)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as check
from .._validation import non_negative_int, positive_int
from ..config import DRAWN_PARAMETER_BYTES, AttentionConfig, spec
from ..context import CallContext
from ..errors import DimensionMismatchError
from ..kernels.numeric import matmul
from ..registry import register
from ._offset_keys import KeyTerms, OffsetKeyAttention, PerKey

__all__ = ["StructuralAttention", "StructuralConfig"]


@dataclass(frozen=True)
class StructuralConfig(AttentionConfig):
    dim: int = spec(positive_int)
    num_features: int = spec(positive_int)
    seed: int = spec(non_negative_int, 0)

    @classmethod
    def example(cls, dim: int) -> dict[str, Any]:
        return {"dim": dim, "num_features": 3}

    def state_bytes(self) -> int:
        return DRAWN_PARAMETER_BYTES * self.num_features * self.dim


@register("structural")
class StructuralAttention(OffsetKeyAttention):
    r"""Scaled dot-product attention on keys shifted by their projected structural features:

    .. math:: s_{ij} = \frac{q_i \cdot (k_j + f_j W_s)}{\sqrt d}

    ``structural_features=`` ``F (n, num_features)`` (degree, centrality, ...; zeros when
    omitted) and a learned ``W_s (num_features, dim)`` (parameter ``w_s``, initialised
    ``U(-0.1/√F, 0.1/√F)`` from ``seed``). With ``W_s = 0`` it equals ``scaled_dot``;
    ``weights @ V == compute``.

    >>> attn = StructuralAttention(2, num_features=1)
    >>> attn.load_parameters({"w_s": [[0.0, 2.0]]})
    >>> attn.weights([0.0, 1.0], [[0.0, 0.0], [0.0, 0.0]], structural_features=[[0.0], [1.0]]).round(4)
    array([0.1956, 0.8044], dtype=float32)
    """

    Config = StructuralConfig
    config: StructuralConfig
    extra_inputs = frozenset({"structural_features"})

    def _setup(self) -> None:
        cfg = self.config
        bound = 0.1 / math.sqrt(cfg.num_features)
        self._params["w_s"] = self._rng.uniform(-bound, bound, (cfg.num_features, cfg.dim)).astype(np.float32)

    def _check_extras(self, extras: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        value = extras.get("structural_features")
        if value is None:
            return {"features": PerKey(np.zeros((ctx.cols, self.config.num_features), dtype=np.float32))}
        features = check.as_matrix(value, "structural_features", cols=self.config.num_features)
        if features.shape[0] != ctx.cols:
            raise DimensionMismatchError(
                f"structural_features must have one row per key: expected {ctx.cols} rows, got {features.shape[0]}",
                expected=ctx.cols,
                actual=features.shape[0],
            )
        return {"features": PerKey(features)}

    def _terms(self, ctx: CallContext) -> KeyTerms:
        return KeyTerms(matmul(ctx.extras["features"].value, self._params["w_s"]))

    def _term_grads(self, ctx: CallContext, grad_offsets: np.ndarray, grad_bias: np.ndarray | None) -> dict[str, np.ndarray]:
        """``∂L/∂W_s = Fᵀ ∂L/∂a``."""
        return {"w_s": matmul(ctx.extras["features"].value.T, grad_offsets)}
