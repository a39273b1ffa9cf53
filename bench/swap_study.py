"""The study of README's "Real models": each registry mechanism swapped into one layer of
all-MiniLM-L6-v2 and into all six, on 24 sentences; the cosine of each sentence embedding
to the original model's, and the time per sentence.

    python bench/swap_study.py [--layer 3] [--markdown]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import ruvector_attention as ra
from ruvector_attention import models

MODEL = Path(__file__).resolve().parent.parent / "dist" / "models" / "all-MiniLM-L6-v2.zip"
SENTENCES = [
    "The cat sat on the mat.", "A man is playing a guitar on stage.", "Two dogs run through the snow.",
    "The stock market fell sharply on Monday.", "She baked a chocolate cake for her brother.",
    "Quantum computers use qubits instead of bits.", "The train to Paris leaves at noon.",
    "He forgot his umbrella and got soaked.", "Photosynthesis turns sunlight into chemical energy.",
    "The children built a sandcastle at the beach.", "Inflation pushed interest rates higher.",
    "A violinist practised scales for hours.", "The museum reopened after the renovation.",
    "Heavy rain flooded the old bridge.", "The startup raised money for its new app.",
    "Bees pollinate many of the crops we eat.", "The referee stopped the match in the rain.",
    "Her novel was translated into twelve languages.", "The volcano erupted without warning.",
    "A recipe needs flour, eggs and butter.", "The telescope found a planet near a red dwarf.",
    "Traffic was slow because of the accident.", "The choir sang carols in the square.",
    "Solar panels covered the roof of the barn.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    encoder = models.load(MODEL)
    results = models.swap_study(encoder, SENTENCES, ra.mechanisms(), [[args.layer], None])
    header = ("mechanism", "layers", "mean cosine", "min cosine", "ms / sentence")
    rows = [(r.mechanism, r.layers, f"{r.mean_cosine:.4f}", f"{r.min_cosine:.4f}", f"{r.ms_per_sentence:.1f}") for r in results]
    if args.markdown:
        print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    for row in [header, *rows]:
        print(f"{row[0]:24}{row[1]:>8}{row[2]:>13}{row[3]:>12}{row[4]:>15}")


if __name__ == "__main__":
    main()
