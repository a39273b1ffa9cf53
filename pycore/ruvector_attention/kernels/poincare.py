"""Poincaré-ball kernels with curvature ``-c`` (``c > 0``), broadcasting over leading axes.

Private: no validation; :mod:`ruvector_attention.geometry` is the public wrapper.
All functions expect float64 arrays with points strictly inside the ball.
"""

from __future__ import annotations

import numpy as np

from .numeric import product

__all__ = [
    "BALL_EPS",
    "artanh",
    "conformal_factor",
    "mobius_add",
    "mobius_scalar",
    "distance",
    "pairwise_distance",
    "exp_map",
    "log_map",
    "project",
    "gyro_midpoint",
]

BALL_EPS = 4e-3
"""Default margin from the boundary: points are kept at ``|x| <= (1 - eps)/sqrt(c)``."""

_MIN_NORM = 1e-15
_ARTANH_LIMIT = 1.0 - 1e-15


def _sqnorm(x: np.ndarray) -> np.ndarray:
    return np.sum(x * x, axis=-1, keepdims=True)


def _norm(x: np.ndarray) -> np.ndarray:
    return np.maximum(np.sqrt(_sqnorm(x)), _MIN_NORM)


def artanh(x: np.ndarray) -> np.ndarray:
    return np.arctanh(np.clip(x, -_ARTANH_LIMIT, _ARTANH_LIMIT))


def conformal_factor(x: np.ndarray, c: float) -> np.ndarray:
    """``λ_x = 2 / (1 - c|x|²)``, keeping the last axis (size 1)."""
    return 2.0 / (1.0 - c * _sqnorm(x))


def mobius_add(x: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    """``x ⊕_c y = ((1 + 2c<x,y> + c|y|²) x + (1 - c|x|²) y) / (1 + 2c<x,y> + c²|x|²|y|²)``."""
    xy = np.sum(x * y, axis=-1, keepdims=True)
    x2, y2 = _sqnorm(x), _sqnorm(y)
    numerator = (1 + 2 * c * xy + c * y2) * x + (1 - c * x2) * y
    return numerator / np.maximum(1 + 2 * c * xy + c * c * x2 * y2, _MIN_NORM)


def mobius_scalar(r: float | np.ndarray, x: np.ndarray, c: float) -> np.ndarray:
    """``r ⊗_c x = tanh(r artanh(√c|x|)) x / (√c|x|)``."""
    sqrt_c = np.sqrt(c)
    norm = _norm(x)
    return np.tanh(r * artanh(sqrt_c * norm)) * x / (sqrt_c * norm)


def distance(x: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    """``d_c(x, y) = (2/√c) artanh(√c |(-x) ⊕_c y|)`` (last axis reduced)."""
    sqrt_c = np.sqrt(c)
    return (2 / sqrt_c) * artanh(sqrt_c * _norm(mobius_add(-x, y, c)))[..., 0]


def pairwise_distance(x: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    """``d_c(x_i, y_j)`` for ``x (m, d)`` and ``y (n, d)`` as ``(m, n)``, via Gram matrices.

    Expands ``|(-x) ⊕ y|² = (A²|x|² - 2AB<x,y> + B²|y|²) / D²`` with
    ``A = 1 - 2c<x,y> + c|y|²``, ``B = 1 - c|x|²``, ``D = 1 - 2c<x,y> + c²|x|²|y|²``,
    so no ``(m, n, d)`` array is built.
    """
    xy = product(x, y.T)
    x2 = np.sum(x * x, axis=1)[:, None]
    y2 = np.sum(y * y, axis=1)[None, :]
    a = 1 - 2 * c * xy + c * y2
    b = 1 - c * x2
    d = np.maximum(1 - 2 * c * xy + c * c * x2 * y2, _MIN_NORM)
    diff2 = np.maximum(a * a * x2 - 2 * a * b * xy + b * b * y2, 0.0)
    sqrt_c = np.sqrt(c)
    return (2 / sqrt_c) * artanh(sqrt_c * np.sqrt(diff2) / d)


def exp_map(x: np.ndarray, v: np.ndarray, c: float) -> np.ndarray:
    """``exp_x(v) = x ⊕_c (tanh(√c λ_x |v| / 2) v / (√c |v|))``."""
    sqrt_c = np.sqrt(c)
    v_norm = _norm(v)
    second = np.tanh(sqrt_c * conformal_factor(x, c) * v_norm / 2) * v / (sqrt_c * v_norm)
    return mobius_add(x, second, c)


def log_map(x: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    """``log_x(y) = (2 / (√c λ_x)) artanh(√c |u|) u / |u|`` with ``u = (-x) ⊕_c y``."""
    sqrt_c = np.sqrt(c)
    u = mobius_add(-x, y, c)
    u_norm = _norm(u)
    return (2 / (sqrt_c * conformal_factor(x, c))) * artanh(sqrt_c * u_norm) * u / u_norm


def log_origin(y: np.ndarray, c: float) -> np.ndarray:
    """``log_0(y) = artanh(√c |y|) y / (√c |y|)``, the log map at the origin (``λ_0 = 2``)."""
    sqrt_c_norm = np.sqrt(c) * _norm(y)
    return artanh(sqrt_c_norm) * y / sqrt_c_norm


def exp_origin(v: np.ndarray, c: float) -> np.ndarray:
    """``exp_0(v) = tanh(√c |v|) v / (√c |v|)``, the inverse of :func:`log_origin`."""
    sqrt_c_norm = np.sqrt(c) * _norm(v)
    return np.tanh(sqrt_c_norm) * v / sqrt_c_norm


def project(x: np.ndarray, c: float, eps: float = BALL_EPS) -> np.ndarray:
    """Scale points with ``|x| > (1 - eps)/√c`` back onto that radius."""
    limit = (1 - eps) / np.sqrt(c)
    norm = _norm(x)
    return np.where(norm > limit, x * (limit / norm), x)


def gyro_midpoint(weights: np.ndarray, points: np.ndarray, c: float) -> np.ndarray:
    """Weighted Möbius gyro-midpoint ``½ ⊗_c (Σ w_j λ_j p_j / Σ w_j (λ_j - 1))``.

    ``weights (m, n)``, ``points (n, d)`` -> ``(m, d)``; rows of zero weight give the origin.
    """
    lam = conformal_factor(points, c)
    sums = product(weights, np.concatenate([lam * points, lam - 1], axis=-1))  # one pass over the weights
    numerator, denominator = sums[..., :-1], sums[..., -1:]
    mid = np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)
    return mobius_scalar(0.5, mid, c)
