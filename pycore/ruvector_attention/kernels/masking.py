"""Which keys each query may see: a user mask, causal order, or both."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Visibility", "dropout", "top_k"]


@dataclass(frozen=True)
class Visibility:
    """The attend-pattern of ``rows`` queries over ``cols`` keys.

    ``mask`` is a boolean ``(rows, cols)`` array or broadcast view (True = attend).
    ``positions`` are the queries' sequence positions: ``0..rows-1`` in a batch, None for
    a single query (position-aware mechanisms pick their default). ``causal`` lets the
    query at position ``i`` see keys ``j <= i + cols - total_rows`` (bottom-right aligned,
    as PyTorch's causal mask; ``total_rows`` defaults to ``rows`` and differs only for a
    slice of a larger batch). Mechanisms ask for column blocks so that nothing of size
    ``rows x cols`` is built unless they need it.
    """

    rows: int
    cols: int
    mask: np.ndarray | None = None
    causal: bool = False
    positions: np.ndarray | None = None
    total_rows: int | None = None

    @property
    def _last_visible(self) -> np.ndarray | None:
        """The last key index each query may see under causal order, or None."""
        if not self.causal or self.positions is None:
            return None
        total = self.rows if self.total_rows is None else self.total_rows
        return self.positions + (self.cols - total)

    def causal_shift(self) -> int | None:
        """``s`` such that row ``i`` of this block sees keys ``j <= i + s`` under causal
        order (consecutive positions); None without causal order or positions."""
        last = self._last_visible
        if last is None or not np.array_equal(np.diff(last), np.ones(len(last) - 1, dtype=last.dtype)):
            return None
        return int(last[0]) if len(last) else 0

    @property
    def is_full(self) -> bool:
        """True when every query sees every key."""
        last = self._last_visible
        return self.mask is None and (last is None or int(last.min()) >= self.cols - 1)

    def rows_of(self, start: int, total: int) -> Visibility:
        """This pattern for rows ``start..start+rows`` of a batch of ``total`` queries."""
        positions = np.arange(start, start + self.rows)
        return Visibility(self.rows, self.cols, self.mask, self.causal, positions, total)

    def slice(self, start: int, stop: int) -> Visibility:
        """Rows ``start..stop`` of this batch's pattern (positions kept global)."""
        positions = np.arange(self.rows) if self.positions is None else self.positions
        mask = None if self.mask is None else self.mask[start:stop]
        total = self.rows if self.total_rows is None else self.total_rows
        return Visibility(stop - start, self.cols, mask, self.causal, positions[start:stop], total)

    def block(self, start: int = 0, stop: int | None = None) -> np.ndarray | None:
        """The boolean pattern of key columns ``[start, stop)``, or None if all visible."""
        stop = self.cols if stop is None else stop
        if self.is_full:
            return None
        pattern = None if self.mask is None else self.mask[:, start:stop]
        last = self._last_visible
        if last is not None:
            causal = np.arange(start, stop)[None, :] <= last[:, None]
            pattern = causal if pattern is None else pattern & causal
        return pattern

    def dense(self) -> np.ndarray | None:
        """The full ``(rows, cols)`` pattern, or None if every key is visible."""
        return self.block(0, self.cols)

    def pattern(self) -> np.ndarray:
        """The full ``(rows, cols)`` boolean pattern, all True when every key is visible."""
        dense = self.dense()
        return np.ones((self.rows, self.cols), dtype=bool) if dense is None else np.asarray(dense)

    def blind_rows(self) -> np.ndarray | None:
        """Boolean ``(rows,)``: queries that see no key at all (None when there are none)."""
        pattern = self.dense()
        if pattern is None:
            return None
        blind = ~pattern.any(axis=1)
        return blind if blind.any() else None

    def restrict(self, allowed: np.ndarray) -> Visibility:
        """Also require ``allowed`` (a ``(rows, cols)`` boolean pattern)."""
        dense = self.dense()
        mask = allowed if dense is None else dense & allowed
        return Visibility(self.rows, self.cols, mask, positions=self.positions, total_rows=self.total_rows)


def dropout(weights: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    """Inverted dropout: zero each entry with probability ``p`` and scale the rest by 1/(1-p)."""
    if p <= 0.0:
        return weights
    if p >= 1.0:
        return np.zeros_like(weights)
    keep = rng.random(weights.shape, dtype=np.float32) >= p
    return weights * keep / np.float32(1.0 - p)


def top_k(scores: np.ndarray, visible: np.ndarray, k: int) -> np.ndarray:
    """Boolean ``(m, n)``: the visible entries among the ``k`` highest scores of each row.
    Ties at the k-th score all join, so the result does not depend on key order."""
    n = scores.shape[1]
    if k >= n:
        return visible
    ranked = np.where(visible, scores, -np.inf)
    kth = np.partition(ranked, n - k, axis=1)[:, n - k : n - k + 1]
    return (ranked >= kth) & visible
