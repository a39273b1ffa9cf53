"""Error classes of the public contract.

Every error derives from :class:`AttentionError`, itself a :class:`ValueError`, and
carries the attributes named in API.md so that callers (and the JavaScript facades)
can react to data instead of parsing messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

__all__ = [
    "AttentionError",
    "DimensionMismatchError",
    "EmptyInputError",
    "InvalidInputError",
    "InputTooLargeError",
    "InvalidConfigError",
    "UnknownMechanismError",
]


class AttentionError(ValueError):
    """Base class of every error raised by ruvector_attention."""

    fields: ClassVar[tuple[str, ...]] = ()

    def attributes(self) -> dict[str, Any]:
        """The contract attributes of this error as a dict (what crosses to JavaScript)."""
        return {name: getattr(self, name) for name in self.fields}


class DimensionMismatchError(AttentionError):
    """A size disagrees with the size it must match."""

    fields = ("expected", "actual")

    def __init__(self, message: str, *, expected: Any, actual: Any) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class EmptyInputError(AttentionError):
    """No keys, no queries or an empty vector."""

    fields = ("context",)

    def __init__(self, message: str, *, context: str) -> None:
        super().__init__(message)
        self.context = context


class InvalidInputError(AttentionError):
    """NaN or infinity, wrong rank, or non-numeric data."""

    fields = ("details",)

    def __init__(self, message: str, *, details: str | None = None) -> None:
        super().__init__(message)
        self.details = message if details is None else details


class InputTooLargeError(AttentionError):
    """More keys than ``ra.MAX_KEYS``, or work beyond ``ra.MAX_WORK_BYTES`` / ``ra.MAX_SCORES``."""

    fields = ("max", "actual")

    def __init__(self, message: str, *, max: int, actual: int) -> None:  # noqa: A002
        super().__init__(message)
        self.max = max
        self.actual = actual


class InvalidConfigError(AttentionError, TypeError):
    """A constructor argument is out of its domain, or an unknown keyword (hence also a
    :class:`TypeError`, what Python raises for an unexpected keyword argument)."""

    fields = ("reason",)

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = message if reason is None else reason


class UnknownMechanismError(AttentionError):
    """The registry has no mechanism of that name."""

    fields = ("name", "choices")

    def __init__(self, name: str, choices: Sequence[str]) -> None:
        self.name = name
        self.choices = list(choices)
        super().__init__(
            f"unknown attention mechanism {name!r}; expected one of: {', '.join(self.choices)}"
        )
