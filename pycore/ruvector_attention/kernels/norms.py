"""Normalisations over the last axis (layer, RMS) and over rows (batch)."""

from __future__ import annotations

import numpy as np

__all__ = ["layer_norm", "rms_norm", "batch_norm"]

LAYER_EPS = 1e-5
RMS_EPS = 1e-6


def layer_norm(x: np.ndarray, eps: float = LAYER_EPS) -> np.ndarray:
    """``(x - mean(x)) / sqrt(var(x) + eps)`` over the last axis."""
    centred = x - x.mean(axis=-1, keepdims=True)
    return centred / np.sqrt((centred * centred).mean(axis=-1, keepdims=True) + eps)


def rms_norm(x: np.ndarray, eps: float = RMS_EPS) -> np.ndarray:
    """``x / sqrt(mean(x²) + eps)`` over the last axis."""
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps)


def batch_norm(x: np.ndarray, mean: np.ndarray, var: np.ndarray, eps: float = LAYER_EPS) -> np.ndarray:
    """``(x - mean) / sqrt(var + eps)`` per feature."""
    return (x - mean) / np.sqrt(var + eps)
