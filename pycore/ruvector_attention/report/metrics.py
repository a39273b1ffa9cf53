"""Report metrics and their status thresholds (seed 001's Warning and Critical columns)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

__all__ = ["Metric", "MetricStatus", "MetricType"]


class MetricStatus(enum.Enum):
    HEALTHY = "healthy"
    WARNING = "warning"
    CRITICAL = "critical"


class MetricType(enum.Enum):
    OT_DISTANCE = "ot_distance"
    TOPOLOGY_COHERENCE = "topology_coherence"
    IB_KL = "ib_kl"
    DIFFUSION_ENERGY = "diffusion_energy"
    ATTENTION_ENTROPY = "attention_entropy"
    HIERARCHY = "hierarchy"

    @property
    def thresholds(self) -> tuple[float, float, bool]:
        """``(warning, critical, higher_is_worse)``."""
        return _THRESHOLDS[self]


_THRESHOLDS = {
    MetricType.OT_DISTANCE: (0.3, 0.7, True),
    MetricType.TOPOLOGY_COHERENCE: (0.3, 0.1, False),
    MetricType.IB_KL: (0.5, 1.0, True),
    MetricType.DIFFUSION_ENERGY: (2.0, 5.0, True),
    MetricType.ATTENTION_ENTROPY: (0.5, 0.1, False),
    # relative Gromov δ: near 0 is tree-like; not a health problem, only a hint
    MetricType.HIERARCHY: (-np.inf, -np.inf, False),
}


@dataclass(frozen=True)
class Metric:
    """One measured value; :meth:`status` compares it with the thresholds of its type."""

    metric_type: MetricType
    value: float

    def status(self) -> str:
        """``"healthy"``, ``"warning"`` or ``"critical"`` (past the threshold, strictly)."""
        return self.status_enum().value

    def status_enum(self) -> MetricStatus:
        warning, critical, higher_is_worse = self.metric_type.thresholds
        sign = 1.0 if higher_is_worse else -1.0
        if sign * self.value > sign * critical:
            return MetricStatus.CRITICAL
        if sign * self.value > sign * warning:
            return MetricStatus.WARNING
        return MetricStatus.HEALTHY

    def score(self) -> float:
        """1 up to the warning threshold, falling linearly to 0 at the critical one."""
        warning, critical, _ = self.metric_type.thresholds
        if not np.isfinite(warning):
            return 1.0
        return float(np.clip((critical - self.value) / (critical - warning), 0.0, 1.0))
