"""Builders and presets: every option reaches the built config and changes the result."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra


def test_module_builders_match_contract():
    assert ra.scaled_dot(512).build().name == "scaled_dot"
    mh = ra.multi_head(768, 12).dropout(0.1).causal(True).build()
    assert (mh.config.num_heads, mh.config.dropout, mh.config.causal) == (12, 0.1, True)
    fl = ra.flash(1024, 128).causal(True).build()
    assert (fl.config.block_size, fl.config.causal) == (128, True)
    assert ra.linear(512, 256).build().config.num_features == 256
    assert ra.local_global(512, 256).build().config.window_size == 256
    assert ra.hyperbolic(512, -0.5).build().config.curvature == -0.5
    m = ra.moe(64, 8, 2).expert_capacity(1.5).jitter_noise(0.01).build()
    assert (m.config.num_experts, m.config.top_k, m.config.expert_capacity, m.config.jitter_noise) == (8, 2, 1.5, 0.01)
    ab = ra.AttentionBuilder(512).multi_head(8).dropout(0.1).causal(True).build()
    assert isinstance(ab, ra.MultiHeadAttention) and ab.config.num_heads == 8


def test_builders_are_immutable():
    base = ra.AttentionBuilder(16)
    causal = base.causal(True)
    assert base.build().config.causal is False and causal.build().config.causal is True
    assert dict(causal.config) == {"name": "scaled_dot", "dim": 16, "causal": True}


def test_inapplicable_option_is_an_error_not_ignored():
    with pytest.raises(ra.InvalidConfigError, match="flash has no option 'dropout'"):
        ra.flash(16).dropout(0.1).build()
    with pytest.raises(ra.InvalidConfigError):
        ra.scaled_dot(16).expert_capacity(2.0).build()


@pytest.mark.parametrize(
    "builder, changed",
    [
        (lambda: ra.scaled_dot(8), lambda b: b.causal(True)),
        (lambda: ra.scaled_dot(8), lambda b: b.temperature(3.0)),
        (lambda: ra.multi_head(8, 2), lambda b: b.multi_head(4)),
        (lambda: ra.multi_head(8, 2), lambda b: b.seed(5)),
        (lambda: ra.multi_head(8, 2), lambda b: b.causal(True)),
        (lambda: ra.flash(8, 4), lambda b: b.causal(True)),
        (lambda: ra.linear(8, 64), lambda b: b.linear(16)),
        (lambda: ra.local_global(8, 2), lambda b: b.local_global(6)),
        (lambda: ra.local_global(8, 2), lambda b: b.num_global(3)),
        (lambda: ra.hyperbolic(8, -1.0), lambda b: b.hyperbolic(-3.0)),
        (lambda: ra.moe(8, 4, 1), lambda b: b.moe(4, 2)),
    ],
)
def test_each_option_changes_the_output(rng, builder, changed):
    q = rng.normal(size=(6, 8)) * 0.3
    k = rng.normal(size=(6, 8)) * 0.3
    v = rng.normal(size=(6, 8)) * 0.3
    a = builder().build().compute_batch(q, k, v)
    b = changed(builder()).build().compute_batch(q, k, v)
    assert not np.allclose(a, b)


def test_dropout_expert_capacity_and_jitter_change_behaviour(rng):
    q, k, v = rng.normal(size=(16, 8)), rng.normal(size=(16, 8)), rng.normal(size=(16, 8))
    plain = ra.multi_head(8, 2).build().train().compute_batch(q, k, v)
    dropped = ra.multi_head(8, 2).dropout(0.5).build().train().compute_batch(q, k, v)
    assert not np.allclose(plain, dropped)
    tight = ra.moe(8, 4, 1).expert_capacity(1.0).build()
    loose = ra.moe(8, 4, 1).expert_capacity(4.0).build()
    same = np.tile(q[0], (16, 1))
    assert not np.allclose(tight.compute_batch(same, k, v), loose.compute_batch(same, k, v))
    calm = ra.moe(8, 4, 1).build().train()
    noisy = ra.moe(8, 4, 1).jitter_noise(0.9).build().train()
    assert not np.allclose(calm.router_probs(q), noisy.router_probs(q))


def test_presets():
    bert = ra.AttentionPreset.BERT.builder(768).build()
    assert (bert.name, bert.config.num_heads, bert.config.dropout) == ("multi_head", 12, 0.1)
    assert ra.AttentionPreset.BERT.builder(512).build().config.num_heads == 8
    assert ra.AttentionPreset.GPT.builder(768).build().config.causal
    for preset in ra.AttentionPreset:
        built = preset.builder(96).build()
        assert built.name == preset.config["name"]
        for key, value in preset.config.items():
            if key not in ("name", "num_heads"):
                assert getattr(built.config, key) == value, (preset, key)
    with pytest.raises(TypeError):
        ra.AttentionPreset.BERT.config["num_heads"] = 3  # read-only
    assert ra.AttentionPreset("longformer") is ra.AttentionPreset.LONGFORMER


def test_selectors():
    assert ra.for_sequences(64, 512).build().name == "multi_head"
    assert ra.for_sequences(64, 4096).build().name == "local_global"
    assert ra.for_sequences(64, 4097).build().name == "linear"
    assert ra.for_graphs(64, True).build().name == "hyperbolic"
    graph = ra.for_graphs(64, False).build()
    assert graph.name == "multi_head" and graph.config.num_heads == 8
    assert ra.for_large_scale(64).build().name == "flash"
    assert ra.for_vision(768, 16).build().config.num_heads == 12
    assert ra.for_generation(64, 2048).build().name == "multi_head"
    long_gen = ra.for_generation(64, 2049).build()
    assert long_gen.name == "flash" and long_gen.config.causal
    m = ra.for_moe(64, 6, 3).build()
    assert (m.config.num_experts, m.config.top_k) == (6, 3)
    assert ra.from_model_name("GPT2", 768).build().config.causal
    assert ra.from_model_name("t5", 512).build().config.num_heads == 8
    with pytest.raises(ra.UnknownMechanismError, match="bert"):
        ra.from_model_name("llama", 64)
    with pytest.raises(ra.InvalidConfigError):
        ra.for_sequences(64, 0)
