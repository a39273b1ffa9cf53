"""A real model on CPython: all-MiniLM-L6-v2 (dist/models, from scripts/setup-model.sh)
through our encoder and through transformers' BertModel (eager attention) in one run.

    python bench/model.py [--repeat 20] [--json]

Prints the model load time and the median ms of one 32-token sentence through all six
layers (tokenizer included, attentions returned), ours and transformers', and their
ratio. Needs the test dependencies (torch==2.13.0, transformers).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import zipfile
from pathlib import Path
from tempfile import TemporaryDirectory

import torch
import transformers

from ruvector_attention import models

MODEL = Path(__file__).resolve().parent.parent / "dist" / "models" / "all-MiniLM-L6-v2.zip"
SENTENCE = ("Attention lets every token of a sentence look at every other token, and a model "
            "learns which ones matter for the meaning of the whole text, quickly.")  # 32 tokens


def seconds(fn) -> tuple[object, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def median_ms(fn, repeat: int) -> float:
    fn()
    times = sorted(seconds(fn)[1] for _ in range(repeat))
    return times[len(times) // 2] * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    encoder, ours_load = seconds(lambda: models.load(MODEL))
    with TemporaryDirectory() as folder:
        with zipfile.ZipFile(MODEL) as archive:
            archive.extractall(folder)
        start = time.perf_counter()
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
        model = transformers.BertModel.from_pretrained(folder, attn_implementation="eager").eval()
        theirs_load = time.perf_counter() - start
    tokens = len(encoder(SENTENCE).tokens)

    def theirs():
        with torch.no_grad():
            return model(**tokenizer(SENTENCE, return_tensors="pt"), output_attentions=True)

    ours_ms = median_ms(lambda: encoder(SENTENCE), args.repeat)
    theirs_ms = median_ms(theirs, args.repeat)
    result = {
        "python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
        "torch_threads": torch.get_num_threads(), "tokens": tokens,
        "load_s": {"ours": round(ours_load, 3), "transformers": round(theirs_load, 3)},
        "sentence_ms": {"ours": round(ours_ms, 2), "transformers": round(theirs_ms, 2)},
        "ratio_to_transformers": round(ours_ms / theirs_ms, 2),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"all-MiniLM-L6-v2, one {tokens}-token sentence through 6 layers (attentions returned); "
          f"Python {result['python']}, torch {result['torch']} ({result['torch_threads']} threads), "
          f"transformers {result['transformers']}")
    print(f"{'':14}{'load s':>8}{'sentence ms':>13}")
    print(f"{'ours':14}{ours_load:8.2f}{ours_ms:13.2f}")
    print(f"{'transformers':14}{theirs_load:8.2f}{theirs_ms:13.2f}")
    print(f"ratio ours / transformers: {result['ratio_to_transformers']}")


if __name__ == "__main__":
    main()
