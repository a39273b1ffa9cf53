"""The SDK of seed 000: fluent builders, presets and selectors, and pipelines.

Built on the registry; nothing else in the package imports it.
"""

from .builder import (
    AttentionBuilder,
    flash,
    hyperbolic,
    linear,
    local_global,
    moe,
    multi_head,
    scaled_dot,
)
from .pipeline import AttentionPipeline, NormType, prenorm_transformer_block, transformer_block
from .presets import (
    AttentionPreset,
    for_generation,
    for_graphs,
    for_large_scale,
    for_moe,
    for_sequences,
    for_vision,
    from_model_name,
)

__all__ = [
    "AttentionBuilder",
    "AttentionPipeline",
    "AttentionPreset",
    "NormType",
    "flash",
    "for_generation",
    "for_graphs",
    "for_large_scale",
    "for_moe",
    "for_sequences",
    "for_vision",
    "from_model_name",
    "hyperbolic",
    "linear",
    "local_global",
    "moe",
    "multi_head",
    "prenorm_transformer_block",
    "scaled_dot",
    "transformer_block",
]
