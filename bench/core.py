"""Core benchmark: ours vs torch SDPA / nn.MultiheadAttention vs plain NumPy, one process.
The graph/MoE rows have no peer; the theory rows give their ratio to our scaled_dot.

    python bench/core.py [--repeat 20] [--json]

Prints the median ms of each implementation per workload and its ratio to torch
(lower is better), plus the peak extra memory of flash attention at 100k keys.
dim 128, float32 throughout. Needs the test dependencies (torch==2.13.0).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

import ruvector_attention as ra
from ruvector_attention.registry import resolve

DIM = 128


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)


def numpy_sdpa(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    s = q @ np.swapaxes(k, -1, -2) / np.float32(np.sqrt(q.shape[-1]))
    s = np.exp(s - s.max(axis=-1, keepdims=True))
    return (s / s.sum(axis=-1, keepdims=True)) @ v


def numpy_mha(q, k, v, p, heads):
    m, d = q.shape
    split = lambda x: x.reshape(x.shape[0], heads, d // heads).transpose(1, 0, 2)
    qh, kh, vh = split(q @ p["w_q"] + p["b_q"]), split(k @ p["w_k"] + p["b_k"]), split(v @ p["w_v"] + p["b_v"])
    out = numpy_sdpa(qh, kh, vh).transpose(1, 0, 2).reshape(m, d)
    return out @ p["w_o"] + p["b_o"]


def data(m: int, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(s, dtype=np.float32) for s in [(m, DIM), (n, DIM), (n, DIM)])


def peak_extra_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def run(repeat: int) -> list[dict[str, Any]]:
    rows = []

    def record(workload: str, impls: dict[str, Callable[[], Any]], **extra: Any) -> None:
        times = {name: median_ms(fn, repeat) for name, fn in impls.items()}
        base = times.get("torch")
        for name, ms in times.items():
            rows.append({"workload": workload, "impl": name, "ms": round(ms, 4),
                         "vs_torch": round(ms / base, 2) if base else None, **extra})

    sdp = ra.ScaledDotProductAttention(DIM)
    for m, n in [(1, 1000), (512, 1000)]:
        q, k, v = data(m, n)
        tq, tk, tv = map(torch.from_numpy, (q, k, v))
        ours = partial(sdp.compute, q[0], k, v) if m == 1 else partial(sdp.compute_batch, q, k, v)
        record(f"scaled_dot {m}x{n}", {
            "ours": ours,
            "torch": partial(F.scaled_dot_product_attention, tq, tk, tv),
            "numpy": partial(numpy_sdpa, q, k, v),
        })

    heads = 8
    mha = ra.MultiHeadAttention(DIM, heads)
    params = mha.parameters()
    torch_mha = torch.nn.MultiheadAttention(DIM, heads, batch_first=True).eval()
    q, k, v = data(512, 1000)
    tq, tk, tv = (torch.from_numpy(x)[None] for x in (q, k, v))

    def torch_forward():
        with torch.no_grad():
            return torch_mha(tq, tk, tv, need_weights=False)

    record("multi_head 8h 512x1000", {
        "ours": lambda: mha.compute_batch(q, k, v),
        "torch": torch_forward,
        "numpy": lambda: numpy_mha(q, k, v, params, heads),
    })

    flash = ra.FlashAttention(DIM, block_size=64)
    q, k, v = data(1, 10_000)
    tq, tk, tv = map(torch.from_numpy, (q, k, v))
    record("flash 1x10000", {
        "ours": lambda: flash.compute_batch(q, k, v),
        "torch": lambda: F.scaled_dot_product_attention(tq, tk, tv),
        "numpy": lambda: numpy_sdpa(q, k, v),
    })

    q, k, v = data(64, 100_000)
    tq, tk, tv = map(torch.from_numpy, (q, k, v))
    memory = {
        "ours": peak_extra_mb(lambda: flash.compute_batch(q, k, v)),
        "numpy": peak_extra_mb(lambda: numpy_sdpa(q, k, v)),
    }
    record("flash 64x100000", {
        "ours": lambda: flash.compute_batch(q, k, v),
        "torch": lambda: F.scaled_dot_product_attention(tq, tk, tv),
        "numpy": lambda: numpy_sdpa(q, k, v),
    })
    for row in rows[-3:]:
        row["peak_extra_mb"] = round(memory[row["impl"]], 2) if row["impl"] in memory else None

    # no peer implements these: ours alone (seed target for the graph: < 5 ms)
    rng = np.random.default_rng(0)
    gat = ra.EdgeFeaturedAttention(DIM, edge_dim=8)
    x = rng.standard_normal((1000, DIM), dtype=np.float32)
    edge_index = rng.integers(0, 1000, size=(2, 10_000))
    edge_attr = rng.standard_normal((10_000, 8), dtype=np.float32)
    record("edge_featured graph 1000 nodes 10000 edges", {"ours": partial(gat.forward_graph, x, edge_index, edge_attr)})
    moe = ra.MoEAttention(DIM, num_experts=4, top_k=2)
    q, k, v = data(1, 1000)
    record("moe 4 experts top-2 1x1000", {"ours": partial(moe.compute, q[0], k, v)})

    # the theories, as a ratio to scaled_dot on the same inputs (column "vs torch" = vs scaled_dot).
    # Mechanisms that cache per key set run warm (the cache filled, as for many queries on one
    # key set) and cold (a fresh instance each call, the cache built inside the timing).
    theories = {
        "sliced_wasserstein": {},
        "centroid_ot": {},
        "mixed_curvature_fused": {},
        "topology_gated": {"stable_threshold": 0.0, "cautious_threshold": 0.0, "freeze_threshold": 0.0},
        "information_bottleneck": {},
        "diffusion": {},
    }
    cached = {"sliced_wasserstein", "centroid_ot", "mixed_curvature_fused", "diffusion"}
    for m in (1, 512):
        q, k, v = data(m, 1000)
        base = median_ms(partial(sdp.compute_batch, q, k, v), repeat)
        for name, overrides in theories.items():
            make = partial(resolve(name).for_dim, DIM, **overrides)
            attn = make()
            runs = {"": partial(attn.compute_batch, q, k, v)}
            if name in cached:
                runs = {" warm": runs[""], " cold": lambda make=make, q=q, k=k, v=v: make().compute_batch(q, k, v)}
            for label, fn in runs.items():
                ms = median_ms(fn, max(3, repeat // 4))
                rows.append({"workload": f"{name}{label} {m}x1000", "impl": "ours", "ms": round(ms, 4),
                             "vs_torch": round(ms / base, 2)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = run(args.repeat)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"Python {platform.python_version()}, median of {args.repeat}")
    print(f"{'workload':<44} {'impl':<6} {'ms':>10} {'vs torch':>9} {'peak MB':>8}")
    for row in rows:
        mem = "" if row.get("peak_extra_mb") is None else f"{row['peak_extra_mb']:.1f}"
        ratio = "" if row["vs_torch"] is None else f"{row['vs_torch']:.2f}x"
        print(f"{row['workload']:<44} {row['impl']:<6} {row['ms']:>10.3f} {ratio:>9} {mem:>8}")


if __name__ == "__main__":
    main()
