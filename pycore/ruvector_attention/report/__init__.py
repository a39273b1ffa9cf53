"""The unified geometry report (seed theory 7): health metrics of a key set and the attention
family they recommend."""

from .builder import AttentionRecommendation, GeometryReport, ReportBuilder, ReportConfig
from .metrics import Metric, MetricStatus, MetricType

__all__ = [
    "AttentionRecommendation",
    "GeometryReport",
    "Metric",
    "MetricStatus",
    "MetricType",
    "ReportBuilder",
    "ReportConfig",
]
