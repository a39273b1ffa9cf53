"""WordPiece against Hugging Face's fast tokenizer of the same tokenizer.json, and its
rules on a hand-made vocabulary (these run in Pyodide too)."""

from __future__ import annotations

import pytest

from ruvector_attention.errors import InvalidInputError
from ruvector_attention.models import WordPiece
from tests.models.conftest import needs_model

SENTENCES = [
    "The cat sat on the mat.",
    "Hello, world! (Isn't it?) \"quoted\"; a-b_c/d\\e@f#g$h%i^j&k*l+m=n<o>p|q~r`s",
    "Crème brûlée, naïve café, Ångström, São Paulo, Ελληνικά, ÉCOLE",
    "東京タワーと北京 中文字符",
    "snowman ☃, emoji 😀, math ∑∫, arrows → ←",
    "tabs\tnew\nlines\r\nand\u00a0no-break\u3000ideographic space\u2028sep",
    "controls\x00\x07\u200b\ufeff\ufffd removed",
    "x" * 101 + " " + "y" * 100,
    "unaffable antidisestablishmentarianism supercalifragilistic",
    "word",
    "",
    "   ",
    "İstanbul ΣΊΣΥΦΟΣ straße",
    "e\u0301 combining",
    "numbers 3.14159 1,000,000 2nd 10km",
    "special [MASK] and [SEP]inside, [unk] is not [UNK]",
]


@needs_model
@pytest.mark.parametrize("text", SENTENCES)
def test_tokens_equal_transformers(encoder, hf, text):
    tokenizer, _ = hf
    expected = tokenizer.convert_ids_to_tokens(tokenizer(text)["input_ids"])
    tokens = encoder.tokenizer.tokenize(text)
    assert tokens == expected
    assert encoder.tokenizer.ids(tokens) == tokenizer(text)["input_ids"]


VOCAB = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "a", "b", ",", "!", "##b", "中"])}


def test_rules_on_a_small_vocabulary():
    wp = WordPiece(VOCAB)
    assert wp.tokenize("Unaffable, A!") == ["[CLS]", "un", "##aff", "##able", ",", "a", "!", "[SEP]"]
    assert wp.tokenize("abb abx unx") == ["[CLS]", "a", "##b", "##b", "[UNK]", "[UNK]", "[SEP]"]  # no split: the whole word
    assert wp.tokenize("ab中b") == ["[CLS]", "a", "##b", "中", "b", "[SEP]"]  # CJK is a word of its own
    assert wp.tokenize("") == ["[CLS]", "[SEP]"]
    assert WordPiece(VOCAB, max_chars=3).tokenize("abbb") == ["[CLS]", "[UNK]", "[SEP]"]
    assert WordPiece(VOCAB, lowercase=False, strip_accents=False).tokenize("A") == ["[CLS]", "[UNK]", "[SEP]"]


def test_from_json_checks_its_input():
    spec = {"model": {"type": "WordPiece", "vocab": VOCAB}, "normalizer": {"lowercase": True, "strip_accents": None}}
    assert WordPiece.from_json(spec).strip_accents is True
    with pytest.raises(InvalidInputError, match="not WordPiece"):
        WordPiece.from_json({"model": {"type": "BPE", "vocab": {}}})
    with pytest.raises(InvalidInputError, match="not a BERT tokenizer"):
        WordPiece.from_json({"nothing": 1})
    with pytest.raises(InvalidInputError, match="lacks"):
        WordPiece.from_json({"model": {"type": "WordPiece", "vocab": {"a": 0}}})
    with pytest.raises(InvalidInputError, match="must be a str"):
        WordPiece(VOCAB).tokenize(b"bytes")
