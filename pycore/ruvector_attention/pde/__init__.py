"""Graph PDEs on key sets: Laplacians for heat-equation (diffusion) attention (seed theory 6)."""

from .laplacian import GraphLaplacian, LaplacianType

__all__ = ["GraphLaplacian", "LaplacianType"]
