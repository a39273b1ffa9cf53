"""BERT's WordPiece tokenizer from a ``tokenizer.json``, in the standard library alone.

The steps of Hugging Face's ``BertNormalizer``, ``BertPreTokenizer``, ``WordPiece`` model
and ``[CLS] A [SEP]`` template:

1. clean: drop NUL, U+FFFD and "other" characters (Cc, Cf, Cs, Co, Cn; but tab, newline
   and return become spaces), every other white space becomes a space;
2. put spaces around CJK ideographs; strip accents (NFD, drop Mn) and lower-case each
   character (Σ is σ even at the end of a word);
3. split on white space, and every punctuation character (ASCII punctuation or Unicode
   P*) becomes a word of its own;
4. each word becomes its longest-first vocabulary pieces, continuations prefixed ``##``;
   a word with no such split, or longer than ``max_input_chars_per_word``, is ``[UNK]``.

Special tokens written in the text (``[MASK]``, ``[SEP]``, ...: the ``added_tokens``) are
taken whole, before any of this, as Hugging Face does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInputError

__all__ = ["WordPiece"]

# Unicode White_Space (Rust's char::is_whitespace), which BERT's normalizer uses
_WHITE_SPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_CJK = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _CJK)


def _is_punctuation(ch: str) -> bool:
    return (ch.isascii() and not ch.isalnum() and 33 <= ord(ch) <= 126) or unicodedata.category(ch).startswith("P")


def _clean(text: str) -> Iterator[str]:
    for ch in text:
        if ch in "\t\n\r":
            yield " "
        elif ch == "\0" or ch == "\ufffd" or unicodedata.category(ch).startswith("C"):
            continue
        elif ch in _WHITE_SPACE:
            yield " "
        elif _is_cjk(ch):
            yield f" {ch} "
        else:
            yield ch


@dataclass(frozen=True)
class WordPiece:
    """A BERT tokenizer: ``tokenize(text)`` gives the pieces with ``[CLS]`` and ``[SEP]``."""

    vocab: dict[str, int]
    unk_token: str = "[UNK]"
    cls_token: str = "[CLS]"
    sep_token: str = "[SEP]"
    prefix: str = "##"
    max_chars: int = 100
    lowercase: bool = True
    strip_accents: bool = True
    special: frozenset[str] = frozenset()

    @classmethod
    def from_json(cls, spec: Any, name: str = "tokenizer.json") -> WordPiece:
        """From the parsed ``tokenizer.json`` of a BERT checkpoint."""
        try:
            model, normalizer = spec["model"], spec.get("normalizer") or {}
            if model["type"] != "WordPiece":
                raise InvalidInputError(f"{name}: model type {model['type']!r}, not WordPiece")
            vocab = {str(piece): int(i) for piece, i in model["vocab"].items()}
            special = frozenset(
                str(t["content"]) for t in spec.get("added_tokens") or [] if t.get("special") and t["content"] in vocab
            )
            lowercase = bool(normalizer.get("lowercase", True))
            accents = normalizer.get("strip_accents")
            tokenizer = cls(
                vocab,
                unk_token=str(model.get("unk_token", "[UNK]")),
                prefix=str(model.get("continuing_subword_prefix", "##")),
                max_chars=int(model.get("max_input_chars_per_word", 100)),
                lowercase=lowercase,
                strip_accents=lowercase if accents is None else bool(accents),
                special=special,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise InvalidInputError(f"{name}: not a BERT tokenizer ({err!r})") from None
        missing = [t for t in (tokenizer.unk_token, tokenizer.cls_token, tokenizer.sep_token) if t not in vocab]
        if missing:
            raise InvalidInputError(f"{name}: the vocabulary lacks {', '.join(missing)}")
        return tokenizer

    def normalize(self, text: str) -> str:
        text = "".join(_clean(text))
        if self.strip_accents:
            text = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")
        # character by character, as Rust's char::to_lowercase: no final-sigma context
        return "".join(ch.lower() for ch in text) if self.lowercase else text

    @staticmethod
    def words(text: str) -> list[str]:
        """Split on white space; each punctuation character is a word of its own."""
        words: list[str] = []
        current: list[str] = []
        for ch in text:
            if ch in _WHITE_SPACE or _is_punctuation(ch):
                if current:
                    words.append("".join(current))
                    current = []
                if ch not in _WHITE_SPACE:
                    words.append(ch)
            else:
                current.append(ch)
        if current:
            words.append("".join(current))
        return words

    def pieces(self, word: str) -> list[str]:
        """Longest-first vocabulary pieces of one word, or ``[unk_token]``."""
        if len(word) > self.max_chars:
            return [self.unk_token]
        pieces, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                if piece in self.vocab:
                    pieces.append(piece)
                    start = end
                    break
            else:
                return [self.unk_token]
        return pieces

    def tokenize(self, text: str) -> list[str]:
        if not isinstance(text, str):
            raise InvalidInputError(f"text must be a str, got {type(text).__name__}")
        pieces = []
        for i, part in enumerate(self._split_special(text)):
            if i % 2:
                pieces.append(part)  # a special token, whole
            else:
                pieces += [piece for word in self.words(self.normalize(part)) for piece in self.pieces(word)]
        return [self.cls_token, *pieces, self.sep_token]

    def _split_special(self, text: str) -> list[str]:
        """``text`` split around special tokens: text, token, text, token, ..., text."""
        if not self.special:
            return [text]
        longest_first = sorted(self.special, key=len, reverse=True)
        return re.split("(" + "|".join(map(re.escape, longest_first)) + ")", text)

    def ids(self, tokens: list[str]) -> list[int]:
        return [self.vocab[token] for token in tokens]
