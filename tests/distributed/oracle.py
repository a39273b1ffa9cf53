"""The float64 oracle of the key-sharded mechanisms: the textbook formula, all keys at once.

``softmax(scale · q_h k_hᵀ)`` per head over the visible keys (the caller's mask, causal
order ``j <= i + n - m``, local_global's window), zeros on rows that see no key, then
multi_head's output projection. Independent of the library's kernels and of the partials.
"""

from __future__ import annotations

import math

import numpy as np

import ruvector_attention as ra


def visible(attn: ra.Attention, m: int, n: int, mask: np.ndarray | None, causal: bool) -> np.ndarray:
    i, j = np.arange(m)[:, None], np.arange(n)[None, :]
    seen = np.ones((m, n), dtype=bool) if mask is None else np.broadcast_to(np.asarray(mask, dtype=bool), (m, n)).copy()
    if causal:
        seen &= j <= i + (n - m)
    if attn.name == "local_global":
        cfg = attn.config
        seen &= (np.abs(i - j) <= cfg.window_size // 2) | (j < cfg.num_global) | (i < cfg.num_global)
    return seen


def attention(attn: ra.Attention, q, k, v, mask=None, causal=False) -> tuple[np.ndarray, np.ndarray]:
    """``(outputs (m, dv), weights (m, n))`` in float64."""
    q, k, v = (np.asarray(x, dtype=np.float64) for x in (q, k, v))
    seen = visible(attn, q.shape[0], k.shape[0], mask, causal)
    heads = attn.num_heads
    if attn.name == "multi_head":
        p = {name: value.astype(np.float64) for name, value in attn.parameters().items()}
        q, k, v = (x @ p[f"w_{s}"] + p[f"b_{s}"] for x, s in ((q, "q"), (k, "k"), (v, "v")))
    if attn.name == "scaled_dot":
        scale = attn.config.score_scale
    else:
        scale = 1.0 / math.sqrt(q.shape[1] // heads)
    split = lambda x: x.reshape(x.shape[0], heads, -1).transpose(1, 0, 2)  # noqa: E731
    scores = np.where(seen, split(q) @ split(k).transpose(0, 2, 1) * scale, -np.inf)
    top = scores.max(axis=-1, keepdims=True)
    exp = np.exp(scores - np.where(np.isfinite(top), top, 0.0))
    total = exp.sum(axis=-1, keepdims=True)
    w = np.divide(exp, total, out=np.zeros_like(exp), where=total > 0)
    out = (w @ split(v)).transpose(1, 0, 2).reshape(q.shape[0], -1)
    if attn.name == "multi_head":
        out = out @ p["w_o"] + p["b_o"]
        out[~seen.any(axis=1)] = 0.0
    return out, w.mean(axis=0)
