"""Mixed-curvature attention on a product space E^e × H^h × S^s."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import negative_float, non_negative_int, optional, positive_float
from ..base import Attention
from ..config import AttentionConfig, spec
from ..context import CallContext
from ..errors import InvalidConfigError
from ..kernels import poincare
from ..kernels.numeric import product
from ..kernels.softmax import masked_softmax
from ..kernels.sphere import pairwise_geodesic
from ..registry import register

__all__ = ["MixedCurvatureAttention", "MixedCurvatureConfig", "ProductSpaceConfig"]


def mix_triple(name: str, value: object) -> tuple[float, float, float]:
    try:
        weights = tuple(float(w) for w in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise InvalidConfigError(f"{name} must be three non-negative numbers, got {value!r}") from None
    if len(weights) != 3 or not all(math.isfinite(w) and w >= 0 for w in weights) or sum(weights) == 0:
        raise InvalidConfigError(f"{name} must be three non-negative numbers, not all 0, got {value!r}")
    return weights  # type: ignore[return-value]


@dataclass(frozen=True)
class ProductSpaceConfig(AttentionConfig):
    """The product space ``E^e × H^h × S^s``: vectors are split ``[E | H | S]``."""

    euclidean_dim: int = spec(non_negative_int)
    hyperbolic_dim: int = spec(non_negative_int)
    spherical_dim: int = spec(non_negative_int)
    curvature_h: float = spec(negative_float, -1.0)
    curvature_s: float = spec(positive_float, 1.0)

    def validate(self) -> None:
        if self.dim == 0:
            raise InvalidConfigError("euclidean_dim + hyperbolic_dim + spherical_dim must be > 0")

    @classmethod
    def example(cls, dim: int) -> dict[str, Any]:
        third = dim // 3
        return {"euclidean_dim": dim - 2 * third, "hyperbolic_dim": third, "spherical_dim": third}

    @property
    def dim(self) -> int:
        return self.euclidean_dim + self.hyperbolic_dim + self.spherical_dim

    @property
    def slices(self) -> tuple[slice, slice, slice]:
        e, h = self.euclidean_dim, self.hyperbolic_dim
        return slice(0, e), slice(e, e + h), slice(e + h, self.dim)

    @property
    def component_dims(self) -> tuple[int, int, int]:
        return self.euclidean_dim, self.hyperbolic_dim, self.spherical_dim


@dataclass(frozen=True)
class MixedCurvatureConfig(ProductSpaceConfig):
    mix: tuple[float, float, float] | None = spec(optional(mix_triple), None)

    @property
    def mix_weights(self) -> tuple[float, float, float]:
        """The mix in use: ``mix`` or equal weights over the non-empty components."""
        if self.mix is not None:
            return self.mix
        present = [float(d > 0) for d in self.component_dims]
        return tuple(p / sum(present) for p in present)  # type: ignore[return-value]


@register("mixed_curvature")
class MixedCurvatureAttention(Attention):
    r"""Scores mixing Euclidean, hyperbolic and spherical similarity on slices of ``d``.

    The vector is split ``[E | H | S]`` and

    .. math:: s_j = α_E \frac{q_E \cdot k_{E,j}}{\sqrt{e}} - α_H\, d_{c_H}(q_H, k_{H,j})
                   - α_S \frac{\arccos \cos∠(q_S, k_{S,j})}{\sqrt{c_S}}

    with ``α = mix`` (default: equal over the non-empty slices); ``out = softmax(s) V``.

    >>> attn = MixedCurvatureAttention(2, 2, 2)
    >>> attn.dim, attn.config.mix_weights
    (6, (0.3333333333333333, 0.3333333333333333, 0.3333333333333333))
    """

    Config = MixedCurvatureConfig
    config: MixedCurvatureConfig
    complexity = "O(n^2)"
    row_temporaries = 12

    def _scores(self, queries: np.ndarray, keys: np.ndarray) -> np.ndarray:
        cfg = self.config
        e, h, s = cfg.slices
        mix_e, mix_h, mix_s = cfg.mix_weights
        q, k = queries.astype(np.float64), keys.astype(np.float64)
        scores = np.zeros((q.shape[0], k.shape[0]))
        if cfg.euclidean_dim:
            scores += mix_e * product(q[:, e], np.ascontiguousarray(k[:, e]).T) / math.sqrt(cfg.euclidean_dim)
        if cfg.hyperbolic_dim:
            c = -cfg.curvature_h
            ball_q, ball_k = poincare.project(q[:, h], c), poincare.project(k[:, h], c)
            scores -= mix_h * poincare.pairwise_distance(ball_q, ball_k, c)
        if cfg.spherical_dim:
            scores -= mix_s * pairwise_geodesic(q[:, s], k[:, s], cfg.curvature_s)
        return scores

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        return masked_softmax(self._scores(queries, keys), ctx.vis.dense())
