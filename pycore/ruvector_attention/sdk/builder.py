"""Fluent, immutable builders over the registry: every option lands in the built config."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..base import Attention
from ..registry import resolve

__all__ = [
    "AttentionBuilder",
    "scaled_dot",
    "multi_head",
    "flash",
    "linear",
    "local_global",
    "hyperbolic",
    "moe",
]


class AttentionBuilder:
    """Configure a mechanism step by step, then :meth:`build` it.

    Each call returns a new builder, so a partly configured builder can be reused. An
    option the chosen mechanism does not have is an error at ``build()``, never ignored.

    >>> attn = AttentionBuilder(64).multi_head(8).dropout(0.1).causal(True).build()
    >>> attn.name, attn.config.num_heads, attn.config.dropout, attn.config.causal
    ('multi_head', 8, 0.1, True)
    """

    def __init__(self, dim: int, mechanism: str = "scaled_dot", **options: Any) -> None:
        self._dim = dim
        self._mechanism = resolve(mechanism).name
        self._options = dict(options)

    def _with(self, mechanism: str | None = None, **options: Any) -> AttentionBuilder:
        return AttentionBuilder(self._dim, mechanism or self._mechanism, **{**self._options, **options})

    @property
    def config(self) -> Mapping[str, Any]:
        """What :meth:`build` will pass to the registry, read-only."""
        return MappingProxyType({"name": self._mechanism, "dim": self._dim, **self._options})

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        return f"AttentionBuilder({args})"

    # ------------------------------------------------------------------ mechanisms

    def mechanism(self, name: str, **options: Any) -> AttentionBuilder:
        """Any registered mechanism by name, with options."""
        return self._with(name, **options)

    def scaled_dot(self) -> AttentionBuilder:
        return self._with("scaled_dot")

    def multi_head(self, num_heads: int) -> AttentionBuilder:
        return self._with("multi_head", num_heads=num_heads)

    def flash(self, block_size: int = 64) -> AttentionBuilder:
        return self._with("flash", block_size=block_size)

    def linear(self, num_features: int = 256) -> AttentionBuilder:
        return self._with("linear", num_features=num_features)

    def local_global(self, window_size: int = 256) -> AttentionBuilder:
        return self._with("local_global", window_size=window_size)

    def hyperbolic(self, curvature: float = -1.0) -> AttentionBuilder:
        return self._with("hyperbolic", curvature=curvature)

    def moe(self, num_experts: int = 4, top_k: int = 2) -> AttentionBuilder:
        return self._with("moe", num_experts=num_experts, top_k=top_k)

    # ------------------------------------------------------------------ options

    def option(self, **options: Any) -> AttentionBuilder:
        """Set any config fields of the chosen mechanism."""
        return self._with(**options)

    def dropout(self, p: float) -> AttentionBuilder:
        return self._with(dropout=p)

    def causal(self, causal: bool = True) -> AttentionBuilder:
        return self._with(causal=causal)

    def temperature(self, temperature: float) -> AttentionBuilder:
        return self._with(temperature=temperature)

    def num_global(self, num_global: int) -> AttentionBuilder:
        return self._with(num_global=num_global)

    def expert_capacity(self, capacity: float) -> AttentionBuilder:
        return self._with(expert_capacity=capacity)

    def jitter_noise(self, noise: float) -> AttentionBuilder:
        return self._with(jitter_noise=noise)

    def seed(self, seed: int) -> AttentionBuilder:
        return self._with(seed=seed)

    # ------------------------------------------------------------------ build

    def build(self) -> Attention:
        """Create the mechanism; raises :class:`InvalidConfigError` for an unknown option."""
        return resolve(self._mechanism)(dim=self._dim, **self._options)


def scaled_dot(dim: int) -> AttentionBuilder:
    """``softmax(QKᵀ/√d)V``."""
    return AttentionBuilder(dim).scaled_dot()


def multi_head(dim: int, num_heads: int) -> AttentionBuilder:
    return AttentionBuilder(dim).multi_head(num_heads)


def flash(dim: int, block_size: int = 64) -> AttentionBuilder:
    return AttentionBuilder(dim).flash(block_size)


def linear(dim: int, num_features: int = 256) -> AttentionBuilder:
    return AttentionBuilder(dim).linear(num_features)


def local_global(dim: int, window_size: int = 256) -> AttentionBuilder:
    return AttentionBuilder(dim).local_global(window_size)


def hyperbolic(dim: int, curvature: float = -1.0) -> AttentionBuilder:
    return AttentionBuilder(dim).hyperbolic(curvature)


def moe(dim: int, num_experts: int = 4, top_k: int = 2) -> AttentionBuilder:
    return AttentionBuilder(dim).moe(num_experts, top_k)
