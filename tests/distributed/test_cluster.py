"""ruvector_attention.distributed on a real LocalCluster (two worker processes, one thread
each, started and stopped here).

Oracles: the in-process library call (``attn.compute_batch`` / ``weights_batch``) for every
mechanism, and for the key-sharded four also the float64 formula of ``oracle.py``.
"""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

pytest.importorskip("distributed")

import dask.array as da  # noqa: E402
from distributed import Client, LocalCluster, SchedulerPlugin  # noqa: E402

import ruvector_attention as ra  # noqa: E402
from ruvector_attention import distributed as rad  # noqa: E402
from ruvector_attention.errors import (  # noqa: E402
    DimensionMismatchError,
    EmptyInputError,
    InputTooLargeError,
    InvalidConfigError,
    InvalidInputError,
)
from ruvector_attention.registry import resolve  # noqa: E402

from ..conftest import build, in_ball, value_dim  # noqa: E402
from . import oracle  # noqa: E402

DIM = 8
SHARDABLE = [name for name in ra.mechanisms() if not resolve(name).stateful]


class Submissions(SchedulerPlugin):
    """Counts the tasks clients submit to the scheduler."""

    def __init__(self) -> None:
        self.tasks = 0

    def update_graph(self, scheduler, *, keys, **kwargs) -> None:
        self.tasks += len(keys)


SUBMITTED = Submissions()


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0")
    cluster.scheduler.add_plugin(SUBMITTED)  # the scheduler runs in this process
    with Client(cluster) as c:
        yield c
    cluster.close()


def data(rng, m, n, dv, dim=DIM):
    q, k = in_ball(rng.normal(size=(m, dim))), in_ball(rng.normal(size=(n, dim)))
    return q, k, rng.normal(size=(n, dv)).astype(np.float32)


def perturbed(attn: ra.Attention, rng) -> ra.Attention:
    """``attn`` with parameters no config rebuild would draw (so they must travel)."""
    params = attn.parameters()
    if params:
        attn.load_parameters({name: value + rng.normal(scale=0.05, size=value.shape).astype(np.float32) for name, value in params.items()})
    return attn


@pytest.mark.parametrize("name", SHARDABLE)
def test_row_sharding_equals_the_library(client, rng, name):
    attn = perturbed(build(name, DIM), rng)
    m, n = 11, 16
    q, k, v = data(rng, m, n, value_dim(attn))
    mask = rng.random((m, n)) > 0.3
    mask[4] = False  # a query that sees no key
    results = [
        rad.compute_batch(attn, q, k, v, query_chunks=4),
        rad.compute_batch(attn, q, k, v, mask=mask, causal=True, query_chunks=4),
        rad.weights_batch(attn, q, k, query_chunks=4),
        rad.weights_batch(attn, q, k, mask=mask[0], causal=True, query_chunks=4),
    ]
    assert results[0].numblocks[0] == (3 if attn.splittable else 1)
    got = da.compute(*results)
    expected = [
        attn.compute_batch(q, k, v),
        attn.compute_batch(q, k, v, mask, causal=True),
        attn.weights_batch(q, k),
        attn.weights_batch(q, k, mask[0], causal=True),
    ]
    for lazy, out, want in zip(results, got, expected):
        assert out.dtype == np.float32 and out.shape == want.shape == lazy.shape
        np.testing.assert_allclose(out, want, atol=1e-5)


KEY_SHARDED = ["flash", "local_global", "multi_head", "scaled_dot"]


def key_sharded(name: str, rng) -> ra.Attention:
    overrides = {"local_global": {"window_size": 6, "num_global": 2}, "scaled_dot": {"temperature": 0.7}}
    return perturbed(build(name, DIM, **overrides.get(name, {})), rng)


def test_the_key_sharded_four_are_listed():
    assert sorted(rad.KEY_SHARDED) == KEY_SHARDED


@pytest.mark.parametrize("name", KEY_SHARDED)
@pytest.mark.parametrize("masked, causal", [(False, False), (True, False), (False, True), (True, True)])
def test_key_sharding_is_exact(client, rng, name, masked, causal):
    attn = key_sharded(name, rng)
    m, n = 13, 31  # m != n: causal order is bottom-right aligned
    q, k, v = data(rng, m, n, value_dim(attn))
    mask = None
    if masked:
        mask = rng.random((m, n)) > 0.5
        mask[3] = False  # sees no key
        mask[7, :25] = False  # sees keys of the last chunks only
    out = rad.compute_batch(attn, q, k, v, mask=mask, causal=causal, key_chunks=7, query_chunks=5, split_every=2)
    w = rad.weights_batch(attn, q, k, mask=mask, causal=causal, key_chunks=7, query_chunks=5)
    assert w.numblocks == (3, 5)
    partial_tasks = [key for key in out.__dask_graph__() if str(key[0] if isinstance(key, tuple) else key).startswith("key_partial")]
    assert len(partial_tasks) == 3 * 5  # one per (query block, key chunk): no task holds all keys
    out, w = da.compute(out, w)
    np.testing.assert_allclose(out, attn.compute_batch(q, k, v, mask, causal=causal), atol=1e-5)
    np.testing.assert_allclose(w, attn.weights_batch(q, k, mask, causal=causal), atol=1e-5)
    want_out, want_w = oracle.attention(attn, q, k, v, mask, causal)
    np.testing.assert_allclose(out, want_out, atol=1e-5)
    np.testing.assert_allclose(w, want_w, atol=1e-5)
    if masked:
        assert (out[3] == 0).all() and (w[3] == 0).all()


