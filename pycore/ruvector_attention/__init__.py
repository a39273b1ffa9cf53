"""ruvector_attention: attention mechanisms in NumPy, for CPython, Pyodide and the browser.

>>> import ruvector_attention as ra
>>> attn = ra.create("scaled_dot", dim=4)
>>> attn.compute([1, 0, 0, 0], [[1, 0, 0, 0], [0, 1, 0, 0]], [[1.0], [0.0]]).shape
(1,)
"""

from __future__ import annotations

import sys
import types

from . import (
    attention,
    compression,
    curvature,
    errors,
    geometry,
    limits,
    navigation,
    report,
    sdk,
    topology,
    training,
    viz,
)
from .attention import *  # noqa: F403 - re-exported, listed in attention.__all__
from .base import Attention, DifferentiableAttention, Gradients
from .context import CallContext
from .curvature import ComponentQuantizer, TangentSpaceMapper
from .errors import (
    AttentionError,
    DimensionMismatchError,
    EmptyInputError,
    InputTooLargeError,
    InvalidConfigError,
    InvalidInputError,
    UnknownMechanismError,
)
from .info import (
    DiagonalGaussian,
    FisherMetric,
    InformationBottleneck,
    KLDivergence,
    NaturalGradient,
)
from .pde import GraphLaplacian, LaplacianType
from .registry import create, from_dict, load, mechanisms
from .report import (
    AttentionRecommendation,
    GeometryReport,
    Metric,
    MetricStatus,
    MetricType,
    ReportBuilder,
    ReportConfig,
)
from .sdk import *  # noqa: F403 - re-exported, listed in sdk.__all__
from .topology import AttentionMode, CoherenceMetric

__version__ = "0.1.0"



class _Package(types.ModuleType):
    """The package module, forwarding the settable limits to :mod:`.limits` (which every
    check reads), so that ``ra.MAX_KEYS = n`` takes effect everywhere."""


def _limit(name: str) -> property:
    return property(lambda self: getattr(limits, name), lambda self, value: setattr(limits, name, value))


for _name in ("MAX_KEYS", "MAX_SCORES", "MAX_WORK_BYTES"):
    setattr(_Package, _name, _limit(_name))
sys.modules[__name__].__class__ = _Package

__all__ = [
    "MAX_KEYS",
    "MAX_SCORES",
    "MAX_WORK_BYTES",
    "Attention",
    "AttentionError",
    "AttentionMode",
    "AttentionRecommendation",
    "CallContext",
    "CoherenceMetric",
    "ComponentQuantizer",
    "DifferentiableAttention",
    "DimensionMismatchError",
    "EmptyInputError",
    "DiagonalGaussian",
    "FisherMetric",
    "GeometryReport",
    "Gradients",
    "GraphLaplacian",
    "InformationBottleneck",
    "KLDivergence",
    "LaplacianType",
    "Metric",
    "MetricStatus",
    "MetricType",
    "NaturalGradient",
    "ReportBuilder",
    "ReportConfig",
    "TangentSpaceMapper",
    "InputTooLargeError",
    "InvalidConfigError",
    "InvalidInputError",
    "UnknownMechanismError",
    "compression",
    "curvature",
    "create",
    "errors",
    "from_dict",
    "geometry",
    "limits",
    "load",
    "mechanisms",
    "navigation",
    "report",
    "topology",
    "training",
    "viz",
    *attention.__all__,
    *sdk.__all__,
]
