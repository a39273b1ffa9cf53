"""Command line: ``python -m ruvector_attention info|compare|bench|visualize``."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from . import __version__
from .base import Attention
from .errors import AttentionError
from .kernels.softmax import entropy
from .registry import mechanisms, resolve
from .viz import explore, heatmap, token_vectors

__all__ = ["main"]


def _instance(name: str, dim: int, seed: int) -> Attention:
    cls = resolve(name)
    overrides = {"seed": seed} if "seed" in cls.Config.__dataclass_fields__ else {}
    return cls.for_dim(dim, **overrides)


def _inputs(dim: int, queries: int, keys: int, value_dim: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((queries, dim), dtype=np.float32) / np.float32(np.sqrt(dim))
    k = rng.standard_normal((keys, dim), dtype=np.float32) / np.float32(np.sqrt(dim))
    v = rng.standard_normal((keys, value_dim), dtype=np.float32)
    return q, k, v


def time_call(fn: Any, iterations: int, warmup: int = 2) -> list[float]:
    """Milliseconds of each of ``iterations`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return times


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    cells = [[str(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)


def cmd_info(args: argparse.Namespace) -> int:
    print(f"ruvector_attention {__version__} (numpy {np.__version__}, Python {platform.python_version()})")
    rows = [
        {"mechanism": name, "class": resolve(name).__name__, "complexity": resolve(name).complexity,
         "backward": "yes" if resolve(name).differentiable else "-"}
        for name in mechanisms()
    ]
    print(_table(rows, ["mechanism", "class", "complexity", "backward"]))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    rows = []
    for name in mechanisms():
        attn = _instance(name, args.dim, args.seed)
        value_dim = attn.dim if attn.values_match_dim else args.dim
        q, k, v = _inputs(attn.dim, args.queries, args.keys, value_dim, args.seed)
        out = attn.compute_batch(q, k, v)
        w = attn.weights_batch(q, k)
        ms = float(np.median(time_call(partial(attn.compute_batch, q, k, v), args.iterations)))
        rows.append({
            "mechanism": name, "complexity": attn.complexity, "ms": f"{ms:.3f}",
            "|out|": f"{np.linalg.norm(out) / np.sqrt(len(out)):.4f}",
            "entropy": f"{entropy(w).mean():.3f}", "max w": f"{w.max():.3f}",
        })
    print(f"{args.queries} queries x {args.keys} keys, dim {args.dim}, seed {args.seed}")
    print(_table(rows, ["mechanism", "complexity", "ms", "|out|", "entropy", "max w"]))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    names = mechanisms() if args.mechanism == ["all"] else args.mechanism
    rows = []
    for name in names:
        attn = _instance(name, args.dim, args.seed)
        q, k, v = _inputs(attn.dim, args.queries, args.keys, attn.dim, args.seed)
        times = time_call(partial(attn.compute_batch, q, k, v), args.iterations)
        rows.append({
            "mechanism": resolve(name).name, "queries": args.queries, "keys": args.keys, "dim": attn.dim,
            "median_ms": round(float(np.median(times)), 4), "p90_ms": round(float(np.percentile(times, 90)), 4),
            "iterations": args.iterations,
        })
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(_table(rows, ["mechanism", "queries", "keys", "dim", "median_ms", "p90_ms", "iterations"]))
    return 0


def cmd_visualize(args: argparse.Namespace) -> int:
    """``.svg``: the heatmap alone; otherwise the interactive explorer as one offline HTML file."""
    tokens = args.tokens.split()
    attn = _instance(args.mechanism, args.dim, args.seed)
    if args.out.lower().endswith(".svg"):
        x = token_vectors(tokens, attn.dim, seed=args.seed)
        weights = attn.head_weights_batch(x, x, causal=args.causal)
        heatmap(weights, tokens, tokens, title=f"{attn.name} · {len(tokens)} tokens · {attn.complexity}").save(args.out)
    else:
        other = _instance(args.compare, attn.dim, args.seed) if args.compare else None
        page = explore(attn, tokens=tokens, causal=args.causal, seed=args.seed, compare=other)
        page.save(args.out)
        weights = page.weights[-1]
    print(f"wrote {args.out} ({weights.shape[0]} head(s), {len(tokens)}x{len(tokens)})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ruvector_attention", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("info", help="version and registered mechanisms").set_defaults(run=cmd_info)

    compare = sub.add_parser("compare", help="run every mechanism on one input and tabulate")
    compare.add_argument("--dim", type=int, default=32)
    compare.add_argument("--queries", type=int, default=8)
    compare.add_argument("--keys", type=int, default=64)
    compare.add_argument("--iterations", type=int, default=5)
    compare.add_argument("--seed", type=int, default=0)
    compare.set_defaults(run=cmd_compare)

    bench = sub.add_parser("bench", help="time compute_batch of one or more mechanisms")
    bench.add_argument("--mechanism", nargs="+", default=["scaled_dot"], help="names, or 'all'")
    bench.add_argument("--keys", type=int, default=1000)
    bench.add_argument("--queries", type=int, default=1)
    bench.add_argument("--dim", type=int, default=128)
    bench.add_argument("--iterations", type=int, default=50)
    bench.add_argument("--seed", type=int, default=0)
    bench.add_argument("--json", action="store_true", help="print JSON instead of a table")
    bench.set_defaults(run=cmd_bench)

    viz = sub.add_parser("visualize", help="write the interactive explorer (.html) or a heatmap (.svg)")
    viz.add_argument("--mechanism", default="multi_head")
    viz.add_argument("--tokens", default="the quick brown fox jumps over the lazy dog")
    viz.add_argument("--dim", type=int, default=32)
    viz.add_argument("--seed", type=int, default=0)
    viz.add_argument("--causal", action="store_true")
    viz.add_argument("--compare", help="a second mechanism for the explorer's compare tab (.html)")
    viz.add_argument("--out", default="weights.html")
    viz.set_defaults(run=cmd_visualize)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except AttentionError as err:
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 2
