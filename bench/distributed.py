"""ruvector_attention.distributed on a LocalCluster: 1 vs 2 worker processes, and a key set
larger than one worker's memory limit.

    python bench/distributed.py [--queries 10000] [--keys 200000] [--dim 64]
                                [--big-keys 3000000] [--big-queries 500] [--memory-limit 600MB]

Run A: scaled_dot over ``queries x keys`` (NumPy inputs, key sharding), once on one worker
and once on two (one thread each, OPENBLAS_NUM_THREADS=1): wall time, each worker's peak
RSS and CPU seconds (how the work split, whatever else runs on the machine) and the
scaling ratio; the first 64 output rows are checked against the in-process
library call. Run B: ``big-keys`` keys generated chunk by chunk on the workers (a dask
array; no worker ever holds them all) under a ``memory-limit`` smaller than the key set,
on one worker and on two; its first 8 rows are checked against a float64 formula over
all keys, computed here chunk by chunk. Needs the ``[dask]`` extra.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# this file's name would shadow the `distributed` package: drop its folder from the path
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import dask.array as da  # noqa: E402
import numpy as np  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

import ruvector_attention as ra  # noqa: E402
from ruvector_attention import distributed as rad  # noqa: E402

MB = 1 << 20
# run A's NumPy inputs travel inside the graph, as NumPy inputs do (dask suggests dask arrays)
warnings.filterwarnings("ignore", message="Sending large graph")


def usage() -> tuple[int, float]:
    """This process's peak resident memory in bytes (Linux reports KiB) and CPU seconds."""
    self = resource.getrusage(resource.RUSAGE_SELF)
    return self.ru_maxrss * 1024, self.ru_utime + self.ru_stime


def run(workers: int, memory_limit: str, make: Any) -> dict[str, Any]:
    """Start a fresh cluster, compute ``make()`` on it; seconds, per-worker peak RSS, result."""
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, memory_limit=memory_limit, dashboard_address=":0"
    ) as cluster, Client(cluster) as client:
        lazy = make()
        idle = client.run(usage)
        start = time.perf_counter()
        result = lazy.compute()
        seconds = time.perf_counter() - start
        used = client.run(usage)
    return {
        "workers": workers,
        "seconds": seconds,
        "peaks": [used[w][0] for w in sorted(used)],
        "cpu": [used[w][1] - idle[w][1] for w in sorted(used)],
        "result": result,
        "lazy": lazy,
        "load": os.getloadavg()[0],
    }


def describe(r: dict[str, Any]) -> str:
    """Peak RSS and CPU seconds of each worker."""
    return ", ".join(f"{p / MB:.0f} MB / {c:.1f} s" for p, c in zip(r["peaks"], r["cpu"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--key-chunks", type=int, default=20_000)
    parser.add_argument("--query-chunks", type=int, default=1_000)
    parser.add_argument("--big-keys", type=int, default=3_000_000)
    parser.add_argument("--big-queries", type=int, default=500)
    parser.add_argument("--memory-limit", default="600MB")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    d = args.dim
    attn = ra.ScaledDotProductAttention(d)
    q = rng.standard_normal((args.queries, d), dtype=np.float32)
    k = rng.standard_normal((args.keys, d), dtype=np.float32)
    v = rng.standard_normal((args.keys, d), dtype=np.float32)

    def a() -> da.Array:
        return rad.compute_batch(attn, q, k, v, key_chunks=args.key_chunks, query_chunks=args.query_chunks)

    runs = [run(workers, "4GB", a) for workers in (1, 2)]
    lazy = runs[0]["lazy"]
    print(f"A: scaled_dot, {args.queries:,} queries x {args.keys:,} keys x dim {d}, "
          f"key_chunks={args.key_chunks:,}, query_chunks={args.query_chunks:,}: "
          f"{len(lazy.__dask_graph__()):,} tasks, inputs {(q.nbytes + k.nbytes + v.nbytes) / MB:.0f} MB, memory limit 4GB")
    table(runs, attn.compute_batch(q[:64], k, v))

    n, chunk = args.big_keys, 50_000
    gen = da.random.default_rng(1)
    big_keys = gen.standard_normal((n, d), chunks=(chunk, d), dtype=np.float32)
    big_values = gen.standard_normal((n, d), chunks=(chunk, d), dtype=np.float32)

    def b() -> da.Array:
        return rad.compute_batch(attn, q[: args.big_queries], big_keys, big_values, key_chunks=chunk)

    runs = [run(workers, args.memory_limit, b) for workers in (1, 2)]
    print(f"\nB: {args.big_queries:,} queries x {n:,} keys x dim {d} (keys {n * d * 4 / MB:.0f} MB + values "
          f"{n * d * 4 / MB:.0f} MB, made chunk by chunk on the workers), memory limit {args.memory_limit} per worker")
    table(runs, float64_rows(q[:8], big_keys, big_values, attn.config.score_scale))


def table(runs: list[dict[str, Any]], exact: np.ndarray) -> None:
    """One line per run: wall time, each worker's peak RSS and CPU seconds, the largest
    difference of the first ``len(exact)`` output rows from ``exact``; then the scaling."""
    print(f"{'workers':>8} {'seconds':>9} {'per worker: peak RSS / CPU':>36} {'max |out - exact|':>18} {'load avg':>9}")
    for r in runs:
        error = float(np.abs(r["result"][: len(exact)] - exact).max())
        print(f"{r['workers']:>8} {r['seconds']:>9.1f} {describe(r):>36} {error:>18.2e} {r['load']:>9.1f}")
    print(f"scaling 1 -> 2 workers: {runs[0]['seconds'] / runs[1]['seconds']:.2f}x wall time (ideal 2.00x; "
          f"the machine's other load shares its cores)")


def float64_rows(queries: np.ndarray, keys: da.Array, values: da.Array, scale: float) -> np.ndarray:
    """``softmax(scale · q kᵀ) v`` in float64, all keys at once (an oracle independent of the
    library), with the key and value chunks made here one at a time."""
    q = queries.astype(np.float64)
    blocks = range(keys.numblocks[0])
    scores = np.concatenate([q @ keys.blocks[i].compute(scheduler="sync").astype(np.float64).T for i in blocks], axis=1)
    weights = np.exp(scale * scores - (scale * scores).max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    edges = np.cumsum([0, *keys.chunks[0]])
    return sum(weights[:, edges[i] : edges[i + 1]] @ values.blocks[i].compute(scheduler="sync").astype(np.float64) for i in blocks)

if __name__ == "__main__":
    main()
