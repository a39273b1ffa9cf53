"""Information geometry and the information bottleneck (seed theories 4 and 5)."""

from .bottleneck import DiagonalGaussian, InformationBottleneck, KLDivergence
from .fisher import FisherMetric, NaturalGradient

__all__ = ["DiagonalGaussian", "FisherMetric", "InformationBottleneck", "KLDivergence", "NaturalGradient"]
