"""Shared fixtures: seeded data and one default instance of every registered mechanism."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra
from ruvector_attention.registry import resolve

DIM = 12


def build(name: str, dim: int = DIM, **overrides) -> ra.Attention:
    """A default instance of a registered mechanism at query dimension ``dim``."""
    return resolve(name).for_dim(dim, **overrides)


def value_dim(attn: ra.Attention) -> int:
    return attn.dim if attn.values_match_dim else 5


def in_ball(x: np.ndarray, radius: float = 0.9) -> np.ndarray:
    """Rows scaled into the unit ball so hyperbolic mechanisms see valid points."""
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norms, 1.0) * radius).astype(np.float32)


def call_backward(attn, q, k, v, g, mask, *, single: bool, **options):
    """``attn.backward`` on the first query alone (``single``) or on the batch; the query
    gradient comes back 2-D either way, to compare with a batched autograd run. ``options``
    (``causal``, per-call inputs) go to both forms."""
    if single:
        grads = attn.backward(q[0], k, v, g[0], mask=mask[0], **options)
        assert grads.query.shape == q[0].shape
        return grads, grads.query[None, :]
    grads = attn.backward(q, k, v, g, mask=mask, **options)
    return grads, grads.query


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(params=ra.mechanisms())
def name(request: pytest.FixtureRequest) -> str:
    return request.param
