"""How each key-shardable mechanism maps onto per-chunk softmax partials (:mod:`.partials`).

A plan says, for one mechanism, how queries, keys and values become per-head arrays
``(H, rows, ·)``, the factor on ``q·k``, which keys a query's window admits (beyond the
caller's mask and causal order) and how the merged head outputs become the mechanism's
output. The four plans reproduce ``attn.compute_batch`` / ``attn.weights_batch`` exactly
(tests/distributed compare them with the library and with a float64 formula).
"""

from __future__ import annotations

import math

import numpy as np

from ..attention.flash import FlashAttention
from ..attention.local_global import LocalGlobalAttention
from ..attention.multi_head import MultiHeadAttention
from ..attention.scaled_dot import ScaledDotProductAttention
from ..base import Attention

__all__ = ["KeyPlan", "PLANS"]


class KeyPlan:
    """One head, inputs as they are, no window, output = the head's output."""

    def __init__(self, attn: Attention) -> None:
        self.attn = attn

    @property
    def scale(self) -> float:
        """The factor on ``q·k``: ``1/√d``."""
        return 1.0 / math.sqrt(self.attn.dim)

    def heads(self, x: np.ndarray, which: str) -> np.ndarray:
        """Queries, keys or values (``which`` = "q", "k", "v") as ``(H, rows, ·)``."""
        return x[None]

    def window(self, positions: np.ndarray, start: int, stop: int) -> np.ndarray | None:
        """Which keys ``start..stop`` the queries at ``positions`` may see by the
        mechanism's own rule, ``(rows, stop - start)``, or None for all."""
        return None

    def output(self, heads: np.ndarray, blind: np.ndarray) -> np.ndarray:
        """The output ``(rows, dv)`` from the head outputs; ``blind`` marks rows that see no key."""
        return heads[0]


class ScaledDotPlan(KeyPlan):
    @property
    def scale(self) -> float:
        """``scale / temperature`` (scale defaulting to ``1/√d``)."""
        return self.attn.config.score_scale


class LocalGlobalPlan(KeyPlan):
    def window(self, positions: np.ndarray, start: int, stop: int) -> np.ndarray | None:
        """Longformer's rule: ``|i - j| <= window_size // 2``, ``j < num_global`` or
        ``i < num_global``, for the global key indices ``start..stop``."""
        cfg = self.attn.config
        keys = np.arange(start, stop)[None, :]
        rows = positions[:, None]
        return (np.abs(rows - keys) <= cfg.window_size // 2) | (keys < cfg.num_global) | (rows < cfg.num_global)


class MultiHeadPlan(KeyPlan):
    attn: MultiHeadAttention

    @property
    def scale(self) -> float:
        """``1/√d_h`` per head."""
        return 1.0 / math.sqrt(self.attn.config.head_dim)

    def heads(self, x: np.ndarray, which: str) -> np.ndarray:
        """The learned projection ``x W + b``, split into heads."""
        return self.attn._split(self.attn._project(x, which))

    def output(self, heads: np.ndarray, blind: np.ndarray) -> np.ndarray:
        """``concat_h(head_h) W_o + b_o``, 0 on rows that see no key (the library's rule)."""
        out = np.array(self.attn._project(self.attn._merge(heads), "o"))
        out[blind] = 0.0
        return out


PLANS: dict[str, type[KeyPlan]] = {
    ScaledDotProductAttention.name: ScaledDotPlan,
    MultiHeadAttention.name: MultiHeadPlan,
    FlashAttention.name: KeyPlan,
    LocalGlobalAttention.name: LocalGlobalPlan,
}
"""The mechanisms whose keys may be sharded (``key_chunks=``), by registry name."""
