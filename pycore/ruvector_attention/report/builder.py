"""ReportBuilder: metrics given or measured on keys -> a GeometryReport with a recommendation."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .. import _validation as check
from .._validation import enum_value, non_negative_int, positive_float, positive_int, probability
from ..config import AttentionConfig, spec
from ..errors import InvalidInputError
from ..kernels.sphere import random_directions
from ..topology import CoherenceMetric, window_coherence
from . import analysis
from .metrics import Metric, MetricStatus, MetricType

__all__ = ["AttentionRecommendation", "GeometryReport", "ReportBuilder", "ReportConfig"]

_ENTROPY_CONTEXT = 4096
"""Most keys the attention entropy of ``analyze_keys`` is measured over."""


class AttentionRecommendation(enum.Enum):
    """The attention family a report suggests."""

    STANDARD = "standard"
    """scaled_dot / flash: nothing calls for more."""
    SPARSE = "sparse"
    """flash / local_global / linear: diffuse attention over a long sequence."""
    GEOMETRIC = "geometric"
    """hyperbolic / mixed_curvature: the keys' metric is tree-like."""
    DIFFUSION = "diffusion"
    """diffusion: attention jumps between neighbouring keys."""


@dataclass(frozen=True)
class ReportConfig(AttentionConfig):
    """How :meth:`ReportBuilder.analyze_keys` measures and how the recommendation decides."""

    sample_size: int = spec(positive_int, 128)
    k_neighbors: int = spec(positive_int, 8)
    num_projections: int = spec(positive_int, 64)
    coherence_metric: str = spec(enum_value(CoherenceMetric), "similarity_variance")
    hierarchy_threshold: float = spec(positive_float, 0.2)
    long_sequence: int = spec(positive_int, 512)
    sparse_entropy_ratio: float = spec(probability, 0.75)
    seed: int = spec(non_negative_int, 0)


@dataclass(frozen=True)
class GeometryReport:
    """``metrics`` (health metrics first, then hints such as hierarchy), ``health_score`` in
    [0, 1] (mean of the health metrics' scores; 1 with none) and the ``recommendation``."""

    metrics: list[Metric]
    health_score: float
    recommendation: AttentionRecommendation
    sequence_length: int | None

    def metric(self, metric_type: MetricType | str) -> Metric | None:
        wanted = check.as_enum(MetricType, metric_type, "metric_type")
        return next((m for m in self.metrics if m.metric_type is wanted), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "health_score": self.health_score,
            "recommendation": self.recommendation.value,
            "sequence_length": self.sequence_length,
            "metrics": [{"type": m.metric_type.value, "value": m.value, "status": m.status()} for m in self.metrics],
        }


@dataclass(frozen=True)
class _State:
    values: tuple[tuple[MetricType, float], ...] = ()
    sequence_length: int | None = None
    attended: int | None = None  # keys the attention entropy was measured over


