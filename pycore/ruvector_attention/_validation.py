"""The only place where user input is checked.

Public entry points convert and validate their arguments here, once; kernels then
assume float32, C-contiguous, finite arrays of consistent shapes.
"""

from __future__ import annotations

import enum
import math
import numbers
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from . import limits
from .kernels.numeric import aligned_copy, finite
from .errors import (
    DimensionMismatchError,
    EmptyInputError,
    InvalidConfigError,
    InvalidInputError,
)

E = TypeVar("E", bound=enum.Enum)

_REAL_KINDS = "biuf"


# --------------------------------------------------------------------------- arrays


def _ragged_error(value: Any, name: str) -> DimensionMismatchError:
    lengths = []
    for row in value:
        try:
            lengths.append(len(row))
        except TypeError:
            lengths.append(0)
    expected = lengths[0]
    actual = next((n for n in lengths if n != expected), expected)
    row = lengths.index(actual)
    return DimensionMismatchError(
        f"{name} has ragged rows: row 0 has {expected} values but row {row} has {actual}",
        expected=expected,
        actual=actual,
    )


class Checked:
    """A read-only float32 array that has passed :func:`as_array` once (resident data
    of the JS bridge); validation returns it without checking its values again. Its data
    starts on a cache line (:func:`~.kernels.numeric.aligned_copy`): it is read at every
    call (a slice of its rows need not)."""

    __slots__ = ("array",)

    def __init__(self, value: Any, name: str) -> None:
        array = aligned_copy(as_array(value, name))
        array.flags.writeable = False
        self.array = array

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    def __getitem__(self, rows: slice) -> Checked:
        """Some of its rows, checked already (a view)."""
        part = object.__new__(Checked)
        part.array = self.array[rows]
        return part


