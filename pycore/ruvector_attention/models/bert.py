"""A BERT-family encoder whose attention layers are this library's mechanisms.

Each layer is an SDK pipeline (API.md §4) around a ``multi_head`` mechanism that holds the
checkpoint's projections (``W = weight.T``, as ``x @ W + b``)::

    x ← LayerNorm(x + MultiHead(x, x, x))            # attention, residual, affine norm
    x ← LayerNorm(x + W₂·GELU(W₁·x + b₁) + b₂)       # the feed-forward as a custom stage

after embeddings ``LayerNorm(word[id] + position[i] + token_type[0])``. The sentence
embedding is the checkpoint's pooling (sentence-transformers' ``modules.json``: mean over
tokens by default, or the ``[CLS]`` row), normalised when it lists a Normalize module.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as check
from ..attention.multi_head import MultiHeadAttention
from ..base import Attention
from ..errors import InputTooLargeError, InvalidConfigError, InvalidInputError
from ..kernels.activations import gelu
from ..kernels.norms import layer_norm
from ..kernels.numeric import matmul
from ..sdk.pipeline import AttentionPipeline, NormType
from .checkpoint import Checkpoint
from .swap import ProjectedHeads, attention_like
from .wordpiece import WordPiece

__all__ = ["BertConfig", "Encoder", "EncoderOutput", "load"]


@dataclass(frozen=True)
class BertConfig:
    """The fields of a BERT ``config.json`` the encoder uses."""

    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float

    @classmethod
    def from_json(cls, spec: Any, name: str = "config.json") -> BertConfig:
        if not isinstance(spec, dict):
            raise InvalidInputError(f"{name} is not a JSON object")
        unsupported = {
            "model_type": (spec.get("model_type"), ("bert",)),
            "hidden_act": (spec.get("hidden_act", "gelu"), ("gelu",)),
            "position_embedding_type": (spec.get("position_embedding_type", "absolute"), ("absolute",)),
        }
        for key, (value, supported) in unsupported.items():
            if value not in supported:
                raise InvalidConfigError(f"{name}: {key} {value!r} is not supported (only {', '.join(supported)})")
        try:
            config = cls(
                hidden_size=check.positive_int("hidden_size", spec["hidden_size"]),
                num_layers=check.positive_int("num_hidden_layers", spec["num_hidden_layers"]),
                num_heads=check.positive_int("num_attention_heads", spec["num_attention_heads"]),
                intermediate_size=check.positive_int("intermediate_size", spec["intermediate_size"]),
                max_positions=check.positive_int("max_position_embeddings", spec["max_position_embeddings"]),
                type_vocab_size=check.positive_int("type_vocab_size", spec.get("type_vocab_size", 2)),
                layer_norm_eps=check.positive_float("layer_norm_eps", spec.get("layer_norm_eps", 1e-12)),
            )
        except KeyError as err:
            raise InvalidConfigError(f"{name}: missing {err.args[0]}") from None
        if config.hidden_size % config.num_heads:
            raise InvalidConfigError(f"{name}: hidden_size {config.hidden_size} is not a multiple of {config.num_heads} heads")
        return config


@dataclass
class EncoderOutput:
    """One text through the encoder (API.md §8)."""

    tokens: list[str]
    input_ids: np.ndarray
    hidden_states: list[np.ndarray]
    attentions: list[np.ndarray]
    embedding: np.ndarray


class _Weights:
    """The checkpoint's tensors by BERT name (with or without a ``bert.`` prefix), each
    checked for its shape."""

    def __init__(self, tensors: dict[str, np.ndarray], location: str) -> None:
        self._tensors = {key.removeprefix("bert."): value for key, value in tensors.items()}
        self._location = location

    def _get(self, key: str) -> np.ndarray:
        tensor = self._tensors.get(key)
        if tensor is None:
            raise InvalidInputError(f"{self._location}: model.safetensors lacks {key}")
        return tensor

    def rows(self, key: str, cols: int) -> np.ndarray:
        """A matrix of any number of rows of width ``cols`` (an embedding table)."""
        return self(key, self._get(key).shape[0], cols)

    def __call__(self, key: str, *shape: int) -> np.ndarray:
        tensor = self._get(key)
        if tensor.shape != shape:
            raise InvalidInputError(f"{self._location}: {key} has shape {tensor.shape}, expected {shape}")
        if not np.issubdtype(tensor.dtype, np.floating):
            raise InvalidInputError(f"{self._location}: {key} is {tensor.dtype}, expected floats")
        return np.ascontiguousarray(tensor, dtype=np.float32)

    def transposed(self, key: str, rows: int, cols: int) -> np.ndarray:
        """``weight.T`` of a ``(rows, cols)`` weight, contiguous (``x @ W`` is then fast)."""
        return np.ascontiguousarray(self(key, rows, cols).T)


@dataclass
class _FeedForward:
    """``x + W₂·GELU(W₁·x + b₁) + b₂`` row by row (the pipeline's custom stage)."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return x + matmul(gelu(matmul(x, self.w1) + self.b1), self.w2) + self.b2


@dataclass
class _Layer:
    """One encoder layer: its checkpoint tensors and the pipeline built from them."""

    projections: dict[str, np.ndarray]
    norms: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    feed_forward: _FeedForward
    eps: float
    attention: Attention | ProjectedHeads
    pipeline: AttentionPipeline

    @classmethod
    def build(cls, projections, norms, feed_forward, eps, attention) -> _Layer:
        (w1, b1), (w2, b2) = norms
        pipeline = (
            AttentionPipeline()
            .add_attention(attention)
            .add_residual()
            .add_norm(NormType.LAYER_NORM, eps=eps, weight=w1, bias=b1)
            .add_custom(feed_forward, per_row=False)
            .add_norm(NormType.LAYER_NORM, eps=eps, weight=w2, bias=b2)
        )
        return cls(projections, norms, feed_forward, eps, attention, pipeline)

    def with_attention(self, attention: Attention | ProjectedHeads) -> _Layer:
        return self.build(self.projections, self.norms, self.feed_forward, self.eps, attention)

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The layer's output and its attention weights ``(heads, n, n)``."""
        weights = self.attention.head_weights_batch(x, x)
        return self.pipeline.run_batch(x, x, x), weights if weights.ndim == 3 else weights[None]


def _layer(w: _Weights, i: int, config: BertConfig) -> _Layer:
    d, f = config.hidden_size, config.intermediate_size
    prefix = f"encoder.layer.{i}."
    projections = {}
    for ours, theirs in (("q", "attention.self.query"), ("k", "attention.self.key"),
                         ("v", "attention.self.value"), ("o", "attention.output.dense")):
        projections[f"w_{ours}"] = w.transposed(f"{prefix}{theirs}.weight", d, d)
        projections[f"b_{ours}"] = w(f"{prefix}{theirs}.bias", d)
    attention = MultiHeadAttention(dim=d, num_heads=config.num_heads)
    attention.load_parameters(projections)
    norms = tuple(
        (w(f"{prefix}{where}.LayerNorm.weight", d), w(f"{prefix}{where}.LayerNorm.bias", d))
        for where in ("attention.output", "output")
    )
    feed_forward = _FeedForward(
        w.transposed(f"{prefix}intermediate.dense.weight", f, d), w(f"{prefix}intermediate.dense.bias", f),
        w.transposed(f"{prefix}output.dense.weight", d, f), w(f"{prefix}output.dense.bias", d),
    )
    return _Layer.build(projections, norms, feed_forward, config.layer_norm_eps, attention)


def _pooling(checkpoint: Checkpoint) -> tuple[str, bool]:
    """sentence-transformers' pooling mode ("mean" or "cls") and whether it normalises."""
    modules = checkpoint.json("modules.json", required=False) or []
    types = {str(m.get("type", "")).rsplit(".", 1)[-1]: m for m in modules if isinstance(m, dict)}
    mode = "mean"
    if "Pooling" in types:
        folder = str(types["Pooling"].get("path", "")).strip("/")
        pooling = checkpoint.json(f"{folder}/config.json" if folder else "config.json", required=False) or {}
        if pooling.get("pooling_mode_cls_token"):
            mode = "cls"
        elif not pooling.get("pooling_mode_mean_tokens", True):
            raise InvalidConfigError(f"{checkpoint.location}: only mean or [CLS] pooling is supported")
    return mode, "Normalize" in types


class Encoder:
    """A BERT encoder: ``enc(text)`` → :class:`EncoderOutput` (or a list, for a list)."""

    def __init__(
        self,
        config: BertConfig,
        tokenizer: WordPiece,
        embeddings: dict[str, np.ndarray],
        layers: list[_Layer],
        pooling: str = "mean",
        normalize: bool = True,
    ) -> None:
        self.config = config
        self.tokenizer = tokenizer
        self._embeddings = embeddings
        self.layers = layers
        self.pooling = pooling
        self.normalize = normalize

    def __call__(self, text: str | Sequence[str]) -> EncoderOutput | list[EncoderOutput]:
        if isinstance(text, str):
            return self._encode(text)
        if not isinstance(text, Sequence) or not all(isinstance(t, str) for t in text):
            raise InvalidInputError("an encoder takes a str or a list of str")
        return [self._encode(t) for t in text]

    def _embed(self, ids: np.ndarray) -> np.ndarray:
        e = self._embeddings
        x = e["word"][ids] + e["position"][: len(ids)] + e["token_type"][0]
        return (layer_norm(x, self.config.layer_norm_eps) * e["norm_weight"] + e["norm_bias"]).astype(np.float32)

    def _encode(self, text: str) -> EncoderOutput:
        tokens = self.tokenizer.tokenize(text)
        if len(tokens) > self.config.max_positions:
            raise InputTooLargeError(
                f"{len(tokens)} tokens, more than the model's {self.config.max_positions} positions",
                max=self.config.max_positions, actual=len(tokens),
            )
        ids = np.array(self.tokenizer.ids(tokens), dtype=np.int64)
        hidden = [self._embed(ids)]
        attentions = []
        for layer in self.layers:
            out, weights = layer(hidden[-1])
            hidden.append(out)
            attentions.append(weights)
        last = hidden[-1]
        pooled = last[0] if self.pooling == "cls" else last.mean(axis=0)
        if self.normalize:
            pooled = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return EncoderOutput(tokens, ids, hidden, attentions, pooled.astype(np.float32))

    def with_attention(self, name: str, layers: Sequence[int] | None = None, **options: Any) -> Encoder:
        """A copy whose attention in ``layers`` (default: all) is registry mechanism ``name``
        (``options``: its config), built for the model's dim and heads around the layer's
        own projections (see :mod:`ruvector_attention.models.swap`)."""
        chosen = range(len(self.layers)) if layers is None else [
            check.as_index(i, "layer", upper=len(self.layers)) for i in layers
        ]
        swapped = list(self.layers)
        for i in chosen:
            layer = self.layers[i]
            attention = attention_like(name, layer.projections, self.config.hidden_size, self.config.num_heads, options)
            swapped[i] = layer.with_attention(attention)
        return Encoder(self.config, self.tokenizer, self._embeddings, swapped, self.pooling, self.normalize)


def load(path: str | os.PathLike[str]) -> Encoder:
    """A BERT-family encoder from a folder or ``.zip`` with ``config.json``,
    ``model.safetensors``, ``tokenizer.json`` and (optionally) sentence-transformers'
    ``modules.json`` with its pooling config."""
    checkpoint = Checkpoint.open(path)
    config = BertConfig.from_json(checkpoint.json("config.json"), f"{checkpoint.location}: config.json")
    tokenizer = WordPiece.from_json(checkpoint.json("tokenizer.json"), f"{checkpoint.location}: tokenizer.json")
    w = _Weights(checkpoint.tensors(), checkpoint.location)
    d = config.hidden_size
    embeddings = {
        "word": w.rows("embeddings.word_embeddings.weight", d),
        "position": w("embeddings.position_embeddings.weight", config.max_positions, d),
        "token_type": w("embeddings.token_type_embeddings.weight", config.type_vocab_size, d),
        "norm_weight": w("embeddings.LayerNorm.weight", d),
        "norm_bias": w("embeddings.LayerNorm.bias", d),
    }
    if max(tokenizer.vocab.values()) >= len(embeddings["word"]):
        raise InvalidInputError(f"{checkpoint.location}: tokenizer ids exceed the {len(embeddings['word'])} word embeddings")
    layers = [_layer(w, i, config) for i in range(config.num_layers)]
    pooling, normalize = _pooling(checkpoint)
    return Encoder(config, tokenizer, embeddings, layers, pooling, normalize)
