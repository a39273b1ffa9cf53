"""information_bottleneck: the tempered softmax of the IB closed form, and last_kl."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax

import ruvector_attention as ra


@pytest.mark.parametrize("beta, temperature", [(0.0, 1.0), (0.5, 2.0), (4.0, 0.5)])
def test_weights_and_kl_are_the_closed_form(rng, beta, temperature):
    q, k, v = rng.normal(size=(3, 8)), rng.normal(size=(10, 8)), rng.normal(size=(10, 2))
    attn = ra.BottleneckAttention(8, beta=beta, temperature=temperature)
    expected = softmax(q @ k.T / np.sqrt(8) / temperature / (1 + beta), axis=1)
    np.testing.assert_allclose(attn.weights_batch(q, k), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(attn.compute_batch(q, k, v), expected @ v, rtol=1e-5, atol=1e-6)
    kl = np.mean(np.log(10) + np.sum(expected * np.log(expected), axis=1))
    assert attn.last_kl == pytest.approx(kl, rel=1e-5)


def test_larger_beta_is_closer_to_uniform_and_masks_count(rng):
    q, k = rng.normal(size=8) * 2, rng.normal(size=(10, 8))
    kls = []
    for beta in (0.0, 0.5, 2.0, 10.0):
        attn = ra.BottleneckAttention(8, beta=beta)
        attn.weights(q, k)
        kls.append(attn.last_kl)
    assert all(a > b for a, b in zip(kls, kls[1:]))
    attn = ra.BottleneckAttention(8, beta=1e6)
    mask = np.arange(10) < 4
    np.testing.assert_allclose(attn.weights(q, k, mask=mask), np.where(mask, 0.25, 0), atol=1e-5)
    assert attn.last_kl == pytest.approx(0, abs=1e-5)
