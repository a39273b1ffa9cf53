"""The one entry point the JavaScript runtimes call (inside Pyodide): decode, call the public
API, encode.

JavaScript never builds Python source: it imports this module and calls its functions
with plain values. Mechanisms are reached only through the registry, and called only
through their public methods. An array arrives as a flat typed array (in Pyodide a
``JsProxy``, copied once into NumPy by ``to_memoryview``; anything NumPy can read on
CPython) or as the id of an uploaded matrix, plus an optional row count; results leave as
float32 ``ndarray``s (a partial as float64), which :func:`to_js` copies once into a
JavaScript typed array (:func:`call_to_js` does both in one call from JavaScript).
Every check happens in the package's one validation module.

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
from . import limits, models, viz
from .base import Attention
from .kernels.partials import Partial
from .errors import AttentionError, InvalidConfigError, InvalidInputError
from .registry import mechanisms as registered_names
from .registry import resolve

__all__ = [
    "METHODS", "to_js", "mechanisms", "describe", "create", "call", "call_to_js", "dispose", "upload", "release",
    "load_model", "encode", "dispose_model", "views", "take_error",
]

F = TypeVar("F", bound=Callable[..., Any])

METHODS = ("compute", "weights", "compute_batch", "weights_batch", "head_weights_batch", "compute_partial")
"""The public methods JS may call; the batch ones end in ``_batch``."""

_handles: dict[int, Attention] = {}
_resident: dict[int, check.Checked] = {}
_models: dict[int, models.Encoder] = {}
_swapped: dict[tuple[int, str], models.Encoder] = {}
_last_error: str | None = None


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


def to_js(array: np.ndarray, wide: bool = False) -> Any:
    """A result as a new JavaScript ``Float32Array`` (a ``Float64Array`` when ``wide``)
    (Pyodide only): one copy, made here with ``assign``, which is several times cheaper for
    small results than JS mapping the array's buffer (``getBuffer``)."""
    import js  # Pyodide's bridge to the JavaScript realm

    out = (js.Float64Array if wide else js.Float32Array).new(array.size)
    out.assign(np.ascontiguousarray(array, dtype=np.float64 if wide else np.float32))
    return out


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
        "key_partials": attn.partial_scale is not None,
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
    matrix = check.Checked(check.as_matrix(_matrix(data, "matrix", rows, cols), "matrix"), "matrix")
    _resident[int(tensor)] = matrix
    return json.dumps(list(matrix.shape))


@_reporting
def release(tensor: int) -> None:
    _resident.pop(int(tensor), None)


def _flat(data: Any) -> np.ndarray:
    """A flat array of what NumPy reads from ``data`` (a JS typed array through its memory view)."""
    if hasattr(data, "to_memoryview"):  # a JsProxy of a typed array (Pyodide)
        data = data.to_memoryview()
    return np.asarray(data).reshape(-1)


def _matrix(data: Any, name: str, rows: int | None = None, cols: int | None = None) -> Any:
    """A flat buffer as a ``(rows, len / rows)`` matrix, or the uploaded matrix an int names."""
    if isinstance(data, int):
        if data not in _resident:
            raise InvalidInputError(f"{name}: no uploaded matrix with id {data} (released?)")
        return _resident[data]
    return check.unflatten(_flat(data), name, rows=rows, cols=cols)


def _handle(handle: int) -> Attention:
    attn = _handles.get(int(handle))
    if attn is None:
        raise InvalidInputError(f"no mechanism with handle {handle} (disposed?)")
    return attn


def _mask(mask: Any, rows: int | None) -> Any:
    """A key mask: one flat row shared by every query, or ``rows`` rows (one per query)."""
    return None if mask is None else _matrix(mask, "mask", rows=rows) if rows else _flat(mask)


