"""Diffusion attention: softmax weights smoothed by the heat equation on the key graph."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as check
from .._validation import boolean, enum_value, positive_float, positive_int
from ..base import Attention
from ..config import AttentionConfig, spec
from ..kernels.cache import KeySetCache
from ..kernels.dot import dot_softmax
from ..kernels.masking import Visibility
from ..kernels.softmax import normalize_rows
from ..pde.laplacian import LaplacianType, gaussian_kernel, laplacian_of
from ..registry import register

__all__ = ["DiffusionAttention", "DiffusionConfig"]


@dataclass(frozen=True)
class DiffusionConfig(AttentionConfig):
    dim: int = spec(positive_int)
    t: float = spec(positive_float, 1.0)
    num_steps: int = spec(positive_int, 10)
    sigma: float = spec(positive_float, 1.0)
    use_knn: bool = spec(boolean, True)
    k: int = spec(positive_int, 16)
    laplacian: str = spec(enum_value(LaplacianType), "symmetric_normalized")


@register("diffusion")
class DiffusionAttention(Attention):
    r"""``w = softmax(q·k/√d)`` diffused for time ``t`` on the keys' similarity graph:

    .. math:: \frac{dw}{dt} = -w L,\qquad w_{s+1} (I + Δ L) = w_s,\; Δ = t / \text{num\_steps}

    (implicit Euler; ``L`` from :class:`~ruvector_attention.GraphLaplacian` with a Gaussian
    kernel of width ``sigma``, kNN-sparsified when ``use_knn``). The result is renormalised
    and masked keys are set back to 0. As ``t → 0`` the weights approach the softmax. The
    ``O(n³)`` propagator is cached for the last key set.
    """

    Config = DiffusionConfig
    config: DiffusionConfig
    complexity = "O(n^3) per key set"

    def _setup(self) -> None:
        self._cache = KeySetCache()  # the propagator of the last key set (and t)

    def _propagator(self, keys: np.ndarray, t: float) -> np.ndarray:
        """``((I + Δ L)^-1)^num_steps`` for this key set."""
        cfg = self.config
        w = gaussian_kernel(keys, cfg.sigma, cfg.k if cfg.use_knn else None)
        lap = laplacian_of(w, LaplacianType(cfg.laplacian))
        step = np.linalg.inv(np.eye(len(keys)) + (t / cfg.num_steps) * lap)
        return np.linalg.matrix_power(step, cfg.num_steps)

    def _diffuse(self, queries: np.ndarray, keys: np.ndarray, vis: Visibility, t: float) -> np.ndarray:
        mask = vis.dense()
        w = dot_softmax(queries, keys, 1.0 / math.sqrt(self.dim), mask).astype(np.float64)
        propagator = self._cache.get(keys, lambda k: self._propagator(k, t), extra=t)
        diffused = np.maximum(w @ propagator, 0.0)
        if mask is not None:
            diffused *= mask
        diffused[w.sum(axis=1) == 0] = 0.0
        return normalize_rows(diffused).astype(np.float32)

    def _weights(self, queries: np.ndarray, keys: np.ndarray, vis: Visibility) -> np.ndarray:
        return self._diffuse(queries, keys, vis, self.config.t)

    def compute_multiscale(self, query: Any, keys: Any, num_scales: int) -> np.ndarray:
        """Weights ``(num_scales, n)`` at ``t`` geometrically spaced from ``t / 2^(S-1)`` to ``t``."""
        q, k, _, vis = self._prepare(query, keys, None, None, single=True)
        scales = np.geomspace(self.config.t / 2 ** (check.positive_int("num_scales", num_scales) - 1), self.config.t, num_scales)
        return np.stack([self._diffuse(q, k, vis, float(t))[0] for t in scales])

    def compute_diffusion(self, query: Any, keys: Any, values: Any, mask: Any = None) -> np.ndarray:
        """Alias of :meth:`compute`."""
        return self.compute(query, keys, values, mask)
