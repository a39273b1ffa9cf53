"""Mixture-of-experts attention: a learned router picks the top-k expert mechanisms."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import non_negative_float, non_negative_int, positive_float, positive_int
from ..base import Attention
from ..config import AttentionConfig, spec
from ..context import CallContext
from ..errors import InvalidConfigError
from ..kernels.numeric import matmul
from ..kernels.softmax import masked_softmax
from ..registry import register, resolve

__all__ = ["MoEAttention", "MoEConfig"]

DEFAULT_EXPERTS = ("scaled_dot", "hyperbolic", "linear", "local_global")


def expert_specs(name: str, value: Any) -> tuple[dict[str, Any], ...] | None:
    """Normalise ``experts`` (mechanism instances or ``{"name": ..., **config}`` dicts)."""
    if value is None:
        return None
    specs = []
    for item in value:
        if isinstance(item, Attention):
            specs.append({"name": item.name, **item.config.to_dict()})
        elif isinstance(item, dict) and "name" in item:
            resolve(item["name"])
            specs.append(dict(item))
        else:
            raise InvalidConfigError(f"{name} must hold attention mechanisms, got {item!r}")
    return tuple(specs)


@dataclass(frozen=True)
class MoEConfig(AttentionConfig):
    dim: int = spec(positive_int)
    num_experts: int = spec(positive_int, 4)
    top_k: int = spec(positive_int, 2)
    expert_capacity: float = spec(positive_float, 1.25)
    jitter_noise: float = spec(non_negative_float, 0.0)
    experts: tuple[dict[str, Any], ...] | None = field(
        default=None, metadata={"check": expert_specs}, compare=True
    )
    seed: int = spec(non_negative_int, 0)

    def validate(self) -> None:
        if self.top_k > self.num_experts:
            raise InvalidConfigError(
                f"top_k ({self.top_k}) must be at most num_experts ({self.num_experts})"
            )
        if self.experts is not None and len(self.experts) != self.num_experts:
            raise InvalidConfigError(
                f"experts must hold num_experts ({self.num_experts}) mechanisms, got {len(self.experts)}"
            )
        if self.jitter_noise >= 1.0:
            raise InvalidConfigError(f"jitter_noise must be in [0, 1), got {self.jitter_noise}")

    def state_bytes(self) -> int:
        """The router and, at least, an object per expert (each expert checks its own parameters)."""
        return self.num_experts * (4 * self.dim + 1024)

    def expert_list(self) -> list[dict[str, Any]]:
        """The experts' specs: given, or the default mix cycled with distinct seeds."""
        if self.experts is not None:
            return [dict(e) for e in self.experts]
        return [
            {"name": DEFAULT_EXPERTS[i % len(DEFAULT_EXPERTS)], "dim": self.dim}
            | ({"seed": self.seed + i} if DEFAULT_EXPERTS[i % len(DEFAULT_EXPERTS)] == "linear" else {})
            for i in range(self.num_experts)
        ]


