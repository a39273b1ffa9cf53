"""Fused mixed-curvature attention: E, H and S similarities in one tangent-space dot product
per head (theory 2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as check
from .._validation import boolean, non_negative_int, positive_int
from ..base import Attention
from ..config import spec
from ..context import CallContext
from ..curvature import ComponentQuantizer
from ..kernels import poincare
from ..kernels.cache import KeySetCache
from ..kernels.numeric import matmul, narrow
from ..kernels.softmax import masked_softmax
from ..kernels.sphere import unit_rows
from ..registry import register
from .mixed_curvature import ProductSpaceConfig

__all__ = ["MixedCurvatureFusedAttention", "MixedCurvatureFusedConfig"]

@dataclass(frozen=True)
class MixedCurvatureFusedConfig(ProductSpaceConfig):
    num_heads: int = spec(positive_int, 1)
    quantize: bool = spec(boolean, False)
    seed: int = spec(non_negative_int, 0)

    def state_bytes(self) -> int:
        return 4 * 8 * 3 * self.num_heads  # the mixing logits and their softmax, float64


@register("mixed_curvature_fused")
class MixedCurvatureFusedAttention(Attention):
    r"""Each vector is split ``[E | H | S]`` and mapped to flat features

    .. math:: φ(x) = \Big[\frac{x_E}{e^{1/4}},\ \frac{2 \log_0(x_H)}{h^{1/4}},\
              \frac{x_S}{|x_S| \sqrt{c_S}}\Big]

    (``log_0`` the :class:`~ruvector_attention.TangentSpaceMapper` of the ball with
    curvature ``curvature_h``; ``2`` is its conformal factor at the origin), so the three
    similarities ``q_E·k_E/√e``, the tangent inner product ``g_0(\log_0 q_H, \log_0 k_H)/√h``
    and ``\cos∠(q_S, k_S)/c_S`` come out of one dot product. Head ``h`` weighs them by its
    learned ``mixing[h] (3,)`` (seeded positive start, mean 1):

    .. math:: s^h_j = \textstyle\sum_c \text{mixing}[h, c]\ φ_c(q)·φ_c(k_j),\qquad
              w = \tfrac1H \textstyle\sum_h \operatorname{softmax}(s^h)

    With ``quantize=True`` the key features are stored by
    :class:`~ruvector_attention.ComponentQuantizer` (8-bit E, 5-bit H and S). Key features
    are cached per key set.
    """

    Config = MixedCurvatureFusedConfig
    config: MixedCurvatureFusedConfig
    complexity = "O(n^2)"

    def _setup(self) -> None:
        cfg = self.config
        logits = self._rng.normal(0.0, 0.5, size=(cfg.num_heads, 3))
        mixing = 3 * np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        self._params = {"mixing": mixing.astype(np.float32)}
        self._quantizer = ComponentQuantizer(*cfg.component_dims) if cfg.quantize else None
        self._cache = KeySetCache()

    # ------------------------------------------------------------------ features

    def _features(self, x: np.ndarray) -> np.ndarray:
        cfg = self.config
        e, h, s = cfg.slices
        x, c = x.astype(np.float64), -cfg.curvature_h
        tangent = poincare.log_origin(poincare.project(x[:, h], c), c)
        return np.concatenate(
            [
                x[:, e] / max(cfg.euclidean_dim, 1) ** 0.25,
                2 * tangent / max(cfg.hyperbolic_dim, 1) ** 0.25,
                unit_rows(x[:, s]) / np.sqrt(cfg.curvature_s),
            ],
            axis=1,
        )

    def _key_features(self, keys: np.ndarray) -> np.ndarray:
        """float32 features of the keys (through the quantizer with ``quantize``), cached."""

        def compute(k: np.ndarray) -> np.ndarray:
            features = self._features(k)
            return narrow(features) if self._quantizer is None else self._quantizer.roundtrip(features)

        return self._cache.get(keys, compute)

    def _head_scores(self, queries: np.ndarray, keys: np.ndarray) -> np.ndarray:
        fq, fk = self._features(queries), self._key_features(keys)
        per_coordinate = np.repeat(self._params["mixing"], self.config.component_dims, axis=1)
        return np.stack([matmul(narrow(fq * mix), fk.T) for mix in per_coordinate])

    # ------------------------------------------------------------------ public extras

    def score_parts(self, queries: Any, keys: Any) -> np.ndarray:
        """The unweighted E, H and S similarities, ``(3, m, n)`` (zeros for an empty part)."""
        q, k = self._prepare_queries(queries, single=False), check.as_keys(keys, dim=self.dim)
        fq, fk = self._features(q), self._key_features(k)
        return self._finish(np.stack([matmul(fq[:, part], fk[:, part].T) for part in self.config.slices]))

    def head_scores(self, queries: Any, keys: Any) -> np.ndarray:
        """The fused scores of every head, ``(num_heads, m, n)``."""
        q, k = self._prepare_queries(queries, single=False), check.as_keys(keys, dim=self.dim)
        return self._finish(self._head_scores(q, k))

    # ------------------------------------------------------------------ kernels

    def _head_weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        return masked_softmax(self._head_scores(queries, keys), ctx.vis.dense())

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        return self._head_weights(queries, keys, ctx).mean(axis=0)
