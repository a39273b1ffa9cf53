"""``compute_batch`` and ``weights_batch`` as lazy dask arrays (API.md §7).

Every check on the caller's input runs here, on the client, before a graph exists: NumPy
inputs are validated in full by the library's ``_validation``; dask inputs by their
shape and dtype (their values are checked by the tasks that read them, with the same
typed errors). Then one of two graphs is built:

- **query-row sharding** (every row-independent mechanism): one task per block of query
  rows calls the public ``attn.compute_batch(..., rows=(offset, m))`` on all keys, so causal
  order and position-aware mechanisms see global row positions. A mechanism whose rows are
  coupled (``splittable = False``, e.g. moe's expert capacity) runs as one task.
- **key sharding** (``key_chunks=``, for :data:`KEY_SHARDED`): one task per (query block,
  key chunk) returns softmax partials, a tree of merges per query block combines them with
  the log-sum-exp rule (:mod:`.partials`), and no task ever holds more than one key chunk.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dask
import dask.array as da
import numpy as np
from dask.base import is_dask_collection

from .. import _validation as check
from .. import limits
from ..base import Attention
from ..errors import DimensionMismatchError, InvalidConfigError, InvalidInputError
from ..registry import resolve
from . import tasks
from .plans import PLANS

__all__ = ["KEY_SHARDED", "QUERY_CHUNK", "compute_batch", "weights_batch"]

KEY_SHARDED: tuple[str, ...] = tuple(sorted(PLANS))
"""The mechanisms whose keys ``key_chunks=`` may shard."""
QUERY_CHUNK = 1024
"""Query rows per task when the queries are a NumPy array and ``query_chunks`` is not given."""
_BYTES_PER_SCORE = 32
"""Working bytes per score (per head) of a key-sharded task: the scores, their masked copy
and the pattern, in float64 where float32 scores would overflow, with room to spare."""


def compute_batch(
    attn: Attention,
    queries: Any,
    keys: Any,
    values: Any,
    *,
    mask: Any = None,
    causal: bool | None = None,
    key_chunks: int | None = None,
    query_chunks: int | None = None,
    split_every: int = 8,
) -> da.Array:
    """``attn.compute_batch(queries, keys, values, mask, causal=causal)`` as a lazy float32
    dask array ``(m, dv)``, computed on the current dask scheduler (a ``Client``'s cluster).

    ``causal`` None: the mechanism's config decides, as in the library. ``key_chunks``: keys
    per task (key sharding, :data:`KEY_SHARDED` only). ``query_chunks``: query rows per
    task (default: a dask array's own row chunks, else :data:`QUERY_CHUNK`).
    ``split_every``: partials merged per node of the reduction tree.
    """
    values = check.required(values, "values")
    call = _Call.of(attn, queries, keys, values, mask, causal, key_chunks, query_chunks, split_every)
    return call.key_sharded("compute") if call.key_chunks else call.row_sharded("compute")


def weights_batch(
    attn: Attention,
    queries: Any,
    keys: Any,
    *,
    mask: Any = None,
    causal: bool | None = None,
    key_chunks: int | None = None,
    query_chunks: int | None = None,
    split_every: int = 8,
) -> da.Array:
    """``attn.weights_batch(queries, keys, mask, causal=causal)`` as a lazy float32 dask
    array ``(m, n)``; options as in :func:`compute_batch`. With ``key_chunks`` the rows'
    softmax statistics are reduced first, then each tile of weights is computed from them."""
    call = _Call.of(attn, queries, keys, None, mask, causal, key_chunks, query_chunks, split_every)
    return call.key_sharded("weights") if call.key_chunks else call.row_sharded("weights")


# ---------------------------------------------------------------------- validation


def _mechanism(attn: Any) -> Attention:
    """A registry mechanism that can travel as config + parameters and run anywhere."""
    if not isinstance(attn, Attention):
        raise InvalidInputError(f"attn must be a ruvector_attention mechanism, got {type(attn).__name__}")
    name = type(attn).__name__
    if not attn.name or resolve(attn.name) is not type(attn):
        raise InvalidConfigError(f"{name} is not a registry mechanism: only those travel to workers (as config + parameters)")
    if attn.stateful:
        raise InvalidConfigError(f"{attn.name} is stateful (its calls change the instance): it cannot be distributed")
    if attn.training:
        raise InvalidConfigError(f"{attn.name} is in training mode; workers run mechanisms in eval mode: call attn.eval() first")
    if getattr(attn, "fixed_heads", None) is not None:
        raise InvalidConfigError(f"{attn.name}.set_active_heads is not part of its config and does not travel: reset it to None")
    return attn


def _proxy(x: Any) -> np.ndarray:
    """A tiny NumPy array with a dask array's dtype, rank and last axis, on which the
    library's shape and dtype checks run (its values are checked by the tasks)."""
    if any(math.isnan(s) for s in x.shape):
        raise InvalidInputError("dask inputs need known chunk sizes: call .compute_chunk_sizes() first")
    shape = [min(s, 1) for s in x.shape[:-1]] + list(x.shape[-1:])
    return np.zeros(shape, dtype=x.dtype if x.dtype.kind != "O" else np.float64)


def _matrix(x: Any, name: str, cols: int | None) -> tuple[Any, tuple[int, int]]:
    """A validated ``(rows, cols)`` matrix (NumPy, converted) or dask array (checked by
    shape and dtype), with its shape."""
    if is_dask_collection(x):
        check.as_matrix(_proxy(x), name, cols=cols)
        return x, tuple(x.shape)
    arr = check.as_matrix(x, name, cols=cols)
    return arr, arr.shape


def _mask(mask: Any, m: int, n: int) -> Any:
    """The attend-mask, ``(m, n)`` or ``(n,)``, checked as the library checks it."""
    if mask is None or not is_dask_collection(mask):
        arr = check.as_mask(mask, m, n, single=False)
        return arr[0] if arr is not None and np.ndim(mask) == 1 else arr  # (n,) stays (n,)
    kind = mask.dtype.kind
    proxy = np.broadcast_to(np.zeros((), dtype=bool if kind in "biuf" else mask.dtype), mask.shape)
    check.as_mask(proxy, m, n, single=False)
    return mask


@dataclass(frozen=True)
class _Call:
    """One validated call: the shipped mechanism and inputs, before any graph."""

    attn: Attention
    queries: Any
    keys: Any
    values: Any
    mask: Any
    causal: bool | None
    key_chunks: int | None
    query_rows: int | tuple[int, ...]
    split_every: int

    @classmethod
    def of(
        cls, attn: Any, queries: Any, keys: Any, values: Any, mask: Any, causal: Any,
        key_chunks: Any, query_chunks: Any, split_every: Any,
    ) -> _Call:
        attn = _mechanism(attn)
        causal = check.flag("causal", causal)
        key_chunks = None if key_chunks is None else check.positive_int("key_chunks", key_chunks)
        query_chunks = None if query_chunks is None else check.positive_int("query_chunks", query_chunks)
        split_every = check.positive_int("split_every", split_every)
        if split_every < 2:
            raise InvalidConfigError(f"split_every must be at least 2, got {split_every}")
        if key_chunks is not None and attn.name not in PLANS:
            raise InvalidConfigError(f"key_chunks shards the keys of {list(KEY_SHARDED)} only, not {attn.name}")
        queries, (m, _) = _matrix(queries, "queries", attn.dim)
        keys, (n, _) = _matrix(keys, "keys", attn.dim)
        if values is not None:
            values, (count, _) = _matrix(values, "values", attn.dim if attn.values_match_dim else None)
            if count != n:
                raise DimensionMismatchError(
                    f"values must have one row per key: expected {n} rows, got {count}", expected=n, actual=count
                )
        limits.check_keys(n if key_chunks is None else min(n, key_chunks))
        mask = _mask(mask, m, n)
        if key_chunks is not None:
            if causal is None:
                causal = getattr(attn.config, "causal", False)
            bytes_per_row = _BYTES_PER_SCORE * attn.num_heads * min(n, key_chunks)
            query_chunks = limits.block_rows(query_chunks or QUERY_CHUNK, bytes_per_row, f"a key chunk of {attn.name}")
        if not attn.splittable:
            query_rows: int | tuple[int, ...] = m
        elif query_chunks is None and is_dask_collection(queries):
            query_rows = queries.chunks[0]
        else:
            query_rows = query_chunks or QUERY_CHUNK
        return cls(attn, queries, keys, values, mask, causal, key_chunks, query_rows, split_every)

    # ------------------------------------------------------------------ graphs

    @staticmethod
    def _chunked(x: Any, chunks: Sequence[Any]) -> da.Array:
        return x.rechunk(tuple(chunks)) if is_dask_collection(x) else da.from_array(x, chunks=tuple(chunks))

    def _blocks(self, key_rows: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None, Any]:
        """Delayed blocks: query row blocks, key (and value) chunks of ``key_rows`` rows,
        mask tiles (one row of tiles for an ``(n,)`` mask), and the query blocks' sizes."""
        q = self._chunked(self.queries, (self.query_rows, -1))
        k = self._chunked(self.keys, (key_rows, -1))
        v = None if self.values is None else self._chunked(self.values, (key_rows, -1)).to_delayed()[:, 0]
        mask = None
        if self.mask is not None:
            if self.mask.ndim == 1:
                mask = self._chunked(self.mask, (key_rows,)).to_delayed()[None, :]
            else:
                mask = self._chunked(self.mask, (self.query_rows, key_rows)).to_delayed()
        return q.to_delayed()[:, 0], k.to_delayed()[:, 0], v, mask, q.chunks[0]

    def _out_cols(self, shipped: tasks.Shipped) -> int:
        """Output columns: the shipped mechanism's result on one zero query and key (a
        rebuilt copy, so the caller's instance sees no call)."""
        probe = np.zeros((1, self.attn.dim), dtype=np.float32)
        values = np.zeros((1, self.values.shape[1]), dtype=np.float32)
        return tasks.mechanism(shipped).compute_batch(probe, probe, values).shape[1]

    def row_sharded(self, method: str) -> da.Array:
        data = tasks.ship(self.attn)
        shipped = dask.delayed(data, pure=True)
        q, k, v, mask, sizes = self._blocks(-1)
        m, n = sum(sizes), self.keys.shape[0]
        cols = n if method == "weights" else self._out_cols(data)
        task = dask.delayed(tasks.rows, pure=True)
        values = None if v is None else v[0]
        parts, offset = [], 0
        for i, size in enumerate(sizes):
            block_mask = None if mask is None else mask[min(i, mask.shape[0] - 1), 0]
            out = task(shipped, method, q[i], k[0], values, block_mask, self.causal, offset, m)
            parts.append(da.from_delayed(out, (size, cols), dtype=np.float32))
            offset += size
        return da.concatenate(parts, axis=0)

    def key_sharded(self, method: str) -> da.Array:
        data = tasks.ship(self.attn)
        shipped = dask.delayed(data, pure=True)
        q, k, v, mask, sizes = self._blocks(self.key_chunks)
        n, m = self.keys.shape[0], sum(sizes)
        key_sizes = [min(self.key_chunks, n - start) for start in range(0, n, self.key_chunks)]
        starts = np.cumsum([0, *key_sizes[:-1]])
        partial = dask.delayed(tasks.key_partial, pure=True)
        cols = self._out_cols(data) if method == "compute" else 0
        grid, offset = [], 0
        for i, size in enumerate(sizes):
            tiles = [tasks.Tile(offset, m, int(start), n, bool(self.causal)) for start in starts]
            masks = [None if mask is None else mask[min(i, mask.shape[0] - 1), j] for j in range(len(starts))]
            values = [None] * len(starts) if v is None else list(v)
            parts = [partial(shipped, q[i], k[j], values[j], masks[j], tile) for j, tile in enumerate(tiles)]
            merged = self._tree(parts)
            if method == "compute":
                out = dask.delayed(tasks.output, pure=True)(shipped, merged)
                grid.append([da.from_delayed(out, (size, cols), dtype=np.float32)])
            else:
                tile_weights = dask.delayed(tasks.key_weights, pure=True)
                grid.append([
                    da.from_delayed(tile_weights(shipped, q[i], k[j], masks[j], tile, merged), (size, key_sizes[j]), dtype=np.float32)
                    for j, tile in enumerate(tiles)
                ])
            offset += size
        return da.block(grid)

    def _tree(self, parts: list[Any]) -> Any:
        """Merge delayed partials in a tree of fan-in ``split_every``."""
        merge = dask.delayed(tasks.merge, pure=True)
        while len(parts) > 1:
            parts = [merge(*parts[i : i + self.split_every]) if i + 1 < len(parts) else parts[i]
                     for i in range(0, len(parts), self.split_every)]
        return parts[0]
