"""Exact attention on a Dask cluster: query sets and key sets larger than one machine (API.md §7).

Needs the optional extra: ``pip install "ruvector-attention-py[dask]"`` (dask and
distributed); the rest of the package never imports them.

>>> import numpy as np, ruvector_attention as ra
>>> from ruvector_attention import distributed as rad
>>> rng = np.random.default_rng(0)
>>> q, k, v = rng.normal(size=(6, 4)), rng.normal(size=(50, 4)), rng.normal(size=(50, 2))
>>> attn = ra.create("scaled_dot", dim=4)
>>> out = rad.compute_batch(attn, q, k, v, causal=True, key_chunks=16, query_chunks=4)
>>> out.shape, out.dtype                     # lazy: nothing has run yet
((6, 2), dtype('float32'))
>>> bool(np.allclose(out.compute(), attn.compute_batch(q, k, v, causal=True), atol=1e-5))
True
"""

from __future__ import annotations


class DaskNotInstalledError(ModuleNotFoundError):
    """``ruvector_attention.distributed`` was imported without the ``[dask]`` extra."""


try:
    import dask.array  # noqa: F401
    import distributed  # noqa: F401
except ImportError as missing:
    raise DaskNotInstalledError(
        f"ruvector_attention.distributed needs dask and distributed ({missing}): "
        'pip install "ruvector-attention-py[dask]"',
        name=missing.name,
    ) from missing

from .api import KEY_SHARDED, QUERY_CHUNK, compute_batch, weights_batch  # noqa: E402

__all__ = ["KEY_SHARDED", "QUERY_CHUNK", "DaskNotInstalledError", "compute_batch", "weights_batch"]
