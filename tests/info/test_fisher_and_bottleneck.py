"""Fisher metric, natural gradient, KL and the information bottleneck vs formulas and SciPy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.special import softmax

import ruvector_attention as ra


def test_fisher_apply_is_the_formula(rng):
    p = rng.dirichlet(np.ones(6))
    v = rng.normal(size=6)
    np.testing.assert_allclose(ra.FisherMetric().apply(p, v), (np.diag(p) - np.outer(p, p)) @ v, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("tol", [1e-3, 1e-6])
def test_fisher_solve_reaches_cg_tol(rng, tol):
    p = rng.dirichlet(np.ones(8))
    g = rng.normal(size=8)
    fisher = ra.FisherMetric(eps=1e-10, max_cg_iters=200, cg_tol=tol)
    x = fisher.solve(p, g).astype(np.float64)
    target = g - g.mean()
    residual = (np.diag(p) - np.outer(p, p)) @ x - target
    assert np.linalg.norm(residual) <= 10 * tol * np.linalg.norm(target) + 1e-5


def test_natural_gradient_beats_plain_gradient_when_ill_conditioned():
    target = np.array([0.96, 0.02, 0.01, 0.01])
    start = np.array([0.0, 4.0, 4.0, 4.0])  # p far from the target, gradients tiny on the big entry

    def cross_entropy_and_grad(z):
        p = softmax(z)
        return -np.sum(target * np.log(p)), p - target

    plain, natural, diagonal = start.copy(), start.copy(), start.copy()
    ng = ra.NaturalGradient(lr=0.05, fisher=ra.FisherMetric(eps=1e-6, max_cg_iters=100))
    ng_diag = ra.NaturalGradient(lr=0.05, use_diagonal=True)
    for _ in range(10):
        plain = plain - 0.05 * cross_entropy_and_grad(plain)[1]
        natural = ng.step_logits(natural, cross_entropy_and_grad(natural)[1]).astype(float)
        diagonal = ng_diag.step_logits(diagonal, cross_entropy_and_grad(diagonal)[1]).astype(float)
    assert cross_entropy_and_grad(natural)[0] < cross_entropy_and_grad(plain)[0] - 0.5
    assert cross_entropy_and_grad(diagonal)[0] < cross_entropy_and_grad(plain)[0]


def test_kl_closed_forms(rng):
    mean, log_var = rng.normal(size=5), rng.normal(size=5)
    var = np.exp(log_var)
    expected = 0.5 * np.sum(var + mean**2 - 1 - log_var)
    assert ra.KLDivergence.gaussian_to_unit(ra.DiagonalGaussian(mean, log_var)) == pytest.approx(expected)
    p, q = rng.dirichlet(np.ones(7)), rng.dirichlet(np.ones(7))
    assert ra.KLDivergence.categorical(p, q) == pytest.approx(np.sum(p * np.log(p / q)))
    assert ra.KLDivergence.jensen_shannon(p, q) == pytest.approx(jensenshannon(p, q) ** 2, rel=1e-6)
    assert ra.KLDivergence.categorical([1, 0], [0.5, 0.5]) == pytest.approx(np.log(2))


def test_information_bottleneck(rng):
    ib = ra.InformationBottleneck(beta=0.5, anneal_steps=100)
    mean, log_var = rng.normal(size=(2, 4))
    eps = rng.normal(size=(20000, 4))
    samples = ib.sample(np.broadcast_to(mean, eps.shape), np.broadcast_to(log_var, eps.shape), eps)
    np.testing.assert_allclose(samples.mean(0), mean, atol=0.05)
    np.testing.assert_allclose(samples.var(0), np.exp(log_var), rtol=0.06)
    full = 0.5 * ra.KLDivergence.gaussian_to_unit(ra.DiagonalGaussian(mean, log_var))
    assert ib.compute_kl_loss(mean, log_var) == pytest.approx(full)
    assert ib.compute_kl_loss(mean, log_var, step=25) == pytest.approx(full / 4)
    w = softmax(rng.normal(size=6) * 3)
    compressed, kl = ib.compress_attention_weights(w)
    np.testing.assert_allclose(compressed, softmax(np.log(w) / 1.5), rtol=1e-5)
    assert kl == pytest.approx(np.log(6) + np.sum(compressed * np.log(compressed)), rel=1e-5)
    stronger, kl_strong = ra.InformationBottleneck(beta=5.0).compress_attention_weights(w)
    assert kl_strong < kl  # larger beta: closer to uniform
