#!/usr/bin/env bash
# The main job: set up, then run every mechanism on one input and print the table,
# and write a self-attention heatmap to weights.html.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh
.venv/bin/python -m ruvector_attention compare
.venv/bin/python -m ruvector_attention visualize --mechanism multi_head --out weights.html
