"""Window coherence and the three-mode gating policy of topology-gated attention (seed
theory 3)."""

from .coherence import CoherenceMetric, window_coherence
from .policy import AttentionMode, GatingPolicy

__all__ = ["AttentionMode", "CoherenceMetric", "GatingPolicy", "window_coherence"]
