"""GELU (erf form) against math.erfc in float64 (exact in the tails, where ``1 + erf``
cancels) and against torch.nn.functional.gelu (which uses ``1 + erf``: compared up to
that cancellation)."""

from __future__ import annotations

import math

import numpy as np

from ruvector_attention.kernels.activations import gelu
from tests.oracles import F, needs_torch, torch

X = np.concatenate([np.linspace(-30, 30, 6001), [0.0, -0.0, 1e-30, -1e-30, 3.4e38, -3.4e38, 1e-42]]).astype(np.float32)


def test_equals_the_erf_formula():
    expected = np.array([0.5 * x * math.erfc(-x / math.sqrt(2)) for x in X.astype(np.float64)])
    out = gelu(X)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-37)


@needs_torch
def test_equals_torch():
    np.testing.assert_allclose(gelu(X), F.gelu(torch.from_numpy(X).double()).numpy(), rtol=1e-6, atol=1e-15)
