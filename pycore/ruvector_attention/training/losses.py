"""Contrastive losses with their gradients w.r.t. the anchor (cosine similarities)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validation as check
from ..errors import DimensionMismatchError

__all__ = ["info_nce", "local_contrastive", "triplet"]


def _vectors(anchor: Any, *groups: tuple[Any, str]) -> tuple[np.ndarray, ...]:
    a = check.as_vector(anchor, "anchor").astype(np.float64)
    out = [a]
    for value, name in groups:
        out.append(check.as_matrix(value, name, cols=a.shape[0]).astype(np.float64))
    return tuple(out)


def _cosine_and_grad(a: np.ndarray, others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``cos(a, o_j)`` and its gradient w.r.t. ``a``, ``(n,)`` and ``(n, d)``."""
    na = max(np.linalg.norm(a), 1e-12)
    no = np.maximum(np.linalg.norm(others, axis=1), 1e-12)
    cos = others @ a / (na * no)
    grad = others / (na * no)[:, None] - cos[:, None] * a / na**2
    return cos, grad


def _log_softmax_loss(
    a: np.ndarray, positives: np.ndarray, negatives: np.ndarray, temperature: float, pool_positives: bool
) -> tuple[float, np.ndarray]:
    t = check.positive_float("temperature", temperature)
    sp, gp = _cosine_and_grad(a, positives)
    sn, gn = _cosine_and_grad(a, negatives)
    zp, zn = sp / t, sn / t
    shift = max(zp.max(), zn.max())
    ep, en = np.exp(zp - shift), np.exp(zn - shift)
    if pool_positives:  # -log(Σ_p e^p / (Σ_p e^p + Σ_n e^n))
        total = ep.sum() + en.sum()
        loss = -np.log(ep.sum() / total)
        grad = -(ep @ gp) / (t * ep.sum()) + (ep @ gp + en @ gn) / (t * total)
        return float(loss), grad
    # mean over positives of -log(e^p / (e^p + Σ_n e^n))
    denominators = ep + en.sum()
    loss = np.mean(-np.log(ep / denominators))
    weights_n = en / t
    grad = np.mean(
        [-gp[i] / t + (ep[i] * gp[i] / t + weights_n @ gn) / denominators[i] for i in range(len(ep))], axis=0
    )
    return float(loss), grad


def info_nce(anchor: Any, positives: Any, negatives: Any, temperature: float = 0.07) -> tuple[float, np.ndarray]:
    """InfoNCE with cosine similarity ``s``: the mean over positives ``p`` of
    ``-log(e^{s_p/T} / (e^{s_p/T} + Σ_n e^{s_n/T}))``. Returns ``(loss, d loss / d anchor)``."""
    a, p, n = _vectors(anchor, (positives, "positives"), (negatives, "negatives"))
    loss, grad = _log_softmax_loss(a, p, n, temperature, pool_positives=False)
    return loss, grad.astype(np.float32)


def local_contrastive(
    node: Any, neighbours: Any, non_neighbours: Any, temperature: float = 0.07
) -> tuple[float, np.ndarray]:
    """Graph-local contrast: all neighbours together against the non-neighbours,
    ``-log(Σ_p e^{s_p/T} / (Σ_p e^{s_p/T} + Σ_n e^{s_n/T}))``. Returns ``(loss, grad_node)``."""
    a, p, n = _vectors(node, (neighbours, "neighbours"), (non_neighbours, "non_neighbours"))
    loss, grad = _log_softmax_loss(a, p, n, temperature, pool_positives=True)
    return loss, grad.astype(np.float32)


def triplet(anchor: Any, positive: Any, negative: Any, margin: float = 1.0) -> tuple[float, np.ndarray]:
    """``max(0, |a - p| - |a - n| + margin)`` (Euclidean). Returns ``(loss, grad_anchor)``."""
    a = check.as_vector(anchor, "anchor").astype(np.float64)
    p = check.as_vector(positive, "positive").astype(np.float64)
    n = check.as_vector(negative, "negative").astype(np.float64)
    for name, x in (("positive", p), ("negative", n)):
        if x.shape != a.shape:
            raise DimensionMismatchError(f"{name} must have {a.shape[0]} values", expected=a.shape[0], actual=x.shape[0])
    margin = check.non_negative_float("margin", margin)
    dp, dn = np.linalg.norm(a - p), np.linalg.norm(a - n)
    loss = dp - dn + margin
    if loss <= 0:
        return 0.0, np.zeros_like(a, dtype=np.float32)
    grad = (a - p) / max(dp, 1e-12) - (a - n) / max(dn, 1e-12)
    return float(loss), grad.astype(np.float32)
