"""Graph Laplacians of a key set under a Gaussian kernel, and the heat flow on them (for
diffusion attention).

The flow acts on vectors: the kNN kernel graph is held sparsely (``n·k`` entries, built
from an exact kNN computed in row blocks of the distance matrix), and the propagator
``(I + Δ L)^-steps`` is applied to the score vectors without ever forming it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as check
from .. import limits
from ..kernels.neighbours import knn, knn_row_bytes
from ..kernels.sparse import CHUNK_BYTES, CSR

__all__ = ["GraphLaplacian", "HeatGraph", "LaplacianType", "heat_flow", "heat_graph"]

BLOCK_BYTES = 1 << 24
"""Most bytes of one row block of the distance matrix while searching neighbours (an eighth
of ``ra.MAX_WORK_BYTES`` if that is less, one row at least)."""
TOLERANCE = 1e-12
"""Accuracy of the flow, relative to each score vector's 2-norm."""
MAX_TERMS = 2048
"""Chebyshev terms beyond which the flow is computed by implicit steps instead."""
MAX_PRODUCTS = 4096
"""Conjugate-gradient iterations of all implicit steps together, at most (a flow too stiff
for the series, ``t`` near its maximum, ends in bounded time, then less accurately)."""


class LaplacianType(enum.Enum):
    UNNORMALIZED = "unnormalized"
    SYMMETRIC_NORMALIZED = "symmetric_normalized"
    RANDOM_WALK = "random_walk"


# ---------------------------------------------------------------------- kernel graphs


def gaussian(d2: np.ndarray, sigma: float) -> np.ndarray:
    """``exp(-d² / 2σ²)`` in place, for any finite ``d² >= 0`` and ``σ > 0``: a ratio
    ``d / σ`` beyond float64's range is the exact limit 0 (tiny ``σ``, huge keys), never a
    warning or NaN."""
    with np.errstate(over="ignore", under="ignore"):
        np.sqrt(d2, out=d2)
        d2 /= sigma
        np.square(d2, out=d2)
        d2 *= -0.5
        return np.exp(d2, out=d2)


def _sparsifies(n: int, k: int | None) -> bool:
    return k is not None and k < n - 1


