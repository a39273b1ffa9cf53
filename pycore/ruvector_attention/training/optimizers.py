"""SGD, Adam and AdamW updating ``dict[str, ndarray]`` parameters in place, step for step
as ``torch.optim`` computes them."""

from __future__ import annotations

import abc
import math
from typing import Any

import numpy as np

from .. import _validation as check
from ..errors import DimensionMismatchError, InvalidConfigError

__all__ = ["SGD", "Adam", "AdamW"]


class _Optimizer(abc.ABC):
    def __init__(self, lr: float) -> None:
        self.lr = check.positive_float("lr", lr)
        self.state: dict[str, dict[str, Any]] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every ``params[name]`` in place from ``grads[name]``."""
        missing = sorted(set(params) - set(grads))
        if missing:
            raise InvalidConfigError(f"no gradient for parameters {missing}")
        for name, param in params.items():
            grad = check.as_array(grads[name], f"grads[{name!r}]")
            if grad.shape != param.shape:
                raise DimensionMismatchError(
                    f"grads[{name!r}] has shape {grad.shape}, the parameter {param.shape}",
                    expected=list(param.shape), actual=list(grad.shape),
                )
            self._update(name, param, grad, self.state.setdefault(name, {}))

    @abc.abstractmethod
    def _update(self, name: str, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        """Update one parameter in place; ``state`` persists between steps."""


class SGD(_Optimizer):
    """``b = momentum·b + g`` (``b = g`` on the first step), ``p -= lr·b``."""

    def __init__(self, lr: float, momentum: float = 0.0) -> None:
        super().__init__(lr)
        self.momentum = check.non_negative_float("momentum", momentum)

    def _update(self, name: str, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        if self.momentum:
            buffer = state.get("momentum")
            buffer = grad.copy() if buffer is None else buffer * np.float32(self.momentum) + grad
            state["momentum"] = buffer
            grad = buffer
        param -= np.float32(self.lr) * grad


class Adam(_Optimizer):
    """Adam (Kingma & Ba) with torch's arithmetic: ``p -= lr/(1-β1^t) · m / (√v/√(1-β2^t) + ε)``."""

    decoupled_weight_decay = 0.0

    def __init__(self, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.betas = tuple(check.probability("betas", b) for b in betas)
        self.eps = check.positive_float("eps", eps)

    def _update(self, name: str, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        b1, b2 = self.betas
        if not state:
            state.update(t=0, m=np.zeros_like(param), v=np.zeros_like(param))
        state["t"] += 1
        t = state["t"]
        if self.decoupled_weight_decay:
            param *= np.float32(1 - self.lr * self.decoupled_weight_decay)
        state["m"] += np.float32(1 - b1) * (grad - state["m"])
        state["v"] = state["v"] * np.float32(b2) + np.float32(1 - b2) * grad * grad
        denom = np.sqrt(state["v"]) / np.float32(math.sqrt(1 - b2**t)) + np.float32(self.eps)
        param -= np.float32(self.lr / (1 - b1**t)) * state["m"] / denom


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr·weight_decay`` before each step."""

    def __init__(
        self, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.01
    ) -> None:
        super().__init__(lr, betas, eps)
        self.decoupled_weight_decay = check.non_negative_float("weight_decay", weight_decay)
