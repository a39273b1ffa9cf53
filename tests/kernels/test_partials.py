"""The partials and their merge (no cluster): any split of the keys and any merge tree give
the softmax of all keys at once (float64 oracle), all-masked rows give zeros, huge scores
stay finite."""

from __future__ import annotations

import numpy as np
import pytest

from ruvector_attention.kernels import partials

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")  # finite in, finite out, silently


def softmax64(scores: np.ndarray, seen: np.ndarray) -> np.ndarray:
    s = np.where(seen, scores.astype(np.float64), -np.inf)
    top = s.max(axis=-1, keepdims=True)
    e = np.exp(s - np.where(np.isfinite(top), top, 0.0))
    total = e.sum(axis=-1, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


def chunked(scores, seen, values, cuts):
    edges = [0, *cuts, scores.shape[-1]]
    return [
        partials.partial(scores[..., a:b].copy(), seen[:, a:b], values[:, a:b]) for a, b in zip(edges[:-1], edges[1:])
    ]


@pytest.mark.parametrize("scale", [1.0, 1e3, 1e36, 3.4e38])
def test_any_split_and_tree_equal_the_softmax_of_all_keys(rng, scale):
    heads, m, n, dv = 2, 5, 17, 3
    scores = (rng.uniform(-1, 1, size=(heads, m, n)) * scale).astype(np.float32)
    seen = rng.random((m, n)) > 0.4
    seen[1] = False  # a row that sees no key
    seen[2, :9] = False  # a row that sees keys of the later chunks only
    values = (rng.uniform(-1, 1, size=(heads, n, dv)) * 3e38).astype(np.float32)  # near float32 max
    w = softmax64(scores, seen)
    expected = w @ values.astype(np.float64)
    parts = chunked(scores, seen, values, [4, 9, 10])
    flat = partials.merge(parts)
    tree = partials.merge([partials.merge(parts[2:]), partials.merge(parts[:2])])  # another order and grouping
    for merged in (flat, tree):
        out = partials.finish(merged)
        assert np.isfinite(out).all()
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6 * 3e38)
        assert (out[:, 1] == 0).all()
        chunk = partials.weights(scores[..., 4:9], seen[:, 4:9], merged)
        np.testing.assert_allclose(chunk, w[..., 4:9], rtol=1e-6, atol=1e-12)


def test_statistics_only_partials_have_no_values(rng):
    scores = rng.normal(size=(1, 3, 6)).astype(np.float32)
    expected = softmax64(scores, np.ones((3, 6), bool))
    p = partials.merge([partials.partial(scores[..., :2].copy(), None, None), partials.partial(scores[..., 2:].copy(), None, None)])
    assert p.weighted is None
    np.testing.assert_allclose(partials.weights(scores, None, p), expected, rtol=1e-6)  # scores may be overwritten


def test_a_chunk_with_no_visible_key_changes_nothing(rng):
    scores = rng.normal(size=(1, 2, 4)).astype(np.float32)
    values = rng.normal(size=(1, 4, 2)).astype(np.float32)
    alone = partials.partial(scores, None, values)
    blind = partials.partial(scores, np.zeros((2, 4), bool), values)
    assert np.isneginf(blind.max).all() and (blind.total == 0).all()
    np.testing.assert_array_equal(partials.finish(partials.merge([blind, alone, blind])), partials.finish(alone))
