"""ruvector_attention: attention mechanisms in NumPy, for CPython, Pyodide and the browser.

>>> import ruvector_attention as ra
>>> attn = ra.create("scaled_dot", dim=4)
>>> attn.compute([1, 0, 0, 0], [[1, 0, 0, 0], [0, 1, 0, 0]], [[1.0], [0.0]]).shape
(1,)
"""

from __future__ import annotations

from . import errors, geometry
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
from .mechanisms import (
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

__version__ = "0.1.0"

MAX_KEYS: int = 1_000_000
"""Most keys any call accepts; raise it deliberately for bigger inputs."""

__all__ = [
    "MAX_KEYS",
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
    "load",
    "mechanisms",
]