class ReportBuilder:
    r"""Collects metrics (``with_*`` or :meth:`analyze_keys`) and builds a :class:`GeometryReport`.
    Builders are immutable: every method returns a new one. The recommendation, first match:

    1. GEOMETRIC when the relative Gromov δ of the keys is below ``hierarchy_threshold``;
    2. SPARSE when the sequence has at least ``long_sequence`` keys and the attention entropy
       is at least ``sparse_entropy_ratio · log n`` (attention is spread thin);
    3. DIFFUSION when the diffusion energy is past its warning threshold;
    4. STANDARD otherwise.

    >>> report = (ReportBuilder().with_ot_distance(0.15).with_topology_coherence(0.82).with_ib_kl(0.05)
    ...           .with_diffusion_energy(0.3).with_attention_entropy(2.1).build())
    >>> report.health_score, report.recommendation.value
    (1.0, 'standard')
    """

    def __init__(self, config: ReportConfig | None = None, _state: _State | None = None) -> None:
        self.config = config if config is not None else ReportConfig()
        self._state = _state or _State()

    def _with(self, **changes: Any) -> ReportBuilder:
        return ReportBuilder(self.config, replace(self._state, **changes))

    def _with_metric(self, metric_type: MetricType, value: Any) -> ReportBuilder:
        number = check.as_vector([value], metric_type.value)[0]
        values = dict(self._state.values) | {metric_type: float(number)}
        return self._with(values=tuple(values.items()))

    def with_ot_distance(self, value: float) -> ReportBuilder:
        return self._with_metric(MetricType.OT_DISTANCE, value)

    def with_topology_coherence(self, value: float) -> ReportBuilder:
        return self._with_metric(MetricType.TOPOLOGY_COHERENCE, value)

    def with_ib_kl(self, value: float) -> ReportBuilder:
        return self._with_metric(MetricType.IB_KL, value)

    def with_diffusion_energy(self, value: float) -> ReportBuilder:
        return self._with_metric(MetricType.DIFFUSION_ENERGY, value)

    def with_attention_entropy(self, value: float) -> ReportBuilder:
        return self._with_metric(MetricType.ATTENTION_ENTROPY, value)

    def with_hierarchy(self, value: float) -> ReportBuilder:
        """Relative Gromov δ of the keys (0 = tree-like)."""
        return self._with_metric(MetricType.HIERARCHY, value)

    def with_sequence_length(self, n: int) -> ReportBuilder:
        n = check.positive_int("n", n)
        return self._with(sequence_length=n, attended=n)

    def analyze_keys(self, keys: Any) -> ReportBuilder:
        """Measure every metric on ``keys (n, d)``, n >= 2 (a seeded sample of at most
        ``sample_size`` keys, in sequence order, for the O(s²) and O(s³) ones):

        - OT distance: sliced W2 between the first and second half (of up to 4096 keys),
          relative to the spread;
        - topology coherence: ``coherence_metric`` on the sample's kNN graph;
        - IB KL: ``KL(w ‖ uniform) / log n`` of self-attention ``softmax(K Kᵀ/√d)``, in [0, 1];
        - diffusion energy: Dirichlet energy of self-attention on the kNN Gaussian graph;
        - attention entropy: mean entropy (nats) of self-attention over up to 4096 keys;
        - hierarchy: relative Gromov δ.
        """
        k = check.as_matrix(keys, "keys").astype(np.float64)
        n = k.shape[0]
        if n < 2:
            raise InvalidInputError(f"analyze_keys needs at least 2 keys, got {n}")
        cfg = self.config
        rng = np.random.default_rng(cfg.seed)
        sample = k[np.sort(rng.choice(n, size=min(cfg.sample_size, n), replace=False))]
        context = k[np.sort(rng.choice(n, size=min(_ENTROPY_CONTEXT, n), replace=False))]
        directions = random_directions(rng, cfg.num_projections, k.shape[1])
        within, spread = analysis.attention(sample, sample), analysis.attention(sample, context)
        neighbours = min(cfg.k_neighbors, len(sample) - 1)
        builder = (
            self.with_ot_distance(analysis.halves_distance(context, directions))
            .with_topology_coherence(window_coherence(sample, CoherenceMetric(cfg.coherence_metric), neighbours))
            .with_ib_kl(analysis.normalized_kl(spread))
            .with_diffusion_energy(analysis.attention_energy(sample, within, neighbours))
            .with_attention_entropy(analysis.attention_entropy(spread))
            .with_hierarchy(analysis.gromov_delta(sample))
        )
        return builder._with(sequence_length=n, attended=len(context))

    def _recommend(self, values: dict[MetricType, float]) -> AttentionRecommendation:
        cfg, state = self.config, self._state
        hierarchy = values.get(MetricType.HIERARCHY)
        if hierarchy is not None and hierarchy < cfg.hierarchy_threshold:
            return AttentionRecommendation.GEOMETRIC
        entropy = values.get(MetricType.ATTENTION_ENTROPY)
        n, attended = state.sequence_length, state.attended
        if entropy is not None and n is not None and attended is not None and attended > 1 and n >= cfg.long_sequence:
            if entropy >= cfg.sparse_entropy_ratio * math.log(attended):
                return AttentionRecommendation.SPARSE
        energy = values.get(MetricType.DIFFUSION_ENERGY)
        if energy is not None and Metric(MetricType.DIFFUSION_ENERGY, energy).status_enum() is not MetricStatus.HEALTHY:
            return AttentionRecommendation.DIFFUSION
        return AttentionRecommendation.STANDARD

    def build(self) -> GeometryReport:
        values = dict(self._state.values)
        metrics = [Metric(t, values[t]) for t in MetricType if t in values]
        health = [m.score() for m in metrics if m.metric_type is not MetricType.HIERARCHY]
        score = float(np.mean(health)) if health else 1.0
        return GeometryReport(metrics, score, self._recommend(values), self._state.sequence_length)
