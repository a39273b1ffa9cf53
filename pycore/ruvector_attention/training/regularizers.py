"""Regularisers of embedding matrices ``(n, d)``, each returning ``(value, gradient)``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validation as check
from ..errors import InvalidInputError

__all__ = ["laplacian", "orthogonality", "norm_penalty"]


def laplacian(embeddings: Any, edges: Any, edge_weights: Any = None) -> tuple[float, np.ndarray]:
    """Smoothness over a graph: ``Σ_(i,j) w_ij |x_i - x_j|²`` for edges ``(E, 2)``."""
    x = check.as_matrix(embeddings, "embeddings").astype(np.float64)
    e = np.asarray(edges)
    if e.ndim != 2 or e.shape[1] != 2 or e.dtype.kind not in "iu" or (e.size and (e.min() < 0 or e.max() >= len(x))):
        raise InvalidInputError(f"edges must be (E, 2) node indices below {len(x)}")
    w = np.ones(len(e)) if edge_weights is None else check.as_vector(edge_weights, "edge_weights", size=len(e))
    diff = x[e[:, 0]] - x[e[:, 1]]
    value = float(np.sum(w * np.sum(diff * diff, axis=1)))
    grad = np.zeros_like(x)
    np.add.at(grad, e[:, 0], 2 * w[:, None] * diff)
    np.add.at(grad, e[:, 1], -2 * w[:, None] * diff)
    return value, grad.astype(np.float32)


def orthogonality(embeddings: Any) -> tuple[float, np.ndarray]:
    """``|XᵀX - I|²_F``: columns of ``X`` orthonormal."""
    x = check.as_matrix(embeddings, "embeddings").astype(np.float64)
    residual = x.T @ x - np.eye(x.shape[1])
    return float(np.sum(residual * residual)), (4 * x @ residual).astype(np.float32)


def norm_penalty(embeddings: Any, target_norm: float = 1.0) -> tuple[float, np.ndarray]:
    """``mean_i (|x_i| - target)²``."""
    x = check.as_matrix(embeddings, "embeddings").astype(np.float64)
    target = check.non_negative_float("target_norm", target_norm)
    norms = np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    gap = norms - target
    return float(np.mean(gap * gap)), (2 * gap * x / norms / len(x)).astype(np.float32)
