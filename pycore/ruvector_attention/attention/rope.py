"""Rotary position embedding by graph distance (RoPE, Su et al.; distances instead of positions)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as check
from .._validation import positive_float, positive_int
from ..base import Attention
from ..config import AttentionConfig, spec
from ..context import CallContext
from ..errors import DimensionMismatchError, InvalidConfigError
from ..kernels.softmax import masked_softmax
from ..registry import register

__all__ = ["GraphRoPE", "GraphRoPEConfig"]


@dataclass(frozen=True)
class GraphRoPEConfig(AttentionConfig):
    dim: int = spec(positive_int)
    base: float = spec(positive_float, 10000.0)

    @classmethod
    def example(cls, dim: int) -> dict[str, Any]:
        return {"dim": dim + dim % 2}

    def validate(self) -> None:
        if self.dim % 2:
            raise InvalidConfigError(f"dim must be even (rotations act on pairs), got {self.dim}")


def _rotate(x: np.ndarray, distance: np.ndarray, base: float) -> np.ndarray:
    """Rotate pairs ``(x_2i, x_2i+1)`` counter-clockwise by ``distance / base^(2i/d)``;
    ``distance`` broadcasts against ``x``'s leading axes."""
    d = x.shape[-1]
    theta = np.asarray(distance, dtype=np.float64)[..., None] / base ** (np.arange(0, d, 2) / d)
    cos, sin = np.cos(theta), np.sin(theta)
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty(np.broadcast_shapes(x.shape, (*theta.shape[:-1], d)), dtype=np.float64)
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = even * sin + odd * cos
    return out


@register("rope")
class GraphRoPE(Attention):
    r"""Scaled dot-product attention on keys rotated by their graph distance to the query.

    .. math:: s_j = \frac{q \cdot R(\delta_j) k_j}{\sqrt d},\qquad
              R(\delta)\,(x_{2i}, x_{2i+1}) = (x_{2i}\cos θ_i - x_{2i+1}\sin θ_i,\;
              x_{2i}\sin θ_i + x_{2i+1}\cos θ_i),\; θ_i = δ / \text{base}^{2i/d}

    ``distances=`` (``(n,)``, or ``(m, n)`` in ``compute_batch``) default to ``0..n-1``.
    Rotations preserve norms, and ``R(a)q · R(b)k`` depends only on ``b - a``.

    >>> rope = GraphRoPE(4)
    >>> rope.rotate([1.0, 0.0, 1.0, 0.0], 0.5).round(4)
    array([0.8776, 0.4794, 1.    , 0.005 ], dtype=float32)
    """

    Config = GraphRoPEConfig
    config: GraphRoPEConfig
    complexity = "O(n^2)"
    extra_inputs = frozenset({"distances"})

    def _row_bytes(self, n: int, dv: int) -> int:
        """Every query row rotates all keys: ``(n, d)`` float64 arrays."""
        return 8 * n * (5 * self.dim + 6)

    def rotate(self, x: Any, distance: Any) -> np.ndarray:
        """``R(distance) x`` for vectors ``(..., dim)``; ``distance`` broadcasts over ``...``."""
        arr = check.as_array(x, "x")
        if arr.ndim == 0 or arr.shape[-1] != self.dim:
            raise DimensionMismatchError(f"x must end in an axis of {self.dim}", expected=self.dim, actual=arr.shape[-1:] or 0)
        dist = np.asarray(distance, dtype=np.float64)
        check.check_finite(dist, "distance")
        return np.asarray(_rotate(arr, dist, self.config.base), dtype=np.float32)

    def _check_extras(self, extras: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        distances = extras.get("distances")
        m, n = ctx.rows, ctx.cols
        if distances is None:
            return {"distances": np.broadcast_to(np.arange(n, dtype=np.float64), (m, n))}
        d = check.as_array(distances, "distances")
        if d.shape == (n,):
            return {"distances": np.broadcast_to(d, (m, n))}
        if not ctx.single and d.shape == (m, n):
            return {"distances": d}
        raise DimensionMismatchError(
            f"distances must have shape {(n,)} or {(m, n)}, got {d.shape}", expected=[n], actual=list(d.shape)
        )

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        rotated = _rotate(keys, ctx.extras["distances"], self.config.base)  # (m, n, d)
        scores = np.einsum("md,mnd->mn", queries.astype(np.float64), rotated) / math.sqrt(self.dim)
        return masked_softmax(scores, ctx.vis.dense())