def _search_bytes(n: int, d: int, k: int) -> int:
    return max(knn_row_bytes(n, d, k), min(BLOCK_BYTES, limits.MAX_WORK_BYTES // 8))


def graph_bytes(n: int, d: int, k: int | None) -> tuple[int, int]:
    """``(peak while building, kept)`` bytes of the kernel graph of ``n`` keys of dimension
    ``d``: a CSR of at most ``2·n·k`` entries for a kNN graph (built from the kNN lists,
    ``16·n·k`` bytes, and its sorted pairs), else a dense ``n x n`` array; plus ``n``-vectors."""
    vectors = 4 * 8 * n
    if _sparsifies(n, k):
        assert k is not None
        kept = CSR.bytes_for(n, 2 * n * k) + vectors
        search = _search_bytes(n, d, k) + 8 * (n + 64) * d
        return kept + max(search, 96 * n * k), kept
    kept = 8 * n * n + vectors
    return kept + 16 * n * (d + 1), kept


def kernel_graph(keys: np.ndarray, sigma: float, k: int | None) -> CSR | np.ndarray:
    """``W_ij = exp(-|k_i - k_j|² / 2σ²)`` with zero diagonal; with ``k < n - 1`` only the pairs
    where one is among the other's ``k`` nearest neighbours (symmetric kNN), as a :class:`CSR`;
    otherwise every pair, as a dense ``(n, n)`` array (its size checked first)."""
    x = np.asarray(keys, dtype=np.float64)
    n = len(x)
    limits.check_bytes(graph_bytes(n, x.shape[1], k)[0], f"the kernel graph of {n} keys (k={k})")
    if not _sparsifies(n, k):
        return _dense_kernel(x, sigma)
    assert k is not None
    index, dist2 = knn(x, k, _search_bytes(n, x.shape[1], k))
    # both directions of every kNN pair, each pair once, sorted by row then column
    rows = np.repeat(np.arange(n, dtype=np.int64), k)
    pair = np.concatenate([rows * n + index.ravel(), index.ravel().astype(np.int64) * n + rows])
    del rows, index
    order = np.argsort(pair, kind="stable")
    pair = pair[order]
    first = np.empty(len(pair), dtype=bool)
    first[0] = True
    np.not_equal(pair[1:], pair[:-1], out=first[1:])
    weights = gaussian(np.concatenate([dist2.ravel(), dist2.ravel()])[order][first], sigma)
    del order, dist2
    pair = pair[first]
    return CSR.from_sorted(pair // n, pair % n, weights, n)


def _dense_kernel(x: np.ndarray, sigma: float) -> np.ndarray:
    """All pairs, in row blocks (distances of centred keys, so offsets cost no precision)."""
    n = len(x)
    centred = x - x.mean(axis=0)
    norms = np.einsum("ij,ij->i", centred, centred)
    w = np.empty((n, n))
    rows = max(1, BLOCK_BYTES // (8 * n))  # written in place into w: no temporaries
    for start in range(0, n, rows):
        block = w[start : start + rows]
        np.matmul(centred[start : start + rows], centred.T, out=block)
        block *= -2.0
        block += norms
        block += norms[start : start + rows, None]
        np.maximum(block, 0.0, out=block)
        gaussian(block, sigma)
    np.fill_diagonal(w, 0.0)
    return w


def gaussian_kernel(keys: np.ndarray, sigma: float, k: int | None) -> np.ndarray:
    """``W_ij = exp(-|k_i - k_j|² / 2σ²)``, zero diagonal, as a dense ``(n, n)`` array; with
    ``k``, only pairs where one is among the other's ``k`` nearest neighbours are kept
    (symmetric kNN)."""
    w = kernel_graph(keys, sigma, k)
    return w.to_dense() if isinstance(w, CSR) else w


def laplacian_of(w: np.ndarray, kind: LaplacianType) -> np.ndarray:
    """``D - W``, ``I - D^-½ W D^-½`` or ``I - D^-1 W``; isolated nodes keep ``L_ii = 0``
    in the normalised forms' ``W`` part (masked, not ``+eps``)."""
    degree = w.sum(axis=1)
    if kind is LaplacianType.UNNORMALIZED:
        return np.diag(degree) - w
    connected = degree > 0
    if kind is LaplacianType.SYMMETRIC_NORMALIZED:
        inv_sqrt = np.where(connected, 1 / np.sqrt(np.where(connected, degree, 1)), 0.0)
        return np.diag(connected.astype(float)) - inv_sqrt[:, None] * w * inv_sqrt[None, :]
    inv = np.where(connected, 1 / np.where(connected, degree, 1), 0.0)
    return np.diag(connected.astype(float)) - inv[:, None] * w


# ---------------------------------------------------------------------- the heat operator


@dataclass(frozen=True)
class HeatGraph:
    """A key set's Laplacian as a symmetric operator ``L = diag(diagonal) - coupling``:

    - unnormalized: ``diagonal = D``, ``coupling = W``;
    - symmetric_normalized: ``diagonal = 1`` (0 for isolated keys), ``coupling = D^-½ W D^-½``;
    - random_walk: the symmetric one, with ``scale = √D`` (1 for isolated keys), since
      ``L_rw = I - D^-1 W = S^-1 L_sym S`` for ``S = diag(scale)``.

    ``bound`` is an upper bound on ``L``'s spectrum (which starts at 0).
    """

    coupling: CSR | np.ndarray
    diagonal: np.ndarray
    scale: np.ndarray | None
    bound: float

    @property
    def n(self) -> int:
        return len(self.diagonal)

    @property
    def nbytes(self) -> int:
        extra = 0 if self.scale is None else self.scale.nbytes
        return self.coupling.nbytes + self.diagonal.nbytes + extra

    def apply(self, v: np.ndarray, chunk_bytes: int = CHUNK_BYTES) -> np.ndarray:
        """``L v`` for ``v (n, m)`` (a sparse product gathers ``chunk_bytes`` at a time)."""
        c = self.coupling
        out = c.matmat(v, chunk_bytes) if isinstance(c, CSR) else c @ v
        np.subtract(self.diagonal[:, None] * v, out, out=out)
        return out


def heat_graph(keys: np.ndarray, sigma: float, k: int | None, kind: LaplacianType) -> HeatGraph:
    """The :class:`HeatGraph` of ``keys (n, d)``: sparse for a kNN graph (``k < n - 1``)."""
    w = kernel_graph(keys, sigma, k)
    sparse = isinstance(w, CSR)
    degree = w.row_sums() if sparse else w.sum(axis=1)
    if kind is LaplacianType.UNNORMALIZED:
        return HeatGraph(w, degree, None, 2.0 * float(degree.max(initial=0.0)))
    connected = degree > 0
    root = np.sqrt(np.where(connected, degree, 1.0))
    inv_root = np.where(connected, 1.0 / root, 0.0)
    # W_ij / √D_i / √D_j <= 1: no overflow even for denormal degrees
    if sparse:
        data = w.data * inv_root[w.row_ids()]
        data *= inv_root[w.indices]
        coupling: CSR | np.ndarray = w.with_data(data)
    else:
        w *= inv_root[:, None]
        w *= inv_root[None, :]
        coupling = w
    scale = root if kind is LaplacianType.RANDOM_WALK else None
    return HeatGraph(coupling, connected.astype(np.float64), scale, 2.0 if connected.any() else 0.0)


# ---------------------------------------------------------------------- the heat flow


FLOW_COLUMN_TEMPORARIES = 12
"""``(n,)`` float64 vectors :func:`heat_flow` holds per score vector (the solvers' iterates
and the products' results)."""


def flow_chunk_bytes(budget: int) -> int:
    """Bytes the flow's sparse products gather at once within a working ``budget``."""
    return max(1, min(CHUNK_BYTES, budget // 8))


def heat_flow(
    graph: HeatGraph, rows: np.ndarray, delta: float, steps: int, method: str = "auto", budget: int | None = None
) -> np.ndarray:
    """The implicit-Euler heat flow of the row vectors ``rows (m, n)``:
    ``x_{s+1} (I + Δ L) = x_s`` for ``steps`` steps, i.e. ``rows @ ((I + Δ L)^-1)^steps``,
    each result row up to a positive factor (callers normalise; rows of zeros stay zero).

    ``method="chebyshev"`` evaluates the propagator's Chebyshev series on ``L``'s spectral
    interval (one product with the sparse ``L`` per term, usually 10-40 terms in all);
    ``"steps"`` solves each implicit step by conjugate gradients warm-started from the step
    before; ``"auto"`` takes the series unless it would need more than ``MAX_TERMS`` terms.
    Both are accurate to about ``TOLERANCE`` relative to each row's 2-norm. The temporaries
    stay within ``budget`` bytes (default ``ra.MAX_WORK_BYTES`` less the graph): rows are
    taken in blocks of ``FLOW_COLUMN_TEMPORARIES`` vectors each.
    """
    m, n = rows.shape
    if m == 0 or n == 0:
        return np.zeros((m, n))
    coeffs = None
    if method != "steps" and delta * graph.bound > 0.0:
        coeffs = chebyshev_coefficients(delta, steps, graph.bound)
        if coeffs is None and method == "chebyshev":
            raise ValueError("the Chebyshev series does not converge within MAX_TERMS terms")
    if budget is None:
        budget = limits.MAX_WORK_BYTES - graph.nbytes
    chunk = flow_chunk_bytes(budget)
    size = max(1, min(m, (budget - chunk) // (8 * n * FLOW_COLUMN_TEMPORARIES)))
    out = np.empty((m, n))
    for start in range(0, m, size):
        stop = min(start + size, m)
        b = np.ascontiguousarray(rows[start:stop].T, dtype=np.float64)  # (n, rows): a column per vector
        if graph.scale is not None:
            b /= graph.scale[:, None]  # into the symmetric frame: y = x S^-1
        peak = np.abs(b).max(axis=0)
        np.divide(b, peak, out=b, where=peak > 0)  # columns of max 1
        if delta * graph.bound == 0.0:
            x = b
        elif coeffs is not None:
            x = _chebyshev(graph, b, coeffs, chunk)
        else:
            x = _implicit_steps(graph, b, delta, steps, chunk)
        if graph.scale is not None:
            x *= graph.scale[:, None]
        out[start:stop] = x.T
    return out


def chebyshev_coefficients(delta: float, steps: int, bound: float, tol: float = TOLERANCE) -> np.ndarray | None:
    """Chebyshev coefficients ``c_j`` of ``f(λ) = (1 + Δλ)^-steps`` on ``[0, bound]`` (in
    ``ξ = 2λ/bound - 1``), truncated where the tail ``Σ |c_j|`` — a bound on the uniform
    error, since ``|T_j| <= 1`` there — falls below ``tol``, and checked against ``f`` on a
    grid four times finer (so a peak at 0 too narrow for the nodes is not missed); None if
    more than ``MAX_TERMS`` would be needed."""

    def f(xi: np.ndarray) -> np.ndarray:
        with np.errstate(under="ignore"):
            return np.exp(-steps * np.log1p(delta * (xi + 1.0) * (bound / 2.0)))

    size = 32
    while size <= 2 * MAX_TERMS:
        theta = np.pi * (np.arange(size) + 0.5) / size
        values = f(np.cos(theta))
        # DCT-II by FFT: c_j = (2/N) Σ_k f(cos θ_k) cos(j θ_k)
        spectrum = np.fft.fft(np.concatenate([values, values[::-1]]))[:size]
        coeffs = (spectrum * np.exp(-0.5j * np.pi * np.arange(size) / size)).real / size
        coeffs[0] /= 2.0
        tail = np.cumsum(np.abs(coeffs)[::-1])[::-1]
        ok = np.flatnonzero(tail[: size // 2 + 1] <= tol)
        if len(ok):
            kept = coeffs[: max(1, int(ok[0]))]
            check = np.cos(np.linspace(0.0, np.pi, 4 * size + 1))  # endpoints included
            error = np.abs(np.polynomial.chebyshev.chebval(check, kept) - f(check)).max()
            if error <= 2 * tol and len(kept) <= MAX_TERMS:
                return kept
        size *= 2
    return None


def _chebyshev(graph: HeatGraph, b: np.ndarray, coeffs: np.ndarray, chunk: int) -> np.ndarray:
    """``Σ_j c_j T_j(M) b`` with ``M = (2/bound) L - I`` (spectrum in [-1, 1]), by the
    three-term recurrence ``T_{j+1} = 2 M T_j - T_{j-1}``."""
    ratio = 2.0 / graph.bound

    def shifted(v: np.ndarray) -> np.ndarray:  # M v
        out = graph.apply(v, chunk)
        out *= ratio
        out -= v
        return out

    previous, current = b, None
    x = coeffs[0] * b
    for j in range(1, len(coeffs)):
        if current is None:
            current = shifted(b)
        else:
            following = shifted(current)
            following *= 2.0
            following -= previous
            previous, current = current, following
        x += coeffs[j] * current
    del previous, current
    return np.maximum(x, 0.0, out=x)  # the exact flow is non-negative


def _implicit_steps(graph: HeatGraph, b: np.ndarray, delta: float, steps: int, chunk: int) -> np.ndarray:
    """``steps`` solves of ``(I + Δ L) x_{s+1} = x_s`` by Jacobi-preconditioned conjugate
    gradients, all columns at once with their own step sizes, each warm-started from the
    linear extrapolation ``2 x_s - x_{s-1}``. Columns are rescaled to max 1 after each step
    (the flow's scale is irrelevant to its callers). At most ``MAX_PRODUCTS // steps``
    iterations per step."""
    precond = 1.0 + delta * graph.diagonal
    max_iter = max(20, MAX_PRODUCTS // steps)

    def system(v: np.ndarray) -> np.ndarray:  # (I + Δ L) v
        out = graph.apply(v, chunk)
        out *= delta
        out += v
        return out

    x, previous = b, None
    for _ in range(steps):
        guess = x if previous is None else 2.0 * x - previous
        solved = conjugate_gradients(system, precond, x, np.maximum(guess, 0.0), max_iter=max_iter)
        np.maximum(solved, 0.0, out=solved)
        peak = solved.max(axis=0)
        positive = peak > 0
        # keep the previous step in the same scale as the new one
        factor = np.divide(1.0, peak, out=np.zeros_like(peak), where=positive)
        solved *= factor
        previous = x * factor
        x = solved
    return x


def conjugate_gradients(
    system: Any, precond: np.ndarray, b: np.ndarray, x: np.ndarray, tol: float = TOLERANCE, max_iter: int = 1000
) -> np.ndarray:
    """Solve ``A x = b`` for every column of ``b (n, m)`` (``A`` symmetric positive definite,
    given as ``system(v) = A v``; ``precond`` its diagonal) from the guess ``x``, until each
    column's residual is below ``tol`` times its right-hand side (or ``max_iter``)."""
    r = b - system(x)
    target = (tol * tol) * np.einsum("ij,ij->j", b, b)
    active = np.einsum("ij,ij->j", r, r) > target
    z = r / precond[:, None]
    p = z.copy()
    rz = np.einsum("ij,ij->j", r, z)
    for _ in range(max_iter):
        if not active.any():
            break
        ap = system(p)
        curvature = np.einsum("ij,ij->j", p, ap)
        alpha = np.divide(rz, curvature, out=np.zeros_like(rz), where=active & (curvature > 0))
        x += alpha * p
        r -= alpha * ap
        active &= np.einsum("ij,ij->j", r, r) > target
        np.divide(r, precond[:, None], out=z)
        rz_next = np.einsum("ij,ij->j", r, z)
        beta = np.divide(rz_next, rz, out=np.zeros_like(rz), where=active & (rz > 0))
        p *= beta
        p += z
        rz = rz_next
    return x


# ---------------------------------------------------------------------- public helper


class GraphLaplacian:
    """``GraphLaplacian.from_keys(keys, sigma, laplacian_type, k=None)`` -> ``(n, n)``."""

    @staticmethod
    def from_keys(
        keys: Any, sigma: float = 1.0, laplacian_type: LaplacianType | str = LaplacianType.SYMMETRIC_NORMALIZED,
        k: int | None = None,
    ) -> np.ndarray:
        x = check.as_matrix(keys, "keys")
        kind = check.as_enum(LaplacianType, laplacian_type, "laplacian_type")
        sigma = check.positive_float("sigma", sigma)
        k = None if k is None else check.positive_int("k", k)
        n = len(x)
        limits.check_bytes(3 * 8 * n * n, f"the dense ({n}, {n}) Laplacian of {n} keys")
        return laplacian_of(gaussian_kernel(x, sigma, k), kind)
