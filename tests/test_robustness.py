"""Hostile-input sweep over every registered mechanism (issue 11, part 6; API.md §1
"Robustness rules"): finite in, finite out, no RuntimeWarning; strict boundary types;
typed errors; bounded working memory (tracemalloc).

Known failures are listed in ``XFAIL`` below, by mechanism and case; each is a strict
xfail, so a fixed mechanism turns its entry into an XPASS failure: delete the entry then.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import json
import signal
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ruvector_attention as ra
from ruvector_attention import bridge
from ruvector_attention.registry import resolve

from .conftest import build, value_dim
from .hostile import (
    DENORMAL_MIN,
    DIM,
    FLOAT32_MAX,
    KINDS,
    SWEEP,
    Problem,
    check_gradients,
    check_output,
    check_weights,
    no_runtime_warnings,
    problems,
)

# Known failures, by mechanism: {case: reason}. A case is "<entry>/<input class>" of the sweep
# (entry single, batch or backward; classes in tests/hostile.py KINDS), "extremes/<entry>",
# "types/...", "config/<option>=<value>", "memory/...", "size/<option>" or
# "size/constructor-<i>" (HUGE_CONSTRUCTORS[i]); keys may be globs ("single/*"). "*" holds
# entries for every mechanism. A str reason is a strict xfail: once the case passes it fails
# as XPASS(strict), delete the entry then. A (reason, ExceptionType) pair is a non-strict
# xfail that only accepts that exception: for a core bug that some generated examples reach
# and others do not (so "must fail" cannot be promised per case); the strict "extremes/"
# entries of the same bug tell when it is fixed.
_CORE_NARROWING = (
    "_validation.as_array: a float64/integer/object input whose float32 entries sum beyond float32 "
    "(e.g. np.full(6, 3e38, np.float64)) raises IndexError ('index 0 is out of bounds for axis 0 "
    "with size 0'): all_finite(narrowed) is a sum test, so a finite array is taken for non-finite "
    "and np.argwhere(~isfinite) finds nothing"
)
_SOFTMAX_OVERFLOW = "RuntimeWarning: overflow encountered in subtract (kernels/softmax.py:27)"
XFAIL: dict[str, dict[str, str | tuple[str, type[BaseException]]]] = {}

NAMES = ra.mechanisms()
DIFFERENTIABLE = [name for name in NAMES if resolve(name).differentiable]


def xfail_marks(name: str, case: str) -> list[pytest.MarkDecorator]:
    """The xfail mark ``XFAIL`` gives ``case`` of mechanism ``name`` (its own entries first)."""
    for key in (name, "*"):
        for pattern, entry in XFAIL.get(key, {}).items():
            if fnmatch.fnmatchcase(case, pattern):
                if isinstance(entry, tuple):
                    reason, raises = entry
                    return [pytest.mark.xfail(strict=False, raises=raises, reason=reason)]
                return [pytest.mark.xfail(strict=True, reason=entry)]
    return []


def cases(names: list[str], keys: list[str], prefix: str = "") -> list[Any]:
    """``pytest.param(name, key)`` for every pair, xfail where ``XFAIL`` says so."""
    return [
        pytest.param(name, key, marks=xfail_marks(name, f"{prefix}{key}"), id=f"{name}-{prefix}{key}")
        for name in names
        for key in keys
    ]


def by_mechanism(case: str, names: list[str] | None = None) -> pytest.MarkDecorator:
    """Parametrize ``name`` over mechanisms for one case."""
    return pytest.mark.parametrize(
        "name", [pytest.param(name, marks=xfail_marks(name, case), id=name) for name in (NAMES if names is None else names)]
    )


def data_for(attn: ra.Attention, m: int, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((m, attn.dim), dtype=np.float32),
        rng.standard_normal((n, attn.dim), dtype=np.float32),
        rng.standard_normal((n, value_dim(attn)), dtype=np.float32),
    )


# ============================================================================ 1. finite in, finite out


@pytest.mark.parametrize(("name", "kind"), cases(NAMES, list(KINDS), "single/"))
@SWEEP
@given(data=st.data())
def test_single_query_on_hostile_input(name: str, kind: str, data: st.DataObject) -> None:
    """``compute`` and ``weights`` of one query: finite, float32, weights a distribution."""
    p: Problem = data.draw(problems(name, kind, single=True), label="problem")
    n = np.asarray(p.keys, dtype=object).shape[0]
    dv = value_dim(p.attn)
    with no_runtime_warnings():
        out = p.attn.compute(p.queries, p.keys, p.values, mask=p.mask, **p.extras)
        weights = p.attn.weights(p.queries, p.keys, mask=p.mask, **p.extras)
    check_output(out, (dv,), p.blind, "compute", p)
    check_weights(weights, (n,), p.blind, "weights", p)


@pytest.mark.parametrize(("name", "kind"), cases(NAMES, list(KINDS), "batch/"))
@SWEEP
@given(data=st.data())
def test_batch_on_hostile_input(name: str, kind: str, data: st.DataObject) -> None:
    """``compute_batch``, ``weights_batch`` and ``head_weights_batch``, with masks (blind
    rows included) and causal order."""
    p: Problem = data.draw(problems(name, kind, single=False), label="problem")
    m = np.asarray(p.queries, dtype=object).shape[0]
    n = np.asarray(p.keys, dtype=object).shape[0]
    dv, heads = value_dim(p.attn), p.attn.num_heads
    with no_runtime_warnings():
        out = p.attn.compute_batch(p.queries, p.keys, p.values, mask=p.mask, causal=p.causal, **p.extras)
        weights = p.attn.weights_batch(p.queries, p.keys, mask=p.mask, causal=p.causal, **p.extras)
        per_head = p.attn.head_weights_batch(p.queries, p.keys, mask=p.mask, causal=p.causal, **p.extras)
    check_output(out, (m, dv), p.blind, "compute_batch", p)
    check_weights(weights, (m, n), p.blind, "weights_batch", p)
    assert per_head.shape == (heads, m, n)
    for h in range(heads):
        check_weights(np.ascontiguousarray(per_head[h]), (m, n), p.blind, f"head_weights_batch[{h}]", p)


@pytest.mark.parametrize(("name", "kind"), cases(DIFFERENTIABLE, list(KINDS), "backward/"))
@SWEEP
@given(data=st.data())
def test_backward_on_hostile_input(name: str, kind: str, data: st.DataObject) -> None:
    """``backward`` of one query or a batch, grad_output hostile too: finite gradients."""
    single = data.draw(st.booleans(), label="single")
    p: Problem = data.draw(problems(name, kind, single=single, grad=True), label="problem")
    with no_runtime_warnings():
        grads = p.attn.backward(p.queries, p.keys, p.values, p.grad, mask=p.mask, causal=p.causal, **p.extras)
    check_gradients(grads, p)
    assert grads.query.shape == np.asarray(p.queries, dtype=object).shape


EXTREMES: dict[str, Callable[[tuple[int, ...]], Any]] = {
    "float32 max (float64 array)": lambda shape: np.full(shape, FLOAT32_MAX, dtype=np.float64),
    "-float32 max (float32 array)": lambda shape: np.full(shape, -FLOAT32_MAX, dtype=np.float32),
    "alternating +-float32 max": lambda shape: np.where(np.indices(shape).sum(axis=0) % 2, FLOAT32_MAX, -FLOAT32_MAX),
    "1e20": lambda shape: np.full(shape, 1e20, dtype=np.float32),
    "smallest denormal": lambda shape: np.full(shape, DENORMAL_MIN, dtype=np.float32),
    "zeros": lambda shape: np.zeros(shape, dtype=np.float32),
    "uint64 max": lambda shape: np.full(shape, 2**64 - 1, dtype=np.uint64),
    "int64 min": lambda shape: np.full(shape, -(2**63), dtype=np.int64),
    "list of 2**64-1": lambda shape: np.full(shape, 2**64 - 1, dtype=object).tolist(),
    "list of 3 * 10**38": lambda shape: np.full(shape, 3 * 10**38, dtype=object).tolist(),
}


def _extreme_cases(attn: ra.Attention, m: int, n: int) -> Iterator[tuple[str, Any, Any, Any, Any]]:
    """One operand (or all four) filled with one extreme value, the rest ordinary."""
    rng = np.random.default_rng(7)
    dv = value_dim(attn)
    shapes = {"queries": (m, attn.dim), "keys": (n, attn.dim), "values": (n, dv), "grad": (m, dv)}
    for label, make in EXTREMES.items():
        for target in ("queries", "keys", "values", "grad", "all"):
            ops = {
                role: make(shape) if target in (role, "all") else rng.standard_normal(shape, dtype=np.float32)
                for role, shape in shapes.items()
            }
            yield f"{label} in {target}", ops["queries"], ops["keys"], ops["values"], ops["grad"]


@contextlib.contextmanager
def _context(label: str) -> Iterator[None]:
    """Name the input in any error raised inside (a RuntimeWarning turned error included)."""
    try:
        yield
    except AssertionError:
        raise
    except Exception as err:  # noqa: BLE001 - re-raised with the input's name
        raise AssertionError(f"{label}: {type(err).__name__}: {err}") from err


@pytest.mark.parametrize(("name", "entry"), cases(NAMES, ["single", "batch"], "extremes/") + cases(DIFFERENTIABLE, ["backward"], "extremes/"))
def test_fixed_extreme_values(name: str, entry: str) -> None:
    """Deterministic companions of the sweep: every operand at float32 max (as float32 and
    float64), 1e20, the smallest denormal, zeros, uint64 max, int64 min, lists of big ints."""
    attn = build(name, DIM)
    m, n = 3, 5
    for label, q, k, v, g in _extreme_cases(attn, m, n):
        blind = np.zeros(1 if entry == "single" else m, bool)
        with no_runtime_warnings(), _context(label):
            if entry == "single":
                q1 = q[0]
                check_output(attn.compute(q1, k, v), (value_dim(attn),), blind, f"compute, {label}")
                check_weights(attn.weights(q1, k), (n,), blind, f"weights, {label}")
            elif entry == "batch":
                check_output(attn.compute_batch(q, k, v), (m, value_dim(attn)), blind, f"compute_batch, {label}")
                check_weights(attn.weights_batch(q, k), (m, n), blind, f"weights_batch, {label}")
                causal = attn.compute_batch(q, k, v, causal=True)
                check_output(causal, (m, value_dim(attn)), blind, f"compute_batch(causal=True), {label}")
            else:
                check_gradients(attn.backward(q, k, v, g), label)
                check_gradients(attn.backward(q[0], k, v, g[0]), label)


# ============================================================================ 2. strict boundary types

BAD_FLAGS = ["false", "true", "False", "", 1, 0, 1.0, np.int64(1), np.float32(0.0), [True], (), np.array(True), np.array([True])]


def _flag_calls(attn: ra.Attention, q, k, v, g) -> dict[str, Callable[[Any], Any]]:
    calls = {
        "compute_batch": lambda c: attn.compute_batch(q, k, v, causal=c),
        "weights_batch": lambda c: attn.weights_batch(q, k, causal=c),
        "head_weights_batch": lambda c: attn.head_weights_batch(q, k, causal=c),
    }
    if attn.differentiable:
        calls["backward"] = lambda c: attn.backward(q, k, v, g, causal=c)
    return calls


@by_mechanism("types/causal")
def test_causal_must_be_a_real_boolean(name: str) -> None:
    """``causal="false"`` (or 1, or an array) is an InvalidInputError, never truthy; numpy
    bool scalars count as booleans; a 0-d array does not (it is an array, not a flag)."""
    attn = build(name, 8)
    q, k, v = data_for(attn, 5, 5)
    g = np.ones((5, value_dim(attn)), np.float32)
    for method, call in _flag_calls(attn, q, k, v, g).items():
        for bad in BAD_FLAGS:
            with pytest.raises(ra.InvalidInputError, match="causal"):
                call(bad)
        for flag, same in [(np.True_, True), (np.False_, False)]:
            got, expected = call(flag), call(same)
            if method == "backward":
                got, expected = got.query, expected.query
            np.testing.assert_array_equal(got, expected, err_msg=f"{method}(causal={flag!r})")


def _example(name: str, dim: int = 8) -> dict[str, Any]:
    return resolve(name).Config.example(dim)


def _config_errors(name: str, **extra: Any) -> dict[str, BaseException]:
    """The error of building ``name`` with its example config plus ``extra``, through every
    way there is to build one."""
    config = {**_example(name), **extra}
    ways: dict[str, Callable[[], Any]] = {
        "ra.create": lambda: ra.create(name, **config),
        "class": lambda: resolve(name)(**config),
        "ra.from_dict": lambda: ra.from_dict({"name": name, **config}),
        "bridge.create": lambda: bridge.create(987654, name, json.dumps(config)),
    }
    if "dim" in config:
        rest = {key: value for key, value in config.items() if key != "dim"}
        ways["AttentionBuilder"] = lambda: ra.AttentionBuilder(config["dim"], name).option(**rest).build()
        ways["AttentionBuilder(options)"] = lambda: ra.AttentionBuilder(config["dim"], name, **rest).build()
    errors = {}
    for way, make in ways.items():
        try:
            make()
        except Exception as err:  # noqa: BLE001 - compared below
            errors[way] = err
        else:
            errors[way] = None
    bridge.take_error()
    return errors


@by_mechanism("types/unknown_config_keyword")
def test_unknown_config_keyword_is_invalid_config_everywhere(name: str) -> None:
    errors = _config_errors(name, bogus=1)
    for way, err in errors.items():
        assert isinstance(err, ra.InvalidConfigError), f"{way}: {err!r}"
        assert isinstance(err, TypeError), f"{way}: {err!r}"
        assert "bogus" in str(err), f"{way}: {err}"
    messages = {way: str(err) for way, err in errors.items()}
    assert len(set(messages.values())) == 1, messages


def _per_call(attn: ra.Attention, q, k, v, g, **kw: Any) -> dict[str, Callable[[], Any]]:
    calls = {
        "compute": lambda: attn.compute(q[0], k, v, **kw),
        "weights": lambda: attn.weights(q[0], k, **kw),
        "compute_batch": lambda: attn.compute_batch(q, k, v, **kw),
        "weights_batch": lambda: attn.weights_batch(q, k, **kw),
        "head_weights_batch": lambda: attn.head_weights_batch(q, k, **kw),
    }
    if attn.differentiable:
        calls["backward"] = lambda: attn.backward(q, k, v, g, **kw)
    return calls


@by_mechanism("types/unknown_call_keyword")
def test_unknown_call_keyword_is_invalid_config(name: str) -> None:
    """``attn.compute(q, K, V, bogus=1)`` and per-call inputs of another mechanism."""
    attn = build(name, 8)
    q, k, v = data_for(attn, 3, 4)
    g = np.ones((3, value_dim(attn)), np.float32)
    own = {
        "local_global": "position", "edge_featured": "edge_features", "rope": "distances", "dual_space": "graph_mask",
        "hnsw_aware": "hnsw_layers", "structural": "structural_features",
    }
    foreign: dict[str, Any] = {"bogus": 1, "temperature": 2.0}
    foreign.update({kw: 1 if kw == "position" else None for mech, kw in own.items() if mech != name})
    for kw_name, value in foreign.items():
        for method, call in _per_call(attn, q, k, v, g, **{kw_name: value}).items():
            with pytest.raises(ra.InvalidConfigError) as info:
                call()
            assert isinstance(info.value, TypeError), f"{method}({kw_name}=...)"
            assert kw_name in str(info.value), f"{method}({kw_name}=...): {info.value}"


@by_mechanism("types/misplaced_call_keyword", ["local_global"])
def test_position_in_a_batch_is_a_typed_error(name: str) -> None:
    """``position=`` is for one query; in a batch it is a typed error, not a bare TypeError."""
    attn = build(name, 8)
    q, k, v = data_for(attn, 3, 4)
    for call in (lambda: attn.compute_batch(q, k, v, position=1), lambda: attn.weights_batch(q, k, position=1)):
        with pytest.raises(ra.AttentionError):
            call()


NOT_NUMBERS = {
    "10**400": 10**400,
    "-10**400": -(10**400),
    "'abc'": "abc",
    "None": None,
    "complex": 1 + 2j,
    "b'x'": b"x",
}
BEYOND_FLOAT32 = {
    "1e39": np.float64(1e39),
    "-1e39": np.float64(-1e39),
    "3.5e38": np.float64(3.5e38),
    "1e300": 1e300,
    "10**39": 10**39,
    "-(2**130)": -(2**130),
}


def _operands(attn: ra.Attention, m: int = 3, n: int = 4) -> dict[str, np.ndarray]:
    q, k, v = data_for(attn, m, n)
    return {"queries": q, "keys": k, "values": v, "grad": np.ones((m, value_dim(attn)), np.float32)}


def _with_entry(arr: np.ndarray, value: Any, as_list: bool) -> Any:
    """``arr`` with its first entry replaced by ``value`` (an object array or nested list)."""
    out = arr.astype(object)
    out.flat[0] = value
    return out.tolist() if as_list else out


def _calls_with(attn: ra.Attention, ops: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    q, k, v, g = ops["queries"], ops["keys"], ops["values"], ops["grad"]
    calls = {
        "compute_batch": lambda: attn.compute_batch(q, k, v),
        "compute": lambda: attn.compute(q[0], k, v),
    }
    if attn.differentiable:
        calls["backward"] = lambda: attn.backward(q, k, v, g)
    return calls


@pytest.mark.parametrize(("name", "kind"), cases(NAMES, ["not_numbers", "beyond_float32"], "types/"))
def test_unconvertible_numbers_are_invalid_input(name: str, kind: str) -> None:
    """Object arrays or lists holding ``10**400``, ``"abc"``, ``None``..., and numbers beyond
    float32 (``1e39`` as float64) in queries, keys, values or grad_output:
    InvalidInputError, whichever operand holds them."""
    attn = build(name, 8)
    table = NOT_NUMBERS if kind == "not_numbers" else BEYOND_FLOAT32
    for label, bad in table.items():
        for operand in ("queries", "keys", "values", "grad"):
            for as_list in (False, True):
                ops = _operands(attn)
                ops[operand] = _with_entry(ops[operand], bad, as_list)  # compute's q[0] holds it too
                calls = _calls_with(attn, ops)
                if operand == "grad":
                    calls = {key: call for key, call in calls.items() if key == "backward"}
                for method, call in calls.items():
                    with pytest.raises(ra.InvalidInputError):
                        try:
                            call()
                        except ra.InvalidInputError:
                            raise
                        except BaseException as err:
                            raise AssertionError(f"{method} with {operand}[0] = {label} (list={as_list}): {err!r}") from err


# per-call inputs with one entry per key, and those with a row per key: (keyword, config width)
_VECTOR_EXTRAS = {"rope": "distances", "dual_space": "graph_mask", "hnsw_aware": "hnsw_layers"}
_MATRIX_EXTRAS = {"edge_featured": ("edge_features", "edge_dim"), "structural": ("structural_features", "num_features")}


def _extra_with(name: str, n: int, value: Any) -> dict[str, Any]:
    if name in _VECTOR_EXTRAS:
        arr = np.ones((n,), dtype=object)
        arr[0] = value
        return {_VECTOR_EXTRAS[name]: arr}
    if name in _MATRIX_EXTRAS:
        keyword, width = _MATRIX_EXTRAS[name]
        e = np.ones((n, getattr(build(name, 8).config, width)), dtype=object)
        e[0, 0] = value
        return {keyword: e}
    return {}


@pytest.mark.parametrize(
    ("name", "kind"),
    cases(sorted({*_VECTOR_EXTRAS, *_MATRIX_EXTRAS}), ["not_numbers", "beyond_float32"], "types/extras_"),
)
def test_unconvertible_per_call_inputs_are_invalid_input(name: str, kind: str) -> None:
    attn = build(name, 8)
    q, k, v = data_for(attn, 3, 4)
    table = NOT_NUMBERS if kind == "not_numbers" else BEYOND_FLOAT32
    for label, bad in table.items():
        extras = _extra_with(name, 4, bad)
        for call in (lambda: attn.compute(q[0], k, v, **extras), lambda: attn.compute_batch(q, k, v, **extras)):
            try:
                call()
            except ra.InvalidInputError:
                continue
            except BaseException as err:
                raise AssertionError(f"{name} extras with {label}: {err!r}") from err
            if name != "dual_space" or kind != "beyond_float32":  # a mask has no float32 range
                raise AssertionError(f"{name} accepted extras holding {label}")


def test_every_error_class_is_an_attention_error() -> None:
    for cls in (
        ra.DimensionMismatchError,
        ra.EmptyInputError,
        ra.InvalidInputError,
        ra.InputTooLargeError,
        ra.InvalidConfigError,
        ra.UnknownMechanismError,
    ):
        assert issubclass(cls, ra.AttentionError)
    assert issubclass(ra.InvalidConfigError, TypeError)
    assert issubclass(ra.AttentionError, ValueError)


# Configs that would turn finite input into Inf/NaN: InvalidConfigError at construction.
OVERFLOWING_CONFIGS: list[tuple[str, str, Any]] = [
    ("scaled_dot", "temperature", 1e-300),
    ("scaled_dot", "scale", 1e300),
    ("hyperbolic", "temperature", 1e-300),
    ("information_bottleneck", "temperature", 1e-300),
    ("sliced_wasserstein", "temperature", 1e-300),
    ("mixed_curvature_fused", "curvature_s", 1e-300),
    ("edge_featured", "negative_slope", 1e300),
]
# Extreme configs outside the list: either refused (InvalidConfigError) or finite
# on hostile input without warnings.
EXTREME_CONFIGS: list[tuple[str, str, Any]] = [
    ("mixed_curvature", "curvature_s", 1e-300),
    ("mixed_curvature", "curvature_h", -1e-300),
    ("mixed_curvature", "curvature_h", -1e300),
    ("mixed_curvature_fused", "curvature_h", -1e300),
    ("mixed_curvature_fused", "curvature_s", 1e300),
    ("hyperbolic", "curvature", -1e-300),
    ("hyperbolic", "curvature", -1e300),
    ("information_bottleneck", "beta", 1e300),
    ("centroid_ot", "epsilon", 1e-300),
    ("diffusion", "sigma", 1e-300),
    ("diffusion", "t", 1e300),
    ("rope", "base", 1e-300),
    ("rope", "base", 1e300),
    ("linear", "num_features", 1),
    ("scaled_dot", "scale", 1e-300),
    ("topology_gated", "cautious_temperature", 1e-300),
]


def _config_param(table: list[tuple[str, str, Any]]) -> list[Any]:
    params = []
    for name, option, value in table:
        case = f"config/{option}={value:g}"
        params.append(pytest.param(name, option, value, marks=xfail_marks(name, case), id=f"{name}-{case}"))
    return params


@pytest.mark.parametrize(("name", "option", "value"), _config_param(OVERFLOWING_CONFIGS))
def test_config_that_overflows_finite_input_is_refused(name: str, option: str, value: Any) -> None:
    errors = _config_errors(name, **{option: value})
    for way, err in errors.items():
        assert isinstance(err, ra.InvalidConfigError), f"{way} accepted {option}={value}: {err!r}"
        assert option in str(err), f"{way}: {err}"


def _hostile_fixed(attn: ra.Attention) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(3)
    d, dv = attn.dim, value_dim(attn)
    signs = lambda shape: np.where(rng.random(shape) < 0.5, -1.0, 1.0).astype(np.float32)  # noqa: E731
    yield (rng.standard_normal((3, d), dtype=np.float32), rng.standard_normal((5, d), dtype=np.float32),
           rng.standard_normal((5, dv), dtype=np.float32))
    yield (np.float32(1e20) * signs((3, d)), np.float32(1e20) * signs((5, d)), np.float32(3e38) * signs((5, dv)))
    yield (np.full((3, d), 1e-45, np.float32), np.zeros((5, d), np.float32), np.full((5, dv), 1e-40, np.float32))


@pytest.mark.parametrize(("name", "option", "value"), _config_param(EXTREME_CONFIGS))
def test_extreme_config_is_refused_or_stays_finite(name: str, option: str, value: Any) -> None:
    try:
        attn = build(name, 8, **{option: value})
    except ra.InvalidConfigError:
        return
    for q, k, v in _hostile_fixed(attn):
        with no_runtime_warnings():
            out = attn.compute_batch(q, k, v)
            weights = attn.weights_batch(q, k)
        blind = np.zeros(len(q), bool)
        check_output(out, (len(q), value_dim(attn)), blind, f"{name}({option}={value}) compute_batch")
        check_weights(weights, (len(q), len(k)), blind, f"{name}({option}={value}) weights_batch")


# ============================================================================ 3. bounded memory

MIB = 1 << 20
SLACK = 1.10
# the measurement, for a few mechanisms (bench/memory.py prints it for all)
FULL_SIZE = (4096, 4096, 64 * MIB)
FULL_SIZE_NAMES = ["scaled_dot", "flash", "linear"]
# the same ratio of an (m, n) float64 score matrix to the budget (2x), for every mechanism
SCALED = (768, 1536, 9 * MIB // 2)
# smaller shapes for the mechanisms that are slow at SCALED (keeps the file near a minute):
# moe (several experts) at half size, same ratio; diffusion (~7 ms per query at 1024 keys)
# with fewer queries and room for its per-key-set kNN graph (~2 KiB per key), rows still
# blocked (6 float64 rows of 1024 scores per query x 256 queries > 4 MiB)
SCALED_SLOW = {"moe": (384, 768, 9 * MIB // 8), "diffusion": (256, 1024, 4 * MIB)}


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set ``ra.MAX_*`` for one test (through the package, as a user would)."""

    def set_limits(**values: int) -> None:
        for key, value in values.items():
            monkeypatch.setattr(ra.limits, key, value)
            assert getattr(ra, key) == value

    return set_limits


