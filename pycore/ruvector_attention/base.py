"""The base class every attention mechanism derives from.

A mechanism declares a frozen ``Config`` and implements one or two kernels on
validated float32 arrays:

- ``_weights(queries (m, d), keys (n, d), vis) -> (m, n)``, and
- ``_forward(queries, keys, values (n, dv), vis) -> (m, dv)``, which defaults to
  ``_weights(...) @ values`` for mechanisms whose weights map values to outputs.

Everything public (conversion, validation, single-query forms, train/eval, parameters,
saving) lives here, once.
"""

from __future__ import annotations

import abc
import contextlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from . import _validation as check
from . import limits
from .config import AttentionConfig
from .errors import DimensionMismatchError, InvalidConfigError
from .kernels.masking import Visibility, dropout
from .kernels.numeric import matmul, to_float32

__all__ = ["Attention", "DifferentiableAttention", "Gradients"]


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
    """An attention mechanism: a frozen config plus (possibly) learned parameters."""

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
        self._extras: dict[str, Any] = {}
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

    @contextlib.contextmanager
    def _call_extras(self, **extras: Any) -> Iterator[None]:
        """Per-call inputs beyond queries, keys and values (edge features, graph distances),
        seen by the kernels as ``self._extras`` for the duration of one kernel call."""
        previous, self._extras = self._extras, extras
        try:
            yield
        finally:
            self._extras = previous

    def _dropout(self, weights: np.ndarray) -> np.ndarray:
        p = getattr(self.config, "dropout", 0.0)
        return dropout(weights, p, self._rng) if self.training else weights

    # ------------------------------------------------------------------ public API

    def compute(self, query: Any, keys: Any, values: Any, mask: Any = None, **extras: Any) -> np.ndarray:
        """Attend one query ``(d,)`` over ``keys (n, d)``; returns ``(dv,)`` float32.

        ``extras`` are the per-call inputs some mechanisms take (``position``,
        ``edge_features``, ``distances``; see each class); others reject them.
        """
        return self._call("forward", query, keys, values, mask, single=True, extras=extras)[0]

    def compute_batch(
        self, queries: Any, keys: Any, values: Any, mask: Any = None, *, causal: bool | None = None, **extras: Any
    ) -> np.ndarray:
        """Attend queries ``(m, d)``; returns ``(m, dv)``. ``causal`` overrides the config."""
        return self._call("forward", queries, keys, values, mask, single=False, causal=causal, extras=extras)

    def weights(self, query: Any, keys: Any, mask: Any = None, **extras: Any) -> np.ndarray:
        """The ``(n,)`` attention weights of one query (non-negative, summing to 1)."""
        return self._call("weights", query, keys, None, mask, single=True, extras=extras)[0]

    def weights_batch(
        self, queries: Any, keys: Any, mask: Any = None, *, causal: bool | None = None, **extras: Any
    ) -> np.ndarray:
        """The ``(m, n)`` attention weights of a batch of queries; rows sum to 1."""
        return self._call("weights", queries, keys, None, mask, single=False, causal=causal, extras=extras)

    def head_weights_batch(
        self, queries: Any, keys: Any, mask: Any = None, *, causal: bool | None = None, **extras: Any
    ) -> np.ndarray:
        """Weights per head, ``(num_heads, m, n)`` (one head for single-head mechanisms)."""
        return self._call("head_weights", queries, keys, None, mask, single=False, causal=causal, extras=extras)

    def _call(
        self,
        kind: str,
        queries: Any,
        keys: Any,
        values: Any,
        mask: Any,
        *,
        single: bool,
        causal: Any = None,
        extras: dict[str, Any],
        rows: tuple[int, int] | None = None,
    ) -> np.ndarray:
        """Validate, then run the ``kind`` kernel (``forward``, ``weights`` or ``head_weights``)
        in row blocks. ``rows = (offset, total)`` marks the queries as rows ``offset..`` of a
        batch of ``total`` (a slice computed elsewhere, e.g. by one worker of a pool)."""
        q, k, v, vis = self._prepare(queries, keys, values, mask, single=single, causal=causal)
        if rows is not None:
            vis = vis.rows_of(*rows)
        if kind != "forward":
            limits.check_scores(q.shape[0] * (self.num_heads if kind == "head_weights" else 1), k.shape[0])
        kernel = {
            "forward": lambda qb, visb: self._forward(qb, k, v, visb),
            "weights": lambda qb, visb: self._weights(qb, k, visb),
            "head_weights": lambda qb, visb: self._head_weights(qb, k, visb),
        }[kind]
        return self._in_row_blocks(kernel, q, k, v, vis, self._extra_inputs(extras, vis))

    def _extra_inputs(self, extras: dict[str, Any], vis: Visibility) -> dict[str, Any]:
        """Validate per-call inputs (``vis`` tells ``rows``, ``cols`` and whether it is a single
        query: ``positions is None``); mechanisms that take some override this. In a batch,
        array-valued inputs are per query row (leading axis ``rows``)."""
        if extras:
            raise InvalidConfigError(f"{type(self).__name__} got unexpected keyword arguments {sorted(extras)}")
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
        self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray | None, vis: Visibility, extras: dict[str, Any]
    ) -> Iterator[tuple[slice, Visibility]]:
        """Blocks of query rows that fit ``ra.MAX_WORK_BYTES``, each with its visibility;
        while a block is processed, the kernels see its slice of the per-row ``extras``."""
        m = queries.shape[0]
        size = self._block_size(m, keys.shape[0], 0 if values is None else values.shape[1])
        for start in range(0, m, size):
            rows = slice(start, min(start + size, m))
            sliced = {name: value[rows] if isinstance(value, np.ndarray) else value for name, value in extras.items()}
            with self._call_extras(**sliced):
                yield rows, vis if size >= m else vis.slice(rows.start, rows.stop)

    def _in_row_blocks(
        self,
        kernel: Callable[[np.ndarray, Visibility], Any],
        queries: np.ndarray,
        keys: np.ndarray,
        values: np.ndarray | None,
        vis: Visibility,
        extras: dict[str, Any],
    ) -> np.ndarray:
        """``kernel(queries, vis)`` over blocks of query rows, joined along the row axis
        (the second last)."""
        m, out = queries.shape[0], None
        for rows, block in self._row_blocks(queries, keys, values, vis, extras):
            part = to_float32(kernel(queries[rows], block))
            if rows.stop - rows.start == m:
                return part
            if out is None:
                out = np.empty((*part.shape[:-2], m, part.shape[-1]), dtype=np.float32)
            out[..., rows, :] = part
        assert out is not None
        return out

    # ------------------------------------------------------------------ kernels

    def _head_weights(self, queries: np.ndarray, keys: np.ndarray, vis: Visibility) -> np.ndarray:
        return self._weights(queries, keys, vis)[None]

    @abc.abstractmethod
    def _weights(self, queries: np.ndarray, keys: np.ndarray, vis: Visibility) -> np.ndarray:
        """The ``(m, n)`` weights of validated queries over validated keys."""

    def _forward(
        self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray, vis: Visibility
    ) -> np.ndarray:
        return matmul(self._weights(queries, keys, vis), values)

    # ------------------------------------------------------------------ validation

    def _prepare(
        self,
        queries: Any,
        keys: Any,
        values: Any,
        mask: Any,
        *,
        single: bool,
        causal: bool | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, Visibility]:
        """Validate once at the boundary; returns 2-D queries, keys, values, visibility."""
        q = self._prepare_queries(queries, single=single)
        k = check.as_keys(keys, dim=self.dim)
        m, n = q.shape[0], k.shape[0]
        v = None
        if values is not None:
            v = check.as_values(values, count=n, dim=self.dim if self.values_match_dim else None)
        causal = check.flag("causal", causal)
        if causal is None:
            causal = getattr(self.config, "causal", False)
        positions = None if single else np.arange(m)
        vis = Visibility(m, n, check.as_mask(mask, m, n, single=single), causal, positions)
        return q, k, v, vis

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
        from .io import save

        save(self, path)


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
        q, k, v, vis = self._prepare(q_in, keys, values, mask, single=single, causal=causal)
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
        grads = self._backward_in_row_blocks(q, k, v, vis, g, self._extra_inputs(extras, vis))
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
        vis: Visibility,
        grad_output: np.ndarray,
        extras: dict[str, Any],
    ) -> Gradients:
        """``_backward`` over blocks of query rows: the loss is a sum over rows, so query
        gradients are joined and key, value and parameter gradients summed (in float64)."""
        parts = [
            self._backward(queries[rows], keys, values, block, grad_output[rows])
            for rows, block in self._row_blocks(queries, keys, values, vis, extras)
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
        vis: Visibility,
        grad_output: np.ndarray,
    ) -> Gradients:
        """Gradients for validated 2-D inputs."""
