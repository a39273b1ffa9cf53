"""Multi-objective balancing vs a torch autograd version of each formula, and two losses of
scales 1 and 1e4 on shared parameters."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra
from ruvector_attention import training

from ..oracles import needs_torch, torch


@needs_torch
def test_fixed_and_uncertainty_weighting_vs_autograd(rng):
    losses, s, w = rng.uniform(0.1, 5, size=3), rng.normal(size=3), rng.uniform(0.5, 2, size=3)
    tl, ts, tw = torch.tensor(losses, requires_grad=True), torch.tensor(s, requires_grad=True), torch.tensor(w, requires_grad=True)
    for mine, theirs, param in [
        (training.uncertainty_weighting(losses, s), (torch.exp(-ts) * tl + ts).sum(), ts),
        (training.fixed_weights(losses, w), (tw * tl).sum(), tw),
    ]:
        tl.grad = None
        theirs.backward()
        np.testing.assert_allclose(mine.loss, theirs.item(), rtol=1e-6)
        np.testing.assert_allclose(mine.objective, theirs.item(), rtol=1e-6)
        np.testing.assert_allclose(mine.grad, param.grad.numpy(), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(mine.weights, tl.grad.numpy(), rtol=1e-6)
    assert training.fixed_weights(losses).loss == pytest.approx(losses.sum())


@needs_torch
@pytest.mark.parametrize("alpha", [0.0, 1.5])
def test_gradnorm_vs_autograd(rng, alpha):
    """The shared parameters' per-task gradients come from torch itself (two tasks of a
    shared linear layer), the GradNorm objective's target is detached as in the paper."""
    shared = torch.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    x, y = torch.tensor(rng.normal(size=(5, 4))), torch.tensor(rng.normal(size=(2, 5, 3)))
    losses = torch.stack([((x @ shared.T - y[i]) ** 2).mean() * scale for i, scale in enumerate([1.0, 30.0])])
    rows = [torch.autograd.grad(loss, shared, retain_graph=True)[0].reshape(-1) for loss in losses]
    w = torch.tensor([0.7, 1.3], dtype=torch.float64, requires_grad=True)
    initial = losses.detach() * torch.tensor([1.5, 4.0], dtype=torch.float64)
    norms = torch.stack([(w[i] * rows[i]).norm() for i in range(2)])
    ratio = losses.detach() / initial
    target = (norms.mean() * (ratio / ratio.mean()) ** alpha).detach()
    objective = (norms - target).abs().sum()
    objective.backward()
    mine = training.gradnorm(losses.detach().numpy(), initial.numpy(), [0.7, 1.3], torch.stack(rows).numpy(), alpha)
    np.testing.assert_allclose(mine.objective, objective.item(), rtol=1e-5)
    np.testing.assert_allclose(mine.grad, w.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(mine.loss, (w.detach() * losses.detach()).sum().item(), rtol=1e-6)
    np.testing.assert_allclose(mine.weights, [0.7, 1.3], rtol=1e-6)


TARGET, FLOORS = np.array([1.0, 1.0]), np.array([0.1, 1e3])


def _two_tasks(theta):
    """``L_1 = |θ - a|²/2 + 0.1`` and ``L_2 = 10⁴ ((θ - a)_0²/2 + 0.1)``: the large loss sees
    one coordinate only, so with equal weights its curvature caps the step size and the
    small loss's other coordinate barely moves. Returns losses and gradients ``(2, 2)``."""
    e = theta - TARGET
    return np.array([0.5 * e @ e, 1e4 * 0.5 * e[0] ** 2]) + FLOORS, np.stack([e, [1e4 * e[0], 0.0]])


def _train(balance, lr, steps=300):
    """Gradient descent on the shared ``θ`` with ``Σ_i w_i ∇L_i``; returns each loss's
    remaining excess over its floor as a fraction of the initial excess."""
    theta = np.zeros(2)
    start = _two_tasks(theta)[0]
    for _ in range(steps):
        losses, grads = _two_tasks(theta)
        theta -= lr * (balance(losses, grads).astype(np.float64) @ grads)
    return (_two_tasks(theta)[0] - FLOORS) / (start - FLOORS)


def test_balancing_converges_on_both_scales_where_equal_weights_do_not():
    initial = _two_tasks(np.zeros(2))[0]

    def equal(losses, grads):
        return training.fixed_weights(losses).weights

    log_vars = {"s": np.log(initial).astype(np.float32)}  # s at its stationary point log L(0)
    adam_s = training.Adam(0.05)

    def uncertainty(losses, grads):
        out = training.uncertainty_weighting(losses, log_vars["s"])
        adam_s.step(log_vars, {"s": out.grad})
        return out.weights

    weights = {"w": training.normalize_weights(1.0 / initial)}
    adam_w = training.Adam(0.01)

    def gradnorm(losses, grads):
        out = training.gradnorm(losses, initial, weights["w"], grads, alpha=1.5)
        adam_w.step(weights, {"w": out.grad})
        weights["w"][:] = training.normalize_weights(weights["w"])
        return out.weights

    stiff = 1.0 / (1.0 + 1e4)  # equal weights' best stable step: 1 / the largest curvature
    assert _train(equal, stiff)[0] > 0.4  # the small loss has kept almost half its excess
    for balance in (uncertainty, gradnorm):
        assert np.all(_train(balance, 0.05) < 1e-3)


def test_balancing_errors():
    with pytest.raises(ra.DimensionMismatchError):
        training.uncertainty_weighting([1.0, 2.0], [0.0])
    with pytest.raises(ra.DimensionMismatchError):
        training.gradnorm([1.0, 2.0], [1.0, 1.0], [1.0, 1.0], np.ones((3, 4)))
    with pytest.raises(ra.InvalidInputError):
        training.gradnorm([1.0, 2.0], [0.0, 1.0], [1.0, 1.0], np.ones((2, 4)))
    with pytest.raises(ra.InvalidInputError):
        training.fixed_weights([1.0, float("nan")])
    with pytest.raises(ra.InvalidInputError):
        training.normalize_weights([-1.0, 0.0])
    with pytest.raises(ra.InvalidConfigError):
        training.gradnorm([1.0], [1.0], [1.0], np.ones((1, 2)), alpha=-1.0)
