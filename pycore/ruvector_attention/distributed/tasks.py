"""What the workers run. Every function here takes plain data (arrays, numbers and the
mechanism as the bytes of its saved ``.npz``) and imports nothing but this package, so a
worker needs only the wheel; none of them imports dask.

A mechanism travels as :class:`Shipped`: the file ``attn.save`` writes (config as JSON,
parameters as arrays, no pickle), its digest and the client's ``ra.MAX_*`` limits. Each
worker process rebuilds it once (``ra.load``) and keeps it, keyed by the digest.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from .. import _validation as check
from .. import limits
from ..base import Attention
from ..kernels import partials
from ..kernels.dot import dot_scores
from ..kernels.masking import Visibility
from ..kernels.numeric import to_float32
from ..registry import load
from .plans import PLANS, KeyPlan

__all__ = ["Shipped", "Tile", "ship", "client_limits", "mechanism", "rows", "key_partial", "merge", "output", "key_weights"]

_BUILT: dict[str, Attention] = {}
_KEEP = 8
"""Mechanisms a worker keeps rebuilt (the most recent ones)."""


class Shipped(NamedTuple):
    """A mechanism as it travels to the workers."""

    digest: str
    data: bytes
    limits: tuple[int, int, int]


def ship(attn: Attention) -> Shipped:
    """``attn`` as its saved file, with the client's ``MAX_KEYS``, ``MAX_WORK_BYTES``, ``MAX_SCORES``."""
    buffer = io.BytesIO()
    attn.save(buffer)
    data = buffer.getvalue()
    return Shipped(hashlib.sha256(data).hexdigest(), data, (limits.MAX_KEYS, limits.MAX_WORK_BYTES, limits.MAX_SCORES))


@contextmanager
def client_limits(shipped: Shipped) -> Iterator[None]:
    """The client's ``ra.MAX_*`` in force while a task runs, then this process's own again."""
    own = limits.MAX_KEYS, limits.MAX_WORK_BYTES, limits.MAX_SCORES
    limits.MAX_KEYS, limits.MAX_WORK_BYTES, limits.MAX_SCORES = shipped.limits
    try:
        yield
    finally:
        limits.MAX_KEYS, limits.MAX_WORK_BYTES, limits.MAX_SCORES = own


def mechanism(shipped: Shipped) -> Attention:
    """The shipped mechanism, rebuilt once per process (under the client's limits)."""
    attn = _BUILT.get(shipped.digest)
    if attn is None:
        with client_limits(shipped):
            attn = load(io.BytesIO(shipped.data))
        if len(_BUILT) >= _KEEP:
            del _BUILT[next(iter(_BUILT))]
        _BUILT[shipped.digest] = attn
    return attn


# ---------------------------------------------------------------------- query-row sharding


def rows(
    shipped: Shipped,
    method: str,
    queries: np.ndarray,
    keys: np.ndarray,
    values: np.ndarray | None,
    mask: np.ndarray | None,
    causal: bool | None,
    offset: int,
    total: int,
) -> np.ndarray:
    """Rows ``offset..`` of a batch of ``total`` through the public API (``rows=``)."""
    attn = mechanism(shipped)
    with client_limits(shipped):
        if method == "compute":
            return attn.compute_batch(queries, keys, values, mask, causal=causal, rows=(offset, total))
        return attn.weights_batch(queries, keys, mask, causal=causal, rows=(offset, total))


# ---------------------------------------------------------------------- key sharding


class Tile(NamedTuple):
    """Where a tile of queries x keys sits: query rows ``offset..`` of ``total``, key columns
    ``start..`` of ``n``, and whether causal order applies."""

    offset: int
    total: int
    start: int
    n: int
    causal: bool


def _scores(
    plan: KeyPlan, queries: np.ndarray, keys: np.ndarray, mask: np.ndarray | None, tile: Tile
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-head scores ``(H, rows, keys)`` of one tile and its visibility (mask, causal
    order at global positions, the mechanism's window; None when all visible)."""
    attn = plan.attn
    q = check.as_matrix(queries, "queries", cols=attn.dim)
    k = check.as_matrix(keys, "keys", cols=attn.dim)
    m, c = q.shape[0], k.shape[0]
    positions = np.arange(tile.offset, tile.offset + m)
    causal = Visibility(m, tile.n, None, tile.causal, positions, tile.total).block(tile.start, tile.start + c)
    pattern = None
    for part in (check.as_mask(mask, m, c, single=False), causal, plan.window(positions, tile.start, tile.start + c)):
        if part is not None:
            pattern = part if pattern is None else pattern & part
    return dot_scores(plan.heads(q, "q"), plan.heads(k, "k"), plan.scale), pattern


def _plan(shipped: Shipped) -> KeyPlan:
    attn = mechanism(shipped)
    return PLANS[attn.name](attn)


def key_partial(
    shipped: Shipped,
    queries: np.ndarray,
    keys: np.ndarray,
    values: np.ndarray | None,
    mask: np.ndarray | None,
    tile: Tile,
) -> partials.Partial:
    """The softmax partial of one tile (statistics only when ``values`` is None)."""
    plan = _plan(shipped)
    scores, pattern = _scores(plan, queries, keys, mask, tile)
    heads = None
    if values is not None:
        v = check.as_values(values, count=scores.shape[-1], dim=plan.attn.dim if plan.attn.values_match_dim else None)
        heads = plan.heads(v, "v")
    return partials.partial(scores, pattern, heads)


def merge(*parts: partials.Partial) -> partials.Partial:
    """One partial from several (a node of the reduction tree)."""
    return partials.merge(parts)


def output(shipped: Shipped, merged: partials.Partial) -> np.ndarray:
    """The float32 output rows from the merged partial of every key chunk."""
    blind = merged.total[0, :, 0] == 0
    return to_float32(_plan(shipped).output(partials.finish(merged), blind))


def key_weights(
    shipped: Shipped, queries: np.ndarray, keys: np.ndarray, mask: np.ndarray | None, tile: Tile, stats: partials.Partial
) -> np.ndarray:
    """The float32 weights of one tile (mean over heads), given the rows' merged statistics."""
    scores, pattern = _scores(_plan(shipped), queries, keys, mask, tile)
    return to_float32(partials.weights(scores, pattern, stats).mean(axis=0))
