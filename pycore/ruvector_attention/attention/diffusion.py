"""Diffusion attention: softmax weights smoothed by the heat equation on the key graph."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as check
from .. import limits
from .._validation import boolean, enum_value, positive_float, positive_int
from ..base import Attention
from ..config import AttentionConfig, spec
from ..context import CallContext
from ..errors import InvalidConfigError
from ..kernels.cache import KeySetCache
from ..kernels.dot import dot_softmax
from ..kernels.masking import Visibility
from ..kernels.softmax import normalize_rows
from ..pde.laplacian import (
    FLOW_COLUMN_TEMPORARIES,
    HeatGraph,
    LaplacianType,
    flow_chunk_bytes,
    graph_bytes,
    heat_flow,
    heat_graph,
)
from ..registry import register

__all__ = ["DiffusionAttention", "DiffusionConfig"]

MAX_T = 1e6
"""Largest diffusion time: the flow's cost grows like ``√t``; by ``t = 1e6`` it has reached
the stationary state of every graph whose spectral gap is above ~1e-5."""
MAX_STEPS = 100_000
"""Most implicit-Euler steps (beyond, the steps equal the exact heat kernel to ~t²/steps)."""


@dataclass(frozen=True)
class DiffusionConfig(AttentionConfig):
    dim: int = spec(positive_int)
    t: float = spec(positive_float, 1.0)
    num_steps: int = spec(positive_int, 10)
    sigma: float = spec(positive_float, 1.0)
    use_knn: bool = spec(boolean, True)
    k: int = spec(positive_int, 16)
    laplacian: str = spec(enum_value(LaplacianType), "symmetric_normalized")

    def validate(self) -> None:
        if self.t > MAX_T:
            reason = f"t must be at most {MAX_T:g} (the flow is stationary by then), got {self.t!r}"
            raise InvalidConfigError(reason, reason=reason)
        if self.num_steps > MAX_STEPS:
            reason = f"num_steps must be at most {MAX_STEPS}, got {self.num_steps!r}"
            raise InvalidConfigError(reason, reason=reason)


@register("diffusion")
class DiffusionAttention(Attention):
    r"""``w = softmax(q·k/√d)`` diffused for time ``t`` on the keys' similarity graph:

    .. math:: \frac{dw}{dt} = -w L,\qquad w_{s+1} (I + Δ L) = w_s,\; Δ = t / \text{num\_steps}

    (implicit Euler; ``L`` from :class:`~ruvector_attention.GraphLaplacian` with a Gaussian
    kernel of width ``sigma``, kNN-sparsified when ``use_knn``). The result is renormalised
    and masked keys are set back to 0. As ``t → 0`` the weights approach the softmax.

    The propagator ``(I + Δ L)^-num_steps`` is never formed: its action on the score rows is
    computed on the graph (``n·k`` entries with kNN; see :func:`~ruvector_attention.pde.
    laplacian.heat_flow`), so a key set costs an exact kNN search (``O(n²·d)`` time in row
    blocks, ``O(n·k)`` memory, cached for the last key set) and each query row
    ``O(n·k·terms)``. ``use_knn=False`` is the complete graph, held as an ``n x n`` array
    whose size is checked against ``ra.MAX_WORK_BYTES`` first.
    """

    Config = DiffusionConfig
    config: DiffusionConfig
    complexity = "O(n·k·steps) per query, O(n^2·d) kNN per key set"

    def _setup(self) -> None:
        self._cache = KeySetCache()  # the HeatGraph of the last key set

    @property
    def _k(self) -> int | None:
        return self.config.k if self.config.use_knn else None

    def _row_bytes(self, n: int, dv: int) -> int:
        # the flow's vectors, plus the softmax (float32 and float64), result and mask rows
        return 8 * ((FLOW_COLUMN_TEMPORARIES + 4) * n + dv)

    def _block_size(self, m: int, n: int, dv: int) -> int:
        """Query rows per block so that the key set's graph and a block's temporaries fit
        ``ra.MAX_WORK_BYTES`` together (the graph's size is known before it is built)."""
        building, kept = graph_bytes(n, self.dim, self._k)
        what = f"diffusion over {n} keys (k={self._k})"
        limits.check_bytes(building, f"the kernel graph of {what}")
        row = self._row_bytes(n, dv)
        fixed = kept + flow_chunk_bytes(limits.MAX_WORK_BYTES - kept)
        limits.check_bytes(fixed + row, f"the kernel graph and one query row of {what}")
        return max(1, min(m, (limits.MAX_WORK_BYTES - fixed) // row))

    def _graph(self, keys: np.ndarray) -> HeatGraph:
        cfg = self.config
        kind = LaplacianType(cfg.laplacian)
        return self._cache.get(keys, lambda k: heat_graph(k, cfg.sigma, self._k, kind))

    def _diffuse(self, queries: np.ndarray, keys: np.ndarray, vis: Visibility, t: float) -> np.ndarray:
        graph = self._graph(keys)
        mask = vis.dense()
        w = dot_softmax(queries, keys, 1.0 / math.sqrt(self.dim), mask)
        steps = self.config.num_steps
        diffused = heat_flow(graph, w, t / steps, steps)
        if mask is not None:
            diffused *= mask
        # rows scaled to max 1 before summing, so a sum is never too small to invert
        peak = diffused.max(axis=1, keepdims=True)
        np.divide(diffused, peak, out=diffused, where=peak > 0)
        return normalize_rows(diffused).astype(np.float32)

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        return self._diffuse(queries, keys, ctx.vis, self.config.t)

    def compute_multiscale(self, query: Any, keys: Any, num_scales: int) -> np.ndarray:
        """Weights ``(num_scales, n)`` at ``t`` geometrically spaced from ``t / 2^(S-1)`` to ``t``."""
        q, k, _, ctx = self._context(query, keys, None, None, single=True)
        num_scales = check.positive_int("num_scales", num_scales)
        limits.check_scores(num_scales, k.shape[0])
        scales = np.geomspace(self.config.t / 2.0 ** (num_scales - 1), self.config.t, num_scales)
        return np.stack([self._diffuse(q, k, ctx.vis, float(t))[0] for t in scales])

    def compute_diffusion(self, query: Any, keys: Any, values: Any, mask: Any = None) -> np.ndarray:
        """Alias of :meth:`compute`."""
        return self.compute(query, keys, values, mask)
