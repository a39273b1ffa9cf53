"""Hypothesis property tests over every registered mechanism."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import ruvector_attention as ra

from .conftest import build, value_dim

# weights @ values == compute, except where API.md says otherwise
NOT_A_WEIGHTED_SUM = {"multi_head", "dynamic_head", "hyperbolic", "moe", "edge_featured", "topology_gated"}
# positions matter: not permutation-equivariant over keys, and a single query sits at n // 2
# (tested against their own oracles in tests/attention/test_local_global.py and test_rope.py)
POSITIONAL = {"local_global", "rope"}

DIM = 6
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

by_mechanism = pytest.mark.parametrize("name", ra.mechanisms())
weighted_sums = pytest.mark.parametrize("name", sorted(set(ra.mechanisms()) - NOT_A_WEIGHTED_SUM))
permutation_equivariant = pytest.mark.parametrize("name", sorted(set(ra.mechanisms()) - POSITIONAL))

finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def problems(draw, name):
    attn = build(name, DIM)
    n = draw(st.integers(1, 12))
    m = draw(st.integers(1, 5))
    q = draw(arrays(np.float32, (m, DIM), elements=finite))
    k = draw(arrays(np.float32, (n, DIM), elements=finite))
    v = draw(arrays(np.float32, (n, value_dim(attn)), elements=finite))
    mask = draw(st.one_of(st.none(), arrays(np.bool_, (m, n))))
    return attn, q, k, v, mask


@by_mechanism
@SETTINGS
@given(data=st.data())
def test_weights_are_distributions_and_outputs_finite(name, data):
    problem = data.draw(problems(name))
    attn, q, k, v, mask = problem
    weights = attn.weights_batch(q, k, mask=mask)
    out = attn.compute_batch(q, k, v, mask=mask)
    assert np.isfinite(out).all() and np.isfinite(weights).all()
    assert (weights >= 0).all()
    sums = weights.sum(axis=1)
    blind = np.zeros(len(q), bool) if mask is None else ~mask.any(axis=1)
    np.testing.assert_allclose(sums[~blind], 1.0, atol=1e-5)
    np.testing.assert_array_equal(sums[blind], 0.0)
    np.testing.assert_array_equal(out[blind], 0.0)


@weighted_sums
@SETTINGS
@given(data=st.data())
def test_weights_map_values_to_output(name, data):
    problem = data.draw(problems(name))
    attn, q, k, v, mask = problem
    np.testing.assert_allclose(
        attn.weights_batch(q, k, mask=mask) @ v, attn.compute_batch(q, k, v, mask=mask), atol=2e-5, rtol=1e-4
    )


@permutation_equivariant
@SETTINGS
@given(data=st.data(), random=st.randoms(use_true_random=False))
def test_permuting_keys_permutes_weights(name, data, random):
    problem = data.draw(problems(name))
    attn, q, k, v, mask = problem
    perm = np.array(random.sample(range(len(k)), len(k)))
    permuted_mask = None if mask is None else mask[:, perm]
    np.testing.assert_allclose(
        attn.weights_batch(q, k[perm], mask=permuted_mask),
        attn.weights_batch(q, k, mask=mask)[:, perm], atol=1e-5,
    )
    np.testing.assert_allclose(
        attn.compute_batch(q, k[perm], v[perm], mask=permuted_mask),
        attn.compute_batch(q, k, v, mask=mask), atol=2e-5, rtol=1e-4,
    )


@permutation_equivariant
@SETTINGS
@given(data=st.data())
def test_single_query_equals_batch_row(name, data):
    problem = data.draw(problems(name))
    attn, q, k, v, mask = problem
    row_mask = None if mask is None else mask[0]
    np.testing.assert_allclose(
        attn.compute(q[0], k, v, mask=row_mask),
        attn.compute_batch(q[:1], k, v, mask=None if mask is None else mask[:1])[0], atol=1e-6,
    )
