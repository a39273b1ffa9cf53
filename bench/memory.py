"""Peak working memory of ``compute_batch`` per mechanism under ``ra.MAX_WORK_BYTES``
(issue 11's measurement: 4096 queries x 4096 keys, dim 16, a 64 MiB budget), measured with
tracemalloc (NumPy reports its allocations to it), plus how long the constructors with huge
sizes take to refuse.

    python bench/memory.py [--queries 4096] [--keys 4096] [--dim 16] [--budget-mib 64]
                           [--json] [names ...]

"extra" is the tracemalloc peak minus the returned array (inputs are allocated before
tracing starts); "ok" means extra <= budget.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.conftest.build

import ruvector_attention as ra  # noqa: E402
from tests.conftest import build, value_dim  # noqa: E402

MIB = 1 << 20

HUGE_CONSTRUCTORS = {
    "LinearAttention(8, num_features=10**9)": lambda: ra.LinearAttention(8, num_features=10**9),
    'create("moe", dim=8, num_experts=10**9)': lambda: ra.create("moe", dim=8, num_experts=10**9),
    "MultiHeadAttention(10**6, 1)": lambda: ra.MultiHeadAttention(10**6, 1),
    'create("edge_featured", dim=8, edge_dim=10**9)': lambda: ra.create("edge_featured", dim=8, edge_dim=10**9),
    'create("dual_space", dim=10**6)': lambda: ra.create("dual_space", dim=10**6),
    'create("sliced_wasserstein", dim=8, num_projections=10**9)': lambda: ra.create(
        "sliced_wasserstein", dim=8, num_projections=10**9
    ),
    'create("mixed_curvature_fused", 4, 2, 2, num_heads=10**9)': lambda: ra.create(
        "mixed_curvature_fused", euclidean_dim=4, hyperbolic_dim=2, spherical_dim=2, num_heads=10**9
    ),
}


def measure(name: str, m: int, n: int, dim: int) -> dict[str, Any]:
    attn = build(name, dim)
    rng = np.random.default_rng(0)
    q = rng.standard_normal((m, dim), dtype=np.float32)
    k = rng.standard_normal((n, dim), dtype=np.float32)
    v = rng.standard_normal((n, value_dim(attn)), dtype=np.float32)
    tracemalloc.start()
    start = time.perf_counter()
    error = ""
    try:
        out = attn.compute_batch(q, k, v)
        returned = out.nbytes
    except Exception as err:  # noqa: BLE001 - reported
        error, returned = f"{type(err).__name__}: {err}", 0
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"name": name, "seconds": seconds, "extra_bytes": peak - returned, "error": error}


class _Timeout(Exception):
    pass


def refuse(label: str, make: Any, seconds: float = 30.0, headroom: int = 4 << 30) -> dict[str, Any]:
    """Build with a time limit (SIGALRM, between bytecodes) and, on Linux, an address-space
    cap of the current size plus ``headroom``, so a constructor that allocates tens of GiB
    fails with MemoryError instead of waking the OOM killer."""

    def alarm(signum: int, frame: Any) -> None:
        raise _Timeout(f"still running after {seconds} s")

    limits = None
    try:
        import resource

        with open("/proc/self/status") as status:
            size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
        limits = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (size + headroom, limits[1]))
    except (ImportError, OSError, StopIteration, ValueError):
        limits = None
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.perf_counter()
    try:
        make()
        outcome = "accepted"
    except Exception as err:  # noqa: BLE001 - reported
        outcome = type(err).__name__
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if limits is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, limits)
    return {"constructor": label, "seconds": time.perf_counter() - start, "outcome": outcome}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=4096)
    parser.add_argument("--keys", type=int, default=4096)
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--budget-mib", type=float, default=64)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-constructors", action="store_true")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    budget = int(args.budget_mib * MIB)
    ra.MAX_WORK_BYTES = budget
    ra.MAX_SCORES = max(ra.MAX_SCORES, args.queries * args.keys)
    names = args.names or ra.mechanisms()
    rows = []
    if not args.json:
        print(f"compute_batch {args.queries} x {args.keys}, dim {args.dim}, ra.MAX_WORK_BYTES = {args.budget_mib:g} MiB")
        print(f"{'mechanism':24s} {'seconds':>8s} {'extra MiB':>10s}  within budget")
    for name in names:
        row = measure(name, args.queries, args.keys, args.dim)
        row["within_budget"] = not row["error"] and row["extra_bytes"] <= budget
        rows.append(row)
        if not args.json:
            mark = "ok" if row["within_budget"] else ("ERROR " + row["error"][:90] if row["error"] else "OVER")
            print(f"{name:24s} {row['seconds']:8.2f} {row['extra_bytes'] / MIB:10.1f}  {mark}", flush=True)
    refusals = []
    if not args.no_constructors:
        ra.MAX_WORK_BYTES = 1 << 30  # the default
        if not args.json:
            print("\nconstructors with huge sizes (default ra.MAX_WORK_BYTES):")
        for label, make in HUGE_CONSTRUCTORS.items():
            row = refuse(label, make)
            refusals.append(row)
            if not args.json:
                print(f"{label:60s} {row['seconds']:8.3f} s  {row['outcome']}", flush=True)
    if args.json:
        print(json.dumps({"budget_bytes": budget, "queries": args.queries, "keys": args.keys, "dim": args.dim,
                          "compute_batch": rows, "constructors": refusals}, indent=2))


if __name__ == "__main__":
    main()
