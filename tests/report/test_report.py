"""The unified report: status thresholds (seed 001's table), health score, metrics measured on
keys against SciPy and loop formulas, and recommendations that follow the data."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from scipy.special import softmax
from scipy.stats import entropy

import ruvector_attention as ra

T = ra.MetricType

# (type, healthy value, warning value, critical value, the two thresholds)
TABLE = [
    (T.OT_DISTANCE, 0.2, 0.5, 0.8, (0.3, 0.7)),
    (T.TOPOLOGY_COHERENCE, 0.6, 0.2, 0.05, (0.3, 0.1)),
    (T.IB_KL, 0.1, 0.7, 1.5, (0.5, 1.0)),
    (T.DIFFUSION_ENERGY, 0.5, 3.0, 6.0, (2.0, 5.0)),
    (T.ATTENTION_ENTROPY, 2.0, 0.3, 0.05, (0.5, 0.1)),
]


@pytest.mark.parametrize(("metric_type", "healthy", "warning", "critical", "thresholds"), TABLE)
def test_status_follows_the_warning_and_critical_columns(metric_type, healthy, warning, critical, thresholds):
    assert ra.Metric(metric_type, healthy).status() == "healthy"
    assert ra.Metric(metric_type, warning).status() == "warning"
    assert ra.Metric(metric_type, critical).status() == "critical"
    # at a threshold exactly the status has not yet changed ("> 0.3", "< 0.3")
    assert ra.Metric(metric_type, thresholds[0]).status() == "healthy"
    assert ra.Metric(metric_type, thresholds[1]).status() == "warning"


SETTERS = {
    T.OT_DISTANCE: "with_ot_distance",
    T.TOPOLOGY_COHERENCE: "with_topology_coherence",
    T.IB_KL: "with_ib_kl",
    T.DIFFUSION_ENERGY: "with_diffusion_energy",
    T.ATTENTION_ENTROPY: "with_attention_entropy",
}


def _builder(values):
    builder = ra.ReportBuilder(ra.ReportConfig())
    for (metric_type, *_), value in zip(TABLE, values):
        builder = getattr(builder, SETTERS[metric_type])(value)
    return builder


def test_health_score_is_in_the_unit_interval_and_falls_with_each_metric():
    assert _builder([row[1] for row in TABLE]).build().health_score == 1.0
    assert _builder([row[3] for row in TABLE]).build().health_score == 0.0
    # halfway between warning and critical scores 0.5 for that metric
    halfway = [row[1] for row in TABLE]
    halfway[0] = 0.5  # OT distance: between 0.3 and 0.7
    assert _builder(halfway).build().health_score == pytest.approx((0.5 + 4) / 5)
    rng = np.random.default_rng(0)
    for _ in range(50):
        values = [rng.uniform(0, 8) for _ in TABLE]
        assert 0.0 <= _builder(values).build().health_score <= 1.0
    assert ra.ReportBuilder().build().health_score == 1.0


def test_seed_example_reads_healthy_and_standard():
    report = (
        ra.ReportBuilder(ra.ReportConfig()).with_ot_distance(0.15).with_topology_coherence(0.82).with_ib_kl(0.05)
        .with_diffusion_energy(0.3).with_attention_entropy(2.1).build()
    )
    assert report.recommendation is ra.AttentionRecommendation.STANDARD
    assert [m.status() for m in report.metrics] == ["healthy"] * 5
    assert report.metric("ib_kl").value == pytest.approx(0.05)
    as_dict = report.to_dict()
    assert as_dict["recommendation"] == "standard" and as_dict["health_score"] == 1.0
    assert as_dict["metrics"][0] == {"type": "ot_distance", "value": pytest.approx(0.15), "status": "healthy"}


def test_builders_are_immutable_and_reject_bad_values():
    base = ra.ReportBuilder()
    changed = base.with_ib_kl(0.9)
    assert base.build().metrics == [] and len(changed.build().metrics) == 1
    with pytest.raises(ra.InvalidInputError):
        base.with_ot_distance(float("nan"))
    with pytest.raises(ra.InvalidInputError):
        base.analyze_keys([[1.0, 2.0]])
    with pytest.raises(ra.InvalidConfigError):
        ra.ReportConfig(sample_size=0)
    with pytest.raises(ra.InvalidConfigError):
        ra.ReportConfig(coherence_metric="nope")


def _gromov_delta_by_loops(x):
    d = cdist(x, x)
    w = 0
    gp = lambda a, b: (d[a, w] + d[b, w] - d[a, b]) / 2
    n = len(x)
    delta = max(min(gp(a, b), gp(b, c)) - gp(a, c) for a, b, c in itertools.product(range(n), repeat=3))
    return 2 * delta / d.max()


def test_analyze_keys_measures_real_metrics(rng):
    keys = rng.normal(size=(14, 5))
    report = ra.ReportBuilder(ra.ReportConfig(k_neighbors=3)).analyze_keys(keys).build()
    w = softmax(keys @ keys.T / math.sqrt(5), axis=1)
    assert report.metric("attention_entropy").value == pytest.approx(np.mean([entropy(row) for row in w]), rel=1e-5)
    kl = np.mean([entropy(row, np.full(14, 1 / 14)) for row in w]) / math.log(14)
    assert report.metric("ib_kl").value == pytest.approx(kl, rel=1e-5)
    assert report.metric("hierarchy").value == pytest.approx(_gromov_delta_by_loops(keys), rel=1e-6)
    # Dirichlet energy on the symmetric 3-NN Gaussian graph, built edge by edge
    d2 = cdist(keys, keys, "sqeuclidean")
    near = [sorted((j for j in range(14) if j != i), key=lambda j: (d2[i, j], j))[:3] for i in range(14)]
    sigma2 = np.median([d2[i, j] for i in range(14) for j in near[i]])
    adjacency = np.zeros((14, 14))
    for i in range(14):
        for j in near[i]:
            adjacency[i, j] = adjacency[j, i] = math.exp(-d2[i, j] / (2 * sigma2))
    lap = np.diag(adjacency.sum(1)) - adjacency
    energy = np.mean([row @ lap @ row / (row @ row) for row in w])
    assert report.metric("diffusion_energy").value == pytest.approx(energy, rel=1e-5)
    coherence = ra.topology.window_coherence(keys, ra.CoherenceMetric.SIMILARITY_VARIANCE, 3)
    assert report.metric("topology_coherence").value == pytest.approx(coherence)
    assert report.sequence_length == 14


def test_ot_distance_measures_drift_between_the_halves(rng):
    still = rng.normal(size=(2000, 8))
    drifting = still + np.repeat([[0.0], [1.5]], 1000, axis=0)
    measure = lambda k: ra.ReportBuilder().analyze_keys(k).build().metric("ot_distance").value
    assert measure(still) < 0.15 < 0.3 < measure(drifting)
    assert measure(drifting * 10) == pytest.approx(measure(drifting), rel=1e-6)  # scale-free


def _tree(rng, depth=5, branch=3, dim=16, length=4.0, shrink=0.35):
    points, frontier = [np.zeros(dim)], [np.zeros(dim)]
    for _ in range(depth):
        frontier = [p + length * rng.normal(size=dim) / np.sqrt(dim) for p in frontier for _ in range(branch)]
        points += frontier
        length *= shrink
    return np.array(points)


def test_recommendation_follows_the_data(rng):
    recommend = lambda k: ra.ReportBuilder().analyze_keys(k).build().recommendation
    R = ra.AttentionRecommendation
    assert recommend(_tree(rng)) is R.GEOMETRIC  # a hierarchy: tree-like metric
    assert recommend(rng.normal(size=(2000, 32))) is R.SPARSE  # long and noisy: attention spread thin
    assert recommend(rng.normal(size=(128, 16))) is R.DIFFUSION  # short and noisy: rough on the key graph
    assert recommend(rng.normal(size=(200, 16)) * 4) is R.DIFFUSION  # peaked attention jumps between neighbours
    curve = np.stack([np.sin(np.linspace(0, 3, 200) * f) for f in range(1, 17)], axis=1)
    assert recommend(curve) is R.STANDARD  # a smooth low-dimensional sequence
    assert R("geometric") is R.GEOMETRIC
