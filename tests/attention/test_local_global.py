"""local_global against an obvious per-query loop."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra


def _loop_reference(q, k, v, window, num_global, positions):
    out, weights = [], []
    for row, i in zip(q, positions):
        allowed = [j for j in range(len(k)) if abs(i - j) <= window // 2 or j < num_global or i < num_global]
        scores = np.full(len(k), -np.inf)
        scores[allowed] = k[allowed] @ row / np.sqrt(q.shape[1])
        w = np.exp(scores - scores.max())
        w /= w.sum()
        weights.append(w)
        out.append(w @ v)
    return np.array(weights), np.array(out)


@pytest.mark.parametrize("window, num_global", [(2, 0), (4, 1), (6, 3), (100, 1)])
def test_batch_matches_loop(rng, window, num_global):
    q, k, v = rng.normal(size=(15, 8)), rng.normal(size=(15, 8)), rng.normal(size=(15, 3))
    attn = ra.LocalGlobalAttention(8, window_size=window, num_global=num_global)
    weights, out = _loop_reference(q, k, v, window, num_global, range(15))
    np.testing.assert_allclose(attn.weights_batch(q, k), weights, atol=1e-6)
    np.testing.assert_allclose(attn.compute_batch(q, k, v), out, atol=1e-5)


def test_single_query_position(rng):
    q, k, v = rng.normal(size=8), rng.normal(size=(20, 8)), rng.normal(size=(20, 3))
    attn = ra.LocalGlobalAttention(8, window_size=4, num_global=2)
    for position in (None, 0, 7, 19):
        p = 10 if position is None else position
        weights, out = _loop_reference(q[None], k, v, 4, 2, [p])
        np.testing.assert_allclose(attn.weights(q, k, position=position), weights[0], atol=1e-6)
        np.testing.assert_allclose(attn.compute(q, k, v, position=position), out[0], atol=1e-5)
    with pytest.raises(ra.InvalidInputError):
        attn.compute(q, k, v, position=20)


def test_window_and_global_change_the_result(rng):
    q, k, v = rng.normal(size=(10, 8)), rng.normal(size=(10, 8)), rng.normal(size=(10, 3))
    base = ra.LocalGlobalAttention(8, window_size=2).compute_batch(q, k, v)
    assert not np.allclose(base, ra.LocalGlobalAttention(8, window_size=6).compute_batch(q, k, v))
    assert not np.allclose(base, ra.LocalGlobalAttention(8, window_size=2, num_global=3).compute_batch(q, k, v))


def test_backward_matches_finite_differences(rng):
    attn = ra.LocalGlobalAttention(4, window_size=2, num_global=1)
    q, k, v, g = (rng.normal(size=s) for s in [(6, 4), (6, 4), (6, 3), (6, 3)])
    grads = attn.backward(q, k, v, g)

    def loss(q_, k_, v_):
        return float(np.sum(g * attn.compute_batch(q_, k_, v_)))

    def numeric(f, x, index, eps=1e-3):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        return (f(plus) - f(minus)) / (2 * eps)

    checks = {
        "query": (lambda x: loss(x, k, v), q),
        "keys": (lambda x: loss(q, x, v), k),
        "values": (lambda x: loss(q, k, x), v),
    }
    for name, (f, x) in checks.items():
        for index in [(0, 0), (2, 1), (5, 2)]:
            np.testing.assert_allclose(
                getattr(grads, name)[index], numeric(f, x, index), rtol=2e-2, atol=2e-3, err_msg=f"{name}{index}"
            )
