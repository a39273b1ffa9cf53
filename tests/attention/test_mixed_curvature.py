"""mixed_curvature: each component against SciPy / the arccosh formula, then the mix."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from scipy.special import softmax

import ruvector_attention as ra

from ..test_geometry import _arccosh_distance


def _reference_scores(q, k, e, h, s, ch, cs, mix):
    q, k = q.astype(np.float64), k.astype(np.float64)
    total = np.zeros((len(q), len(k)))
    if e:
        total += mix[0] * q[:, :e] @ k[:, :e].T / np.sqrt(e)
    if h:
        total -= mix[1] * _arccosh_distance(q[:, None, e:e + h], k[None, :, e:e + h], -ch)
    if s:
        cos = 1 - cdist(q[:, e + h:], k[:, e + h:], "cosine")
        total -= mix[2] * np.arccos(np.clip(cos, -1, 1)) / np.sqrt(cs)
    return total


@pytest.mark.parametrize(
    "dims, mix", [((3, 3, 3), None), ((4, 0, 2), (0.5, 0.0, 2.0)), ((0, 5, 0), None), ((2, 2, 4), (1, 2, 3))]
)
def test_matches_reference(rng, dims, mix):
    e, h, s = dims
    attn = ra.MixedCurvatureAttention(e, h, s, curvature_h=-0.7, curvature_s=2.0, mix=mix)
    d = e + h + s
    q, k, v = rng.normal(size=(3, d)) * 0.3, rng.normal(size=(7, d)) * 0.3, rng.normal(size=(7, 2))
    weights_mix = attn.config.mix_weights
    if mix is None:
        present = np.array([e, h, s]) > 0
        np.testing.assert_allclose(weights_mix, present / present.sum())
    expected = softmax(_reference_scores(q, k, e, h, s, -0.7, 2.0, weights_mix), axis=1)
    np.testing.assert_allclose(attn.weights_batch(q, k), expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(attn.compute_batch(q, k, v), expected @ v, rtol=1e-4, atol=1e-5)


def test_mix_changes_the_result(rng):
    q, k = rng.normal(size=6) * 0.3, rng.normal(size=(5, 6)) * 0.3
    a = ra.MixedCurvatureAttention(2, 2, 2).weights(q, k)
    b = ra.MixedCurvatureAttention(2, 2, 2, mix=(1, 0, 0)).weights(q, k)
    assert not np.allclose(a, b)
    assert ra.MixedCurvatureAttention(2, 2, 2).config.to_dict()["mix"] is None
    assert ra.MixedCurvatureAttention(2, 2, 2, mix=[1, 0, 0]).config.to_dict()["mix"] == [1.0, 0.0, 0.0]
