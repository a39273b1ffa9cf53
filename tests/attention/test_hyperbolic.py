"""hyperbolic: distances by the arccosh formula, gyro-midpoint written out in float64."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra

from ..conftest import in_ball
from ..test_geometry import _arccosh_distance


def _mobius_scalar(r, x, c):
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.tanh(r * np.arctanh(np.sqrt(c) * norm)) * x / (np.sqrt(c) * norm)


@pytest.mark.parametrize("curvature, temperature", [(-1.0, 1.0), (-0.3, 0.5), (-2.0, 2.0)])
def test_matches_float64_reference(rng, curvature, temperature):
    c = -curvature
    q = in_ball(rng.normal(size=(3, 6)), 0.7) / np.sqrt(c)
    k = in_ball(rng.normal(size=(8, 6)), 0.9) / np.sqrt(c)
    v = in_ball(rng.normal(size=(8, 4)), 0.9) / np.sqrt(c)
    attn = ra.HyperbolicAttention(6, curvature=curvature, temperature=temperature)
    scores = -_arccosh_distance(q[:, None, :], k[None, :, :], c) / temperature
    w = np.exp(scores - scores.max(1, keepdims=True))
    w /= w.sum(1, keepdims=True)
    lam = 2 / (1 - c * (v.astype(np.float64) ** 2).sum(1))
    mid = (w @ (lam[:, None] * v)) / (w @ (lam - 1))[:, None]
    expected = _mobius_scalar(0.5, mid, c)
    np.testing.assert_allclose(attn.weights_batch(q, k), w, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(attn.compute_batch(q, k, v), expected, rtol=1e-4, atol=1e-6)


def test_output_stays_in_ball_and_outside_inputs_are_projected(rng):
    attn = ra.HyperbolicAttention(4, curvature=-1.0)
    q, k, v = rng.normal(size=4) * 5, rng.normal(size=(10, 4)) * 5, rng.normal(size=(10, 4)) * 5
    out = attn.compute(q, k, v)
    assert np.isfinite(out).all() and np.linalg.norm(out) < 1.0
    projected = ra.geometry.project_to_ball(v)
    np.testing.assert_allclose(out, attn.compute(q, k, projected), atol=1e-6)


def test_midpoint_of_identical_values_is_that_value(rng):
    v = np.tile([0.3, -0.4, 0.1], (5, 1))
    out = ra.HyperbolicAttention(3).compute(rng.normal(size=3) * 0.2, rng.normal(size=(5, 3)) * 0.2, v)
    np.testing.assert_allclose(out, v[0], atol=1e-6)
