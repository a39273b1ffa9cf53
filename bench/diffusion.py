"""Diffusion attention before and after the sparse heat flow (issue 11, item 3), CPython.

    python bench/diffusion.py [--keys 2000 20000 100000] [--queries 1 64] [--dim 16]
                              [--before-max 4000] [--json]

"before" is the former algorithm, written out below exactly as it was (dense Gaussian
kernel, dense Laplacian, ``inv(I + ΔL)`` and a matrix power: O(n³) time, several n x n
float64 arrays); it runs only up to ``--before-max`` keys (20,000 keys would need 3.2 GB per
n x n array). "after" is ``ra.DiffusionAttention`` as shipped: "cold" includes the kNN graph
of a new key set, "warm" reuses it (same keys again, other queries). Peak memory is the
tracemalloc peak of the cold call beyond its inputs, in a separate run (``bench/diffusion.mjs
--before`` runs ``before_weights`` below inside Pyodide). Default config:
``t=1, num_steps=10, sigma=1, k=16, symmetric_normalized``; keys and queries standard normal.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np


def _old_gaussian_kernel(keys: np.ndarray, sigma: float, k: int | None) -> np.ndarray:
    x = keys.astype(np.float64)
    dist2 = np.maximum((x * x).sum(1)[:, None] + (x * x).sum(1)[None, :] - 2.0 * x @ x.T, 0.0)
    w = np.exp(-dist2 / (2 * sigma**2))
    np.fill_diagonal(w, 0.0)
    if k is not None and k < len(x) - 1:
        ranked = np.where(np.eye(len(dist2), dtype=bool), np.inf, dist2)
        nearest = np.argsort(ranked, axis=1, kind="stable")[:, :k]
        keep = np.zeros_like(w, dtype=bool)
        np.put_along_axis(keep, nearest, True, axis=1)
        w = np.where(keep | keep.T, w, 0.0)
    return w


def _old_symmetric_laplacian(w: np.ndarray) -> np.ndarray:
    degree = w.sum(axis=1)
    connected = degree > 0
    inv_sqrt = np.where(connected, 1 / np.sqrt(np.where(connected, degree, 1)), 0.0)
    return np.diag(connected.astype(float)) - inv_sqrt[:, None] * w * inv_sqrt[None, :]


def _old_propagator(keys: np.ndarray, t: float, steps: int, sigma: float, k: int) -> np.ndarray:
    lap = _old_symmetric_laplacian(_old_gaussian_kernel(keys, sigma, k))
    step = np.linalg.inv(np.eye(len(keys)) + (t / steps) * lap)
    return np.linalg.matrix_power(step, steps)


def before_weights(queries: np.ndarray, keys: np.ndarray, t: float = 1.0, steps: int = 10, sigma: float = 1.0, k: int = 16) -> np.ndarray:
    """The former DiffusionAttention.weights_batch (symmetric_normalized, kNN), function by
    function as it was (so temporaries live as long as they did)."""
    s = queries.astype(np.float32) @ keys.T.astype(np.float32) / np.float32(math.sqrt(keys.shape[1]))
    e = np.exp(s - s.max(axis=1, keepdims=True))
    soft = (e / e.sum(axis=1, keepdims=True)).astype(np.float64)
    diffused = np.maximum(soft @ _old_propagator(keys, t, steps, sigma, k), 0.0)
    return (diffused / diffused.sum(axis=1, keepdims=True)).astype(np.float32)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def peak_mib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        out = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - getattr(out, "nbytes", 0)) / 2**20


def run(n: int, m: int, dim: int, before_max: int, seed: int = 0) -> dict[str, Any]:
    import ruvector_attention as ra  # here, so that bench/diffusion.mjs --before can load this file without it

    rng = np.random.default_rng(seed)
    keys = rng.standard_normal((n, dim), dtype=np.float32)
    queries = rng.standard_normal((m, dim), dtype=np.float32)
    others = rng.standard_normal((m, dim), dtype=np.float32)
    row: dict[str, Any] = {"keys": n, "queries": m}
    attn = ra.DiffusionAttention(dim)
    after, row["after_cold_s"] = timed(lambda: attn.weights_batch(queries, keys))
    _, row["after_warm_s"] = timed(lambda: attn.weights_batch(others, keys))
    row["after_peak_mib"] = peak_mib(lambda: ra.DiffusionAttention(dim).weights_batch(queries, keys))
    if n <= before_max:
        before, row["before_s"] = timed(lambda: before_weights(queries, keys))
        row["before_peak_mib"] = peak_mib(lambda: before_weights(queries, keys))
        row["max_abs_diff"] = float(np.abs(after - before).max())
        row["max_rel_diff"] = float((np.abs(after - before) / np.maximum(before, 1e-30)).max())
    else:
        row["before_s"] = row["before_peak_mib"] = None
        row["before_note"] = f"not run: each of its n x n float64 arrays is {8 * n * n / 2**30:.1f} GiB"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, nargs="+", default=[2000, 20000, 100000])
    parser.add_argument("--queries", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--before-max", type=int, default=4000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    print(f"# {platform.python_implementation()} {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, dim {args.dim}")
    print(f"{'keys':>7} {'queries':>7} | {'before s':>9} {'MiB':>7} | {'after cold s':>12} {'warm s':>7} {'MiB':>7} | max |diff|")
    for n in args.keys:
        for m in args.queries:
            row = run(n, m, args.dim, args.before_max)
            rows.append(row)
            before = "—" if row["before_s"] is None else f"{row['before_s']:9.2f} {row['before_peak_mib']:7.0f}"
            diff = row.get("max_abs_diff")
            print(f"{n:>7} {m:>7} | {before:>17} | {row['after_cold_s']:12.2f} {row['after_warm_s']:7.2f} "
                  f"{row['after_peak_mib']:7.1f} | {'' if diff is None else f'{diff:.1e}'}", flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
