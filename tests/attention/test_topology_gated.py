"""topology_gated: the four coherence metrics against loop formulas (in [0, 1] on random and
clustered keys), the mode thresholds, hysteresis, and the output of each mode."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from scipy.special import softmax

import ruvector_attention as ra
from ruvector_attention.topology import GatingPolicy, window_coherence

METRICS = list(ra.CoherenceMetric)
STABLE, CAUTIOUS, FREEZE = ra.AttentionMode.STABLE, ra.AttentionMode.CAUTIOUS, ra.AttentionMode.FREEZE


def coherence_by_loops(keys, metric, k):
    """Each metric from its definition, one edge at a time (SciPy distances)."""
    w = len(keys)
    if w < 2:
        return 1.0
    k = min(k, w - 1)
    dist = cdist(keys, keys, "sqeuclidean")
    cos = 1 - cdist(keys, keys, "cosine")
    edges = []
    for i in range(w):
        order = sorted((j for j in range(w) if j != i), key=lambda j: (dist[i, j], j))
        edges += [(i, j) for j in order[:k]]
    if metric == "boundary_mass":
        return sum(abs(i - j) <= w // 4 for i, j in edges) / len(edges)
    if metric == "cut_proxy":
        return 1 - sum((i < w // 2) != (j < w // 2) for i, j in edges) / len(edges)
    sims = np.array([cos[i, j] for i, j in edges]).reshape(w, k)
    if metric == "disagreement":
        return 1 - np.mean([np.var(row) for row in sims])
    return max(sims.mean(), 0) * (1 - sims.std())


def datasets(rng):
    centres = rng.normal(size=(3, 16)) * 3
    return {
        "random": rng.normal(size=(24, 16)),
        "clustered": np.concatenate([c + rng.normal(0, 0.2, size=(8, 16)) for c in centres]),
        "interleaved clusters": np.stack([centres[i % 3] + rng.normal(0, 0.2, 16) for i in range(24)]),
        "one direction": np.ones((24, 16)) + rng.normal(0, 0.05, size=(24, 16)),
    }


@pytest.mark.parametrize("metric", METRICS)
def test_coherence_metrics_match_their_definitions_and_stay_in_unit_interval(rng, metric):
    for data in datasets(rng).values():
        for k in (1, 4, 30):
            value = window_coherence(data.astype(np.float32), metric, k)
            assert 0.0 <= value <= 1.0
            assert value == pytest.approx(coherence_by_loops(data.astype(np.float32), metric.value, k), abs=1e-6)
    assert window_coherence(np.ones((1, 3), np.float32), metric, 4) == 1.0


def test_coherence_tells_coherent_from_fragmented_windows(rng):
    data = datasets(rng)
    sv = ra.CoherenceMetric.SIMILARITY_VARIANCE
    assert window_coherence(data["one direction"], sv, 4) > 0.95
    assert window_coherence(data["random"], sv, 4) < 0.5
    # sequence structure: contiguous clusters keep kNN edges local, interleaved ones do not
    bm = ra.CoherenceMetric.BOUNDARY_MASS
    assert window_coherence(data["clustered"], bm, 4) > 0.9 > 0.5 > window_coherence(data["interleaved clusters"], bm, 4)


def test_policy_follows_the_thresholds_without_hysteresis():
    policy = GatingPolicy(stable=0.8, freeze=0.3, hysteresis=0.0)
    for c, mode in [(0.9, STABLE), (0.8, STABLE), (0.79, CAUTIOUS), (0.3, CAUTIOUS), (0.29, FREEZE), (0.95, STABLE)]:
        assert policy.update(c) is mode, c


def test_hysteresis_prevents_flapping_on_an_alternating_sequence():
    flapping = GatingPolicy(stable=0.8, freeze=0.3, hysteresis=0.0)
    steady = GatingPolicy(stable=0.8, freeze=0.3, hysteresis=0.05)
    sequence = [0.82, 0.78] * 5 + [0.32, 0.28] * 5
    assert [flapping.update(c) for c in sequence] == [STABLE, CAUTIOUS] * 5 + [CAUTIOUS, FREEZE] * 5
    assert [steady.update(c) for c in sequence] == [STABLE] * 10 + [CAUTIOUS] * 10
    # a decisive move still switches, in both directions
    assert steady.update(0.24) is FREEZE and steady.update(0.34) is FREEZE and steady.update(0.36) is CAUTIOUS
    assert steady.update(0.86) is STABLE and steady.update(0.1) is FREEZE


def test_mechanism_mode_follows_the_coherence_of_the_key_window(rng):
    data = datasets(rng)
    attn = ra.TopologyGatedAttention(16, window=24)
    q, v = rng.normal(size=16), rng.normal(size=(24, 3))
    coherent, fragmented = attn.coherence(data["one direction"]), attn.coherence(data["random"])
    assert coherent >= 0.8 + 0.05 and fragmented < 0.3 - 0.05
    attn.compute_gated(q, data["one direction"], v)
    assert attn.current_mode() is STABLE
    attn.compute_gated(q, data["random"], v)
    assert attn.current_mode() is FREEZE
    # only the last `window` keys count
    mixed = np.concatenate([data["random"], data["one direction"]])
    assert attn.coherence(mixed) == pytest.approx(coherent)


def test_mechanism_does_not_flap_between_two_windows_straddling_a_threshold(rng):
    a = np.ones((16, 8)) + rng.normal(0, 0.3, size=(16, 8))
    b = np.ones((16, 8)) + rng.normal(0, 0.4, size=(16, 8))
    probe = ra.TopologyGatedAttention(8)
    ca, cb = probe.coherence(a), probe.coherence(b)
    assert abs(ca - cb) > 0.01
    threshold = (ca + cb) / 2
    margin = abs(ca - cb)
    q, v = rng.normal(size=8), rng.normal(size=(16, 2))
    modes = {}
    for hysteresis in (0.0, margin):
        attn = ra.TopologyGatedAttention(
            8, stable_threshold=threshold, cautious_threshold=0.0, freeze_threshold=0.0, hysteresis=hysteresis
        )
        modes[hysteresis] = []
        for keys in [a, b] * 4:
            attn.compute(q, keys, v)
            modes[hysteresis].append(attn.current_mode())
    assert len(set(modes[0.0])) == 2 and len(set(modes[margin])) == 1


def test_output_of_each_mode(rng):
    n, d = 40, 16
    q, k, v = rng.normal(size=d), np.ones((n, d)) + rng.normal(0, 0.05, size=(n, d)), rng.normal(size=(n, 3))
    s = k @ q / np.sqrt(d)
    stable = ra.TopologyGatedAttention(d)
    np.testing.assert_allclose(stable.weights(q, k), softmax(s), rtol=1e-5, atol=1e-7)
    c = stable.coherence(k)

    def top_k_softmax(kk, temperature):
        keep = np.argsort(-s)[:kk]
        w = np.zeros(n)
        w[keep] = softmax(s[keep] / temperature)
        return w

    # between cautious and stable: the top 32 at temperature 2
    cautious = ra.TopologyGatedAttention(d, stable_threshold=1.0, cautious_threshold=c - 0.01, freeze_threshold=0.0)
    np.testing.assert_allclose(cautious.compute(q, k, v), top_k_softmax(32, 2.0) @ v, rtol=1e-5, atol=1e-6)
    assert cautious.current_mode() is CAUTIOUS
    # below cautious_threshold: k halved
    halved = ra.TopologyGatedAttention(d, stable_threshold=1.0, cautious_threshold=min(c + 0.01, 1.0), freeze_threshold=0.0, top_k=10)
    np.testing.assert_allclose(halved.weights(q, k), top_k_softmax(5, 2.0), rtol=1e-5, atol=1e-7)
    # freeze: uniform mean first, then the previous output again
    frozen = ra.TopologyGatedAttention(d, stable_threshold=1.0, cautious_threshold=1.0, freeze_threshold=1.0, hysteresis=0.0)
    np.testing.assert_allclose(frozen.compute(q, k, v), v.mean(axis=0), rtol=1e-5, atol=1e-6)
    assert frozen.current_mode() is FREEZE
    np.testing.assert_allclose(frozen.compute(-q, k, 2 * v), v.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(frozen.weights(q, k), np.full(n, 1 / n), rtol=1e-6)
    frozen.reset()
    np.testing.assert_allclose(frozen.compute(q, k, 2 * v), 2 * v.mean(axis=0), rtol=1e-5, atol=1e-6)


def test_config_accepts_enum_or_lower_case_and_checks_threshold_order():
    a = ra.TopologyGatedAttention(4, metric=ra.CoherenceMetric.CUT_PROXY)
    b = ra.TopologyGatedAttention(4, metric="cut_proxy")
    assert a.config == b.config and a.config.to_dict()["metric"] == "cut_proxy"
    with pytest.raises(ra.InvalidConfigError, match="metric"):
        ra.TopologyGatedAttention(4, metric="entropy")
    with pytest.raises(ra.InvalidConfigError, match="freeze_threshold <= cautious_threshold"):
        ra.TopologyGatedAttention(4, freeze_threshold=0.6, cautious_threshold=0.5)
