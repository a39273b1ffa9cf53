"""Hostile inputs for the robustness sweep (tests/test_robustness.py): hypothesis strategies
for magnitudes a float32 can hold but naive arithmetic cannot (up to 3.4e38, denormals,
zeros, huge and tiny mixed), integer and boolean arrays, nested lists of Python ints, plus
the checks every mechanism must pass on them (API.md §1 "Robustness rules")."""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

import ruvector_attention as ra

from .conftest import build, value_dim

FLOAT32_MAX = float(np.finfo(np.float32).max)
FLOAT32_TINY = float(np.finfo(np.float32).tiny)  # smallest normal, 1.18e-38
DENORMAL_MIN = float(np.finfo(np.float32).smallest_subnormal)  # 1.4e-45

DIM = 6
MAX_ROWS = 4
MAX_KEYS = 8

# Deterministic and quick: derandomized (the same examples on every run and machine), no
# example database, no shrinking (a failure is reported with the example that found it).
SWEEP = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    print_blob=False,
    report_multiple_bugs=False,
    suppress_health_check=list(HealthCheck),
)

# ---------------------------------------------------------------------------- operands
#
# Hypothesis draws the structure (class, dtype, shape, a seed, how many extreme values to
# plant); NumPy fills the arrays from the seed, which is much faster than drawing every
# element through hypothesis and still deterministic.

KINDS = ("huge", "denormal", "zeros", "mixed", "equal_rows", "integers", "uint64", "bool", "int_lists")
"""Classes of hostile input."""

FLOAT_DTYPES = (np.float32, np.float64)
INT_DTYPES = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32)
HUGE_SPECIALS = (FLOAT32_MAX, -FLOAT32_MAX, 3e38, -3e38, 1e20, -1e20)
TINY_SPECIALS = (DENORMAL_MIN, -DENORMAL_MIN, 1e-45, 1e-40, FLOAT32_TINY)


