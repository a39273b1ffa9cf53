"""Size limits of one call, settable at run time (``ra.MAX_KEYS = 2_000_000``), and the
checks against them. The package forwards ``ra.MAX_*`` reads and writes to this module.

- ``MAX_KEYS``: most keys any call accepts.
- ``MAX_WORK_BYTES``: working memory of one call beyond its inputs and returned arrays.
  Batch methods process query rows in blocks that fit it; an unavoidable allocation
  (per-key-set state, a config's parameters) that would not fit is refused before it is made.
- ``MAX_SCORES``: most entries of a returned ``(m, n)`` weight matrix.
"""

from __future__ import annotations

from .errors import InputTooLargeError

__all__ = ["MAX_KEYS", "MAX_SCORES", "MAX_WORK_BYTES", "check_bytes", "check_keys", "check_scores", "block_rows"]

MAX_KEYS: int = 1_000_000
MAX_SCORES: int = 1 << 28
MAX_WORK_BYTES: int = 1 << 30


def check_keys(n: int) -> None:
    """Refuse more than ``MAX_KEYS`` keys."""
    if n > MAX_KEYS:
        raise InputTooLargeError(
            f"keys has {n} rows, more than ra.MAX_KEYS = {MAX_KEYS}", max=int(MAX_KEYS), actual=int(n)
        )


def check_scores(rows: int, cols: int) -> None:
    """Refuse a returned ``(rows, cols)`` weight matrix of more than ``MAX_SCORES`` entries."""
    if rows * cols > MAX_SCORES:
        raise InputTooLargeError(
            f"{rows} queries x {cols} keys = {rows * cols} weights, more than ra.MAX_SCORES = {MAX_SCORES}",
            max=int(MAX_SCORES),
            actual=int(rows * cols),
        )


def check_bytes(nbytes: int, what: str) -> None:
    """Refuse an allocation of ``nbytes`` for ``what`` beyond ``MAX_WORK_BYTES``, before making it."""
    if nbytes > MAX_WORK_BYTES:
        raise InputTooLargeError(
            f"{what} needs {nbytes} bytes of working memory, more than ra.MAX_WORK_BYTES = {MAX_WORK_BYTES}",
            max=int(MAX_WORK_BYTES),
            actual=int(nbytes),
        )


def block_rows(rows: int, bytes_per_row: int, what: str) -> int:
    """How many query rows to process at once so that a block's temporaries
    (``bytes_per_row`` each) stay within ``MAX_WORK_BYTES``; at least one row must fit."""
    check_bytes(bytes_per_row, f"one query row of {what}")
    return max(1, min(rows, MAX_WORK_BYTES // max(1, bytes_per_row)))
