"""Losses and regularisers vs torch.autograd; optimizers vs torch.optim step for step."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra
from ruvector_attention import training

from ..oracles import F, needs_torch, torch


def _cos(a, others):
    return F.cosine_similarity(a[None, :], others, dim=1)


@needs_torch
@pytest.mark.parametrize("temperature", [0.07, 0.5])
def test_info_nce_and_local_contrastive_vs_autograd(rng, temperature):
    a, p, n = rng.normal(size=8), rng.normal(size=(3, 8)), rng.normal(size=(5, 8))
    ta = torch.tensor(a, requires_grad=True)
    sp, sn = _cos(ta, torch.tensor(p)) / temperature, _cos(ta, torch.tensor(n)) / temperature
    per_positive = -(sp - torch.logsumexp(torch.cat([sp[:, None], sn.expand(3, 5)], dim=1), dim=1))
    per_positive.mean().backward()
    loss, grad = training.info_nce(a, p, n, temperature)
    np.testing.assert_allclose(loss, per_positive.mean().item(), rtol=1e-6)
    np.testing.assert_allclose(grad, ta.grad.numpy(), rtol=1e-4, atol=1e-6)

    ta.grad = None
    sp, sn = _cos(ta, torch.tensor(p)) / temperature, _cos(ta, torch.tensor(n)) / temperature
    pooled = -(torch.logsumexp(sp, 0) - torch.logsumexp(torch.cat([sp, sn]), 0))
    pooled.backward()
    loss, grad = training.local_contrastive(a, p, n, temperature)
    np.testing.assert_allclose(loss, pooled.item(), rtol=1e-6)
    np.testing.assert_allclose(grad, ta.grad.numpy(), rtol=1e-4, atol=1e-6)


@needs_torch
def test_triplet_vs_autograd(rng):
    a, p, n = rng.normal(size=(3, 6))
    ta = torch.tensor(a, requires_grad=True)
    expected = torch.clamp(torch.norm(ta - torch.tensor(p)) - torch.norm(ta - torch.tensor(n)) + 3.0, min=0)
    expected.backward()
    loss, grad = training.triplet(a, p, n, margin=3.0)
    np.testing.assert_allclose(loss, expected.item(), rtol=1e-6)
    np.testing.assert_allclose(grad, ta.grad.numpy(), rtol=1e-5, atol=1e-7)
    assert training.triplet(a, a, a + 100, margin=1.0)[0] == 0.0


@needs_torch
def test_regularisers_vs_autograd(rng):
    x = rng.normal(size=(6, 4))
    edges = np.array([[0, 1], [1, 2], [4, 5], [0, 5]])
    w = rng.uniform(0.5, 2, size=4)
    for fn, reference in [
        (lambda e: training.laplacian(e, edges, w),
         lambda t: (torch.tensor(w) * ((t[edges[:, 0]] - t[edges[:, 1]]) ** 2).sum(1)).sum()),
        (training.orthogonality, lambda t: ((t.T @ t - torch.eye(4, dtype=t.dtype)) ** 2).sum()),
        (lambda e: training.norm_penalty(e, 1.5), lambda t: ((t.norm(dim=1) - 1.5) ** 2).mean()),
    ]:
        t = torch.tensor(x, requires_grad=True)
        value = reference(t)
        value.backward()
        mine, grad = fn(x)
        np.testing.assert_allclose(mine, value.item(), rtol=1e-6)
        np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-4, atol=1e-6)


@needs_torch
@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda: training.SGD(0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
        (lambda: training.SGD(0.05, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
        (lambda: training.Adam(0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
        (lambda: training.Adam(0.1, betas=(0.8, 0.99), eps=1e-6),
         lambda p: torch.optim.Adam(p, lr=0.1, betas=(0.8, 0.99), eps=1e-6)),
        (lambda: training.AdamW(0.01, weight_decay=0.1), lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
    ],
)
def test_optimizers_equal_torch_optim(rng, ours, theirs):
    params = {"w": rng.normal(size=(4, 3)).astype(np.float32), "b": rng.normal(size=3).astype(np.float32)}
    tensors = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    opt, torch_opt = ours(), theirs(list(tensors.values()))
    for step in range(6):
        grads = {k: rng.normal(size=v.shape).astype(np.float32) for k, v in params.items()}
        for k, t in tensors.items():
            t.grad = torch.tensor(grads[k])
        torch_opt.step()
        opt.step(params, grads)
        for k in params:
            np.testing.assert_allclose(params[k], tensors[k].detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=f"{k}@{step}")


def test_optimizer_errors():
    with pytest.raises(ra.InvalidConfigError):
        training.SGD(0.0)
    with pytest.raises(ra.InvalidConfigError):
        training.Adam(0.1).step({"w": np.zeros(2, np.float32)}, {})
    with pytest.raises(ra.DimensionMismatchError):
        training.Adam(0.1).step({"w": np.zeros(2, np.float32)}, {"w": np.zeros(3)})


def test_schedules():
    s = training.WarmupCosine(0.1, warmup_steps=10, total_steps=110)
    lrs = [s(i) for i in range(120)]
    assert lrs[9] == pytest.approx(0.1) and lrs[0] == pytest.approx(0.01)
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:])) and lrs[110] == 0.0
    assert lrs[60] == pytest.approx(0.05)
    anneal = training.TemperatureAnnealing(1.0, 0.1, 10)
    assert anneal(0) == 1.0 and anneal(10) == pytest.approx(0.1) and anneal(5) == pytest.approx(0.55)
    curriculum = training.CurriculumScheduler(total_steps=100, start=0.2, end=1.0)
    difficulties = np.array([0.1, 0.5, 0.9, 0.3])
    assert list(curriculum.select(difficulties, 0)) == [0]
    assert list(curriculum.select(difficulties, 50)) == [0, 1, 3]
    assert list(curriculum.select(difficulties, 100)) == [0, 1, 2, 3]


def test_hard_negatives(rng):
    anchor = np.zeros(2)
    candidates = np.array([[0.1, 0], [5, 5], [0.2, 0], [3, 0], [0.05, 0]], dtype=float)
    degrees = np.array([1, 4, 9, 5, 2], dtype=float)
    assert list(training.sample_hard_negatives(anchor, candidates, [4], 2)) == [0, 2]
    assert list(training.sample_hard_negatives(anchor, candidates, [1], 2, "degree", degrees)) == [3, 4]
    mixed = training.sample_hard_negatives(anchor, candidates, [4], 3, "mixed", degrees=degrees)
    assert 4 not in mixed and len(set(mixed)) == 3 and mixed[0] == 0
    with pytest.raises(ra.InvalidInputError):
        training.sample_hard_negatives(anchor, candidates, [0], 2, "degree")
    x = np.array([[0, 0], [0, 1], [5, 5], [5, 6.5]], dtype=float)
    positive, negative = training.mine_in_batch(x, [0, 0, 1, 1])
    assert list(positive) == [1, 0, 3, 2] and list(negative) == [2, 2, 1, 1]
    loner_pos, loner_neg = training.mine_in_batch(x[:1], [0])
    assert list(loner_pos) == [0] and list(loner_neg) == [-1]


def test_train_step_converges(rng):
    teacher = ra.MultiHeadAttention(8, 2, seed=1)
    student = ra.MultiHeadAttention(8, 2, seed=2)
    q, k, v = rng.normal(size=(16, 8)), rng.normal(size=(12, 8)), rng.normal(size=(12, 8))
    targets = teacher.compute_batch(q, k, v)
    optimizer = training.Adam(0.01)
    losses = [training.train_step(student, optimizer, q, k, v, targets) for _ in range(150)]
    assert losses[-1] < 0.2 * losses[0], (losses[0], losses[-1])
    with pytest.raises(ra.InvalidConfigError):
        training.train_step(ra.ScaledDotProductAttention(8), optimizer, q, k, v, targets)