def as_array(value: Any, name: str) -> np.ndarray:
    if isinstance(value, Checked):
        return value.array
    if isinstance(value, np.ndarray):
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except ValueError:
            raise _ragged_error(value, name) from None
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except OverflowError:
            raise InvalidInputError(f"{name} holds a number too large for float32 (max 3.4e38)") from None
        except (TypeError, ValueError):
            raise InvalidInputError(f"{name} must contain only real numbers") from None
    if arr.dtype.kind not in _REAL_KINDS:
        raise InvalidInputError(f"{name} must contain real numbers, got dtype {arr.dtype}")
    if arr.dtype == np.float32:
        arr = np.ascontiguousarray(arr)
        check_finite(arr, name)
        return arr
    check_finite(arr, name)  # NaN/Inf in the caller's data, before a narrowing cast could add Inf
    with np.errstate(over="ignore"):
        narrowed = np.ascontiguousarray(arr, dtype=np.float32)
    if not finite(narrowed):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(narrowed))[0])
        raise InvalidInputError(f"{name} holds {arr[where]} at index {where}, beyond float32's range (max 3.4e38)")
    return narrowed


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise :class:`InvalidInputError` if ``arr`` holds NaN or ±Inf (no temporaries: see
    :func:`~.kernels.numeric.finite`)."""
    if finite(arr):
        return
    where = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
    raise InvalidInputError(f"{name} contains {arr[where]} at index {where}; inputs must be finite")


def as_vector(value: Any, name: str, *, size: int | None = None) -> np.ndarray:
    """Convert to a finite float32 vector ``(d,)``, optionally of a fixed size."""
    arr = as_array(value, name)
    if arr.ndim != 1:
        raise InvalidInputError(f"{name} must be a vector (1-D), got shape {arr.shape}")
    if arr.size == 0:
        raise EmptyInputError(f"{name} is empty", context=name)
    if size is not None and arr.shape[0] != size:
        raise DimensionMismatchError(
            f"{name} must have {size} values, got {arr.shape[0]}", expected=size, actual=arr.shape[0]
        )
    return arr


def as_vectors(value: Any, name: str) -> np.ndarray:
    """float64 array of rank >= 1 with a non-empty last (vector) axis, any leading axes."""
    arr = as_array(value, name).astype(np.float64)
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise InvalidInputError(f"{name} must have a non-empty last (vector) axis")
    return arr


def as_matrix(value: Any, name: str, *, cols: int | None = None) -> np.ndarray:
    """Convert to a finite float32 matrix ``(rows, cols)`` with at least one row."""
    arr = as_array(value, name)
    if arr.ndim != 2:
        raise InvalidInputError(f"{name} must be a matrix (2-D), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise EmptyInputError(f"{name} has no rows", context=name)
    if arr.shape[1] == 0:
        raise EmptyInputError(f"{name} has rows of length 0", context=name)
    if cols is not None and arr.shape[1] != cols:
        raise DimensionMismatchError(
            f"{name} rows must have {cols} values, got {arr.shape[1]}",
            expected=cols,
            actual=arr.shape[1],
        )
    return arr


def unflatten(flat: np.ndarray, name: str, *, rows: int | None = None, cols: int | None = None) -> np.ndarray:
    """A flat buffer as a ``(rows, len / rows)`` matrix; ``rows`` defaults to ``len / cols``."""
    if rows is None:
        if not cols or flat.size % cols:
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


def required(value: Any, name: str) -> Any:
    """``value``, which must be given (not None)."""
    if value is None:
        raise InvalidInputError(f"{name} must be given, got None")
    return value


def as_keys(keys: Any, *, dim: int) -> np.ndarray:
    """Validate a key matrix ``(n, dim)`` with ``1 <= n <= ra.MAX_KEYS``."""
    k = as_matrix(keys, "keys", cols=dim)
    limits.check_keys(k.shape[0])
    return k


def as_values(values: Any, *, count: int, dim: int | None = None) -> np.ndarray:
    """Validate a value matrix with one row per key (``count`` rows)."""
    v = as_matrix(values, "values", cols=dim)
    one_row_per_key(v.shape[0], count)
    return v


def one_row_per_key(rows: int, count: int) -> None:
    """Values have as many rows as there are keys."""
    if rows != count:
        raise DimensionMismatchError(
            f"values must have one row per key: expected {count} rows, got {rows}", expected=count, actual=rows
        )


def _mask_values(mask: Any) -> np.ndarray:
    """``mask`` as booleans: bool, or numbers that are all 0 or 1 (one rule, one message)."""
    arr = np.asarray(mask)
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind in "iuf" and (arr.size == 0 or bool(np.isin(arr, (0, 1)).all())):
        return arr.astype(bool)
    raise InvalidInputError(f"mask must hold booleans or 0/1 values (True = attend), got dtype {arr.dtype}")


def as_mask(mask: Any, rows: int, cols: int, *, single: bool) -> np.ndarray | None:
    """A boolean attend-mask (True = attend) broadcast to ``(rows, cols)`` without copying.

    ``single`` means one query: the mask must be ``(n,)``. For a batch, ``(m, n)`` and
    ``(n,)`` (shared by every query) are accepted. Numeric 0/1 masks are accepted too.
    """
    if mask is None:
        return None
    arr = _mask_values(mask)
    expected = (cols,) if single else (rows, cols)
    if arr.shape == (cols,):
        return np.broadcast_to(arr, (rows, cols))
    if not single and arr.shape == (rows, cols):
        return arr
    raise DimensionMismatchError(
        f"mask must have shape {expected}" + ("" if single else f" or {(cols,)}")
        + f", got {arr.shape}",
        expected=list(expected),
        actual=list(arr.shape),
    )


def row_range(rows: Any, count: int) -> tuple[int, int]:
    """``rows = (offset, total)``: ``count`` queries are rows ``offset..offset+count`` of a
    batch of ``total``; returned as two ints."""
    pair = isinstance(rows, (tuple, list)) and len(rows) == 2
    if not pair or not all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in rows) or not (
        0 <= rows[0] and rows[0] + count <= rows[1]
    ):
        raise InvalidInputError(f"rows must be (offset, total) with 0 <= offset and offset + {count} <= total, got {rows!r}")
    return int(rows[0]), int(rows[1])


def key_part(start: Any, stop: Any, count: int) -> slice:
    """Keys ``start..stop`` of ``count`` (one worker's share of a query's keys), as a slice."""
    ints = all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in (start, stop))
    if not ints or not 0 <= start < stop <= count:
        raise InvalidInputError(
            f"a key part must be start..stop with 0 <= start < stop <= {count}, got {start!r}..{stop!r}"
        )
    return slice(int(start), int(stop))


def key_total(total: Any, count: int) -> int:
    """``total``: the keys of a whole call of which ``count`` were sent (one worker's part)."""
    total = positive_int("key_total", total)
    if count > total:
        raise InvalidInputError(f"key_total {total} is less than the {count} keys sent")
    return total


def key_sent(start: Any, stop: Any, total: int, count: int) -> None:
    """``count`` keys sent as rows ``start..stop`` of a call's ``total``."""
    key_part(start, stop, total)
    if stop - start != count:
        raise InvalidInputError(f"keys {start}..{stop} are {stop - start} rows, but {count} were sent")


def known_keywords(owner: str, given: dict[str, Any], allowed: frozenset[str]) -> None:
    """Refuse per-call keyword arguments that ``owner`` does not take."""
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise InvalidConfigError(f"{owner} got unexpected keyword arguments {unknown}")


def flag(name: str, value: Any) -> bool | None:
    """A per-call boolean flag: ``True``, ``False`` or ``None`` (the config decides); a
    string such as ``"false"`` or a number is refused, never taken as truthy."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    raise InvalidInputError(f"{name} must be True, False or None, got {value!r}")


def as_index(value: Any, name: str, *, upper: int) -> int:
    """A Python int in ``[0, upper)``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidInputError(f"{name} must be an integer, got {value!r}")
    if not 0 <= int(value) < upper:
        raise InvalidInputError(f"{name} must be in [0, {upper}), got {value}")
    return int(value)


# --------------------------------------------------------------------------- configs

Check = Callable[[str, Any], Any]


def _config_error(name: str, expected: str, value: Any) -> InvalidConfigError:
    reason = f"{name} must be {expected}, got {value!r}"
    return InvalidConfigError(reason, reason=reason)


def positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise _config_error(name, "a positive integer", value)
    return int(value)


def non_negative_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise _config_error(name, "a non-negative integer", value)
    return int(value)


CONFIG_REAL_RANGE = (1e-30, 1e30)
"""Magnitudes a real config value may have (besides 0): factors and divisors of scores
within it keep every score of float32 inputs finite in float64 (``1e77·d·1e30``)."""


def _real(name: str, value: Any, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise _config_error(name, expected, value)
    low, high = CONFIG_REAL_RANGE
    if value != 0 and not low <= abs(value) <= high:
        raise _config_error(name, f"{expected} with magnitude in [{low:g}, {high:g}]", value)
    return float(value)


def positive_float(name: str, value: Any) -> float:
    result = _real(name, value, "a finite number > 0")
    if result <= 0:
        raise _config_error(name, "a finite number > 0", value)
    return result


def negative_float(name: str, value: Any) -> float:
    result = _real(name, value, "a finite number < 0")
    if result >= 0:
        raise _config_error(name, "a finite number < 0", value)
    return result


def non_negative_float(name: str, value: Any) -> float:
    result = _real(name, value, "a finite number >= 0")
    if result < 0:
        raise _config_error(name, "a finite number >= 0", value)
    return result


def probability(name: str, value: Any) -> float:
    result = _real(name, value, "a probability in [0, 1]")
    if not 0.0 <= result <= 1.0:
        raise _config_error(name, "a probability in [0, 1]", value)
    return result


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise _config_error(name, "True or False", value)
    return bool(value)


def optional(check: Check) -> Check:
    """Accept ``None`` or whatever ``check`` accepts."""

    def check_optional(name: str, value: Any) -> Any:
        return None if value is None else check(name, value)

    check_optional.__wrapped__ = check  # type: ignore[attr-defined]
    return check_optional


def one_of(*choices: str) -> Check:
    def check_choice(name: str, value: Any) -> str:
        if value not in choices:
            raise _config_error(name, f"one of {list(choices)}", value)
        return value

    return check_choice


def as_enum(enum_type: type[E], value: Any, name: str = "value") -> E:
    """Accept an enum member or its lower-case string value."""
    if isinstance(value, enum_type):
        return value
    if isinstance(value, str):
        for member in enum_type:
            if value.lower() in (member.value, member.name.lower()):
                return member
    choices = [member.value for member in enum_type]
    raise _config_error(name, f"a {enum_type.__name__} or one of {choices}", value)


def enum_value(enum_type: type[enum.Enum]) -> Check:
    """A config check storing the string value of an ``enum_type`` member (JSON-friendly)."""

    def check(name: str, value: Any) -> Any:
        return as_enum(enum_type, value, name).value

    return check
