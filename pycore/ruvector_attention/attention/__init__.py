"""Every attention mechanism, one per module; importing this package registers them all."""

from .centroid_ot import CentroidOTAttention
from .diffusion import DiffusionAttention
from .dual_space import DualSpaceAttention
from .edge_featured import EdgeFeaturedAttention
from .flash import FlashAttention
from .dynamic_head import DynamicHeadAttention
from .hnsw_aware import HNSWAwareAttention
from .hyperbolic import HyperbolicAttention
from .information_bottleneck import BottleneckAttention
from .linear import LinearAttention
from .local_global import LocalGlobalAttention
from .mixed_curvature import MixedCurvatureAttention
from .mixed_curvature_fused import MixedCurvatureFusedAttention
from .moe import MoEAttention
from .multi_head import MultiHeadAttention
from .rope import GraphRoPE
from .scaled_dot import ScaledDotProductAttention
from .sliced_wasserstein import SlicedWassersteinAttention
from .structural import StructuralAttention
from .topology_gated import TopologyGatedAttention

__all__ = [
    "BottleneckAttention",
    "CentroidOTAttention",
    "DiffusionAttention",
    "DualSpaceAttention",
    "DynamicHeadAttention",
    "EdgeFeaturedAttention",
    "FlashAttention",
    "GraphRoPE",
    "HNSWAwareAttention",
    "HyperbolicAttention",
    "LinearAttention",
    "LocalGlobalAttention",
    "MixedCurvatureAttention",
    "MixedCurvatureFusedAttention",
    "MoEAttention",
    "MultiHeadAttention",
    "ScaledDotProductAttention",
    "SlicedWassersteinAttention",
    "StructuralAttention",
    "TopologyGatedAttention",
]