def measure_peak(fn: Callable[[], Any]) -> tuple[Any, int]:
    """``fn()`` and the tracemalloc peak of the bytes it allocated beyond what it returned."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    returned = result.nbytes if isinstance(result, np.ndarray) else 0
    return result, peak - base - returned


def _memory_case(name: str, m: int, n: int, budget: int, limits: Callable[..., None], dim: int = 16) -> None:
    attn = build(name, dim)
    q, k, v = data_for(attn, m, n)
    limits(MAX_WORK_BYTES=budget, MAX_SCORES=m * n)  # the largest returnable matrix: the blocked path
    out, extra = measure_peak(lambda: attn.compute_batch(q, k, v))
    assert out.shape == (m, value_dim(attn)) and np.isfinite(out).all()
    assert extra <= budget * SLACK, (
        f"{name}.compute_batch {m}x{n}: {extra / MIB:.1f} MiB beyond inputs and output, "
        f"budget ra.MAX_WORK_BYTES = {budget / MIB:g} MiB"
    )


@by_mechanism("memory/compute_batch")
def test_compute_batch_stays_within_max_work_bytes(name: str, limits: Callable[..., None]) -> None:
    """compute_batch at MAX_SCORES-sized shapes (768 x 1536: an (m, n) float64 score matrix is
    twice the 4.5 MiB budget, as at 4096 x 4096 with 64 MiB; smaller for SCALED_SLOW) runs, in row
    blocks, within ra.MAX_WORK_BYTES."""
    _memory_case(name, *SCALED_SLOW.get(name, SCALED), limits)


@by_mechanism("memory/compute_batch_4096", FULL_SIZE_NAMES)
def test_compute_batch_4096_within_64_mib(name: str, limits: Callable[..., None]) -> None:
    _memory_case(name, *FULL_SIZE, limits)


@by_mechanism("memory/weights_batch")
def test_weights_batch_beyond_max_scores_is_refused_before_allocating(name: str, limits: Callable[..., None]) -> None:
    attn = build(name, 8)
    q, k, _ = data_for(attn, 30, 40)
    limits(MAX_SCORES=30 * 40 - 1)
    for call in (lambda: attn.weights_batch(q, k), lambda: attn.head_weights_batch(q, k)):
        with pytest.raises(ra.InputTooLargeError) as info:
            call()
        assert info.value.max == 30 * 40 - 1 and info.value.actual >= 30 * 40
    limits(MAX_SCORES=30 * 40 * attn.num_heads)
    assert attn.weights_batch(q, k).shape == (30, 40)
    assert attn.head_weights_batch(q, k).shape == (attn.num_heads, 30, 40)
    limits(MAX_SCORES=30 * 40 * attn.num_heads - 1)
    if attn.num_heads > 1:
        with pytest.raises(ra.InputTooLargeError):
            attn.head_weights_batch(q, k)


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _address_space(extra: int = 4 << 30) -> Iterator[None]:
    """Cap this process's address space at its current size plus ``extra`` while a
    constructor that might allocate tens of GiB runs, so that it fails with MemoryError
    instead of waking the OOM killer (Linux; elsewhere no cap)."""
    try:
        import resource

        with open("/proc/self/status") as status:
            size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, StopIteration):
        yield
        return
    cap = size + extra if hard == resource.RLIM_INFINITY else min(size + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _within(seconds: float, fn: Callable[[], Any]) -> Any:
    """``fn()``, interrupted (between bytecodes) after ``seconds`` so a constructor that
    never returns fails the test instead of hanging the suite (no timer in Pyodide)."""
    if not hasattr(signal, "setitimer"):
        return fn()

    def alarm(signum: int, frame: Any) -> None:
        raise _Timeout(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# The examples: refused at once with InputTooLargeError.
HUGE_CONSTRUCTORS: list[tuple[str, Callable[[], Any]]] = [
    ("linear", lambda: ra.LinearAttention(8, num_features=10**9)),
    ("moe", lambda: ra.create("moe", dim=8, num_experts=10**9)),
    ("multi_head", lambda: ra.MultiHeadAttention(10**6, 1)),
    ("multi_head", lambda: ra.create("multi_head", dim=2**40, num_heads=1)),
    ("edge_featured", lambda: ra.create("edge_featured", dim=8, edge_dim=10**9)),
    ("edge_featured", lambda: ra.create("edge_featured", dim=10**6, edge_dim=3)),
    ("dual_space", lambda: ra.create("dual_space", dim=10**6)),
    ("sliced_wasserstein", lambda: ra.create("sliced_wasserstein", dim=8, num_projections=10**9)),
    ("mixed_curvature_fused", lambda: ra.create("mixed_curvature_fused", euclidean_dim=4, hyperbolic_dim=2, spherical_dim=2, num_heads=10**9)),
    ("moe", lambda: ra.create("moe", dim=10**6)),
]


@pytest.mark.parametrize(
    ("name", "make"),
    [
        pytest.param(
            name,
            make,
            id=f"{name}-{i}",
            marks=xfail_marks(name, f"size/constructor-{i}"),
        )
        for i, (name, make) in enumerate(HUGE_CONSTRUCTORS)
    ],
)
def test_huge_constructor_fails_at_once(name: str, make: Callable[[], Any], limits: Callable[..., None]) -> None:
    """Parameters that would not fit ``ra.MAX_WORK_BYTES`` are refused before allocating
    (the time is measured, not asserted: see bench/memory.py)."""
    limits(MAX_WORK_BYTES=64 * MIB)
    refused, extra = measure_peak(lambda: _refused(make))
    assert isinstance(refused, ra.InputTooLargeError), f"not refused: {refused!r}"
    assert extra < MIB, f"{extra / MIB:.1f} MiB allocated before refusing"


def _refused(make: Callable[[], Any]) -> BaseException | None:
    """The error ``make()`` raises (within 5 s), or None."""
    try:
        with _address_space():
            _within(5, make)
    except Exception as err:  # noqa: BLE001 - the caller checks its type
        return err
    return None


def _size_options(name: str) -> list[str]:
    """The integer options of a mechanism's config (sizes, counts), not seeds or flags."""
    fields = dataclasses.fields(resolve(name).Config)
    example = _example(name)
    out = []
    for f in fields:
        value = example.get(f.name, f.default)
        if f.name == "seed" or isinstance(value, bool) or not isinstance(value, int):
            continue
        out.append(f.name)
    return out


SIZE_CASES = [(name, option) for name in NAMES for option in _size_options(name)]


@pytest.mark.parametrize(("name", "option"), [
    pytest.param(
        name,
        option,
        id=f"{name}-size/{option}",
        marks=xfail_marks(name, f"size/{option}"),
    )
    for name, option in SIZE_CASES
])
def test_every_size_option_is_bounded(name: str, option: str, limits: Callable[..., None]) -> None:
    """Any integer option set to 10**9 (dims to 10**6): refused with a typed error before
    allocating, or accepted with a small constructor footprint."""
    limits(MAX_WORK_BYTES=64 * MIB)
    value = 10**6 if "dim" in option else 10**9
    config = {**_example(name), option: value}
    try:
        with _address_space():
            attn, extra = measure_peak(lambda: _within(5, lambda: resolve(name)(**config)))
    except (ra.InputTooLargeError, ra.InvalidConfigError):
        return
    assert extra <= 64 * MIB * SLACK, f"{name}({option}={value}) allocated {extra / MIB:.0f} MiB"
    del attn
