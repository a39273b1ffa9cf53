"""Pipelines against the contract's semantics written out with NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra

from ..oracles import F, needs_torch, torch


def _layer_norm(x):
    """torch's layer_norm on CPython; the written-out formula in Pyodide (no torch there)."""
    if torch is None:
        centred = x - x.mean(-1, keepdims=True)
        return centred / np.sqrt((centred**2).mean(-1, keepdims=True) + 1e-5)
    return F.layer_norm(torch.tensor(x), (x.shape[-1],), eps=1e-5).numpy()


def _rms_norm(x):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6)


@pytest.fixture
def data(rng):
    return rng.normal(size=(5, 8)), rng.normal(size=(7, 8)), rng.normal(size=(7, 8))


def test_post_norm_block(data):
    q, k, v = data
    attn = ra.multi_head(8, 2).build()
    expected = _layer_norm(q + attn.compute_batch(q, k, v))
    block = ra.transformer_block(attn, dropout=0.1)
    np.testing.assert_allclose(block.run_batch(q, k, v), expected, atol=1e-5)
    np.testing.assert_allclose(block.run(q[0], k, v), _layer_norm(q[:1] + attn.compute(q[0], k, v))[0], atol=1e-5)


def test_pre_norm_block_keeps_the_raw_residual(data):
    q, k, v = data
    attn = ra.scaled_dot(8).build()
    expected = q + attn.compute_batch(_layer_norm(q), k, v)
    np.testing.assert_allclose(ra.prenorm_transformer_block(attn).run_batch(q, k, v), expected, atol=1e-5)


def test_residual_uses_value_before_most_recent_attention(data):
    q, k, v = data
    a = ra.scaled_dot(8).build()
    pipe = ra.AttentionPipeline().add_norm("rms_norm").add_attention(a).add_attention(a).add_residual()
    normed = _rms_norm(q)
    first = a.compute_batch(normed, k, v)
    np.testing.assert_allclose(pipe.run_batch(q, k, v), first + a.compute_batch(first, k, v), atol=1e-5)


def test_custom_stage_and_affine_norm(data):
    q, k, v = data
    pipe = ra.AttentionPipeline().add_custom(lambda x: np.maximum(x, 0)).add_norm(ra.NormType.LAYER_NORM, affine=True)
    np.testing.assert_allclose(pipe.run_batch(q, k, v), _layer_norm(np.maximum(q, 0)), atol=1e-5)


@needs_torch
def test_batch_norm_batch_stats_and_running_stats(data):
    q, k, v = data
    pipe = ra.AttentionPipeline().add_norm("batch_norm")
    expected = F.batch_norm(
        torch.tensor(q), None, None, training=True, eps=1e-5
    ).numpy()
    np.testing.assert_allclose(pipe.run_batch(q, k, v), expected, atol=1e-5)
    np.testing.assert_allclose(pipe.run(q[0], k, v), q[0] / np.sqrt(1 + 1e-5), atol=1e-6)
    bn = torch.nn.BatchNorm1d(8, affine=False).double().train()
    bn(torch.tensor(q))
    pipe.train().run_batch(q, k, v)
    np.testing.assert_allclose(pipe.eval().run(q[0], k, v), bn.eval()(torch.tensor(q[:1])).numpy()[0], atol=1e-5)


def test_dropout_only_in_train_mode(data):
    q, k, v = data
    pipe = ra.AttentionPipeline(seed=1).add_dropout(0.5)
    np.testing.assert_array_equal(pipe.run_batch(q, k, v), q.astype(np.float32))
    out = pipe.train().run_batch(q, k, v)
    assert (out == 0).any() and np.allclose(out[out != 0], 2 * q.astype(np.float32)[out != 0])


def test_pipeline_errors(data):
    q, k, v = data
    with pytest.raises(ra.InvalidConfigError):
        ra.AttentionPipeline().add_residual()
    with pytest.raises(ra.InvalidConfigError):
        ra.AttentionPipeline().add_norm("group_norm")
    with pytest.raises(ra.InvalidConfigError):
        ra.AttentionPipeline().add_dropout(2.0)
    narrow = ra.AttentionPipeline().add_attention(ra.scaled_dot(8).build()).add_residual()
    with pytest.raises(ra.DimensionMismatchError):
        narrow.run(q[0], k, v[:, :3])
    with pytest.raises(ra.InvalidInputError):
        ra.AttentionPipeline().add_norm("layer_norm").run([np.nan] * 8, k, v)
