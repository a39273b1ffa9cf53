"""Topology-gated attention: the coherence of the key window switches between full, sparse and
frozen attention (theory 3)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as check
from .._validation import enum_value, non_negative_float, positive_float, positive_int, probability
from ..base import Attention
from ..config import AttentionConfig, spec
from ..context import CallContext
from ..errors import InvalidConfigError
from ..kernels.dot import dot_scores
from ..kernels.masking import Visibility, top_k
from ..kernels.softmax import masked_softmax, normalize_rows
from ..registry import register
from ..topology import AttentionMode, CoherenceMetric, GatingPolicy, window_coherence

__all__ = ["TopologyGatedAttention", "TopologyGatedConfig"]


@dataclass(frozen=True)
class TopologyGatedConfig(AttentionConfig):
    dim: int = spec(positive_int)
    window: int = spec(positive_int, 16)
    metric: str = spec(enum_value(CoherenceMetric), "similarity_variance")
    stable_threshold: float = spec(probability, 0.8)
    cautious_threshold: float = spec(probability, 0.5)
    freeze_threshold: float = spec(probability, 0.3)
    hysteresis: float = spec(non_negative_float, 0.05)
    k_neighbors: int = spec(positive_int, 4)
    top_k: int = spec(positive_int, 32)
    cautious_temperature: float = spec(positive_float, 2.0)

    def validate(self) -> None:
        if not self.freeze_threshold <= self.cautious_threshold <= self.stable_threshold:
            raise InvalidConfigError(
                "thresholds must satisfy freeze_threshold <= cautious_threshold <= stable_threshold, got "
                f"{self.freeze_threshold}, {self.cautious_threshold}, {self.stable_threshold}"
            )


@register("topology_gated")
class TopologyGatedAttention(Attention):
    r"""Scores ``s_j = q·k_j/√d``; the coherence ``c`` of the last ``window`` keys (by
    ``metric``, see :class:`~ruvector_attention.CoherenceMetric`) picks the mode:

    - ``c >= stable_threshold``: STABLE, ``w = softmax(s)``;
    - ``freeze_threshold <= c < stable_threshold``: CAUTIOUS, softmax of ``s / cautious_temperature``
      over the ``top_k`` best keys (``top_k // 2`` when ``c < cautious_threshold``);
    - ``c < freeze_threshold``: FREEZE, the previous output is returned again (the uniform
      mean of the visible values on the first call or when shapes differ); ``weights`` are
      uniform over the visible keys, and do not map values to that output.

    The mode changes only when ``c`` passes a threshold by more than ``hysteresis``. The
    mode and the last output are state: ``reset()`` forgets them.
    """

    Config = TopologyGatedConfig
    config: TopologyGatedConfig
    complexity = "O(n^2) + O(w^2) coherence"
    splittable = False
    stateful = True

    def _setup(self) -> None:
        cfg = self.config
        self._policy = GatingPolicy(cfg.stable_threshold, cfg.freeze_threshold, cfg.hysteresis)
        self._last_output: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the mode and the previous output."""
        self._policy.reset()
        self._last_output = None

    def current_mode(self) -> AttentionMode:
        """The mode of the last call (STABLE before any call)."""
        return self._policy.mode or AttentionMode.STABLE

    def coherence(self, keys: Any) -> float:
        """Coherence in [0, 1] of the last ``window`` rows of ``keys (n, d)`` (no state change)."""
        return self._coherence(check.as_keys(keys, dim=self.dim))

    def _coherence(self, keys: np.ndarray) -> float:
        cfg = self.config
        return window_coherence(keys[-cfg.window :], CoherenceMetric(cfg.metric), cfg.k_neighbors)

    def _gate(self, keys: np.ndarray) -> tuple[AttentionMode, float]:
        """The coherence of this key window and the mode it moves the policy to."""
        c = self._coherence(keys)
        return self._policy.update(c), c

    def _gated_weights(
        self, queries: np.ndarray, keys: np.ndarray, vis: Visibility, mode: AttentionMode, c: float
    ) -> np.ndarray:
        cfg = self.config
        if mode is AttentionMode.FREEZE:
            return normalize_rows(vis.pattern().astype(np.float32))
        scores = dot_scores(queries, keys, 1.0 / math.sqrt(self.dim))
        if mode is AttentionMode.STABLE:
            return masked_softmax(scores, vis.dense())
        k = cfg.top_k if c >= cfg.cautious_threshold else max(cfg.top_k // 2, 1)
        return masked_softmax(scores / cfg.cautious_temperature, top_k(scores, vis.pattern(), k))

    def _in_row_blocks(self, kernel, queries, keys, values, ctx):  # typed in the base class
        """One gate (and policy step) per call; in FREEZE the previous output is repeated."""
        mode, c = self._gate(keys)
        forward = values is not None
        if forward and mode is AttentionMode.FREEZE and self._last_output is not None:
            if self._last_output.shape == (queries.shape[0], values.shape[1]):
                return self._last_output.copy()
        result = super()._in_row_blocks(kernel, queries, keys, values, ctx.with_extras(gate=(mode, c)))
        if forward:
            self._last_output = result.copy()
        return result

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        return self._gated_weights(queries, keys, ctx.vis, *ctx.extras["gate"])

    def compute_gated(self, query: Any, keys: Any, values: Any, mask: Any = None) -> np.ndarray:
        """Alias of :meth:`compute`."""
        return self.compute(query, keys, values, mask)
