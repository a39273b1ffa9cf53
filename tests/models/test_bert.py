"""The BERT encoder on the shipped all-MiniLM-L6-v2 against transformers' BertModel
(eager attention): tokens, every hidden state and every layer's attention weights within
1e-4, the sentence embedding equal to mean pooling + normalisation of its output; and bad
checkpoints, unsupported configs and too long inputs as typed errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ruvector_attention import models
from ruvector_attention.errors import InputTooLargeError, InvalidConfigError, InvalidInputError, UnknownMechanismError
from tests.models.conftest import needs_model
from tests.oracles import torch

pytestmark = needs_model

SENTENCES = [
    "The cat sat on the mat.",
    "Crème brûlée? Naïve café — déjà vu!",
    "Snowmen ☃ and 東京 are not in every vocabulary: [UNK] tokens appear.",
    "word",
]


@pytest.mark.parametrize("text", SENTENCES)
def test_equals_transformers(encoder, hf, text):
    tokenizer, model = hf
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        expected = model(**inputs, output_hidden_states=True, output_attentions=True)
    out = encoder(text)
    assert out.tokens == tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])
    np.testing.assert_array_equal(out.input_ids, inputs["input_ids"][0].numpy())
    assert len(out.hidden_states) == 7 and len(out.attentions) == 6
    for ours, theirs in zip(out.hidden_states, expected.hidden_states, strict=True):
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs[0].numpy(), atol=1e-4)
    for ours, theirs in zip(out.attentions, expected.attentions, strict=True):
        assert ours.shape == (12, len(out.tokens), len(out.tokens))
        np.testing.assert_allclose(ours, theirs[0].numpy(), atol=1e-4)
    pooled = expected.last_hidden_state[0].mean(0)
    pooled = (pooled / pooled.norm()).numpy()
    assert float(out.embedding @ pooled) >= 0.9999
    np.testing.assert_allclose(np.linalg.norm(out.embedding), 1.0, rtol=1e-5)


def test_a_list_gives_a_list_and_the_zip_equals_its_folder(encoder, model_dir):
    outs = encoder(SENTENCES[:2])
    assert [o.tokens for o in outs] == [encoder(t).tokens for t in SENTENCES[:2]]
    np.testing.assert_array_equal(models.load(model_dir)(SENTENCES[0]).embedding, outs[0].embedding)


def test_similar_sentences_are_closer(encoder):
    a, b, c = (encoder(t).embedding for t in ["A man is eating food.", "A man eats a meal.", "The stock market fell sharply."])
    assert a @ b > 0.6 > a @ c


def test_too_long_is_input_too_large(encoder):
    with pytest.raises(InputTooLargeError) as info:
        encoder("word " * 600)
    assert info.value.max == 512 and info.value.actual == 602


def test_bad_input_types(encoder):
    for bad in (None, 5, b"bytes", ["ok", 3]):
        with pytest.raises(InvalidInputError):
            encoder(bad)


@pytest.fixture
def copy_of(model_dir, tmp_path):
    def make() -> Path:
        target = tmp_path / "ckpt"
        shutil.copytree(model_dir, target)
        return target
    return make


def _edit_json(path: Path, **changes):
    spec = json.loads(path.read_text())
    spec.update(changes)
    path.write_text(json.dumps(spec))


def test_bad_checkpoints_name_the_file(copy_of, tmp_path):
    with pytest.raises(InvalidInputError, match="no such checkpoint"):
        models.load(tmp_path / "nowhere")
    not_zip = tmp_path / "model.zip"
    not_zip.write_bytes(b"not a zip")
    with pytest.raises(InvalidInputError, match="readable .zip"):
        models.load(not_zip)

    ckpt = copy_of()
    (ckpt / "tokenizer.json").unlink()
    with pytest.raises(InvalidInputError, match="missing tokenizer.json"):
        models.load(ckpt)
    shutil.rmtree(ckpt)

    ckpt = copy_of()
    (ckpt / "config.json").write_text("{not json")
    with pytest.raises(InvalidInputError, match="config.json is not valid JSON"):
        models.load(ckpt)
    shutil.rmtree(ckpt)

    ckpt = copy_of()
    weights = ckpt / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: 50_000_000])
    with pytest.raises(InvalidInputError, match="model.safetensors.*truncated"):
        models.load(ckpt)
    shutil.rmtree(ckpt)

    ckpt = copy_of()
    _edit_json(ckpt / "config.json", hidden_size=768)  # the weights no longer fit
    with pytest.raises(InvalidInputError, match="has shape"):
        models.load(ckpt)


@pytest.mark.parametrize(
    "changes",
    [{"model_type": "gpt2"}, {"hidden_act": "relu"}, {"position_embedding_type": "relative_key"},
     {"num_attention_heads": 5}, {"hidden_size": -1}, {"num_hidden_layers": None}],
)
def test_unsupported_configs_are_invalid_config_errors(copy_of, changes):
    ckpt = copy_of()
    _edit_json(ckpt / "config.json", **changes)
    with pytest.raises(InvalidConfigError):
        models.load(ckpt)


def test_flash_and_multi_head_in_every_layer_are_the_original(encoder):
    text = SENTENCES[1]
    original = encoder(text)
    for name, options in [("flash", {"block_size": 3}), ("multi_head", {}), ("scaled_dot", {})]:
        out = encoder.with_attention(name, **options)(text)
        for ours, theirs in zip(out.hidden_states, original.hidden_states, strict=True):
            np.testing.assert_allclose(ours, theirs, atol=1e-4, err_msg=name)
        for ours, theirs in zip(out.attentions, original.attentions, strict=True):
            np.testing.assert_allclose(ours, theirs, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("name", __import__("ruvector_attention").mechanisms())
def test_every_mechanism_swaps_into_a_layer(encoder, name):
    text = "The cat sat on the mat."
    swapped = encoder.with_attention(name, layers=[2])
    assert swapped.layers[0] is encoder.layers[0] and swapped.layers[2] is not encoder.layers[2]
    out = swapped(text)
    n = len(out.tokens)
    assert np.isfinite(out.embedding).all()
    np.testing.assert_allclose(np.linalg.norm(out.embedding), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(out.hidden_states[2], encoder(text).hidden_states[2])  # layers before it unchanged
    weights = out.attentions[2]
    assert weights.shape == (12, n, n) and np.isfinite(weights).all()
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-4)


def test_with_attention_checks_its_arguments(encoder):
    with pytest.raises(InvalidInputError):
        encoder.with_attention("flash", layers=[6])
    with pytest.raises(InvalidConfigError):
        encoder.with_attention("flash", block_size=0)
    with pytest.raises(UnknownMechanismError, match="no_such"):
        encoder.with_attention("no_such")


def test_swap_study_reports_every_mechanism_and_layer_set(encoder):
    results = models.swap_study(encoder, ["The cat sat.", "Dogs bark."], ["flash", "hyperbolic"], [[1], None])
    assert [(r.mechanism, r.layers) for r in results] == [
        ("original", "-"), ("flash", "1"), ("hyperbolic", "1"), ("flash", "all"), ("hyperbolic", "all")]
    flash = [r for r in results if r.mechanism == "flash"]
    assert all(r.min_cosine > 0.99999 for r in flash)
    assert all(-1 <= r.min_cosine <= r.mean_cosine <= 1 + 1e-9 and r.ms_per_sentence > 0 for r in results)
