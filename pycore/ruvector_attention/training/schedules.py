"""Learning-rate, temperature and curriculum schedules (pure functions of the step)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _validation as check
from ..errors import InvalidConfigError

__all__ = ["WarmupCosine", "TemperatureAnnealing", "CurriculumScheduler"]


class WarmupCosine:
    """Linear warm-up to ``lr`` over ``warmup_steps``, then cosine decay to 0 at ``total_steps``.

    >>> s = WarmupCosine(1.0, warmup_steps=10, total_steps=110)
    >>> s(0), s(9), s(10), s(60), s(110)
    (0.1, 1.0, 1.0, 0.5, 0.0)
    """

    def __init__(self, lr: float, warmup_steps: int, total_steps: int) -> None:
        self.lr = check.positive_float("lr", lr)
        self.warmup_steps = check.non_negative_int("warmup_steps", warmup_steps)
        self.total_steps = check.positive_int("total_steps", total_steps)
        if self.warmup_steps >= self.total_steps:
            raise InvalidConfigError("warmup_steps must be smaller than total_steps")

    def __call__(self, step: int) -> float:
        step = check.non_negative_int("step", step)
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        progress = min(1.0, (step - self.warmup_steps) / (self.total_steps - self.warmup_steps))
        return round(self.lr * 0.5 * (1 + math.cos(math.pi * progress)), 12)


class TemperatureAnnealing:
    """Temperature from ``start`` to ``end`` over ``steps``, linearly or exponentially.

    >>> TemperatureAnnealing(1.0, 0.1, 100, "exponential")(50)
    0.316228
    """

    def __init__(self, start: float, end: float, steps: int, decay: str = "linear") -> None:
        self.start = check.positive_float("start", start)
        self.end = check.positive_float("end", end)
        self.steps = check.positive_int("steps", steps)
        self.decay = check.one_of("linear", "exponential")("decay", decay)

    def __call__(self, step: int) -> float:
        progress = min(1.0, check.non_negative_int("step", step) / self.steps)
        if self.decay == "linear":
            value = self.start + (self.end - self.start) * progress
        else:
            value = self.start * (self.end / self.start) ** progress
        return round(value, 6)


class CurriculumScheduler:
    """Easy examples first: the admitted difficulty grows linearly from ``start`` to ``end``
    over ``total_steps``; :meth:`select` keeps the examples at or below it."""

    def __init__(self, total_steps: int, start: float = 0.2, end: float = 1.0) -> None:
        self.total_steps = check.positive_int("total_steps", total_steps)
        self.start = check.probability("start", start)
        self.end = check.probability("end", end)

    def difficulty(self, step: int) -> float:
        progress = min(1.0, check.non_negative_int("step", step) / self.total_steps)
        return self.start + (self.end - self.start) * progress

    def select(self, difficulties: Any, step: int) -> np.ndarray:
        """Indices of the examples whose difficulty (in [0, 1]) is admitted at ``step``."""
        d = check.as_array(difficulties, "difficulties")
        return np.flatnonzero(d <= self.difficulty(step) + 1e-12)
