"""mixed_curvature_fused: tangent mapping = log map at the origin, fused score = sum of its
parts (each by its own formula), and the 8-bit / 5-bit component quantizer's error bound."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax

import ruvector_attention as ra

from ..conftest import in_ball

E, H, S = 4, 3, 5


def _parts_by_formula(q, k, curvature_h=-1.0, curvature_s=1.0):
    """The E, H, S similarities from ra.geometry and plain NumPy, ``(3, m, n)``."""
    qe, qh, qs = q[:, :E], q[:, E : E + H], q[:, E + H :]
    ke, kh, ks = k[:, :E], k[:, E : E + H], k[:, E + H :]
    euclid = qe @ ke.T / np.sqrt(E)
    log_q = ra.geometry.log_map(np.zeros(H), qh, curvature=curvature_h).astype(np.float64)
    log_k = ra.geometry.log_map(np.zeros(H), kh, curvature=curvature_h).astype(np.float64)
    tangent = 4 * log_q @ log_k.T / np.sqrt(H)  # g_0(u, v) = λ_0² <u, v>, λ_0 = 2
    cos = (qs / np.linalg.norm(qs, axis=1, keepdims=True)) @ (ks / np.linalg.norm(ks, axis=1, keepdims=True)).T
    return np.stack([euclid, tangent, cos / curvature_s])


def _inputs(rng, m=3, n=7):
    q, k = rng.normal(size=(m, E + H + S)), rng.normal(size=(n, E + H + S))
    q[:, E : E + H], k[:, E : E + H] = in_ball(q[:, E : E + H], 0.8), in_ball(k[:, E : E + H], 0.8)
    return q, k


@pytest.mark.parametrize("curvature", [-1.0, -0.3])
def test_tangent_mapping_is_the_log_map_at_the_origin(rng, curvature):
    x = in_ball(rng.normal(size=(10, 4)), 0.9) / np.sqrt(-curvature)
    mapper = ra.TangentSpaceMapper(curvature)
    expected = ra.geometry.log_map(np.zeros(4), x, curvature=curvature)
    np.testing.assert_allclose(mapper.map_to_tangent(x), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mapper.map_from_tangent(mapper.map_to_tangent(x)), x, rtol=1e-4, atol=1e-6)
    # 2|log_0 x| is the geodesic distance to the origin
    np.testing.assert_allclose(
        2 * np.linalg.norm(mapper.map_to_tangent(x), axis=1) * np.sqrt(1.0),
        ra.geometry.poincare_distance(np.zeros(4), x, curvature=curvature),
        rtol=1e-5,
    )
    assert not mapper.map_to_tangent(np.zeros(4)).any()


@pytest.mark.parametrize(("curvature_h", "curvature_s"), [(-1.0, 1.0), (-2.0, 0.5)])
def test_fused_score_is_the_mix_of_its_three_parts(rng, curvature_h, curvature_s):
    attn = ra.MixedCurvatureFusedAttention(E, H, S, curvature_h=curvature_h, curvature_s=curvature_s, num_heads=3)
    q, k = _inputs(rng)
    q[:, E : E + H] /= np.sqrt(-curvature_h)
    k[:, E : E + H] /= np.sqrt(-curvature_h)
    parts = _parts_by_formula(q, k, curvature_h, curvature_s)
    np.testing.assert_allclose(attn.score_parts(q, k), parts, rtol=1e-5, atol=1e-5)
    mixing = attn.parameters()["mixing"]
    assert mixing.shape == (3, 3) and (mixing > 0).all() and not np.allclose(mixing[0], mixing[1])
    expected = np.einsum("hc,cmn->hmn", mixing, parts)
    np.testing.assert_allclose(attn.head_scores(q, k), expected, rtol=1e-5, atol=1e-5)
    weights = softmax(expected, axis=2).mean(axis=0)
    np.testing.assert_allclose(attn.weights_batch(q, k), weights, rtol=1e-5, atol=1e-6)


def test_mixing_weights_are_parameters(rng):
    attn = ra.MixedCurvatureFusedAttention(E, H, S, num_heads=2)
    q, k = _inputs(rng)
    attn.load_parameters({"mixing": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])})
    parts = _parts_by_formula(q, k)
    expected = (softmax(parts[0], axis=1) + softmax(parts[2], axis=1)) / 2
    np.testing.assert_allclose(attn.weights_batch(q, k), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(attn.head_weights_batch(q, k)[0], softmax(parts[0], axis=1), rtol=1e-5, atol=1e-7)


def test_quantizer_error_bound_holds(rng):
    cq = ra.ComponentQuantizer(E, H, S)
    x = rng.normal(size=(50, E + H + S)) * rng.uniform(0.01, 100, size=(50, 1))
    q = cq.quantize(x)
    assert [p.bits for p in q.parts] == [8, 5, 5]
    assert q.parts[0].values.min() >= -127 and q.parts[1].values.max() <= 15
    error = np.abs(cq.dequantize(q) - x)
    bound = cq.error_bound(q)
    assert (error <= bound * (1 + 1e-5) + 1e-12).all()
    # the bound is max|x_c| / (2^(b-1) - 1) / 2 for each row and component
    peak_h = np.abs(x[:, E : E + H]).max(axis=1)
    np.testing.assert_allclose(bound[:, E], peak_h / 15 / 2, rtol=1e-6)
    peak_e = np.abs(x[:, :E]).max(axis=1)
    np.testing.assert_allclose(bound[:, 0], peak_e / 127 / 2, rtol=1e-6)
    assert q.nbytes == 50 * (E + H + S + 3 * 4)  # one byte a code plus a float32 scale per component


def test_quantized_keys_stay_close_and_match_the_quantizer(rng):
    q, k = _inputs(rng, n=40)
    exact = ra.MixedCurvatureFusedAttention(E, H, S)
    quantized = ra.MixedCurvatureFusedAttention(E, H, S, quantize=True)
    parts = quantized.score_parts(q, k)
    assert not np.array_equal(parts, exact.score_parts(q, k))
    # the quantized score equals the exact query features against the round-tripped key features
    features_q = exact._features(q.astype(np.float32))
    features_k = ra.ComponentQuantizer(E, H, S).roundtrip(exact._features(k.astype(np.float32)))
    for c, part in enumerate(quantized.config.slices):
        np.testing.assert_allclose(parts[c], features_q[:, part] @ features_k[:, part].T, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(quantized.weights_batch(q, k), exact.weights_batch(q, k), atol=0.02)


def test_config_errors():
    with pytest.raises(ra.InvalidConfigError):
        ra.MixedCurvatureFusedAttention(0, 0, 0)
    with pytest.raises(ra.InvalidConfigError):
        ra.MixedCurvatureFusedAttention(2, 2, 2, curvature_h=1.0)
    with pytest.raises(ra.InvalidConfigError):
        ra.ComponentQuantizer(2, 2, 2, curved_bits=3)
    with pytest.raises(ra.InvalidConfigError):
        ra.TangentSpaceMapper(0.5)
    with pytest.raises(ra.InvalidInputError):
        ra.TangentSpaceMapper().map_to_tangent([[np.nan, 0.0]])
