"""Frozen, validated, JSON-serialisable configuration dataclasses.

A mechanism's config declares each field with :func:`spec`, naming the check from
:mod:`ruvector_attention._validation` that normalises it (``numpy.int64(8)`` becomes
``8``, a list becomes a tuple). Cross-field rules go in :meth:`AttentionConfig.validate`.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
from typing import Any

from ._validation import Check
from .errors import InvalidConfigError

__all__ = ["AttentionConfig", "DRAWN_PARAMETER_BYTES", "spec", "divisor_at_most"]

DRAWN_PARAMETER_BYTES = 12
"""Peak bytes per float32 parameter drawn at random: the float64 draw plus the float32 copy."""

_MISSING = dataclasses.MISSING


def spec(check: Check, default: Any = _MISSING) -> Any:
    """A dataclass field validated by ``check(name, value) -> normalised value``."""
    return dataclasses.field(default=default, metadata={"check": check})


def divisor_at_most(n: int, wanted: int) -> int:
    """The largest divisor of ``n`` that is at most ``wanted`` (e.g. 12 heads at 512 -> 8).

    >>> divisor_at_most(512, 12), divisor_at_most(768, 12)
    (8, 12)
    """
    return next(k for k in range(min(n, wanted), 0, -1) if n % k == 0)


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [_jsonable(item) for item in value]
    return value


@dataclasses.dataclass(frozen=True)
class AttentionConfig:
    """Base of every mechanism config: validated on construction, immutable after."""

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            check = field.metadata.get("check")
            if check is not None:
                object.__setattr__(self, field.name, check(field.name, getattr(self, field.name)))
        self.validate()

    def validate(self) -> None:
        """Cross-field rules; subclasses override. Field checks have already run."""

    @classmethod
    def from_arguments(cls, name: str, *args: Any, **kwargs: Any) -> AttentionConfig:
        """The config of mechanism ``name`` from constructor arguments; an unknown, missing or
        repeated option is an :class:`InvalidConfigError` (a ``TypeError`` too) naming the options."""
        fields = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(kwargs) - set(fields))
        if unknown:
            raise InvalidConfigError(f"{name} has no option {', '.join(map(repr, unknown))}; its options are {fields}")
        try:
            inspect.signature(cls).bind(*args, **kwargs)
        except TypeError as err:
            raise InvalidConfigError(f"{name}: {err}; its options are {fields}") from None
        return cls(*args, **kwargs)

    def state_bytes(self) -> int:
        """Peak bytes of the parameters and fixed buffers this config makes a mechanism
        allocate, float64 draws included (see :data:`DRAWN_PARAMETER_BYTES`); checked against
        ``ra.MAX_WORK_BYTES`` before any is allocated. Override where large."""
        return 0

    @classmethod
    def example(cls, dim: int) -> dict[str, Any]:
        """Keyword arguments of a valid config with query dimension ``dim`` (for sweeps,
        the CLI and demo forms); subclasses with other required fields override."""
        return {"dim": dim}

    def to_dict(self) -> dict[str, Any]:
        """The config as plain JSON types (enums by value, tuples as lists)."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def replace(self, **changes: Any) -> AttentionConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)