def _signs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _huge(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Magnitudes 1e19 .. float32 max, log-uniform, random signs."""
    exponents = rng.uniform(19.0, np.log10(FLOAT32_MAX), shape)
    return np.minimum(10.0**exponents, FLOAT32_MAX) * _signs(rng, shape)


def _tiny(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Magnitudes 1e-45 .. 1.2e-38 (float32 denormals), random signs."""
    return 10.0 ** rng.uniform(-45.0, np.log10(FLOAT32_TINY), shape) * _signs(rng, shape)


def _plant(rng: np.random.Generator, arr: np.ndarray, specials: tuple[float, ...], count: int) -> np.ndarray:
    """Put ``count`` values from ``specials`` at random places."""
    if count and arr.size:
        flat = arr.reshape(-1)
        flat[rng.integers(0, flat.size, count)] = rng.choice(np.asarray(specials, dtype=flat.dtype), count)
    return arr


def _mixed(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Huge, denormal, zero and ordinary entries side by side in one array."""
    which = rng.integers(0, 4, shape)
    return np.select(
        [which == 0, which == 1, which == 2],
        [_huge(rng, shape), _tiny(rng, shape), np.zeros(shape)],
        rng.normal(0.0, 2.0, shape),
    )


def _python_ints(rng: np.random.Generator, size: int) -> list[int]:
    """int64-range, up to 2**64-1, and big ints that still fit float32 (object arrays)."""
    out = []
    for _ in range(size):
        pick = rng.integers(0, 4)
        if pick == 0:
            out.append(int(rng.integers(-(2**63), 2**63 - 1, endpoint=True)))
        elif pick == 1:
            out.append(int(rng.integers(0, 2**64 - 1, endpoint=True, dtype=np.uint64)))
        elif pick == 2:
            out.append(int(rng.choice([-1, 1])) * int(rng.integers(1, 10**6)) * 10 ** int(rng.integers(20, 33)))
        else:
            out.append(int(rng.choice([2**64 - 1, -(2**63), 0, 1, 3 * 10**38, -(3 * 10**38)])))
    return out


def make_operand(kind: str, shape: tuple[int, ...], seed: int, dtype_index: int, specials: int) -> Any:
    """The array-like of class ``kind``, from a seed (see :func:`hostile`)."""
    rng = np.random.default_rng(seed)
    float_dtype = FLOAT_DTYPES[dtype_index % len(FLOAT_DTYPES)]
    if kind == "huge":
        return _plant(rng, _huge(rng, shape), HUGE_SPECIALS, specials).astype(float_dtype)
    if kind == "denormal":
        arr = np.where(rng.random(shape) < 0.2, 0.0, _tiny(rng, shape))
        return _plant(rng, arr, TINY_SPECIALS, specials).astype(float_dtype)
    if kind == "zeros":
        dtype = (np.float32, np.float64, np.int32, np.uint64, np.bool_)[dtype_index % 5]
        arr = np.zeros(shape, dtype=dtype)
        return -arr if dtype in (np.float32, np.float64) and specials % 2 else arr  # -0.0 too
    if kind == "mixed":
        return _plant(rng, _mixed(rng, shape), HUGE_SPECIALS + TINY_SPECIALS, specials).astype(float_dtype)
    if kind == "equal_rows":
        row = _plant(rng, _mixed(rng, shape[-1:]), HUGE_SPECIALS + TINY_SPECIALS, specials).astype(float_dtype)
        return np.ascontiguousarray(np.broadcast_to(row, shape))
    if kind == "integers":
        dtype = INT_DTYPES[dtype_index % len(INT_DTYPES)]
        info = np.iinfo(dtype)
        arr = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
        return _plant(rng, arr, (info.min, info.max), specials)
    if kind == "uint64":
        arr = rng.integers(0, 2**64 - 1, shape, dtype=np.uint64, endpoint=True)
        return _plant(rng, arr, (2**64 - 1, 2**63), specials)
    if kind == "bool":
        return rng.random(shape) < (0.5 if specials % 3 == 0 else specials % 3 - 1)  # random, all False, all True
    if kind == "int_lists":
        return np.array(_python_ints(rng, int(np.prod(shape))), dtype=object).reshape(shape).tolist()
    raise ValueError(kind)


def hostile(kind: str, shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    """A strategy for one hostile operand of ``shape`` in the class ``kind``."""
    return st.builds(
        make_operand, st.just(kind), st.just(shape), st.integers(0, 2**32 - 1), st.integers(0, 6), st.integers(0, 3)
    )


# ---------------------------------------------------------------------------- problems


@dataclass
class Problem:
    """One call's arguments. ``queries`` is ``(d,)`` when ``single``; ``blind`` marks the
    query rows that see no key through the caller's mask and causal flag."""

    attn: ra.Attention
    queries: Any
    keys: Any
    values: Any
    grad: Any
    mask: np.ndarray | None
    causal: bool | None
    extras: dict[str, Any] = field(default_factory=dict)
    blind: np.ndarray = field(default_factory=lambda: np.zeros(1, bool))
    target: str = ""
    single: bool = False
    choices: tuple = ()

    def __repr__(self) -> str:
        def short(x: Any) -> str:
            arr = np.asarray(x, dtype=object) if isinstance(x, list) else np.asarray(x)
            return f"{type(x).__name__}{arr.shape}:{arr.dtype}"

        return (
            f"Problem({self.attn.name}, hostile={self.target}, choices={self.choices}, q={short(self.queries)}, "
            f"k={short(self.keys)}, v={short(self.values)}, mask={None if self.mask is None else self.mask.astype(int).tolist()}, "
            f"causal={self.causal}, extras={sorted(self.extras)})"
        )


def caller_blind(mask: np.ndarray | None, causal: bool, m: int, n: int, single: bool) -> np.ndarray:
    """Rows that see no key through the caller's mask and causal order (bottom-right)."""
    visible = np.ones((m, n), bool) if mask is None else np.broadcast_to(mask, (m, n)).copy()
    if causal and not single:
        visible &= np.arange(n)[None, :] <= (np.arange(m) + (n - m))[:, None]
    return ~visible.any(axis=1)


MASKS = ("none", "random", "blind_row", "all_blind", "shared")


def make_mask(rng: np.random.Generator, choice: str, m: int, n: int, single: bool) -> np.ndarray | None:
    """None, a random mask, one with a fully masked row, all masked, or (batch) an ``(n,)``
    mask shared by every query."""
    if choice == "none":
        return None
    density = rng.choice([0.3, 0.7, 1.0])
    if choice == "shared" or single:
        mask = rng.random(n) < density
        if choice in ("blind_row", "all_blind"):
            mask[:] = False
        return mask
    mask = rng.random((m, n)) < density
    if choice == "blind_row":
        mask[rng.integers(0, m), :] = False
    elif choice == "all_blind":
        mask[:] = False
    return mask


@functools.lru_cache(maxsize=None)
def problems(name: str, kind: str, *, single: bool, grad: bool = False) -> st.SearchStrategy[Problem]:
    """Queries, keys, values (and a grad_output) where one of them or all are hostile of
    class ``kind``; a mask (fully masked rows included), a causal flag and the mechanism's
    per-call extras (hostile too when everything is). Hypothesis draws the choices; the
    arrays come from NumPy with the drawn seed."""
    targets = ["queries", "keys", "values", "all"] + (["grad"] if grad else [])
    return st.builds(
        _make_problem,
        st.just(name),
        st.just(kind),
        st.just(single),
        st.just(grad),
        st.just(1) if single else st.integers(1, MAX_ROWS),
        st.integers(1, MAX_KEYS),
        st.sampled_from(targets),
        st.sampled_from(MASKS),
        st.just(None) if single else st.sampled_from([None, False, True]),
        st.integers(0, 3),  # which form of per-call extras
        st.integers(0, 2**32 - 1),
    )


def _make_problem(
    name: str, kind: str, single: bool, grad: bool, m: int, n: int, target: str, mask_choice: str,
    causal: bool | None, extras_choice: int, seed: int,
) -> Problem:
    attn = build(name, DIM)
    rng = np.random.default_rng(seed)
    dv = value_dim(attn)

    def operand(role: str, shape: tuple[int, ...]) -> Any:
        sub = int(rng.integers(0, 2**32))
        if target in (role, "all"):
            return make_operand(kind, shape, sub, int(rng.integers(0, 7)), int(rng.integers(0, 4)))
        return np.random.default_rng(sub).standard_normal(shape, dtype=np.float32)

    q = operand("queries", (DIM,) if single else (m, DIM))
    k = operand("keys", (n, DIM))
    v = operand("values", (n, dv))
    g = operand("grad", (dv,) if single else (m, dv)) if grad else None
    mask = make_mask(rng, mask_choice, m, n, single)
    extras = _extras(attn, rng, extras_choice, m, n, single, operand=lambda shape: operand("extras", shape), hot=target == "all")
    effective_causal = bool(getattr(attn.config, "causal", False)) if causal is None else causal
    blind = caller_blind(mask, effective_causal, m, n, single)
    choices = (m, n, target, mask_choice, causal, extras_choice, seed)
    return Problem(attn, q, k, v, g, mask, causal, extras, blind, target, single, choices)


def _extras(
    attn: ra.Attention, rng: np.random.Generator, choice: int, m: int, n: int, single: bool, operand: Any, hot: bool
) -> dict:
    """Per-call inputs of the positional mechanisms (README "Some mechanisms take per-call
    inputs"): ``choice`` 0 passes none; edge features and distances are hostile when every
    operand is (``operand`` decides)."""
    name = attn.name
    if choice == 0:
        return {}
    if name == "local_global" and single:
        return {"position": int(rng.integers(0, n))}
    if name == "edge_featured" and attn.config.edge_dim:
        e = attn.config.edge_dim
        return {"edge_features": operand((n, e) if single or choice == 1 else (m, n, e))}
    if name == "rope":
        shape = (n,) if single or choice == 1 else (m, n)
        if hot:
            return {"distances": operand(shape)}
        return {"distances": rng.uniform(0, 50, shape) if choice == 3 else rng.integers(0, 20, shape)}
    if name == "dual_space":
        return {"graph_mask": rng.random((n,) if single or choice == 1 else (m, n)) < 0.5}
    if name == "hnsw_aware":
        return {"hnsw_layers": rng.integers(0, attn.config.max_layers, n)}
    if name == "structural":
        return {"structural_features": operand((n, attn.config.num_features))}
    return {}


# ---------------------------------------------------------------------------- checks


@contextlib.contextmanager
def no_runtime_warnings() -> Iterator[None]:
    """Any NumPy floating-point warning (overflow, invalid, divide) raised inside becomes an
    error: the contract says none escapes. Underflow stays ignored (NumPy's default; a
    denormal result is not an error)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            yield


def check_output(out: np.ndarray, shape: tuple[int, ...], blind: np.ndarray, what: str, problem: Any = "") -> None:
    """float32, C-contiguous, finite, of ``shape``; rows that see no key are all 0."""
    assert isinstance(out, np.ndarray) and out.dtype == np.float32, f"{what}: dtype {getattr(out, 'dtype', None)} [{problem!r}]"
    assert out.shape == shape, f"{what}: shape {out.shape} != {shape} [{problem!r}]"
    assert out.flags.c_contiguous, f"{what}: not C-contiguous [{problem!r}]"
    assert np.isfinite(out).all(), f"{what}: non-finite output {out} [{problem!r}]"
    rows = out.reshape(len(blind), -1)
    assert (rows[blind] == 0).all(), f"{what}: rows that see no key must be 0, got {rows[blind]} [{problem!r}]"


def check_weights(w: np.ndarray, shape: tuple[int, ...], blind: np.ndarray, what: str, problem: Any = "") -> None:
    """As :func:`check_output`, and each row >= 0 summing to 1 (1e-4) unless it sees no key."""
    check_output(w, shape, blind, what, problem)
    assert (w >= 0).all(), f"{what}: negative weights {w} [{problem!r}]"
    sums = w.reshape(len(blind), -1).astype(np.float64).sum(axis=1)
    bad = ~blind & (np.abs(sums - 1.0) > 1e-4)
    assert not bad.any(), f"{what}: weight rows sum to {sums} (blind rows {blind}) [{problem!r}]"


def check_gradients(grads: ra.Gradients, problem: Any = "") -> None:
    """float32 and finite gradients for the inputs and every parameter."""
    for part in ("query", "keys", "values"):
        value = getattr(grads, part)
        assert value.dtype == np.float32, f"gradient {part}: dtype {value.dtype} [{problem!r}]"
        assert np.isfinite(value).all(), f"gradient {part} not finite: {value} [{problem!r}]"
    for name, value in grads.params.items():
        assert np.isfinite(value).all(), f"gradient of parameter {name} not finite [{problem!r}]"
