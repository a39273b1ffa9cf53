"""Composable pipelines: normalisation, attention, dropout, residual and custom stages."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .. import _validation as check
from ..base import Attention
from ..errors import DimensionMismatchError, InvalidConfigError, InvalidInputError
from ..kernels.masking import dropout
from ..kernels.norms import batch_norm, layer_norm, rms_norm

__all__ = ["AttentionLike", "NormType", "AttentionPipeline", "transformer_block", "prenorm_transformer_block"]


class NormType(enum.Enum):
    LAYER_NORM = "layer_norm"
    RMS_NORM = "rms_norm"
    BATCH_NORM = "batch_norm"


@dataclass
class _State:
    """What flows through the stages: the running rows ``x`` and the residual source."""

    x: np.ndarray
    keys: Any
    values: Any
    batch: bool
    training: bool
    rng: np.random.Generator
    before_attention: np.ndarray | None = None


class _Stage(Protocol):
    def __call__(self, state: _State) -> None: ...


@runtime_checkable
class AttentionLike(Protocol):
    """What an attention stage calls: a mechanism's ``compute``, ``compute_batch``, ``train``."""

    def compute(self, query: Any, keys: Any, values: Any) -> np.ndarray: ...

    def compute_batch(self, queries: Any, keys: Any, values: Any) -> np.ndarray: ...

    def train(self, mode: bool = True) -> Any: ...


@dataclass
class _Norm:
    kind: NormType
    affine: bool = False
    eps: float | None = None
    momentum: float = 0.1
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    running_mean: np.ndarray | None = None
    running_var: np.ndarray | None = None

    def normalize(self, state: _State) -> np.ndarray:
        x = state.x
        eps = {} if self.eps is None else {"eps": self.eps}
        if self.kind is NormType.LAYER_NORM:
            return layer_norm(x, **eps)
        if self.kind is NormType.RMS_NORM:
            return rms_norm(x, **eps)
        if self.running_mean is None or self.running_mean.shape[0] != x.shape[1]:
            self.running_mean = np.zeros(x.shape[1], dtype=np.float32)
            self.running_var = np.ones(x.shape[1], dtype=np.float32)
        if not state.batch:
            return batch_norm(x, self.running_mean, self.running_var, **eps)
        mean, var = x.mean(axis=0), x.var(axis=0)
        if state.training:
            unbiased = var * x.shape[0] / max(x.shape[0] - 1, 1)
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
            self.running_var = (1 - self.momentum) * self.running_var + self.momentum * unbiased
        return batch_norm(x, mean, var, **eps)

    def __call__(self, state: _State) -> None:
        out = self.normalize(state)
        if self.affine:
            if self.weight is None or self.weight.shape[0] != out.shape[1]:
                self.weight = np.ones(out.shape[1], dtype=np.float32)
                self.bias = np.zeros(out.shape[1], dtype=np.float32)
            out = out * self.weight + self.bias
        state.x = out


@dataclass
class _AttentionStage:
    attention: Attention | AttentionLike
    norm: _Norm | None = None

    def __call__(self, state: _State) -> None:
        state.before_attention = state.x
        if self.norm is not None:
            self.norm(state)
        if state.batch:
            state.x = self.attention.compute_batch(state.x, state.keys, state.values)
        else:
            state.x = self.attention.compute(state.x[0], state.keys, state.values)[None, :]


@dataclass
class _Dropout:
    p: float

    def __call__(self, state: _State) -> None:
        if state.training:
            state.x = dropout(state.x, self.p, state.rng)


@dataclass
class _Residual:
    def __call__(self, state: _State) -> None:
        source = state.before_attention
        assert source is not None  # add_residual() requires an attention stage first
        if source.shape != state.x.shape:
            raise DimensionMismatchError(
                f"residual needs the attention output to keep the width {source.shape[1]}, "
                f"got {state.x.shape[1]}",
                expected=source.shape[1],
                actual=state.x.shape[1],
            )
        state.x = state.x + source


@dataclass
class _Custom:
    fn: Callable[[np.ndarray], Any]
    per_row: bool = True

    def __call__(self, state: _State) -> None:
        if not self.per_row:
            out = check.as_matrix(self.fn(state.x.copy()), "custom stage output")
            if out.shape[0] != state.x.shape[0]:
                raise DimensionMismatchError(
                    f"custom stage returned {out.shape[0]} rows for {state.x.shape[0]}",
                    expected=state.x.shape[0], actual=out.shape[0],
                )
            state.x = out
            return
        rows = [check.as_vector(self.fn(row.copy()), "custom stage output") for row in state.x]
        if len({row.shape for row in rows}) != 1:
            raise InvalidInputError("custom stage returned rows of different lengths")
        state.x = np.stack(rows)


