"""GraphLaplacian against scipy.sparse.csgraph.laplacian on the same Gaussian kernel."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import laplacian as scipy_laplacian

import ruvector_attention as ra


def _kernel(keys, sigma, k=None):
    d2 = ((keys[:, None, :] - keys[None, :, :]) ** 2).sum(-1)
    w = np.exp(-d2 / (2 * sigma**2))
    np.fill_diagonal(w, 0)
    if k is not None:
        ranked = d2 + np.diag(np.full(len(keys), np.inf))
        keep = np.zeros_like(w, bool)
        for i, row in enumerate(ranked):
            keep[i, np.argsort(row, kind="stable")[:k]] = True
        w = np.where(keep | keep.T, w, 0)
    return w


@pytest.mark.parametrize("k", [None, 3])
@pytest.mark.parametrize("sigma", [0.7, 2.0])
def test_all_three_types_match_scipy(rng, k, sigma):
    keys = rng.normal(size=(12, 4))
    w = _kernel(keys, sigma, k)
    unnormalized = ra.GraphLaplacian.from_keys(keys, sigma, "unnormalized", k=k)
    symmetric = ra.GraphLaplacian.from_keys(keys, sigma, ra.LaplacianType.SYMMETRIC_NORMALIZED, k=k)
    random_walk = ra.GraphLaplacian.from_keys(keys, sigma, "random_walk", k=k)
    np.testing.assert_allclose(unnormalized, scipy_laplacian(w), atol=1e-6)
    np.testing.assert_allclose(symmetric, scipy_laplacian(w, normed=True), atol=1e-6)
    _, degree = scipy_laplacian(w, return_diag=True)
    np.testing.assert_allclose(random_walk, np.eye(12) - w / degree[:, None], atol=1e-6)
    np.testing.assert_allclose(unnormalized.sum(axis=1), 0, atol=1e-9)
    assert np.linalg.eigvalsh(symmetric).min() > -1e-9


def test_errors():
    with pytest.raises(ra.InvalidConfigError):
        ra.GraphLaplacian.from_keys(np.ones((3, 2)), laplacian_type="nope")
    with pytest.raises(ra.InvalidConfigError):
        ra.GraphLaplacian.from_keys(np.ones((3, 2)), sigma=0)


@pytest.mark.filterwarnings("error")
def test_finite_for_extreme_keys_and_size_checked(monkeypatch):
    for keys in (np.full((6, 3), 3.4e38, np.float32), np.full((6, 3), 1e-45, np.float32), np.arange(18, dtype=np.float32).reshape(6, 3) * 1e37):
        for kind in ra.LaplacianType:
            lap = ra.GraphLaplacian.from_keys(keys, 1e-30, kind, k=2)
            assert np.isfinite(lap).all()
    monkeypatch.setattr(ra, "MAX_WORK_BYTES", 1 << 20)
    with pytest.raises(ra.InputTooLargeError):
        ra.GraphLaplacian.from_keys(np.zeros((1000, 2)))
