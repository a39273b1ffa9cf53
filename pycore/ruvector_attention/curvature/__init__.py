"""Product-space helpers for mixed-curvature attention (seed theory 2): tangent-space
mapping of Poincaré-ball points and per-component quantisation."""

from .quantizer import ComponentQuantizer, QuantizedComponents
from .tangent import TangentSpaceMapper

__all__ = ["ComponentQuantizer", "QuantizedComponents", "TangentSpaceMapper"]
