"""One optimisation step of a differentiable mechanism on a regression target."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validation as check
from ..base import Attention
from ..errors import DimensionMismatchError, InvalidConfigError
from .optimizers import _Optimizer

__all__ = ["train_step"]


def train_step(
    attn: Attention, optimizer: _Optimizer, queries: Any, keys: Any, values: Any, targets: Any, mask: Any = None
) -> float:
    """Mean squared error of ``attn.compute_batch(...)`` against ``targets``: one
    ``attn.backward`` and one ``optimizer.step`` on its parameters. Returns the loss
    before the step."""
    if not getattr(attn, "differentiable", False) or not attn.parameters():
        raise InvalidConfigError(f"{attn.name} has no learned parameters with a backward to train")
    out = attn.compute_batch(queries, keys, values, mask)
    target = check.as_matrix(targets, "targets", cols=out.shape[1])
    if target.shape != out.shape:
        raise DimensionMismatchError("targets must have one row per query", expected=out.shape[0], actual=target.shape[0])
    diff = out.astype(np.float64) - target
    grads = attn.backward(queries, keys, values, 2 * diff / diff.size, mask)  # type: ignore[attr-defined]
    params = attn.parameters()
    optimizer.step(params, grads.params)
    attn.load_parameters(params)
    return float(np.mean(diff * diff))