@register("moe")
class MoEAttention(Attention):
    r"""Route each query to its top-k experts and mix their outputs by renormalised gates.

    .. math:: p = \operatorname{softmax}(q W_r),\quad
              \text{out} = \sum_{e \in \text{top-}k(p)} \frac{p_e}{\sum_{e' \in \text{top-}k} p_{e'}}
              \,\text{expert}_e(q, K, V)

    In ``compute_batch`` each expert takes at most ``ceil(expert_capacity · m · k / E)``
    queries, first come first served; a query whose choice is full falls to its next
    best expert (counted as ``rerouted`` in :attr:`last_stats`); if no expert has room a
    later choice is ``dropped`` and counted, and a query with no room at all keeps its
    best expert beyond capacity (counted as ``over_capacity``): no query is ever lost. ``jitter_noise`` multiplies router inputs by
    ``U(1 - ε, 1 + ε)`` in train mode only. ``weights`` are the gate-weighted mixture of
    the experts' weights.
    """

    Config = MoEConfig
    config: MoEConfig
    complexity = "O(k·n^2)"
    splittable = False  # expert capacity couples the rows of a batch

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        given = kwargs.get("experts", args[5] if len(args) > 5 else None)
        super().__init__(*args, **kwargs)
        for expert, original in zip(self.experts, given or ()):
            if isinstance(original, Attention) and original.parameters():
                expert.load_parameters(original.parameters())
        self.last_stats: dict[str, Any] = {}

    def _setup(self) -> None:
        self.experts: list[Attention] = []
        for spec_ in self.config.expert_list():
            expert = resolve(spec_["name"])(**{k: v for k, v in spec_.items() if k != "name"})
            if expert.dim != self.config.dim:
                raise InvalidConfigError(
                    f"every expert must have dim {self.config.dim}; {expert.name} has {expert.dim}"
                )
            self.experts.append(expert)
        bound = 1.0 / math.sqrt(self.config.dim)
        self._params["w_router"] = self._rng.uniform(
            -bound, bound, (self.config.dim, self.config.num_experts)
        ).astype(np.float32)

    # ------------------------------------------------------------------ parameters

    def parameters(self) -> dict[str, np.ndarray]:
        params = super().parameters()
        for i, expert in enumerate(self.experts):
            params.update({f"expert{i}.{k}": v for k, v in expert.parameters().items()})
        return params

    def load_parameters(self, params: dict[str, Any]) -> None:
        own = {k: v for k, v in params.items() if "." not in k}
        nested: dict[int, dict[str, Any]] = {i: {} for i in range(len(self.experts))}
        for key, value in params.items():
            if "." in key:
                prefix, name = key.split(".", 1)
                index = prefix.removeprefix("expert")
                if not index.isdigit() or int(index) not in nested:
                    raise InvalidConfigError(f"unknown parameter {key!r}")
                nested[int(index)][name] = value
        super().load_parameters(own)
        for i, expert in enumerate(self.experts):
            if nested[i] or expert.parameters():
                expert.load_parameters(nested[i])

    def train(self, mode: bool = True) -> MoEAttention:
        for expert in self.experts:
            expert.train(mode)
        super().train(mode)
        return self

    # ------------------------------------------------------------------ routing

    def router_probs(self, queries: np.ndarray) -> np.ndarray:
        """``softmax(q W_r)`` for validated queries ``(m, d)`` (jittered in train mode)."""
        if self.training and self.config.jitter_noise > 0:
            eps = self.config.jitter_noise
            queries = queries * self._rng.uniform(1 - eps, 1 + eps, queries.shape).astype(np.float32)
        return masked_softmax(matmul(queries, self._params["w_router"]))

    def _assign(self, probs: np.ndarray, capacity: int | None) -> np.ndarray:
        """Gates ``(m, E)``: top-k per row, renormalised, respecting ``capacity``."""
        m, num_experts = probs.shape
        order = np.argsort(-probs, axis=1, kind="stable")
        load = np.zeros(num_experts, dtype=int)
        gates = np.zeros_like(probs)
        picked = np.zeros(probs.shape, dtype=bool)
        rerouted = dropped = over_capacity = 0
        for row in range(m):
            chosen: list[int] = []
            for rank, expert in enumerate(order[row]):
                if len(chosen) == self.config.top_k:
                    break
                if capacity is not None and load[expert] >= capacity:
                    continue
                chosen.append(expert)
                load[expert] += 1
                rerouted += rank >= self.config.top_k
            if not chosen:  # every expert full: keep the best one rather than lose the query
                chosen.append(order[row, 0])
                load[order[row, 0]] += 1
                over_capacity += 1
            dropped += self.config.top_k - len(chosen)
            gates[row, chosen] = probs[row, chosen]
            picked[row, chosen] = True
        # chosen experts whose probabilities all underflowed (saturated router logits) share equally
        gates = np.where((gates.sum(axis=1, keepdims=True) > 0), gates, picked.astype(gates.dtype))
        gates = gates / gates.sum(axis=1, keepdims=True)
        top_probs = probs.mean(axis=0)
        dispatch = (gates > 0).mean(axis=0) / self.config.top_k
        self.last_stats = {
            "capacity": capacity,
            "tokens_per_expert": load.tolist(),
            "rerouted": int(rerouted),
            "dropped": int(dropped),
            "over_capacity": int(over_capacity),
            "load_balancing_loss": float(num_experts * np.sum(dispatch * top_probs)),
        }
        return gates

    def routing(self, query: Any) -> list[tuple[int, float]]:
        """``[(expert, gate), ...]`` for one query, best first; gates sum to 1."""
        q = self._prepare_queries(query, single=True)
        gates = self._assign(self.router_probs(q), capacity=None)[0]
        chosen = np.argsort(-gates, kind="stable")[: self.config.top_k]
        return [(int(e), float(gates[e])) for e in chosen]

    def load_balancing_loss(self, queries: Any) -> float:
        """Switch-Transformer auxiliary loss ``E · Σ_e f_e P_e`` over a batch of queries."""
        q = self._prepare_queries(queries, single=False)
        self._assign(self.router_probs(q), capacity=None)
        return self.last_stats["load_balancing_loss"]

    def _gates(self, queries: np.ndarray) -> np.ndarray:
        m = queries.shape[0]
        capacity = None
        if m > 1:
            capacity = math.ceil(self.config.expert_capacity * m * self.config.top_k / self.config.num_experts)
        return self._assign(self.router_probs(queries), capacity)

    # ------------------------------------------------------------------ kernels

    def _mix(self, gates: np.ndarray, run: Any) -> np.ndarray:
        """``Σ_e gates_e · run(expert_e)`` over the experts some query is routed to."""
        total = None
        for e, expert in enumerate(self.experts):
            if gates[:, e].any():
                part = np.multiply(run(expert), gates[:, e : e + 1], dtype=np.float64)
                total = part if total is None else np.add(total, part, out=total)
        assert total is not None
        return total

    def _row_bytes(self, n: int, dv: int) -> int:
        """The gates and the running mixture; each expert runs in its own row blocks."""
        return 8 * (4 * self.config.num_experts + 4 * max(n, dv))

    def _in_row_blocks(self, kernel, queries, keys, values, ctx):  # typed in the base class
        """Route the whole batch once (capacity couples its rows), then mix in row blocks."""
        return super()._in_row_blocks(kernel, queries, keys, values, ctx.with_extras(gates=self._gates(queries)))

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        return self._mix(
            ctx.extras["gates"],
            lambda expert: expert._in_row_blocks(expert._weights_of, queries, keys, None, ctx),
        )

    def _forward(
        self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray, ctx: CallContext
    ) -> np.ndarray:
        return self._mix(
            ctx.extras["gates"],
            lambda expert: expert._in_row_blocks(expert._forward, queries, keys, values, ctx),
        )
