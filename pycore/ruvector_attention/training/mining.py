"""Hard-negative sampling and in-batch mining."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validation as check
from ..errors import DimensionMismatchError, InvalidInputError

__all__ = ["sample_hard_negatives", "mine_in_batch"]


def sample_hard_negatives(
    anchor: Any,
    candidates: Any,
    positive_indices: Any,
    k: int,
    strategy: str = "distance",
    degrees: Any = None,
) -> np.ndarray:
    """Indices of ``k`` hard negatives among ``candidates``, never a positive.

    ``distance``: the closest candidates to the anchor; ``degree``: the candidates whose
    degree is closest to the positives' mean degree (needs ``degrees``); ``mixed``: half of
    each (closest first, no repeats).
    """
    a = check.as_vector(anchor, "anchor")
    c = check.as_matrix(candidates, "candidates", cols=a.shape[0])
    strategy = check.one_of("distance", "degree", "mixed")("strategy", strategy)
    k = check.positive_int("k", k)
    positives = {check.as_index(int(i), "positive index", upper=len(c)) for i in np.atleast_1d(positive_indices)}
    pool = np.array([i for i in range(len(c)) if i not in positives], dtype=np.int64)
    if k > len(pool):
        raise InvalidInputError(f"k = {k} but only {len(pool)} candidates are not positives")
    by_distance = pool[np.argsort(np.linalg.norm(c[pool] - a, axis=1), kind="stable")]
    if strategy == "distance":
        return by_distance[:k]
    if degrees is None:
        raise InvalidInputError(f"strategy {strategy!r} needs degrees")
    deg = check.as_vector(degrees, "degrees", size=len(c))
    target = deg[sorted(positives)].mean() if positives else deg.mean()
    by_degree = pool[np.argsort(np.abs(deg[pool] - target), kind="stable")]
    if strategy == "degree":
        return by_degree[:k]
    chosen = list(by_distance[: (k + 1) // 2])
    chosen += [i for i in by_degree if i not in chosen][: k - len(chosen)]
    return np.array(chosen, dtype=np.int64)


def mine_in_batch(embeddings: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    """For each row: the hardest positive (farthest with the same label, itself if alone)
    and the hardest negative (closest with another label, -1 if none)."""
    x = check.as_matrix(embeddings, "embeddings")
    y = np.asarray(labels)
    if y.shape != (len(x),):
        raise DimensionMismatchError("one label per embedding", expected=len(x), actual=y.shape[0] if y.ndim else 0)
    dist = np.linalg.norm(x[:, None, :] - x[None, :, :], axis=-1)
    same = y[:, None] == y[None, :]
    positive = np.where(same, dist, -np.inf).argmax(axis=1)
    negative_dist = np.where(same, np.inf, dist)
    negative = np.where(np.isfinite(negative_dist.min(axis=1)), negative_dist.argmin(axis=1), -1)
    return positive, negative
