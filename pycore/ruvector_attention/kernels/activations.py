"""Activation functions NumPy lacks: GELU with the exact (erf) form, as BERT uses."""

from __future__ import annotations

import numpy as np

__all__ = ["gelu"]

# erfc(z) = t·exp(-z² + P(t)), t = 1/(1 + z/2), z >= 0, with P the Chebyshev fit of
# Numerical Recipes (erfcc): relative error < 1.2e-7 everywhere, tails included
_C = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
      0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277)


def _erfc_positive(z: np.ndarray) -> np.ndarray:
    t = 1.0 / (1.0 + 0.5 * z)
    poly = np.zeros_like(t)
    for c in reversed(_C):
        poly = c + t * poly
    return t * np.exp(-z * z + poly)


def gelu(x: np.ndarray) -> np.ndarray:
    """``x · Φ(x) = x/2 · (1 + erf(x/√2))``, in float32.

    ``1 + erf(z)`` is taken as ``erfc(-z)`` for ``z < 0`` and ``2 - erfc(z)`` otherwise, so
    no cancellation loses the small values of large negative ``x``.
    """
    z = np.asarray(x, dtype=np.float64) / np.sqrt(2.0)
    tail = _erfc_positive(np.abs(z))
    one_plus_erf = np.where(z < 0, tail, 2.0 - tail)
    return (0.5 * z * np.sqrt(2.0) * one_plus_erf).astype(np.float32)
