"""The sparse heat flow behind diffusion attention: exact kNN in row blocks, the CSR
product, the kernel graph and the propagator's action, against brute force and SciPy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from ruvector_attention import limits
from ruvector_attention.kernels.neighbours import knn, nearest_neighbours, smallest_k, squared_distances
from ruvector_attention.kernels.sparse import CSR
from ruvector_attention.pde import laplacian as lp
from ruvector_attention.pde.laplacian import LaplacianType

KINDS = list(LaplacianType)


def _brute_knn(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    index = np.argsort(d2, axis=1, kind="stable")[:, :k]
    return index, np.take_along_axis(d2, index, axis=1)


def _kernel(x: np.ndarray, sigma: float, k: int | None) -> np.ndarray:
    """The written-out Gaussian kNN graph (differences, stable argsort)."""
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    w = np.exp(-d2 / (2 * sigma**2))
    np.fill_diagonal(w, 0)
    if k is not None and k < len(x) - 1:
        index, _ = _brute_knn(x, k)
        keep = np.zeros_like(w, bool)
        np.put_along_axis(keep, index, True, axis=1)
        w = np.where(keep | keep.T, w, 0)
    return w


def _laplacian(w: np.ndarray, kind: LaplacianType) -> np.ndarray:
    degree = w.sum(1)
    if kind is LaplacianType.UNNORMALIZED:
        return np.diag(degree) - w
    inv = np.where(degree > 0, 1 / np.where(degree > 0, degree, 1), 0.0)
    if kind is LaplacianType.SYMMETRIC_NORMALIZED:
        return np.diag((degree > 0).astype(float)) - np.sqrt(inv)[:, None] * w * np.sqrt(inv)[None, :]
    return np.diag((degree > 0).astype(float)) - inv[:, None] * w


def _normalised(x: np.ndarray) -> np.ndarray:
    x = np.maximum(x, 0)
    return x / x.sum(axis=1, keepdims=True)


# ------------------------------------------------------------------ kNN


@pytest.mark.parametrize("seed", range(8))
def test_smallest_k_is_a_stable_argsort_prefix(seed):
    rng = np.random.default_rng(seed)
    for _ in range(20):
        n = int(rng.integers(2, 50))
        k = int(rng.integers(1, n))
        d = rng.integers(0, 4, size=(int(rng.integers(1, 6)), n)).astype(float)  # many ties
        np.testing.assert_array_equal(smallest_k(d, k), np.argsort(d, axis=1, kind="stable")[:, :k])


def test_nearest_neighbours_unchanged(rng):
    x = rng.integers(0, 3, size=(40, 2)).astype(float)  # duplicates: ties by index
    d2 = squared_distances(x, x)
    ranked = np.where(np.eye(40, dtype=bool), np.inf, d2)
    for k in (1, 5, 39, 40, 45):
        np.testing.assert_array_equal(nearest_neighbours(d2, k), np.argsort(ranked, axis=1, kind="stable")[:, :k])


@pytest.mark.parametrize("scale", [1e-20, 1.0, 1e15, 1e30])
@pytest.mark.parametrize("block_bytes", [1, 5000, 1 << 24])
def test_knn_is_exact_in_any_block_size_at_any_offset_and_scale(rng, scale, block_bytes):
    x = rng.normal(size=(70, 3)) * scale + 3 * scale  # far from the origin: centring matters
    x[[5, 40]] = x[0]  # duplicates, ties broken by index
    for k in (1, 4, 16):
        index, dist2 = knn(x, k, block_bytes)
        expected, expected_d2 = _brute_knn(x, k)
        np.testing.assert_array_equal(index, expected)
        np.testing.assert_allclose(dist2, expected_d2, rtol=1e-13)


def test_knn_many_columns_uses_groups(rng):
    x = rng.normal(size=(3000, 5))
    index, dist2 = knn(x, 6, 1 << 20)
    sample = rng.choice(3000, 50, replace=False)
    d2 = ((x[sample, None, :] - x[None, :, :]) ** 2).sum(-1)
    d2[np.arange(50), sample] = np.inf
    np.testing.assert_array_equal(index[sample], np.argsort(d2, axis=1, kind="stable")[:, :6])


# ------------------------------------------------------------------ CSR product


@pytest.mark.parametrize("chunk", [1, 64, 1 << 22])
def test_csr_product_matches_scipy_with_empty_rows(rng, chunk):
    dense = np.where(rng.random((30, 30)) < 0.15, rng.normal(size=(30, 30)), 0.0)
    dense[[0, 7, 8, 29]] = 0.0  # empty rows, also first and last
    rows, cols = np.nonzero(dense)
    csr = CSR.from_sorted(rows, cols, dense[rows, cols], 30)
    v = rng.normal(size=(30, 4))
    np.testing.assert_allclose(csr.matmat(v, chunk), sp.csr_matrix(dense) @ v, atol=1e-12)
    np.testing.assert_array_equal(csr.to_dense(), dense)
    np.testing.assert_allclose(csr.row_sums(), dense.sum(1), atol=1e-12)
    assert CSR.bytes_for(30, csr.nnz) >= csr.nbytes


# ------------------------------------------------------------------ kernel graph


@pytest.mark.parametrize("k", [None, 1, 4, 29, 30])
def test_kernel_graph_is_the_written_out_kernel(rng, k):
    x = rng.normal(size=(30, 4))
    w = lp.kernel_graph(x, 1.3, k)
    assert isinstance(w, CSR) == (k is not None and k < 29)
    dense = w.to_dense() if isinstance(w, CSR) else w
    np.testing.assert_allclose(dense, _kernel(x, 1.3, k), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(dense, dense.T, rtol=1e-14)


def test_kernel_graph_size_is_checked_before_building(monkeypatch):
    monkeypatch.setattr(limits, "MAX_WORK_BYTES", 1 << 20)
    with pytest.raises(limits.InputTooLargeError):
        lp.kernel_graph(np.zeros((1000, 2)), 1.0, None)  # 8 MB dense
    with pytest.raises(limits.InputTooLargeError):
        lp.kernel_graph(np.zeros((20_000, 2)), 1.0, 16)
    building, kept = lp.graph_bytes(1000, 2, 16)
    assert building > kept >= CSR.bytes_for(1000, 2 * 1000 * 16)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("k", [None, 3])
@pytest.mark.parametrize(
    "keys, sigma",
    [
        (np.full((12, 3), 3.4e38), 1.0),  # all equal, float32 max
        (np.r_[np.full((6, 3), 3.4e38), np.full((6, 3), -3.4e38)], 1.0),  # two huge clusters
        (np.full((12, 3), 1e-45), 1e-30),  # denormals, tiny sigma
        (np.arange(36.0).reshape(12, 3) * 1e30, 1e-30),  # everything isolated
        (np.arange(36.0).reshape(12, 3), 1e30),  # every weight 1
        (np.arange(36.0).reshape(12, 3) * [1, 0, 0] * 1e-40, 1e-30),  # denormal degrees
    ],
)
def test_graph_and_flow_stay_finite(keys, sigma, kind, k):
    graph = lp.heat_graph(keys, sigma, k, kind)
    assert np.isfinite(graph.diagonal).all() and np.isfinite(graph.bound)
    data = graph.coupling.data if isinstance(graph.coupling, CSR) else graph.coupling
    assert np.isfinite(data).all() and (data >= 0).all()
    rows = np.abs(np.random.default_rng(0).normal(size=(3, 12)))
    rows[1, :6] = 0
    for method in ("chebyshev", "steps"):
        out = lp.heat_flow(graph, rows, 0.1, 10, method)
        assert np.isfinite(out).all() and (out >= 0).all() and (out.sum(1) > 0).all()


# ------------------------------------------------------------------ the flow


@pytest.mark.parametrize("method", ["chebyshev", "steps"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("k", [None, 5])
def test_flow_matches_scipy_spsolve_step_by_step(rng, kind, k, method):
    """A few hundred keys: the flow equals num_steps sparse direct solves of
    ``x (I + Δ L) = x_prev`` (``(I + Δ L)ᵀ xᵀ = x_prevᵀ``, SciPy's spsolve) to 1e-8."""
    x = rng.normal(size=(300, 6))
    w = _kernel(x, 2.0, k)
    lap = sp.csc_matrix(np.eye(300) + 0.12 * _laplacian(w, kind))
    rows = np.abs(rng.normal(size=(3, 300))) ** 4
    rows[2, 100:] = 0  # a partly masked row
    expected = rows.copy()
    for _ in range(5):
        expected = spsolve(lap.T.tocsc(), expected.T).T
    out = lp.heat_flow(lp.heat_graph(x, 2.0, k, kind), rows, 0.12, 5, method)
    np.testing.assert_allclose(_normalised(out), _normalised(expected), rtol=1e-8, atol=1e-13)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("delta, steps", [(0.1, 10), (1.0, 1), (3.0, 4), (1e-9, 3)])
def test_flow_matches_the_dense_propagator(rng, kind, delta, steps):
    x = rng.normal(size=(40, 3))
    lap = _laplacian(_kernel(x, 0.8, 4), kind)
    propagator = np.linalg.matrix_power(np.linalg.inv(np.eye(40) + delta * lap), steps)
    rows = rng.random((5, 40))
    graph = lp.heat_graph(x, 0.8, 4, kind)
    for method in ("auto", "chebyshev", "steps"):
        out = lp.heat_flow(graph, rows, delta, steps, method)
        np.testing.assert_allclose(_normalised(out), _normalised(rows @ propagator), rtol=1e-8, atol=1e-14)


def test_chebyshev_terms_and_fallback():
    coeffs = lp.chebyshev_coefficients(0.1, 10, 2.0)
    assert coeffs is not None and len(coeffs) < 20  # the default flow: ~14 sparse products
    lam = np.linspace(0, 2, 101)
    series = np.polynomial.chebyshev.chebval(lam - 1.0, coeffs)
    np.testing.assert_allclose(series, (1 + 0.1 * lam) ** -10, atol=1e-12)
    assert lp.chebyshev_coefficients(1e6, 1, 2e6) is None  # too stiff: implicit steps instead


def test_flow_in_blocks_of_rows_within_its_budget(rng):
    x = rng.normal(size=(200, 4))
    graph = lp.heat_graph(x, 1.0, 6, LaplacianType.RANDOM_WALK)
    rows = rng.random((9, 200))
    whole = lp.heat_flow(graph, rows, 0.2, 10)
    one_at_a_time = lp.heat_flow(graph, rows, 0.2, 10, budget=80_000)  # 3 rows a block
    np.testing.assert_allclose(_normalised(one_at_a_time), _normalised(whole), rtol=1e-12)


def test_no_warnings_on_zero_rows_and_trivial_graphs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        single = lp.heat_graph(np.ones((1, 3)), 1.0, 16, LaplacianType.RANDOM_WALK)
        np.testing.assert_array_equal(lp.heat_flow(single, np.array([[0.5]]), 0.1, 10), [[1.0]])
        graph = lp.heat_graph(np.eye(4), 1.0, 2, LaplacianType.UNNORMALIZED)
        assert (lp.heat_flow(graph, np.zeros((2, 4)), 0.1, 10) == 0).all()
