"""Metrics measured on a key set (all on float64 ``(n, d)`` arrays, n >= 2)."""

from __future__ import annotations

import math

import numpy as np

from ..kernels.dot import dot_softmax
from ..kernels.neighbours import nearest_neighbours, squared_distances
from ..kernels.softmax import entropy
from ..pde.laplacian import LaplacianType, gaussian_kernel, laplacian_of

__all__ = ["attention", "attention_energy", "attention_entropy", "gromov_delta", "halves_distance", "normalized_kl"]


def attention(queries: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``softmax(Q Kᵀ / √d)`` in float64."""
    return dot_softmax(queries, keys, 1.0 / math.sqrt(keys.shape[1]), None).astype(np.float64)


def attention_entropy(weights: np.ndarray) -> float:
    """Mean Shannon entropy (nats) of the rows."""
    return float(entropy(weights).mean())


def normalized_kl(weights: np.ndarray) -> float:
    """Mean ``KL(w ‖ uniform) / log n = 1 - H(w) / log n``, in [0, 1]."""
    return float(1.0 - entropy(weights).mean() / math.log(weights.shape[1]))


def attention_energy(keys: np.ndarray, weights: np.ndarray, k: int) -> float:
    """Mean Dirichlet energy ``wᵀ L w / wᵀ w`` of attention rows on the keys' kNN Gaussian
    graph (``L = D - W``, σ the median distance to the ``k`` nearest neighbours): how much
    attention jumps between neighbouring keys, which heat diffusion smooths away."""
    d2 = squared_distances(keys, keys)
    near = np.take_along_axis(d2, nearest_neighbours(d2, k), axis=1)
    sigma = math.sqrt(float(np.median(near))) or 1.0
    lap = laplacian_of(gaussian_kernel(keys, sigma, k), LaplacianType.UNNORMALIZED)
    energy = np.einsum("mi,ij,mj->m", weights, lap, weights) / np.einsum("mi,mi->m", weights, weights)
    return float(energy.mean())


def halves_distance(keys: np.ndarray, directions: np.ndarray) -> float:
    """Sliced W2 between the first and the second half of the sequence, over the unit
    ``directions (P, d)``, relative to the keys' RMS spread around their mean (0 when the
    two halves are distributed alike)."""
    half = len(keys) // 2
    a, b = np.sort(keys[:half] @ directions.T, axis=0), np.sort(keys[half : 2 * half] @ directions.T, axis=0)
    spread = math.sqrt(float(((keys - keys.mean(axis=0)) ** 2).sum(axis=1).mean()) / keys.shape[1]) or 1.0
    return float(np.sqrt(np.mean((a - b) ** 2)) / spread)


def gromov_delta(keys: np.ndarray) -> float:
    r"""Relative Gromov hyperbolicity ``2δ / diam`` of the keys' Euclidean metric (0 for a
    tree metric; Khrulkov et al. 2020), with Gromov products at the first key:
    ``δ = max_{x,y,z} min((x|y), (y|z)) - (x|z)``."""
    d = np.sqrt(squared_distances(keys, keys))
    products = (d[0][:, None] + d[0][None, :] - d) / 2
    bottleneck = np.max(np.minimum(products[:, :, None], products[None, :, :]), axis=1)
    diameter = float(d.max())
    return float(2 * (bottleneck - products).max() / diameter) if diameter > 0 else 0.0
