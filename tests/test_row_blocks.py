"""Batch methods in row blocks (``ra.MAX_WORK_BYTES``) give the results of one block."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra

from .conftest import build, value_dim

DIM = 8
M, N = 7, 9


def _extras(name: str, rng: np.random.Generator, m: int = M) -> dict:
    """Per-row inputs, so that slicing them with the rows is exercised too."""
    if name == "rope":
        return {"distances": rng.integers(0, 5, size=(m, N)).astype(np.float32)}
    if name == "edge_featured":
        return {"edge_features": rng.normal(size=(m, N, 3)).astype(np.float32)}
    if name == "dual_space":
        return {"graph_mask": rng.random((m, N)) < 0.6}
    return {}


def _one_row(attn: ra.Attention, dv: int, monkeypatch: pytest.MonkeyPatch) -> ra.Attention:
    """Set the smallest work budget (in steps of 10 %) that ``attn`` and its experts accept:
    about one query row of the hungriest of them (plus the per-key-set state of mechanisms
    that keep some, like diffusion's graph). Returns that hungriest part."""
    parts = [attn, *getattr(attn, "experts", [])]
    budget = max(part._row_bytes(N, dv) for part in parts)
    while True:
        monkeypatch.setattr(ra, "MAX_WORK_BYTES", budget)
        try:
            sizes = [part._block_size(M, N, dv) for part in parts]
        except ra.InputTooLargeError:
            budget = int(budget * 1.1) + 1
            continue
        return parts[sizes.index(min(sizes))]


def _problem(name, rng, m=M):
    attn = build(name, DIM)
    q = rng.normal(size=(m, DIM)).astype(np.float32) * 0.5
    k = rng.normal(size=(N, DIM)).astype(np.float32) * 0.5
    v = rng.normal(size=(N, value_dim(attn))).astype(np.float32)
    mask = rng.random((m, N)) < 0.8
    return q, k, v, mask


@pytest.mark.parametrize("name", ra.mechanisms())
def test_one_row_per_block_equals_one_block(name, monkeypatch):
    rng = np.random.default_rng(7)
    q, k, v, mask = _problem(name, rng)
    extras = _extras(name, rng)
    whole_attn, blocked_attn = build(name, DIM), build(name, DIM)
    whole = whole_attn.compute_batch(q, k, v, mask=mask, causal=True, **extras)
    whole_w = whole_attn.weights_batch(q, k, mask=mask, causal=True, **extras)
    widest = _one_row(blocked_attn, v.shape[1], monkeypatch)
    assert widest._block_size(M, N, v.shape[1]) < M
    np.testing.assert_allclose(blocked_attn.compute_batch(q, k, v, mask=mask, causal=True, **extras), whole, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(blocked_attn.weights_batch(q, k, mask=mask, causal=True, **extras), whole_w, rtol=1e-5, atol=1e-6)
    if name == "topology_gated":  # one policy step per call, however many blocks
        assert blocked_attn.current_mode() == whole_attn.current_mode()


@pytest.mark.parametrize("name", [n for n in ra.mechanisms() if ra.create(n, **build(n, DIM).config.to_dict()).differentiable])
def test_backward_in_blocks_sums_key_and_parameter_gradients(name, monkeypatch):
    rng = np.random.default_rng(8)
    q, k, v, mask = _problem(name, rng, m=3 * M)  # linear needs a few rows per block
    extras = _extras(name, rng, m=3 * M)
    g = rng.normal(size=(3 * M, v.shape[1])).astype(np.float32)
    attn = build(name, DIM)
    whole = attn.backward(q, k, v, g, mask=mask, **extras)
    _one_row(attn, v.shape[1], monkeypatch)
    if isinstance(attn, ra.LinearAttention):  # its backward holds every key's random features
        monkeypatch.setattr(ra, "MAX_WORK_BYTES", max(ra.MAX_WORK_BYTES, attn._feature_bytes * N))
    assert attn._block_size(len(q), N, v.shape[1]) < len(q)
    blocked = attn.backward(q, k, v, g, mask=mask, **extras)
    for field in ("query", "keys", "values"):
        np.testing.assert_allclose(getattr(blocked, field), getattr(whole, field), rtol=1e-4, atol=1e-6)
    for param, value in whole.params.items():
        np.testing.assert_allclose(blocked.params[param], value, rtol=1e-4, atol=1e-6)


def test_moe_routes_the_whole_batch_once(monkeypatch):
    """Expert capacity couples the rows: blocks must not change who goes where."""
    rng = np.random.default_rng(9)
    attn = ra.create("moe", dim=DIM, num_experts=4, top_k=1, expert_capacity=0.5)
    q, k, v = rng.normal(size=(M, DIM)), rng.normal(size=(N, DIM)), rng.normal(size=(N, 3))
    whole = attn.compute_batch(q, k, v)
    stats = dict(attn.last_stats)
    widest = _one_row(attn, 3, monkeypatch)
    assert widest._block_size(M, N, 3) < M
    np.testing.assert_allclose(attn.compute_batch(q, k, v), whole, rtol=1e-5, atol=1e-6)
    assert attn.last_stats == stats and stats["rerouted"] + stats["over_capacity"] > 0


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("name", [n for n in ra.mechanisms() if ra.registry.resolve(n).splittable])
def test_public_row_slices_join_to_the_whole_batch(name, causal):
    """``rows=(offset, total)``: a slice of a batch at its global positions (what a worker
    of the JS pool computes), for every method with rows."""
    rng = np.random.default_rng(11)
    q, k, v, mask = _problem(name, rng)
    extras = _extras(name, rng)
    attn = build(name, DIM)
    parts = [(0, 3), (3, 4), (4, M)]
    for method, args in [("compute_batch", (q, k, v)), ("weights_batch", (q, k)), ("head_weights_batch", (q, k))]:
        whole = getattr(attn, method)(*args, mask=mask, causal=causal, **extras)
        sliced = [
            getattr(attn, method)(
                args[0][a:b], *args[1:], mask=mask[a:b], causal=causal, rows=(a, M),
                **{key: value[a:b] for key, value in extras.items()},
            )
            for a, b in parts
        ]
        np.testing.assert_allclose(np.concatenate(sliced, axis=-2), whole, atol=1e-6, err_msg=method)


@pytest.mark.parametrize("rows", [(5, M), (-1, M), (0,), "0,7", (0.0, M), (True, M)])
def test_row_slices_must_fit_their_batch(rows):
    attn = ra.ScaledDotProductAttention(DIM)
    q, k, v, _ = _problem("scaled_dot", np.random.default_rng(0))
    with pytest.raises(ra.InvalidInputError, match="rows must be"):
        attn.compute_batch(q[:3], k, v, rows=rows)


def test_per_call_inputs_live_in_the_call_not_the_instance():
    """A call's context is passed to the kernels: a call made from inside another (a
    re-entrant call) sees its own per-call inputs, and nothing stays on the instance."""
    rope = ra.GraphRoPE(DIM)
    rng = np.random.default_rng(3)
    q, k, v, _ = _problem("rope", rng)
    near, far = np.zeros(N), np.arange(N) * 3.0
    expected_outer = rope.weights_batch(q, k, distances=far)
    expected_inner = rope.weights_batch(q, k, distances=near)
    original = rope._weights
    inner: list = []

    def reentrant(queries, keys, ctx):
        if not inner:
            inner.append(None)
            inner[0] = rope.weights_batch(q, k, distances=near)
        return original(queries, keys, ctx)

    rope._weights = reentrant
    np.testing.assert_array_equal(rope.weights_batch(q, k, distances=far), expected_outer)
    np.testing.assert_array_equal(inner[0], expected_inner)
    assert not any(isinstance(value, dict) and value and "distances" in value for value in vars(rope).values())


def test_the_mask_rule_has_one_message_for_every_entry_point():
    from ruvector_attention import bridge

    attn = ra.ScaledDotProductAttention(DIM)
    q, k, v, _ = _problem("scaled_dot", np.random.default_rng(0))
    bad = np.full(N, 0.5)
    messages = set()
    for call in (
        lambda: attn.compute(q[0], k, v, mask=bad),
        lambda: attn.compute_batch(q, k, v, mask=bad.astype(object)),
        lambda: attn.weights_batch(q, k, mask=np.full(N, 2)),
        lambda: (bridge.create(90, "scaled_dot", f'{{"dim": {DIM}}}'),
                 bridge.call(90, "compute", q[0], k.ravel(), v.ravel(), bad.astype(np.float32))),
    ):
        with pytest.raises(ra.InvalidInputError) as err:
            call()
        messages.add(str(err.value).split(", got")[0])
    bridge.take_error()
    assert messages == {"mask must hold booleans or 0/1 values (True = attend)"}
    np.testing.assert_array_equal(  # numeric 0/1 masks equal boolean ones
        attn.compute_batch(q, k, v, mask=(np.arange(N) % 2).astype(np.float32)),
        attn.compute_batch(q, k, v, mask=np.arange(N) % 2 == 1),
    )
