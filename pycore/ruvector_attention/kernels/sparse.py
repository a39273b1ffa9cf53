"""A compressed-sparse-row matrix with the one product diffusion needs (NumPy only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CSR"]

CHUNK_BYTES = 1 << 22
"""Default bytes of gathered entries a product holds at once (cache-sized; it bounds memory)."""


@dataclass(frozen=True)
class CSR:
    """An ``(n, n)`` float64 matrix by rows: row ``i`` holds ``data[indptr[i]:indptr[i+1]]``
    in the columns ``indices[...]``."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def nnz(self) -> int:
        return len(self.indices)

    @property
    def nbytes(self) -> int:
        return self.indptr.nbytes + self.indices.nbytes + self.data.nbytes

    @staticmethod
    def bytes_for(n: int, nnz: int) -> int:
        """Bytes of a CSR of ``n`` rows and ``nnz`` entries."""
        return 8 * (n + 1) + 16 * nnz

    @classmethod
    def from_sorted(cls, rows: np.ndarray, cols: np.ndarray, data: np.ndarray, n: int) -> CSR:
        """From entries sorted by row (each ``(row, col)`` once)."""
        indptr = np.zeros(n + 1, dtype=np.intp)
        np.cumsum(np.bincount(rows.astype(np.intp, copy=False), minlength=n), out=indptr[1:])  # intp: wasm32
        return cls(indptr, np.ascontiguousarray(cols, dtype=np.intp), np.ascontiguousarray(data, dtype=np.float64))

    def row_ids(self) -> np.ndarray:
        """The row of each entry, ``(nnz,)``."""
        return np.repeat(np.arange(self.n), np.diff(self.indptr))

    def row_sums(self) -> np.ndarray:
        return np.bincount(self.row_ids(), weights=self.data, minlength=self.n)

    def with_data(self, data: np.ndarray) -> CSR:
        return CSR(self.indptr, self.indices, data)

    def to_dense(self) -> np.ndarray:
        out = np.zeros((self.n, self.n))
        out[self.row_ids(), self.indices] = self.data
        return out

    def matmat(self, v: np.ndarray, chunk_bytes: int = CHUNK_BYTES) -> np.ndarray:
        """``self @ v`` for ``v (n, m)``: entries gathered row chunk by row chunk (about
        ``chunk_bytes`` at once, one row at least) and summed per row with ``np.add.reduceat``."""
        n, m = v.shape
        out = np.zeros((n, m))
        if self.nnz == 0:
            return out
        per_entry = 8 * m
        start = 0
        while start < n:
            # rows [start, stop) whose entries fit the chunk (at least one row)
            limit = self.indptr[start] + max(1, chunk_bytes // per_entry)
            stop = max(start + 1, int(np.searchsorted(self.indptr, limit, side="right")) - 1)
            stop = min(stop, n)
            lo, hi = self.indptr[start], self.indptr[stop]
            if hi > lo:
                gathered = v[self.indices[lo:hi]]
                gathered *= self.data[lo:hi, None]
                offsets = self.indptr[start:stop] - lo
                filled = offsets < hi - lo  # reduceat needs in-range offsets
                sums = np.add.reduceat(gathered, offsets[filled], axis=0)
                nonempty = np.diff(self.indptr[start : stop + 1]) > 0
                out[start:stop][nonempty] = sums[nonempty[filled]]
            start = stop
        return out
