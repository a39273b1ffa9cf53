"""Shared checks for the mechanisms on shifted keys (hnsw_aware, structural): the
torch.autograd oracle of ``s_ij = q_i·(k_j + a_j)/√d + c_j`` with the per-key terms computed
in torch from the mechanism's parameters, gradient comparison, per-call input errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from ..conftest import call_backward
from ..oracles import torch

Terms = Callable[[dict[str, Any]], tuple[Any, Any]]
"""``terms(params) -> (offsets (n, d), bias (n,) or 0)`` on torch parameter tensors."""


def assert_backward_matches_autograd(attn, terms: Terms, rng: np.random.Generator, *, single: bool, causal: bool, **extras) -> None:
    """Gradients of queries, keys, values and every parameter equal torch.autograd's (1e-4)."""
    m, n, d = (1 if single else 5), 7, attn.dim
    q, k, v, g = (rng.normal(size=s) for s in [(m, d), (n, d), (n, 3), (m, 3)])
    mask = rng.random((m, n)) < 0.8
    mask[:, -1] = True
    params = {name: torch.tensor(value.astype(np.float64), requires_grad=True) for name, value in attn.parameters().items()}
    tq, tk, tv = (torch.tensor(x, requires_grad=True) for x in (q, k, v))
    offsets, bias = terms(params)
    scores = tq @ (tk + offsets).T / np.sqrt(d) + bias
    visible = torch.tensor(mask)
    if causal and not single:
        visible &= torch.ones(m, n, dtype=torch.bool).tril(diagonal=n - m)
    weights = torch.softmax(scores.masked_fill(~visible, -torch.inf), dim=-1)
    (weights @ tv * torch.tensor(g)).sum().backward()
    grads, query_grad = call_backward(attn, q, k, v, g, mask, single=single, causal=causal, **extras)
    assert_gradients_match(grads, query_grad, (tq, tk, tv), params)


def assert_gradients_match(grads: Any, query_grad: np.ndarray, inputs: tuple[Any, Any, Any], params: dict[str, Any]) -> None:
    """``backward``'s gradients equal the ``.grad`` of torch leaves (queries, keys, values
    and parameters by name) within 1e-4 relative."""
    tq, tk, tv = inputs
    np.testing.assert_allclose(query_grad, tq.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads.keys, tk.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads.values, tv.grad.numpy(), rtol=1e-4, atol=1e-5)
    assert set(grads.params) == set(params)
    for name, tensor in params.items():
        np.testing.assert_allclose(grads.params[name], tensor.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


def assert_every_entry_raises(attn: Any, error: type[Exception], rng: np.random.Generator, **extras: Any) -> None:
    """``compute``, ``compute_batch`` and ``backward`` with the per-call ``extras`` (for 4
    keys) raise ``error`` naming the input."""
    d = attn.dim
    q, k, v = rng.normal(size=(2, d)), rng.normal(size=(4, d)), rng.normal(size=(4, 2))
    (name,) = extras
    for call in (
        lambda: attn.compute(q[0], k, v, **extras),
        lambda: attn.compute_batch(q, k, v, **extras),
        lambda: attn.backward(q, k, v, np.ones((2, 2)), **extras),
    ):
        with pytest.raises(error, match=name):
            call()
