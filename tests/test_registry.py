"""Registry-wide sweep: every mechanism, default config, the contract's conventions and errors."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import ruvector_attention as ra
from ruvector_attention import _validation as checks
from ruvector_attention.registry import resolve

from .conftest import DIM, build, in_ball, value_dim


def _data(attn: ra.Attention, rng: np.random.Generator, m: int = 4, n: int = 9):
    q = in_ball(rng.normal(size=(m, attn.dim)))
    k = in_ball(rng.normal(size=(n, attn.dim)))
    v = in_ball(rng.normal(size=(n, value_dim(attn))))
    return q, k, v


def test_names_are_unique_and_resolvable(name):
    assert resolve(name).name == name
    assert resolve(name.upper().replace("_", "-")) is resolve(name)


def test_unknown_name_lists_choices():
    with pytest.raises(ra.UnknownMechanismError, match="scaled_dot") as err:
        ra.create("no_such_thing", dim=4)
    assert err.value.name == "no_such_thing"
    assert err.value.choices == ra.mechanisms()


def test_outputs_are_finite_float32_with_contract_shapes(name, rng):
    attn = build(name)
    q, k, v = _data(attn, rng)
    single = attn.compute(q[0], k, v)
    batch = attn.compute_batch(q, k, v)
    w, wb = attn.weights(q[0], k), attn.weights_batch(q, k)
    assert single.shape == (v.shape[1],) and batch.shape == (4, v.shape[1])
    assert w.shape == (9,) and wb.shape == (4, 9)
    for out in (single, batch, w, wb):
        assert out.dtype == np.float32 and out.flags.c_contiguous and np.isfinite(out).all()
    np.testing.assert_allclose(wb.sum(axis=1), 1.0, atol=1e-5)
    assert (wb >= 0).all()


def test_lists_and_float64_inputs_equal_float32_arrays(name, rng):
    attn = build(name)
    q, k, v = _data(attn, rng)
    as_lists = attn.compute_batch(q.astype(np.float64).tolist(), k.tolist(), v.tolist())
    np.testing.assert_array_equal(as_lists, attn.compute_batch(q, k, v))


def test_fully_masked_query_gives_zeros_not_nan(name, rng):
    attn = build(name)
    q, k, v = _data(attn, rng)
    mask = np.ones((4, 9), dtype=bool)
    mask[2] = False
    out = attn.compute_batch(q, k, v, mask=mask)
    weights = attn.weights_batch(q, k, mask=mask)
    np.testing.assert_array_equal(weights[2], 0.0)
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[2], 0.0)
    np.testing.assert_array_equal(attn.compute(q[0], k, v, mask=np.zeros(9, bool)), 0.0)


def test_masked_keys_get_zero_weight(name, rng):
    attn = build(name)
    q, k, _ = _data(attn, rng)
    mask = rng.random((4, 9)) < 0.6
    mask[:, 0] = True
    weights = attn.weights_batch(q, k, mask=mask)
    np.testing.assert_array_equal(weights[~mask], 0.0)
    shared = attn.weights_batch(q, k, mask=mask[0])  # (n,) broadcast over queries
    np.testing.assert_array_equal(shared[:, ~mask[0]], 0.0)


def test_causal_is_bottom_right_aligned(name, rng):
    attn = build(name)
    q, k, _ = _data(attn, rng, m=3, n=6)
    weights = attn.weights_batch(q, k, causal=True)
    visible = np.arange(6)[None, :] <= np.arange(3)[:, None] + 3
    np.testing.assert_array_equal(weights[~visible], 0.0)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)


def test_same_seed_same_result(name, rng):
    q, k, v = _data(build(name), rng)
    a, b = build(name), build(name)
    np.testing.assert_array_equal(a.compute_batch(q, k, v), b.compute_batch(q, k, v))


def test_config_round_trip(name, rng):
    attn = build(name)
    data = json.loads(json.dumps(attn.config.to_dict() | {"name": attn.name}))
    clone = ra.from_dict(data)
    assert clone.config == attn.config
    q, k, v = _data(attn, rng)
    np.testing.assert_array_equal(clone.compute_batch(q, k, v), attn.compute_batch(q, k, v))


def test_save_load_round_trip_is_bit_identical(name, rng, tmp_path):
    attn = build(name)
    params = {key: value + 0.01 for key, value in attn.parameters().items()}
    if params:
        attn.load_parameters(params)
    attn.save(tmp_path / "m.npz")
    clone = ra.load(tmp_path / "m.npz")
    assert type(clone) is type(attn) and clone.config == attn.config
    for key, value in attn.parameters().items():
        np.testing.assert_array_equal(clone.parameters()[key], value)
    q, k, v = _data(attn, rng)
    np.testing.assert_array_equal(clone.compute_batch(q, k, v), attn.compute_batch(q, k, v))


def test_load_parameters_validates_names_and_shapes(name):
    attn = build(name)
    params = attn.parameters()
    with pytest.raises(ra.InvalidConfigError):
        attn.load_parameters({**params, "nope": np.zeros(3)})
    if params:
        key = sorted(params)[0]
        with pytest.raises(ra.DimensionMismatchError) as err:
            attn.load_parameters({**params, key: np.zeros((1, 1))})
        assert err.value.actual == [1, 1]


def test_eval_is_default_and_train_returns_self(name):
    attn = build(name)
    assert attn.training is False
    assert attn.train() is attn and attn.training
    assert attn.eval() is attn and not attn.training


# --------------------------------------------------------------------------- errors


def _bad_inputs(attn: ra.Attention, rng):
    q, k, v = _data(attn, rng)
    d = attn.dim
    nan_k = k.copy()
    nan_k[3, 1] = np.nan
    inf_q = q[0].copy()
    inf_q[0] = np.inf
    ragged = [list(map(float, row)) for row in k]
    ragged[2] = ragged[2][:-1]
    return [
        ("empty keys", (q[0], np.zeros((0, d)), np.zeros((0, v.shape[1]))), ra.EmptyInputError),
        ("count mismatch", (q[0], k, v[:-1]), ra.DimensionMismatchError),
        ("query dim", (q[0][:-1], k, v), ra.DimensionMismatchError),
        ("key dim", (q[0], k[:, :-1], v), ra.DimensionMismatchError),
        ("ragged keys", (q[0], ragged, v), ra.DimensionMismatchError),
        ("nan key", (q[0], nan_k, v), ra.InvalidInputError),
        ("inf query", (inf_q, k, v), ra.InvalidInputError),
        ("nan value", (q[0], k, np.where(v > 0, np.nan, v)), ra.InvalidInputError),
        ("1-D keys", (q[0], k[0], v), ra.InvalidInputError),
        ("strings", (["a"] * d, k, v), ra.InvalidInputError),
        ("empty query", (np.zeros(0), k, v), ra.EmptyInputError),
    ]


def test_bad_inputs_raise_typed_errors(name, rng):
    attn = build(name)
    for label, args, error in _bad_inputs(attn, rng):
        with pytest.raises(error):
            attn.compute(*args)
        if label not in ("query dim", "inf query", "empty query", "strings"):
            with pytest.raises(error):
                attn.weights_batch(args[0][None, :], args[1]) if label not in (
                    "count mismatch", "nan value") else attn.compute_batch(args[0][None, :], *args[1:])


def test_error_attributes(rng):
    attn = build("scaled_dot")
    q, k, v = _data(attn, rng)
    with pytest.raises(ra.DimensionMismatchError) as err:
        attn.compute(q[0], k, v[:5])
    assert (err.value.expected, err.value.actual) == (9, 5)
    with pytest.raises(ra.DimensionMismatchError) as err:
        attn.compute(q[0], k, v, mask=np.ones(4, bool))
    assert err.value.expected == [9]
    with pytest.raises(ra.EmptyInputError) as err:
        attn.compute_batch(np.zeros((0, DIM)), k, v)
    assert err.value.context == "queries"
    with pytest.raises(ra.InvalidInputError) as err:
        attn.compute(q[0], np.full_like(k, np.nan), v)
    assert "keys" in err.value.details
    assert isinstance(err.value, ValueError)


def test_too_many_keys(monkeypatch, rng):
    attn = build("scaled_dot")
    q, k, v = _data(attn, rng)
    monkeypatch.setattr(ra, "MAX_KEYS", 5)
    with pytest.raises(ra.InputTooLargeError) as err:
        attn.compute(q[0], k, v)
    assert (err.value.max, err.value.actual) == (5, 9)


def test_too_many_scores(monkeypatch, rng):
    """MAX_SCORES caps returned weight matrices; compute_batch works in row blocks instead."""
    q, k, v = _data(build("scaled_dot"), rng)
    monkeypatch.setattr(ra, "MAX_SCORES", 20)
    with pytest.raises(ra.InputTooLargeError) as err:
        build("scaled_dot").weights_batch(q, k)
    assert (err.value.max, err.value.actual) == (20, 36)
    assert build("flash").compute_batch(q, k, v).shape == (4, 5)


def test_work_bytes_limit_blocks_rows_and_refuses_one_row_too_big(monkeypatch, rng):
    attn = build("scaled_dot")
    q, k, v = _data(attn, rng)
    whole = attn.compute_batch(q, k, v, causal=True)
    monkeypatch.setattr(ra, "MAX_WORK_BYTES", attn._row_bytes(9, 5))  # one row per block
    np.testing.assert_allclose(attn.compute_batch(q, k, v, causal=True), whole, rtol=1e-5, atol=1e-7)
    monkeypatch.setattr(ra, "MAX_WORK_BYTES", 10)
    with pytest.raises(ra.InputTooLargeError) as err:
        attn.compute_batch(q, k, v)
    assert err.value.max == 10


def test_bad_masks(rng):
    attn = build("scaled_dot")
    q, k, v = _data(attn, rng)
    with pytest.raises(ra.InvalidInputError):
        attn.compute(q[0], k, v, mask=np.full(9, 0.5))
    with pytest.raises(ra.DimensionMismatchError):
        attn.compute_batch(q, k, v, mask=np.ones((3, 9), bool))


# --------------------------------------------------------------------------- bad configs

_BAD_VALUES = {
    "positive_int": [0, -1, 2.5, True, "8"],
    "non_negative_int": [-1, 1.5, None],
    "positive_float": [0.0, -1.0, float("nan"), float("inf")],
    "negative_float": [0.0, 1.0, float("nan")],
    "non_negative_float": [-0.1, float("nan")],
    "probability": [-0.1, 1.5, float("nan")],
    "boolean": ["yes", 2],
    "check_choice": ["nope"],
}


def _bad_config_cases(name):
    cls = resolve(name)
    base = cls.Config.example(DIM)
    for field in dataclasses.fields(cls.Config):
        check = field.metadata["check"]
        check = getattr(check, "__wrapped__", check)
        for bad in _BAD_VALUES.get(check.__name__, []):
            yield field.name, {**base, field.name: bad}


def test_every_field_rejects_bad_values(name):
    cases = list(_bad_config_cases(name))
    assert cases, f"{name} has no validated fields"
    for field, kwargs in cases:
        with pytest.raises(ra.InvalidConfigError, match=field) as err:
            ra.create(name, **kwargs)
        assert field in err.value.reason


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("multi_head", {"dim": 10, "num_heads": 0}),
        ("multi_head", {"dim": 10, "num_heads": 3}),
        ("flash", {"dim": 8, "block_size": 0}),
        ("hyperbolic", {"dim": 8, "curvature": 1.0}),
        ("scaled_dot", {"dim": 8, "dropout": 1.5}),
        ("scaled_dot", {"dim": 0}),
        ("scaled_dot", {"dim": 8.0}),
        ("scaled_dot", {"dim": 8, "temperature": 0}),
        ("mixed_curvature", {"euclidean_dim": 0, "hyperbolic_dim": 0, "spherical_dim": 0}),
        ("mixed_curvature", {"euclidean_dim": 2, "hyperbolic_dim": 2, "spherical_dim": 2, "curvature_s": -1.0}),
        ("mixed_curvature", {"euclidean_dim": 2, "hyperbolic_dim": 2, "spherical_dim": 2, "mix": [1, 2]}),
        ("scaled_dot", {"dim": 8, "bogus": 1}),
    ],
)
def test_contract_config_errors(name, kwargs):
    with pytest.raises((ra.InvalidConfigError, TypeError)):
        ra.create(name, **kwargs)


def test_unknown_config_key_is_a_type_error():
    with pytest.raises(TypeError, match="bogus"):
        ra.create("scaled_dot", dim=8, bogus=1)


def test_enum_checker_accepts_lower_case():
    import enum

    class Color(enum.Enum):
        RED = "red"

    assert checks.as_enum(Color, "red") is Color.RED
    assert checks.as_enum(Color, "RED") is Color.RED
    with pytest.raises(ra.InvalidConfigError):
        checks.as_enum(Color, "blue")
