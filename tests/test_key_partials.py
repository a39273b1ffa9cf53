"""``compute_partial``: one query's softmax partial over a chunk of keys, which a pool of
workers merges when it splits the keys. Any split, merged, equals a float64 formula and
``compute`` over all keys; chunks that see nothing add nothing; other mechanisms refuse."""

from __future__ import annotations

import json

import numpy as np
import pytest

import ruvector_attention as ra
from ruvector_attention import bridge
from ruvector_attention.errors import DimensionMismatchError, InputTooLargeError, InvalidConfigError, InvalidInputError
from ruvector_attention.kernels.partials import finish, merge

from .distributed.oracle import attention as float64_attention

MECHANISMS = [("scaled_dot", {"temperature": 0.5}), ("scaled_dot", {"scale": 0.3}), ("flash", {"block_size": 8})]


@pytest.mark.parametrize("name, options", MECHANISMS)
@pytest.mark.parametrize("cuts", [(), (1,), (37, 38), (5, 50, 90)])
def test_any_split_merges_into_the_whole(rng, name, options, cuts):
    attn = ra.create(name, dim=12, **options)
    q, k, v = rng.normal(size=12), rng.normal(size=(100, 12)) * 3, rng.normal(size=(100, 4))
    mask = rng.random(100) > 0.3
    mask[5:50] = False  # a whole chunk sees nothing
    edges = [0, *cuts, 100]
    parts = [attn.compute_partial(q, k[a:b], v[a:b], mask[a:b]) for a, b in zip(edges[:-1], edges[1:])]
    out = finish(merge(parts))[0, 0]
    np.testing.assert_allclose(out, float64_attention(attn, q[None], k, v, mask)[0][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, attn.compute(q, k, v, mask=mask), rtol=1e-5, atol=1e-6)
    assert parts[0].max.dtype == parts[0].weighted.dtype == np.float64


def test_the_scale_is_the_mechanisms_own(rng):
    assert ra.create("scaled_dot", dim=16, temperature=2.0).partial_scale == pytest.approx(0.125)
    assert ra.create("flash", dim=16).partial_scale == pytest.approx(0.25)


def test_huge_inputs_stay_finite(rng):
    attn = ra.create("scaled_dot", dim=4)
    q, k, v = rng.normal(size=4) * 1e19, rng.normal(size=(30, 4)) * 1e19, rng.normal(size=(30, 2)) * 1e38
    out = finish(merge([attn.compute_partial(q, k[:10], v[:10]), attn.compute_partial(q, k[10:], v[10:])]))[0, 0]
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, attn.compute(q, k, v), rtol=1e-5)


@pytest.mark.parametrize("name, options", [("hyperbolic", {}), ("multi_head", {"num_heads": 2}), ("linear", {})])
def test_mechanisms_without_exact_partials_refuse(rng, name, options):
    attn = ra.create(name, dim=8, **options)
    assert attn.partial_scale is None
    with pytest.raises(InvalidConfigError, match="no exact key partials"):
        attn.compute_partial(rng.normal(size=8), rng.normal(size=(4, 8)), rng.normal(size=(4, 8)))


def test_per_call_extras_are_refused_typed(rng):
    attn = ra.create("flash", dim=4)
    with pytest.raises(InvalidConfigError, match="unexpected keyword"):
        attn.compute_partial(rng.normal(size=4), rng.normal(size=(3, 4)), rng.normal(size=(3, 2)), position=2)


def test_dropout_in_training_has_no_exact_partials(rng):
    attn = ra.create("scaled_dot", dim=8, dropout=0.5).train()
    with pytest.raises(InvalidConfigError):
        attn.compute_partial(rng.normal(size=8), rng.normal(size=(4, 8)), rng.normal(size=(4, 2)))
    assert attn.eval().partial_scale is not None


def test_the_bridge_takes_key_ranges_of_uploaded_and_sent_matrices(rng):
    q = rng.normal(size=8).astype(np.float32)
    k, v = rng.normal(size=(50, 8)).astype(np.float32), rng.normal(size=(50, 3)).astype(np.float32)
    mask = (rng.random(50) > 0.3).astype(np.uint8)
    info = json.loads(bridge.create(901, "scaled_dot", json.dumps({"dim": 8})))
    assert info["key_partials"] is True
    bridge.upload(902, k.ravel(), 50, 8)
    bridge.upload(903, v.ravel(), 50, 3)
    try:
        for keys, values in [(902, 903), (k.ravel(), v.ravel())]:
            parts = [
                bridge.call(901, "compute_partial", q, keys, values, mask, key_start=a, key_stop=b)
                for a, b in ((0, 20), (20, 50))
            ]
            assert all(p.dtype == np.float64 and p.shape == (5,) for p in parts)
            top = max(p[0] for p in parts)
            factors = [np.exp(p[0] - top) for p in parts]
            out = sum(f * p[2:] for f, p in zip(factors, parts)) / sum(f * p[1] for f, p in zip(factors, parts))
            expected = float64_attention(ra.create("scaled_dot", dim=8), q[None], k, v, mask.astype(bool))[0][0]
            np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
        with pytest.raises(InvalidInputError, match="key part"):
            bridge.call(901, "compute_partial", q, 902, 903, None, key_start=30, key_stop=60)
        with pytest.raises(InvalidInputError, match="key part"):
            bridge.call(901, "compute_partial", q, 902, 903, None, key_start=True, key_stop=2)
        with pytest.raises(DimensionMismatchError, match="one row per key"):
            bridge.call(901, "compute_partial", q, 902, v[:40].ravel(), None, values_rows=40, key_start=0, key_stop=20)
        # a part sent alone: rows 0..20 of a call of 50 keys
        def sent(keys, total, start=0, stop=20, mask=None):
            rows = len(keys) // 8
            values = v[start : start + rows].ravel()
            return bridge.call(
                901, "compute_partial", q, keys, values, mask, key_start=start, key_stop=stop, key_total=total
            )

        np.testing.assert_allclose(sent(k[:20].ravel(), 50, mask=mask[:20]), parts[0], rtol=1e-6)
        with pytest.raises(InvalidInputError, match="key_total 10 is less than the 20 keys"):
            sent(k[:20].ravel(), 10)
        with pytest.raises(InvalidConfigError, match="key_total"):
            sent(k[:20].ravel(), True)
        with pytest.raises(InputTooLargeError):
            sent(k[:20].ravel(), ra.MAX_KEYS + 1)
        with pytest.raises(InvalidInputError, match="are 10 rows, but 20 were sent"):
            sent(k[:20].ravel(), 50, 0, 10)
        bad = k[20:40].copy()
        bad[3, 1] = np.nan
        with pytest.raises(InvalidInputError, match=r"index \(3, 1\).*keys 20..40 of 50"):
            sent(bad.ravel(), 50, 20, 40)
        with pytest.raises(DimensionMismatchError, match="mask"):
            bridge.call(901, "compute_partial", q, 902, 903, mask[:49], key_start=0, key_stop=20)
    finally:
        bridge.dispose(901)
        bridge.release(902)
        bridge.release(903)
