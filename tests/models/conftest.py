"""The shipped demo model (dist/models/all-MiniLM-L6-v2.zip, put there by
scripts/setup-model.sh) and its oracle, transformers, both CPython-only: on CPython a
missing model or transformers fails (it must run in CI); in Pyodide those tests skip."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.oracles import IN_PYODIDE

MODEL = Path(__file__).resolve().parents[2] / "dist" / "models" / "all-MiniLM-L6-v2.zip"
needs_model = pytest.mark.skipif(IN_PYODIDE, reason="the model and transformers are CPython-only here")


@pytest.fixture(scope="session")
def model_zip() -> Path:
    assert MODEL.is_file(), f"{MODEL} is missing: run scripts/setup-model.sh"
    return MODEL


@pytest.fixture(scope="session")
def model_dir(model_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("minilm")
    with zipfile.ZipFile(model_zip) as archive:
        archive.extractall(folder)
    return folder


@pytest.fixture(scope="session")
def encoder(model_zip: Path):
    from ruvector_attention import models

    return models.load(model_zip)


@pytest.fixture(scope="session")
def hf(model_dir: Path):
    """transformers' fast tokenizer and eager BertModel of the same checkpoint."""
    transformers = pytest.importorskip("transformers") if IN_PYODIDE else __import__("transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    model = transformers.BertModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    return tokenizer, model
