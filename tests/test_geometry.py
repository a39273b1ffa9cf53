"""ra.geometry against the arccosh distance formula and the Poincaré-ball identities."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra
from ruvector_attention import geometry as geo

from .conftest import in_ball

CURVATURES = [-1.0, -0.5, -2.5]


def _points(rng, c, shape=(6, 5), radius=0.8):
    return in_ball(rng.normal(size=shape), radius) / np.sqrt(c)


def _arccosh_distance(x, y, c):
    x, y = x.astype(np.float64), y.astype(np.float64)
    num = 2 * c * ((x - y) ** 2).sum(-1)
    den = (1 - c * (x * x).sum(-1)) * (1 - c * (y * y).sum(-1))
    return np.arccosh(1 + num / den) / np.sqrt(c)


@pytest.mark.parametrize("curvature", CURVATURES)
def test_distance_equals_arccosh_formula(rng, curvature):
    c = -curvature
    x, y = _points(rng, c), _points(rng, c)
    np.testing.assert_allclose(
        geo.poincare_distance(x, y, curvature=curvature), _arccosh_distance(x, y, c), rtol=1e-5
    )


@pytest.mark.parametrize("curvature", CURVATURES)
def test_identities(rng, curvature):
    c = -curvature
    x, y = _points(rng, c), _points(rng, c)
    kw = {"curvature": curvature}
    np.testing.assert_allclose(geo.mobius_add(-x, geo.mobius_add(x, y, **kw), **kw), y, atol=1e-5)
    np.testing.assert_allclose(geo.mobius_add(np.zeros_like(x), y, **kw), y, atol=1e-6)
    np.testing.assert_allclose(geo.exp_map(x, geo.log_map(x, y, **kw), **kw), y, atol=1e-5)
    v = rng.normal(size=x.shape) * 0.3
    np.testing.assert_allclose(geo.log_map(x, geo.exp_map(x, v, **kw), **kw), v, rtol=1e-4, atol=1e-5)
    # the tangent norm at x, scaled by the conformal factor, is the geodesic distance
    lam = 2 / (1 - c * (x * x).sum(-1))
    np.testing.assert_allclose(
        lam * np.linalg.norm(geo.log_map(x, y, **kw), axis=-1),
        _arccosh_distance(x, y, c), rtol=1e-4,
    )


def test_exp_map_at_origin_is_tanh_formula(rng):
    v = rng.normal(size=(4, 3))
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    np.testing.assert_allclose(geo.exp_map(np.zeros(3), v), np.tanh(norm) * v / norm, atol=1e-6)


def test_broadcasting(rng):
    x = _points(rng, 1.0, shape=(5,))
    ys = _points(rng, 1.0, shape=(2, 3, 5))
    assert geo.poincare_distance(x, ys).shape == (2, 3)
    assert geo.mobius_add(x, ys).shape == (2, 3, 5)
    assert geo.log_map(x, ys).dtype == np.float32


def test_project_to_ball():
    out = geo.project_to_ball([[3.0, 4.0], [0.1, 0.0]], curvature=-4.0)
    np.testing.assert_allclose(np.linalg.norm(out[0]), (1 - 4e-3) / 2, rtol=1e-6)
    np.testing.assert_allclose(out[1], [0.1, 0.0])


def test_errors():
    with pytest.raises(ra.InvalidConfigError, match="curvature"):
        geo.poincare_distance([0.1], [0.2], curvature=1.0)
    with pytest.raises(ra.DimensionMismatchError):
        geo.mobius_add([0.1, 0.2], [0.1, 0.2, 0.3])
    with pytest.raises(ra.InvalidInputError):
        geo.exp_map([0.1, np.nan], [0.1, 0.2])