@_reporting
def call(
    handle: int,
    method: str,
    query: Any,
    keys: Any,
    values: Any = None,
    mask: Any = None,
    query_rows: int | None = None,
    values_rows: int | None = None,
    mask_rows: int | None = None,
    causal: bool | None = None,
    position: int | None = None,
    row_offset: int | None = None,
    total_rows: int | None = None,
    extras_json: str | None = None,
    key_start: int | None = None,
    key_stop: int | None = None,
    key_total: int | None = None,
) -> np.ndarray:
    """``method`` (one of :data:`METHODS`) of mechanism ``handle`` on flat inputs.

    ``query_rows`` (batch methods; default ``len / dim``), ``values_rows`` (default: one
    row per key) and ``mask_rows`` (0 or None: one mask row shared by every query) shape
    the flat buffers; ``causal`` and ``position`` (single-query methods) are passed on,
    ``extras_json`` holds the mechanism's other per-call inputs as a JSON object (e.g.
    rope's ``{"distances": [...]}``), and ``row_offset``/``total_rows`` make the queries
    rows ``row_offset..`` of a batch of ``total_rows``. ``compute_partial`` returns the
    partial as one float64 array ``[μ, ℓ, a...]``, over keys ``key_start..key_stop`` (of the
    keys, the values and a shared mask row) when they are given; with ``key_total``, the
    keys sent are those rows of a call with that many keys (held to ``ra.MAX_KEYS``).
    """
    attn = _handle(handle)
    if method not in METHODS:
        raise InvalidInputError(f"unknown method {method!r}, expected one of {list(METHODS)}")
    keys_m = _matrix(keys, "keys", cols=attn.dim)
    inputs = [keys_m]
    if method.startswith("compute"):
        rows = keys_m.shape[0] if values_rows is None else values_rows
        inputs.append(None if values is None else _matrix(values, "values", rows=rows))
    inputs.append(_mask(mask, mask_rows))
    extras = json.loads(extras_json) if extras_json else {}
    if not method.endswith("_batch") and position is not None:
        extras["position"] = position
    if method == "compute_partial":
        return _partial(attn, _flat(query), inputs, (key_start, key_stop, key_total), extras)
    if not method.endswith("_batch"):
        return getattr(attn, method)(_flat(query), *inputs, **extras)
    queries = _matrix(query, "queries", rows=query_rows, cols=attn.dim)
    rows_of = None if row_offset is None else (row_offset, total_rows)
    return getattr(attn, method)(queries, *inputs, causal=causal, rows=rows_of, **extras)


def call_to_js(*args: Any) -> Any:
    """:func:`call`'s result as a JavaScript typed array (:func:`to_js`; a ``Float64Array``
    for ``compute_partial``), in the same call from JavaScript: no proxy of the ndarray, no
    second crossing (Pyodide only)."""
    return to_js(call(*args), wide=args[1] == "compute_partial")


def _partial(
    attn: Attention, query: np.ndarray, inputs: list[Any], part: tuple[Any, Any, Any], extras: dict[str, Any]
) -> np.ndarray:
    """``attn.compute_partial`` as ``[μ, ℓ, a...]``. ``part = (start, stop, total)``: with
    ``total``, the keys, values and mask sent are rows ``start..stop`` of a call of
    ``total`` keys (held to ``ra.MAX_KEYS``; an error names those rows); without it, the
    call takes rows ``start..stop`` of them, when given."""
    keys, values, mask = inputs
    start, stop, total = part
    n = keys.shape[0]
    if total is None:
        limits.check_keys(n)
        if start is not None or stop is not None:
            rows = check.key_part(start, stop, n)
            if values is not None:
                check.one_row_per_key(values.shape[0], n)
                values = values[rows]
            mask = None if mask is None else check.as_mask(mask, 1, n, single=True)[0, rows]
            keys = keys[rows]
        return _flat_partial(attn.compute_partial(query, keys, values, mask, **extras))
    check.key_sent(start, stop, check.key_total(total, n), n)
    limits.check_keys(total)
    try:
        return _flat_partial(attn.compute_partial(query, keys, values, mask, **extras))
    except InvalidInputError as err:  # say where in the caller's keys
        raise InvalidInputError(f"{err} (in the part of this call with keys {start}..{stop} of {total})") from None


