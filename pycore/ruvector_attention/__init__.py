"""ruvector_attention: attention mechanisms in NumPy, for CPython, Pyodide and the browser.

>>> import ruvector_attention as ra
>>> attn = ra.create("scaled_dot", dim=4)
>>> attn.compute([1, 0, 0, 0], [[1, 0, 0, 0], [0, 1, 0, 0]], [[1.0], [0.0]]).shape
(1,)
"""

from __future__ import annotations

from . import errors, geometry, viz
from .base import Attention, DifferentiableAttention, Gradients
from .errors import (
    AttentionError,
    DimensionMismatchError,
    EmptyInputError,
    InputTooLargeError,
    InvalidConfigError,
    InvalidInputError,
    UnknownMechanismError,
)
from .io import load
from .attention import (
    FlashAttention,
    HyperbolicAttention,
    LinearAttention,
    LocalGlobalAttention,
    MixedCurvatureAttention,
    MoEAttention,
    MultiHeadAttention,
    ScaledDotProductAttention,
)
from .registry import create, from_dict, mechanisms
from .sdk import (
    AttentionBuilder,
    AttentionPipeline,
    AttentionPreset,
    NormType,
    flash,
    for_generation,
    for_graphs,
    for_large_scale,
    for_moe,
    for_sequences,
    for_vision,
    from_model_name,
    hyperbolic,
    linear,
    local_global,
    moe,
    multi_head,
    prenorm_transformer_block,
    scaled_dot,
    transformer_block,
)

__version__ = "0.1.0"

MAX_KEYS: int = 1_000_000
"""Most keys any call accepts; raise it deliberately for bigger inputs."""

__all__ = [
    "MAX_KEYS",
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
    "Attention",
    "AttentionError",
    "DifferentiableAttention",
    "DimensionMismatchError",
    "EmptyInputError",
    "FlashAttention",
    "Gradients",
    "HyperbolicAttention",
    "InputTooLargeError",
    "InvalidConfigError",
    "InvalidInputError",
    "LinearAttention",
    "LocalGlobalAttention",
    "MixedCurvatureAttention",
    "MoEAttention",
    "MultiHeadAttention",
    "ScaledDotProductAttention",
    "UnknownMechanismError",
    "create",
    "errors",
    "from_dict",
    "geometry",
    "viz",
    "load",
    "mechanisms",
]