@pytest.mark.parametrize("name", KEY_SHARDED)
def test_dask_inputs_with_their_own_chunks(client, rng, name):
    attn = key_sharded(name, rng)
    q, k, v = data(rng, 10, 25, value_dim(attn))
    mask = rng.random(25) > 0.3  # one (n,) mask for every query, chunked with the keys
    lazy = [da.from_array(x, chunks=(3, -1)) for x in (q, k, v)]
    got = [
        rad.compute_batch(attn, *lazy, mask=da.from_array(mask, chunks=4), causal=True, key_chunks=6),
        rad.compute_batch(attn, *lazy, mask=da.from_array(mask, chunks=4), causal=True),
    ]
    assert got[1].chunks[0] == lazy[0].chunks[0]  # row sharding keeps the queries' chunks
    for out in da.compute(*got):
        np.testing.assert_allclose(out, attn.compute_batch(q, k, v, mask, causal=True), atol=1e-5)


def test_finite_for_float32_extremes(client, rng):
    attn = ra.ScaledDotProductAttention(DIM)
    q = (rng.uniform(-1, 1, size=(6, DIM)) * 1e19).astype(np.float32)  # scores beyond float32
    k = (rng.uniform(-1, 1, size=(20, DIM)) * 1e19).astype(np.float32)
    v = (rng.uniform(-1, 1, size=(20, 3)) * 3e38).astype(np.float32)
    out = rad.compute_batch(attn, q, k, v, key_chunks=6).compute()
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, attn.compute_batch(q, k, v), rtol=1e-5, atol=1e-5 * 3e38)


def test_more_keys_than_max_keys_when_sharded(client, rng, monkeypatch):
    attn = key_sharded("multi_head", rng)
    q, k, v = data(rng, 5, 90, DIM)
    expected = attn.compute_batch(q, k, v, causal=True)
    monkeypatch.setattr(ra, "MAX_KEYS", 40)  # shipped to the workers with the mechanism
    out = rad.compute_batch(attn, q, k, v, causal=True, key_chunks=40).compute()
    np.testing.assert_allclose(out, expected, atol=1e-5)
    before = SUBMITTED.tasks
    with pytest.raises(InputTooLargeError):
        rad.compute_batch(attn, q, k, v)  # row sharding holds all keys in one task
    with pytest.raises(InputTooLargeError):
        rad.compute_batch(attn, q, k, v, key_chunks=41)
    assert SUBMITTED.tasks == before


def test_key_sharded_query_blocks_fit_max_work_bytes(rng, monkeypatch):
    attn = ra.FlashAttention(DIM)
    q, k, v = data(rng, 23, 100, 3)
    expected = attn.compute_batch(q, k, v)
    monkeypatch.setattr(ra, "MAX_WORK_BYTES", 32 * 100 * 5)  # five rows of 100 scores
    out = rad.compute_batch(attn, q, k, v, key_chunks=100)
    assert out.chunks[0] == (5, 5, 5, 5, 3)
    rows = rad.compute_batch(attn, q, k, v)  # its tasks run under the limits of its making
    ra.MAX_WORK_BYTES = 1 << 29
    for lazy in (out, rows):
        np.testing.assert_allclose(lazy.compute(scheduler="sync"), expected, atol=1e-5)  # in this process
    assert ra.MAX_WORK_BYTES == 1 << 29  # and only while they ran


class Unregistered(ra.ScaledDotProductAttention):
    """User code: it must not travel."""


