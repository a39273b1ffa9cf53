"""Inputs and CPython outputs of every registered mechanism, as JSON for the Node tests.

    .venv/bin/python tests/node/expected.py > expected.json
"""

from __future__ import annotations

import json

import numpy as np

import ruvector_attention as ra
from ruvector_attention.registry import resolve

DIM, QUERIES, KEYS = 12, 6, 10


def case(name: str, rng: np.random.Generator) -> dict:
    attn = resolve(name).for_dim(DIM)
    value_dim = attn.dim if attn.values_match_dim else 5
    scale = 0.9 / np.sqrt(attn.dim)  # inside the Poincaré ball, for the hyperbolic parts
    q = (rng.standard_normal((QUERIES, attn.dim)) * scale).astype(np.float32)
    k = (rng.standard_normal((KEYS, attn.dim)) * scale).astype(np.float32)
    v = (rng.standard_normal((KEYS, value_dim)) * scale).astype(np.float32)
    mask = rng.random((QUERIES, KEYS)) < 0.8
    return {
        "name": name,
        "config": attn.config.to_dict(),
        "queries": q.tolist(), "keys": k.tolist(), "values": v.tolist(), "mask": mask.tolist(),
        "compute": attn.compute(q[0], k, v).tolist(),
        "weights": attn.weights(q[0], k).tolist(),
        "computeBatch": attn.compute_batch(q, k, v).ravel().tolist(),
        "computeBatchCausal": attn.compute_batch(q, k, v, causal=True).ravel().tolist(),
        "computeBatchMasked": attn.compute_batch(q, k, v, mask=mask).ravel().tolist(),
        "weightsBatch": attn.weights_batch(q, k).ravel().tolist(),
    }


def extras_cases(rng: np.random.Generator) -> list[dict]:
    """Mechanisms with per-call inputs, given as ``extras``."""
    out = []
    for name, extras in [
        ("rope", {"distances": rng.integers(0, 5, size=(QUERIES, KEYS)).astype(float)}),
        ("edge_featured", {"edge_features": rng.standard_normal((KEYS, 3))}),
    ]:
        attn = resolve(name).for_dim(DIM)
        q = rng.standard_normal((QUERIES, attn.dim)).astype(np.float32)
        k = rng.standard_normal((KEYS, attn.dim)).astype(np.float32)
        v = rng.standard_normal((KEYS, attn.dim)).astype(np.float32)
        out.append({
            "name": name, "config": attn.config.to_dict(), "queries": q.tolist(), "keys": k.tolist(),
            "values": v.tolist(), "extras": {key: value.tolist() for key, value in extras.items()},
            "computeBatch": attn.compute_batch(q, k, v, **extras).ravel().tolist(),
        })
    return out


if __name__ == "__main__":
    rng = np.random.default_rng(2024)
    print(json.dumps({
        "mechanisms": ra.mechanisms(),
        "cases": [case(n, rng) for n in ra.mechanisms()],
        "extrasCases": extras_cases(rng),
    }))