def _flat_partial(stats: Partial) -> np.ndarray:
    """A partial as one float64 array ``[μ, ℓ, a...]``."""
    return np.concatenate([stats.max.reshape(-1), stats.total.reshape(-1), stats.weighted.reshape(-1)])


@_reporting
def views(
    handle: int,
    queries: Any,
    keys: Any,
    query_rows: int | None = None,
    mask: Any = None,
    mask_rows: int | None = None,
    causal: bool | None = None,
    extras_json: str | None = None,
    labels_json: str | None = None,
) -> str:
    """JSON list of the payloads of the views only this library draws for mechanism
    ``handle`` on these inputs (:func:`viz.special_views`); ``labels_json`` may hold
    ``{"x": key labels, "y": query labels, "row": the query the disk shows}``."""
    attn = _handle(handle)
    keys_m = _matrix(keys, "keys", cols=attn.dim)
    queries_m = _matrix(queries, "queries", rows=query_rows, cols=attn.dim)
    labels = json.loads(labels_json) if labels_json else {}
    payloads = viz.special_views(
        attn, queries_m, keys_m, mask=_mask(mask, mask_rows), causal=causal,
        extras=json.loads(extras_json) if extras_json else None,
        x_labels=labels.get("x"), y_labels=labels.get("y"), query_row=labels.get("row", 0),
    )
    return json.dumps(payloads)


@_reporting
def load_model(model: int, path: str) -> str:
    """Load the checkpoint at ``path`` (a folder or ``.zip``; models.load) under id
    ``model``; returns its shape as JSON: layers, heads, hidden size, max positions."""
    encoder = models.load(path)
    _models[int(model)] = encoder
    config = encoder.config
    return json.dumps({
        "layers": config.num_layers, "heads": config.num_heads, "hidden_size": config.hidden_size,
        "max_positions": config.max_positions, "pooling": encoder.pooling,
    })


def _encoder(model: int, swap_json: str | None) -> models.Encoder:
    """Model ``model``, or its copy with ``{"mechanism", "layers", "config"}`` swapped in (kept)."""
    encoder = _models.get(int(model))
    if encoder is None:
        raise InvalidInputError(f"no model with id {model} (disposed?)")
    if swap_json is None:
        return encoder
    key = (int(model), swap_json)
    if key not in _swapped:
        swap = json.loads(swap_json)
        if not isinstance(swap, dict) or not isinstance(swap.get("mechanism"), str):
            raise InvalidConfigError(f"a swap needs a mechanism name, got {swap_json}")
        options = swap.get("config") or {}
        if not isinstance(options, dict):
            raise InvalidConfigError(f"a swap's config must be an object of options, got {options!r}")
        _swapped[key] = encoder.with_attention(swap["mechanism"], swap.get("layers"), **options)
    return _swapped[key]


@_reporting
def encode(model: int, text: str, swap_json: str | None = None) -> tuple[str, np.ndarray, np.ndarray]:
    """``text`` through model ``model`` (with ``swap_json``'s mechanism in its layers, if
    given): JSON of its tokens and ids, every layer's attention weights flat
    ``(layers, heads, n, n)`` float32, and the sentence embedding."""
    out = _encoder(model, swap_json)(text)
    meta = json.dumps({"tokens": out.tokens, "input_ids": out.input_ids.tolist()})
    return meta, np.ascontiguousarray(np.stack(out.attentions), dtype=np.float32).reshape(-1), out.embedding


@_reporting
def dispose_model(model: int) -> None:
    _models.pop(int(model), None)
    for key in [key for key in _swapped if key[0] == int(model)]:
        del _swapped[key]

