"""The base class every attention mechanism derives from.

A mechanism declares a frozen ``Config`` and implements one or two kernels on
validated float32 arrays:

- ``_weights(queries (m, d), keys (n, d), ctx) -> (m, n)``, and
- ``_forward(queries, keys, values (n, dv), ctx) -> (m, dv)``, which defaults to
  ``_weights(...) @ values`` for mechanisms whose weights map values to outputs.

``ctx`` is the call's :class:`~ruvector_attention.context.CallContext` (visibility, single
query or batch, validated per-call inputs), built once per call and passed explicitly.

Everything public (conversion, validation, single-query forms, train/eval, parameters,
saving) lives here, once.
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from . import _validation as check
from . import limits
from .config import AttentionConfig
from .errors import DimensionMismatchError, InvalidConfigError
from .io import save as write_npz
from .context import CallContext
from .kernels.masking import Visibility, dropout
from .kernels.numeric import matmul, to_float32
from .kernels.partials import Partial, attention_partial

__all__ = ["Attention", "DifferentiableAttention", "Gradients"]

Kernel = Callable[[np.ndarray, np.ndarray, "np.ndarray | None", CallContext], np.ndarray]
"""``kernel(queries, keys, values, ctx)`` on validated inputs (values None for weights)."""
Rows = tuple[int, int] | None
"""``(offset, total)``: the queries are rows ``offset..`` of a batch of ``total``."""


@dataclass(frozen=True)
class Gradients:
    """Gradients of a scalar loss through one forward call.

    ``query`` has the shape of the query argument (``(d,)`` or ``(m, d)``); ``params`` is
    keyed like :meth:`Attention.parameters` (empty for parameter-free mechanisms).
    """

    query: np.ndarray
    keys: np.ndarray
    values: np.ndarray
    params: dict[str, np.ndarray]


class Attention(abc.ABC):
    """An attention mechanism: a frozen config plus (possibly) learned parameters.

    Batch methods take ``rows=(offset, total)`` to compute one slice of a larger batch at
    its global row positions (causal order, windows): ``attn.compute_batch(q[a:b], K, V,
    causal=True, rows=(a, m))`` equals ``attn.compute_batch(q, K, V, causal=True)[a:b]``.
    Each call validates its inputs once into a :class:`~ruvector_attention.CallContext`
    that the kernels receive explicitly; the instance holds no per-call state.
    """

    Config: ClassVar[type[AttentionConfig]]
    name: ClassVar[str] = ""
    """Registry name, set by :func:`ruvector_attention.registry.register`."""
    complexity: ClassVar[str] = "O(n^2)"
    differentiable: ClassVar[bool] = False
    values_match_dim: ClassVar[bool] = False
    """True when values must have ``dim`` columns (learned value projections)."""
    splittable: ClassVar[bool] = True
    """True when the rows of a batch may be computed in separate calls with the same result
    (the JS pools split ``computeBatch`` across workers); false for batch-coupled mechanisms."""
    stateful: ClassVar[bool] = False
    """True when calls change the instance (topology_gated's mode and last output): the JS
    pools send every call of such a mechanism to one worker."""
    row_temporaries: ClassVar[int] = 6
    """How many float64 ``(rows, n)`` temporaries per head a kernel holds at once."""
    extra_inputs: ClassVar[frozenset[str]] = frozenset()
    """Names of the per-call keyword inputs the mechanism takes (validated by ``_check_extras``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "Config" in cls.__dict__:
            cls.__signature__ = inspect.signature(cls.Config)  # type: ignore[attr-defined]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.config = self.Config.from_arguments(self.name or type(self).__name__, *args, **kwargs)
        limits.check_bytes(self.config.state_bytes(), f"{type(self).__name__} (its parameters and buffers)")
        self.training = False
        self._params: dict[str, np.ndarray] = {}
        self._rng = np.random.default_rng(getattr(self.config, "seed", 0))
        self._setup()

    @classmethod
    def for_dim(cls, dim: int, **overrides: Any) -> Attention:
        """A default instance with query dimension ``dim`` (other required fields filled in)."""
        return cls(**{**cls.Config.example(dim), **overrides})

    def _setup(self) -> None:
        """Build parameters and fixed buffers from ``self.config`` (override)."""

    # ------------------------------------------------------------------ description

    @property
    def dim(self) -> int:
        """The query/key dimension ``d``."""
        return self.config.dim

    @property
    def num_heads(self) -> int:
        return getattr(self.config, "num_heads", 1)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.config.to_dict().items())
        return f"{type(self).__name__}({fields})"

    # ------------------------------------------------------------------ modes

    def train(self, mode: bool = True) -> Attention:
        """Enable training behaviour (dropout, routing noise); returns ``self``."""
        self.training = bool(mode)
        return self

    def eval(self) -> Attention:
        """Disable training behaviour; the default state. Returns ``self``."""
        return self.train(False)

    def _dropout(self, weights: np.ndarray) -> np.ndarray:
        p = getattr(self.config, "dropout", 0.0)
        return dropout(weights, p, self._rng) if self.training else weights

    # ------------------------------------------------------------------ public API

    def compute(self, query: Any, keys: Any, values: Any, mask: Any = None, **extras: Any) -> np.ndarray:
        """Attend one query ``(d,)`` over ``keys (n, d)``; returns ``(dv,)`` float32.

        ``extras`` are the per-call inputs some mechanisms take (``position``,
        ``edge_features``, ``distances``; see each class and :attr:`extra_inputs`).
        """
        return self._run(self._forward, query, keys, check.required(values, "values"), mask, single=True, extras=extras)[0]

    def compute_batch(
        self, queries: Any, keys: Any, values: Any, mask: Any = None, *, causal: bool | None = None, rows: Rows = None, **extras: Any
    ) -> np.ndarray:
        """Attend queries ``(m, d)``; returns ``(m, dv)``. ``causal`` overrides the config.

        ``rows=(offset, total)`` computes rows ``offset..offset+m`` of a batch of ``total``
        queries (one worker's share): causal order and position-aware mechanisms use these
        global positions, so the slices, joined, equal the whole batch.
        """
        values = check.required(values, "values")
        return self._run(self._forward, queries, keys, values, mask, single=False, causal=causal, rows=rows, extras=extras)

    def weights(self, query: Any, keys: Any, mask: Any = None, **extras: Any) -> np.ndarray:
        """The ``(n,)`` attention weights of one query (non-negative, summing to 1)."""
        return self._run(self._weights_of, query, keys, None, mask, single=True, extras=extras, heads=1)[0]

    def weights_batch(
        self, queries: Any, keys: Any, mask: Any = None, *, causal: bool | None = None, rows: Rows = None, **extras: Any
    ) -> np.ndarray:
        """The ``(m, n)`` attention weights of a batch of queries; rows sum to 1 (``rows``:
        as in :meth:`compute_batch`)."""
        return self._run(
            self._weights_of, queries, keys, None, mask, single=False, causal=causal, rows=rows, extras=extras, heads=1
        )

    def head_weights_batch(
        self, queries: Any, keys: Any, mask: Any = None, *, causal: bool | None = None, rows: Rows = None, **extras: Any
    ) -> np.ndarray:
        """Weights per head, ``(num_heads, m, n)`` (one head for single-head mechanisms)."""
        return self._run(
            self._head_weights_of, queries, keys, None, mask,
            single=False, causal=causal, rows=rows, extras=extras, heads=self.num_heads,
        )

    @property
    def partial_scale(self) -> float | None:
        """The factor ``c`` where this mechanism's output is exactly ``softmax(c · q·kᵀ) v``
        (one head, inputs as they are, no window, nothing random), so that one query's keys
        may be split into chunks whose partials merge exactly (:meth:`compute_partial`);
        None for every other mechanism."""
        return None

    def compute_partial(self, query: Any, keys: Any, values: Any, mask: Any = None, **extras: Any) -> Partial:
        r"""The softmax partial of one query ``(d,)`` over a chunk of keys: its largest
        visible score ``μ``, ``ℓ = Σ_j e^{s_j - μ}`` and ``a = Σ_j e^{s_j - μ} v_j`` (float64,
        ``(1, 1, 1)``, ``(1, 1, 1)``, ``(1, 1, dv)``). The partials of disjoint chunks merge
        exactly into :meth:`compute` over all of them (:func:`~.kernels.partials.merge`, then
        ``finish``): how a pool of workers splits one query's keys. Only where
        :attr:`partial_scale` is set; elsewhere :class:`InvalidConfigError` (as for per-call
        ``extras``, which none of these mechanisms takes)."""
        scale = self.partial_scale
        if scale is None:
            raise InvalidConfigError(f"{self.name} has no exact key partials (scaled_dot and flash have)")
        q, k, v, ctx = self._context(query, keys, check.required(values, "values"), mask, single=True, extras=extras)
        return attention_partial(q, k, v, scale, ctx.vis.dense())

    def _weights_of(self, queries: np.ndarray, keys: np.ndarray, values: None, ctx: CallContext) -> np.ndarray:
        return self._weights(queries, keys, ctx)

    def _head_weights_of(self, queries: np.ndarray, keys: np.ndarray, values: None, ctx: CallContext) -> np.ndarray:
        return self._head_weights(queries, keys, ctx)

    def _run(
        self,
        kernel: Kernel,
        queries: Any,
        keys: Any,
        values: Any,
        mask: Any,
        *,
        single: bool,
        extras: dict[str, Any],
        causal: Any = None,
        rows: Any = None,
        heads: int = 0,
    ) -> np.ndarray:
        """Validate and build the call's context once, then run ``kernel(q, k, v, ctx)`` in
        row blocks; ``heads`` > 0: the result is that many ``(m, n)`` weight matrices."""
        q, k, v, ctx = self._context(queries, keys, values, mask, single=single, causal=causal, rows=rows, extras=extras)
        if heads:
            limits.check_scores(q.shape[0] * heads, k.shape[0])
        return self._in_row_blocks(kernel, q, k, v, ctx)

    def _check_extras(self, extras: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        """The validated per-call inputs (names among :attr:`extra_inputs`, already checked);
        mechanisms that take some override this. In a batch, array-valued inputs are per
        query row (leading axis ``ctx.rows``)."""
        return {}

    # ------------------------------------------------------------------ row blocks

    def _row_bytes(self, n: int, dv: int) -> int:
        """Working bytes one query row needs in the kernels: ``row_temporaries`` float64
        rows of ``n`` scores per head (mechanisms with other temporaries override)."""
        return 8 * self.row_temporaries * self.num_heads * (n + dv)

    def _block_size(self, m: int, n: int, dv: int) -> int:
        """Query rows per block so that a block's working memory fits ``ra.MAX_WORK_BYTES``."""
        return limits.block_rows(m, self._row_bytes(n, dv), self.name or type(self).__name__)

    def _row_blocks(
        self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray | None, ctx: CallContext
    ) -> Iterator[tuple[slice, CallContext]]:
        """Blocks of query rows that fit ``ra.MAX_WORK_BYTES``, each with its context."""
        m = queries.shape[0]
        size = self._block_size(m, keys.shape[0], 0 if values is None else values.shape[1])
        for start in range(0, m, size):
            stop = min(start + size, m)
            yield slice(start, stop), ctx.slice(start, stop)

    def _in_row_blocks(
        self, kernel: Kernel, queries: np.ndarray, keys: np.ndarray, values: np.ndarray | None, ctx: CallContext
    ) -> np.ndarray:
        """``kernel(queries, keys, values, ctx)`` over blocks of query rows, joined along the
        row axis (the second last)."""
        m, out = queries.shape[0], None
        if self._block_size(m, keys.shape[0], 0 if values is None else values.shape[1]) >= m:
            return to_float32(kernel(queries, keys, values, ctx))  # one block: the common case
        for rows, block in self._row_blocks(queries, keys, values, ctx):
            part = to_float32(kernel(queries[rows], keys, values, block))
            if out is None:
                out = np.empty((*part.shape[:-2], m, part.shape[-1]), dtype=np.float32)
            out[..., rows, :] = part
        assert out is not None
        return out

    # ------------------------------------------------------------------ kernels

    def _head_weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        return self._weights(queries, keys, ctx)[None]

    @abc.abstractmethod
    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        """The ``(m, n)`` weights of validated queries over validated keys."""

    def _forward(self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray, ctx: CallContext) -> np.ndarray:
        return matmul(self._weights(queries, keys, ctx), values)

    # ------------------------------------------------------------------ validation

    def _context(
        self,
        queries: Any,
        keys: Any,
        values: Any,
        mask: Any,
        *,
        single: bool,
        causal: Any = None,
        rows: Any = None,
        extras: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, CallContext]:
        """Validate once at the boundary; returns 2-D queries, keys, values and the call's context."""
        q = self._prepare_queries(queries, single=single)
        k = check.as_keys(keys, dim=self.dim)
        m, n = q.shape[0], k.shape[0]
        v = None
        if values is not None:
            v = check.as_values(values, count=n, dim=self.dim if self.values_match_dim else None)
        causal = check.flag("causal", causal)
        if causal is None:
            causal = getattr(self.config, "causal", False)
        vis = Visibility(m, n, check.as_mask(mask, m, n, single=single), causal, None if single else np.arange(m))
        if rows is not None:
            vis = vis.rows_of(*check.row_range(rows, m))
        ctx = CallContext(vis, single)
        given = extras or {}
        check.known_keywords(type(self).__name__, given, self.extra_inputs)
        return q, k, v, ctx.with_extras(**self._check_extras(given, ctx))

    def _prepare_queries(self, queries: Any, *, single: bool) -> np.ndarray:
        """Validated queries as a 2-D ``(m, dim)`` array."""
        if single:
            return check.as_vector(queries, "query", size=self.dim)[None, :]
        return check.as_matrix(queries, "queries", cols=self.dim)

    @staticmethod
    def _finish(result: np.ndarray) -> np.ndarray:
        return to_float32(result)

    # ------------------------------------------------------------------ parameters

    def parameters(self) -> dict[str, np.ndarray]:
        """Copies of the learned parameters by name (empty if there are none)."""
        return {name: value.copy() for name, value in self._params.items()}

    def load_parameters(self, params: dict[str, Any]) -> None:
        """Replace the parameters; names and shapes must match :meth:`parameters`."""
        unknown = sorted(set(params) - set(self._params))
        missing = sorted(set(self._params) - set(params))
        if unknown or missing:
            reason = f"parameter names must be {sorted(self._params)}"
            if unknown:
                reason += f"; unknown: {unknown}"
            if missing:
                reason += f"; missing: {missing}"
            raise InvalidConfigError(reason)
        loaded = {}
        for name, value in params.items():
            arr = check.as_array(value, f"parameter {name!r}")
            expected = self._params[name].shape
            if arr.shape != expected:
                raise DimensionMismatchError(
                    f"parameter {name!r} must have shape {expected}, got {arr.shape}",
                    expected=list(expected),
                    actual=list(arr.shape),
                )
            loaded[name] = arr.copy()
        self._params = loaded

    def save(self, path: Any) -> None:
        """Write config and parameters to one ``.npz`` file (no pickle); see ``ra.load``."""
        write_npz(self, path)


class DifferentiableAttention(Attention):
    """A mechanism with an analytic ``backward`` (checked against torch.autograd in tests)."""

    differentiable = True

    def backward(
        self,
        queries: Any,
        keys: Any,
        values: Any,
        grad_output: Any,
        mask: Any = None,
        *,
        causal: bool | None = None,
        **extras: Any,
    ) -> Gradients:
        """Gradients of ``sum(grad_output * output)`` w.r.t. inputs and parameters.

        ``queries`` is one query ``(d,)`` or a batch ``(m, d)``; ``grad_output`` has the
        shape of the matching output. Differentiates the eval-mode function (no dropout).
        """
        q_in = check.as_array(queries, "query")
        single = q_in.ndim == 1
        q, k, v, ctx = self._context(q_in, keys, values, mask, single=single, causal=causal, extras=extras)
        assert v is not None
        if single:
            g = check.as_vector(grad_output, "grad_output", size=v.shape[1])[None, :]
        else:
            g = check.as_matrix(grad_output, "grad_output", cols=v.shape[1])
            if g.shape[0] != q.shape[0]:
                raise DimensionMismatchError(
                    f"grad_output must have one row per query ({q.shape[0]}), got {g.shape[0]}",
                    expected=q.shape[0],
                    actual=g.shape[0],
                )
        grads = self._backward_in_row_blocks(q, k, v, ctx, g)
        return Gradients(
            query=self._finish(grads.query[0] if single else grads.query),
            keys=self._finish(grads.keys),
            values=self._finish(grads.values),
            params={name: self._finish(value) for name, value in grads.params.items()},
        )

    def _backward_in_row_blocks(
        self,
        queries: np.ndarray,
        keys: np.ndarray,
        values: np.ndarray,
        ctx: CallContext,
        grad_output: np.ndarray,
    ) -> Gradients:
        """``_backward`` over blocks of query rows: the loss is a sum over rows, so query
        gradients are joined and key, value and parameter gradients summed (in float64)."""
        parts = [
            self._backward(queries[rows], keys, values, block, grad_output[rows])
            for rows, block in self._row_blocks(queries, keys, values, ctx)
        ]
        if len(parts) == 1:
            return parts[0]

        def total(arrays: Iterator[np.ndarray]) -> np.ndarray:
            return sum(np.asarray(a, dtype=np.float64) for a in arrays)  # type: ignore[return-value]

        return Gradients(
            query=np.concatenate([to_float32(p.query) for p in parts]),
            keys=total(p.keys for p in parts),
            values=total(p.values for p in parts),
            params={name: total(p.params[name] for p in parts) for name in parts[0].params},
        )

    @abc.abstractmethod
    def _backward(
        self,
        queries: np.ndarray,
        keys: np.ndarray,
        values: np.ndarray,
        ctx: CallContext,
        grad_output: np.ndarray,
    ) -> Gradients:
        """Gradients for validated 2-D inputs."""
