"""The one entry point the JavaScript runtimes call (inside Pyodide).

JavaScript never builds Python source: it imports this module and calls its functions
with plain values. Mechanisms are reached only through the registry. Arrays arrive as
flat float32 buffers (a JS ``Float32Array`` proxy, or anything NumPy can read) plus an
optional row count, and leave as float32 ``ndarray``s that the caller copies out.

On failure a function raises, after recording the error as JSON for :func:`take_error`,
so that the caller can rebuild it with its class name and attributes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from . import _validation as check
from .base import Attention
from .errors import AttentionError, DimensionMismatchError, InvalidConfigError, InvalidInputError
from .registry import mechanisms as registered_names
from .registry import resolve

__all__ = ["mechanisms", "describe", "create", "call", "dispose", "upload", "release", "take_error"]

F = TypeVar("F", bound=Callable[..., Any])

_handles: dict[int, Attention] = {}
_resident: dict[int, check.Checked] = {}
_last_error: str | None = None

_BATCH_METHODS = {"compute_batch": "forward", "weights_batch": "weights", "head_weights_batch": "head_weights"}
"""Batch method names and the kernel each runs."""
_SINGLE_METHODS = {"compute", "weights"}


def _reporting(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global _last_error
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            details = err.attributes() if isinstance(err, AttentionError) else {}
            _last_error = json.dumps(
                {"name": type(err).__name__, "message": str(err), "details": details}, default=str
            )
            raise

    return wrapper  # type: ignore[return-value]


def take_error() -> str | None:
    """JSON ``{name, message, details}`` of the last failure, cleared once read."""
    global _last_error
    error, _last_error = _last_error, None
    return error


def _info(attn: Attention) -> dict[str, Any]:
    return {
        "name": attn.name,
        "dim": attn.dim,
        "num_heads": attn.num_heads,
        "config": attn.config.to_dict(),
        "complexity": attn.complexity,
        "splittable": attn.splittable,
        "stateful": attn.stateful,
        "values_match_dim": attn.values_match_dim,
    }


@_reporting
def mechanisms() -> str:
    """JSON list of every registered mechanism name."""
    return json.dumps(registered_names())


@_reporting
def describe(name: str, dim: int) -> str:
    """JSON info of mechanism ``name`` with its default config at query dimension ``dim``
    (required fields filled in): what a form for its config starts from."""
    return json.dumps(_info(resolve(name).for_dim(check.positive_int("dim", dim))))


@_reporting
def create(handle: int, name: str, config_json: str) -> str:
    """Build mechanism ``name`` from a JSON config (snake_case keys) under ``handle``;
    returns its info as JSON."""
    config = json.loads(config_json)
    if not isinstance(config, dict):
        raise InvalidConfigError(f"a config must be an object of options, got {config_json}")
    attn = resolve(name)(**config)
    _handles[int(handle)] = attn
    return json.dumps(_info(attn))


@_reporting
def dispose(handle: int) -> None:
    _handles.pop(int(handle), None)


@_reporting
def upload(tensor: int, data: Any, rows: int | None, cols: int | None) -> str:
    """Keep a matrix resident under id ``tensor``, validated once; later calls may pass the
    id instead of the data. Returns its shape as JSON."""
    matrix = check.Checked(check.as_matrix(_matrix(data, rows, cols, "matrix"), "matrix"), "matrix")
    _resident[int(tensor)] = matrix
    return json.dumps(list(matrix.shape))


@_reporting
def release(tensor: int) -> None:
    _resident.pop(int(tensor), None)


def _flat(data: Any, dtype: type, name: str) -> np.ndarray:
    if hasattr(data, "to_memoryview"):  # a JsProxy of a typed array (Pyodide)
        data = data.to_memoryview()
    arr = np.asarray(data)
    if arr.dtype.kind not in "biuf":
        raise InvalidInputError(f"{name} must be numeric, got {arr.dtype}")
    return arr.astype(dtype, copy=False).reshape(-1)


def _mask(data: Any, rows: int | None) -> np.ndarray:
    """A 0/1 mask from a flat numeric buffer, as ``(n,)`` or ``(rows, n)`` booleans."""
    flat = _flat(data, np.float32, "mask")
    if flat.size and not np.isin(flat, (0.0, 1.0)).all():
        raise InvalidInputError("mask must hold booleans or 0/1 values")
    mask = flat.astype(bool)
    return mask if not rows else _matrix(mask, rows, None, "mask", bool)


def _matrix(
    data: Any, rows: int | None, cols: int | None, name: str, dtype: type = np.float32
) -> np.ndarray:
    """A flat buffer as ``(rows, len/rows)``; rows default to ``len / cols``. An integer
    names an uploaded (resident, already validated) matrix."""
    if isinstance(data, int):
        if data not in _resident:
            raise InvalidInputError(f"{name}: no uploaded matrix with id {data} (released?)")
        return _resident[data]  # type: ignore[return-value]
    flat = _flat(data, dtype, name)
    if rows is None:
        if cols is None or cols == 0 or flat.size % cols:
            raise DimensionMismatchError(
                f"{name} has {flat.size} values, not a multiple of {cols}", expected=cols, actual=flat.size
            )
        rows = flat.size // cols
    rows = int(rows)
    if rows < 0 or (rows == 0 and flat.size) or (rows and flat.size % rows):
        raise DimensionMismatchError(
            f"{name} has {flat.size} values, which do not make {rows} rows", expected=rows, actual=flat.size
        )
    return flat.reshape(rows, flat.size // rows if rows else 0)


@_reporting
def call(
    handle: int,
    method: str,
    query: Any,
    keys: Any,
    values: Any = None,
    mask: Any = None,
    options_json: str = "{}",
) -> np.ndarray:
    """Run ``method`` of mechanism ``handle``.

    ``options_json`` may hold ``query_rows`` (batch methods; default ``len/dim``),
    ``values_rows`` (default: one row per key), ``extras`` (the mechanism's per-call
    inputs, e.g. ``{"distances": [...]}`` for rope),
    ``mask_rows`` (0 or absent for a mask shared by every query), ``causal``,
    ``position`` (single-query methods) and, for one slice of a batch split across
    workers, ``row_offset`` and ``total_rows``.
    """
    attn = _handles.get(int(handle))
    if attn is None:
        raise InvalidInputError(f"no mechanism with handle {handle} (disposed?)")
    options = json.loads(options_json)
    extras = dict(options.get("extras") or {})
    keys_m = _matrix(keys, None, attn.dim, "keys")
    values_m = None
    if values is not None:
        values_m = _matrix(values, options.get("values_rows", keys_m.shape[0]), None, "values")
    if method in _SINGLE_METHODS:
        q = _flat(query, np.float32, "query")
        m = None if mask is None else _mask(mask, None)
        if options.get("position") is not None:
            extras["position"] = options["position"]
        if method == "compute":
            if values_m is None:
                raise InvalidInputError("compute needs values")
            return attn.compute(q, keys_m, values_m, m, **extras)
        return attn.weights(q, keys_m, m, **extras)
    if method not in _BATCH_METHODS:
        raise InvalidInputError(f"unknown method {method!r}")
    queries = _matrix(query, options.get("query_rows"), attn.dim, "queries")
    m = None if mask is None else _mask(mask, options.get("mask_rows"))
    if method == "compute_batch" and values_m is None:
        raise InvalidInputError("compute_batch needs values")
    rows = None
    if options.get("row_offset") is not None:
        rows = (
            check.non_negative_int("row_offset", options["row_offset"]),
            check.positive_int("total_rows", options["total_rows"]),
        )
    return attn._call(
        _BATCH_METHODS[method], queries, keys_m, values_m, m, single=False, causal=options.get("causal"), extras=extras, rows=rows
    )
