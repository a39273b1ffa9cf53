"""rope: the rotation written out, norm preservation, relative-distance scores."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra


def _rotate_loop(x, distance, base):
    d = len(x)
    out = np.array(x, dtype=float)
    for i in range(d // 2):
        theta = distance / base ** (2 * i / d)
        c, s = np.cos(theta), np.sin(theta)
        out[2 * i], out[2 * i + 1] = x[2 * i] * c - x[2 * i + 1] * s, x[2 * i] * s + x[2 * i + 1] * c
    return out


def test_rotate_matches_the_loop_and_preserves_norms(rng):
    rope = ra.GraphRoPE(8, base=100.0)
    x = rng.normal(size=(5, 8))
    distances = rng.uniform(0, 10, size=5)
    rotated = rope.rotate(x, distances)
    expected = np.array([_rotate_loop(row, dist, 100.0) for row, dist in zip(x, distances)])
    np.testing.assert_allclose(rotated, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(rotated, axis=1), np.linalg.norm(x, axis=1), rtol=1e-5)


def test_scores_depend_only_on_distance_differences(rng):
    rope = ra.GraphRoPE(6)
    q, k = rng.normal(size=6), rng.normal(size=6)
    for a, b, shift in [(0.0, 3.0, 5.0), (2.0, -1.0, 11.5), (7.0, 7.0, -3.0)]:
        np.testing.assert_allclose(
            rope.rotate(q, a) @ rope.rotate(k, b), rope.rotate(q, a + shift) @ rope.rotate(k, b + shift), rtol=1e-4, atol=1e-5
        )


def test_compute_rotates_each_key_by_its_distance(rng):
    rope = ra.GraphRoPE(4)
    q, k, v = rng.normal(size=4), rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    distances = np.array([0, 1, 1, 2, 3, 3])
    rotated = np.array([_rotate_loop(row, d, 10000.0) for row, d in zip(k, distances)])
    scores = rotated @ q / 2.0
    w = np.exp(scores - scores.max())
    w /= w.sum()
    np.testing.assert_allclose(rope.weights(q, k, distances=distances), w, rtol=1e-5)
    np.testing.assert_allclose(rope.compute(q, k, v, distances=distances), w @ v, rtol=1e-5)
    np.testing.assert_allclose(rope.compute(q, k, v), rope.compute(q, k, v, distances=np.arange(6)))
    per_query = rope.compute_batch(np.stack([q, q]), k, v, distances=np.stack([distances, np.zeros(6)]))
    np.testing.assert_allclose(per_query[0], w @ v, rtol=1e-5)
    with pytest.raises(ra.DimensionMismatchError):
        rope.compute(q, k, v, distances=np.arange(5))
    with pytest.raises(ra.InvalidConfigError):
        ra.GraphRoPE(5)