@dataclass
class AttentionPipeline:
    """A chain of stages applied to a running vector ``x`` that starts as the query.

    An attention stage sets ``x = attn.compute(x, keys, values)``; ``add_residual()`` adds
    the value ``x`` had before the most recent attention stage; norms are LayerNorm
    ``(x - mean)/sqrt(var + 1e-5)``, RMSNorm ``x/sqrt(mean(x²) + 1e-6)``, or BatchNorm
    (batch statistics in ``run_batch``, running statistics, initially mean 0 and var 1,
    in ``run``); dropout acts only after :meth:`train`.

    >>> import numpy as np, ruvector_attention as ra
    >>> pipe = (ra.AttentionPipeline().add_attention(ra.scaled_dot(4).build())
    ...         .add_residual().add_norm("rms_norm"))
    >>> pipe.run(np.ones(4), np.eye(4), np.eye(4)).shape
    (4,)
    """

    seed: int = 0
    stages: list[_Stage] = field(default_factory=list)
    training: bool = False

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(check.non_negative_int("seed", self.seed))

    # ------------------------------------------------------------------ building

    def add_norm(
        self,
        norm_type: NormType | str,
        *,
        affine: bool = False,
        eps: float | None = None,
        weight: Any = None,
        bias: Any = None,
    ) -> AttentionPipeline:
        """Normalise ``x`` (LayerNorm, RMSNorm or BatchNorm; ``affine`` adds scale and shift,
        ``weight`` and ``bias`` give them, e.g. from a checkpoint; ``eps`` replaces the
        default 1e-5 / 1e-6 under the square root)."""
        norm = _Norm(
            check.as_enum(NormType, norm_type, "norm_type"),
            check.boolean("affine", affine) or weight is not None or bias is not None,
            None if eps is None else check.positive_float("eps", eps),
        )
        if weight is not None or bias is not None:
            given = check.as_vector(weight if weight is not None else bias, "weight" if weight is not None else "bias")
            norm.weight = given if weight is not None else np.ones_like(given)
            norm.bias = check.as_vector(bias, "bias") if bias is not None else np.zeros_like(given)
            if norm.weight.shape != norm.bias.shape:
                raise DimensionMismatchError(
                    f"norm weight has {norm.weight.size} values, bias {norm.bias.size}",
                    expected=norm.weight.size, actual=norm.bias.size,
                )
        self.stages.append(norm)
        return self

    def add_attention(self, attention: Attention | AttentionLike, *, norm: NormType | str | None = None) -> AttentionPipeline:
        """Attend with ``attention`` (a mechanism, or any object with its ``compute``,
        ``compute_batch`` and ``train``); ``norm`` normalises the query first (pre-norm),
        keeping the un-normalised ``x`` as the residual source."""
        if not isinstance(attention, (Attention, AttentionLike)):
            raise InvalidConfigError(f"add_attention needs an attention mechanism, got {attention!r}")
        pre = None if norm is None else _Norm(check.as_enum(NormType, norm, "norm"))
        self.stages.append(_AttentionStage(attention, pre))
        return self

    def add_dropout(self, p: float) -> AttentionPipeline:
        self.stages.append(_Dropout(check.probability("p", p)))
        return self

    def add_residual(self) -> AttentionPipeline:
        if not any(isinstance(stage, _AttentionStage) for stage in self.stages):
            raise InvalidConfigError("add_residual() needs an attention stage before it")
        self.stages.append(_Residual())
        return self

    def add_custom(self, fn: Callable[[np.ndarray], Any], *, per_row: bool = True) -> AttentionPipeline:
        """Apply ``fn`` to each row vector ``(d,) -> (d',)``, or with ``per_row=False`` to
        all rows at once ``(m, d) -> (m, d')`` (a row-wise map such as a feed-forward
        layer, in one matrix product)."""
        if not callable(fn):
            raise InvalidConfigError(f"add_custom needs a callable, got {fn!r}")
        self.stages.append(_Custom(fn, check.boolean("per_row", per_row)))
        return self

    # ------------------------------------------------------------------ modes

    def train(self, mode: bool = True) -> AttentionPipeline:
        """Training mode for the pipeline and its attention stages."""
        self.training = bool(mode)
        for stage in self.stages:
            if isinstance(stage, _AttentionStage):
                stage.attention.train(mode)
        return self

    def eval(self) -> AttentionPipeline:
        return self.train(False)

    # ------------------------------------------------------------------ running

    def _run(self, x: np.ndarray, keys: Any, values: Any, batch: bool) -> np.ndarray:
        state = _State(x, keys, values, batch, self.training, self._rng)
        for stage in self.stages:
            stage(state)
        return np.ascontiguousarray(state.x, dtype=np.float32)

    def run(self, query: Any, keys: Any, values: Any) -> np.ndarray:
        """Run one query ``(d,)`` through every stage."""
        return self._run(check.as_vector(query, "query")[None, :], keys, values, batch=False)[0]

    def run_batch(self, queries: Any, keys: Any, values: Any) -> np.ndarray:
        """Run queries ``(m, d)`` through every stage."""
        return self._run(check.as_matrix(queries, "queries"), keys, values, batch=True)


def transformer_block(attention: Attention, dropout: float = 0.1) -> AttentionPipeline:
    """Post-norm block: ``LayerNorm(x + Dropout(Attn(x)))``."""
    return (
        AttentionPipeline().add_attention(attention).add_dropout(dropout).add_residual()
        .add_norm(NormType.LAYER_NORM)
    )


def prenorm_transformer_block(attention: Attention, dropout: float = 0.1) -> AttentionPipeline:
    """Pre-norm block: ``x + Dropout(Attn(LayerNorm(x)))``."""
    return (
        AttentionPipeline().add_attention(attention, norm=NormType.LAYER_NORM)
        .add_dropout(dropout).add_residual()
    )