def bad_calls(rng):
    """``(error class, call)`` pairs of bad input, each refused on the client."""
    attn = ra.ScaledDotProductAttention(DIM)
    q, k, v = data(rng, 4, 9, 3)
    nan_keys = k.copy()
    nan_keys[2, 1] = np.nan
    training = ra.ScaledDotProductAttention(DIM).train()
    heads = ra.create("dynamic_head", dim=DIM, max_heads=4)
    heads.set_active_heads(2)
    return [
        (DimensionMismatchError, lambda: rad.compute_batch(attn, q[:, :5], k, v)),
        (DimensionMismatchError, lambda: rad.compute_batch(attn, q, k, v[:7])),
        (DimensionMismatchError, lambda: rad.compute_batch(attn, q, da.from_array(k), da.from_array(v[:7]))),
        (DimensionMismatchError, lambda: rad.compute_batch(attn, da.from_array(q[:, :5]), k, v, key_chunks=3)),
        (DimensionMismatchError, lambda: rad.weights_batch(attn, q, k, mask=np.ones((4, 8), bool))),
        (DimensionMismatchError, lambda: rad.weights_batch(attn, q, k, mask=da.ones((3, 9), dtype=bool), key_chunks=3)),
        (InvalidInputError, lambda: rad.compute_batch(attn, q, nan_keys, v, key_chunks=3)),
        (InvalidInputError, lambda: rad.compute_batch(attn, q, k[0], v)),
        (InvalidInputError, lambda: rad.compute_batch(attn, da.from_array(np.array([["a"] * DIM] * 4)), k, v)),
        (InvalidInputError, lambda: rad.compute_batch(attn, q, k, v, causal="false")),
        (InvalidInputError, lambda: rad.weights_batch(attn, q, k, mask=np.full((4, 9), 2))),
        (InvalidInputError, lambda: rad.compute_batch("scaled_dot", q, k, v)),
        (InvalidInputError, lambda: rad.compute_batch(attn, q, k, None)),
        (EmptyInputError, lambda: rad.compute_batch(attn, q[:0], k, v)),
        (InvalidConfigError, lambda: rad.compute_batch(attn, q, k, v, key_chunks=0)),
        (InvalidConfigError, lambda: rad.compute_batch(ra.create("rope", dim=DIM), q, k, v, key_chunks=3)),
        (InvalidConfigError, lambda: rad.compute_batch(ra.create("topology_gated", dim=DIM), q, k, v)),
        (InvalidConfigError, lambda: rad.compute_batch(training, q, k, v)),
        (InvalidConfigError, lambda: rad.compute_batch(heads, q, k, np.zeros((9, DIM)))),
        (InvalidConfigError, lambda: rad.compute_batch(Unregistered(DIM), q, k, v)),
    ]


def test_bad_input_is_refused_before_any_task(client, rng):
    before = SUBMITTED.tasks
    for error, call in bad_calls(rng):
        with pytest.raises(error):
            call()
    assert SUBMITTED.tasks == before
    rad.compute_batch(ra.ScaledDotProductAttention(DIM), *data(rng, 4, 9, 3)).compute()
    assert SUBMITTED.tasks > before  # the counter does count tasks


def test_stateful_is_refused_naming_why(rng):
    with pytest.raises(InvalidConfigError, match="stateful"):
        rad.compute_batch(ra.create("topology_gated", dim=DIM), *data(rng, 3, 5, 2))
    with pytest.raises(InvalidConfigError, match=r"flash.*local_global.*multi_head.*scaled_dot"):
        rad.weights_batch(ra.create("linear", dim=DIM), *data(rng, 3, 5, 2)[:2], key_chunks=2)


def test_values_of_dask_inputs_are_checked_by_the_tasks(client, rng):
    attn = ra.ScaledDotProductAttention(DIM)
    q, k, v = data(rng, 4, 9, 3)
    k[5, 0] = np.inf
    for key_chunks in (None, 3):
        lazy = rad.compute_batch(attn, q, da.from_array(k, chunks=3), v, key_chunks=key_chunks)
        with pytest.raises(InvalidInputError, match="keys"):
            lazy.compute()


def test_a_killed_worker_is_replaced_and_the_result_stays_exact(client, rng):
    attn = key_sharded("multi_head", rng)
    q, k, v = data(rng, 64, 40_000, DIM)
    mask = rng.random(40_000) > 0.1
    out = rad.compute_batch(attn, q, k, v, mask=mask, causal=True, key_chunks=2_000, query_chunks=16)
    before = set(client.scheduler_info()["workers"])
    future = client.compute(out)
    deadline = time.monotonic() + 30
    victim = None
    while victim is None and time.monotonic() < deadline:
        busy = [w for w, keys in client.processing().items() if keys]
        victim = busy[0] if busy else None
        time.sleep(0.01)
    assert victim is not None and not future.done()
    os.kill(client.run(os.getpid, workers=[victim])[victim], signal.SIGKILL)  # a crash, mid-graph
    result = future.result(timeout=120)
    np.testing.assert_allclose(result, attn.compute_batch(q, k, v, mask, causal=True), atol=1e-5)
    client.wait_for_workers(2, timeout=60)
    after = set(client.scheduler_info()["workers"])
    assert victim not in after and len(after) == 2 and after != before  # the nanny started a new one
