"""How far each mechanism moves a model's sentence embeddings when swapped in.

For each registry mechanism and each choice of layers, the encoder with that mechanism in
those layers (:meth:`Encoder.with_attention`) embeds the same sentences as the original;
the study reports the cosine of each embedding to the original's (1 = unmoved) and the
time per sentence.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .bert import Encoder

__all__ = ["SwapResult", "swap_study"]


@dataclass(frozen=True)
class SwapResult:
    mechanism: str
    layers: str
    """``"all"`` or the layer numbers, e.g. ``"3"``."""
    mean_cosine: float
    min_cosine: float
    ms_per_sentence: float


def _unit(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-300)


def _embeddings(encoder: Encoder, sentences: Sequence[str]) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    embeddings = np.stack([encoder(s).embedding for s in sentences])
    return embeddings, (time.perf_counter() - start) * 1e3 / len(sentences)


def swap_study(
    encoder: Encoder,
    sentences: Sequence[str],
    mechanisms: Sequence[str],
    layer_sets: Sequence[Sequence[int] | None] = (None,),
) -> list[SwapResult]:
    """One :class:`SwapResult` per mechanism and layer set (``None``: every layer), after
    a first row for the original encoder (``mechanism="original"``)."""
    reference, ms = _embeddings(encoder, sentences)
    results = [SwapResult("original", "-", 1.0, 1.0, ms)]
    for layers in layer_sets:
        label = "all" if layers is None else ",".join(map(str, layers))
        for name in mechanisms:
            embeddings, ms = _embeddings(encoder.with_attention(name, layers), sentences)
            cosines = np.einsum("ij,ij->i", _unit(embeddings), _unit(reference))
            results.append(SwapResult(name, label, float(cosines.mean()), float(cosines.min()), ms))
    return results
