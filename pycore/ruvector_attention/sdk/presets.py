"""Model presets and smart selectors; each returns an :class:`AttentionBuilder`."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .._validation import positive_int
from ..config import divisor_at_most
from ..errors import UnknownMechanismError
from ..registry import normalize_name
from .builder import AttentionBuilder

__all__ = [
    "AttentionPreset",
    "for_sequences",
    "for_graphs",
    "for_large_scale",
    "for_vision",
    "for_generation",
    "for_moe",
    "from_model_name",
]


class AttentionPreset(enum.Enum):
    """Ready-made configurations of well-known models.

    >>> AttentionPreset.BERT.builder(512).build().config.num_heads   # 12 does not divide 512
    8
    >>> dict(AttentionPreset("gpt").config)
    {'name': 'multi_head', 'num_heads': 12, 'dropout': 0.1, 'causal': True}
    """

    BERT = "bert"
    GPT = "gpt"
    LONGFORMER = "longformer"
    PERFORMER = "performer"
    FLASH_OPTIMIZED = "flash_optimized"
    SWITCH_TRANSFORMER = "switch_transformer"
    HYPERBOLIC_TREE = "hyperbolic_tree"
    T5 = "t5"
    VIT = "vit"
    SPARSE_TRANSFORMER = "sparse_transformer"

    @property
    def config(self) -> Mapping[str, Any]:
        """``{"name": <registry name>, **options}``, read-only (dim comes at ``builder``)."""
        return MappingProxyType(_PRESETS[self])

    def builder(self, dim: int) -> AttentionBuilder:
        """A builder of this preset at ``dim``; head counts fall to the largest divisor of
        ``dim`` at most the preset's."""
        options = dict(_PRESETS[self])
        name = options.pop("name")
        if "num_heads" in options:
            options["num_heads"] = divisor_at_most(positive_int("dim", dim), options["num_heads"])
        return AttentionBuilder(dim, name, **options)


_PRESETS: dict[AttentionPreset, dict[str, Any]] = {
    AttentionPreset.BERT: {"name": "multi_head", "num_heads": 12, "dropout": 0.1},
    AttentionPreset.GPT: {"name": "multi_head", "num_heads": 12, "dropout": 0.1, "causal": True},
    AttentionPreset.LONGFORMER: {"name": "local_global", "window_size": 512, "num_global": 1},
    AttentionPreset.PERFORMER: {"name": "linear", "num_features": 256},
    AttentionPreset.FLASH_OPTIMIZED: {"name": "flash", "block_size": 128},
    AttentionPreset.SWITCH_TRANSFORMER: {
        "name": "moe", "num_experts": 8, "top_k": 2, "expert_capacity": 1.25, "jitter_noise": 0.01,
    },
    AttentionPreset.HYPERBOLIC_TREE: {"name": "hyperbolic", "curvature": -1.0},
    AttentionPreset.T5: {"name": "multi_head", "num_heads": 8, "dropout": 0.1},
    AttentionPreset.VIT: {"name": "multi_head", "num_heads": 12, "dropout": 0.0},
    AttentionPreset.SPARSE_TRANSFORMER: {"name": "local_global", "window_size": 128, "num_global": 16},
}


def for_sequences(dim: int, max_len: int) -> AttentionBuilder:
    """≤ 512 tokens: BERT; ≤ 4096: Longformer; longer: Performer."""
    max_len = positive_int("max_len", max_len)
    if max_len <= 512:
        return AttentionPreset.BERT.builder(dim)
    if max_len <= 4096:
        return AttentionPreset.LONGFORMER.builder(dim)
    return AttentionPreset.PERFORMER.builder(dim)


def for_graphs(dim: int, hierarchical: bool) -> AttentionBuilder:
    """Hierarchical (tree-like) graphs: hyperbolic; others: 8-head multi-head."""
    if hierarchical:
        return AttentionPreset.HYPERBOLIC_TREE.builder(dim)
    return AttentionBuilder(dim).multi_head(divisor_at_most(positive_int("dim", dim), 8))


def for_large_scale(dim: int) -> AttentionBuilder:
    """Flash attention (block 128)."""
    return AttentionPreset.FLASH_OPTIMIZED.builder(dim)


def for_vision(dim: int, patch_size: int) -> AttentionBuilder:
    """ViT attention over image patches (``patch_size`` is validated; attention itself
    does not depend on it)."""
    positive_int("patch_size", patch_size)
    return AttentionPreset.VIT.builder(dim)


def for_generation(dim: int, context_len: int) -> AttentionBuilder:
    """≤ 2048 tokens: GPT; longer: causal flash attention."""
    if positive_int("context_len", context_len) <= 2048:
        return AttentionPreset.GPT.builder(dim)
    return AttentionPreset.FLASH_OPTIMIZED.builder(dim).causal(True)


def for_moe(dim: int, num_experts: int, top_k: int) -> AttentionBuilder:
    """Mixture of experts with the Switch-Transformer capacity and jitter."""
    return AttentionPreset.SWITCH_TRANSFORMER.builder(dim).moe(num_experts, top_k)


_MODEL_NAMES = {
    "bert": AttentionPreset.BERT,
    "roberta": AttentionPreset.BERT,
    "gpt": AttentionPreset.GPT,
    "gpt2": AttentionPreset.GPT,
    "gpt3": AttentionPreset.GPT,
    "longformer": AttentionPreset.LONGFORMER,
    "performer": AttentionPreset.PERFORMER,
    "switch": AttentionPreset.SWITCH_TRANSFORMER,
    "switchtransformer": AttentionPreset.SWITCH_TRANSFORMER,
    "t5": AttentionPreset.T5,
    "vit": AttentionPreset.VIT,
    "sparsetransformer": AttentionPreset.SPARSE_TRANSFORMER,
}


def from_model_name(name: str, dim: int) -> AttentionBuilder:
    """The preset of a model family, by name (case-insensitive, ``-``/``_`` ignored).

    >>> from_model_name("GPT-2", 768).build().config.causal
    True
    """
    key = normalize_name(str(name))
    if key not in _MODEL_NAMES:
        raise UnknownMechanismError(str(name), sorted(_MODEL_NAMES))
    return _MODEL_NAMES[key].builder(dim)
