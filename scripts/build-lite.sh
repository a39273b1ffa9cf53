#!/usr/bin/env bash
# Build the offline JupyterLite site in dist/lite: jupyterlite-core 0.5.1 + the Pyodide
# kernel 0.5.2 on our own Pyodide 0.27.7 distribution (with the packages the kernel
# loads at start), our wheel and comm in the piplite index, PyPI fallback disabled, and
# notebooks/ plus the demo model as its contents. Nothing is fetched at run time.
# Idempotent (a stamp of the inputs skips the build). Needs the wheel and the demo model of
# scripts/setup-js.sh. scripts/serve.mjs serves it at /lite/, without COOP/COEP (the kernel
# hangs under them).
set -euo pipefail
cd "$(dirname "$0")/.."
wheel=$(ls dist/ruvector_attention_py-*.whl 2>/dev/null) || { echo "run scripts/setup-js.sh first (it builds the wheel)" >&2; exit 1; }

model=dist/models/all-MiniLM-L6-v2.zip  # scripts/setup-model.sh; 05-real-model.ipynb fetches it
[ -f "$model" ] || { echo "run scripts/setup-js.sh first (it fetches $model)" >&2; exit 1; }
digest=$(cat requirements-lite.txt scripts/build-lite.sh "$wheel" notebooks/*.ipynb scripts/model.sha256 | sha256sum | cut -d' ' -f1)
if [ -f dist/lite/.stamp ] && [ "$(cat dist/lite/.stamp)" = "$digest" ]; then
  exit 0
fi

if [ ! -x .venv-lite/bin/jupyter ] || [ ! -f .venv-lite/.stamp ] || [ "$(cat .venv-lite/.stamp)" != "$(sha256sum < requirements-lite.txt)" ]; then
  echo "setup: .venv-lite for the JupyterLite build"
  python3 -m venv .venv-lite
  .venv-lite/bin/python -m pip install -q --disable-pip-version-check -r requirements-lite.txt
  sha256sum < requirements-lite.txt > .venv-lite/.stamp
fi

src=dist/jupyterlite-src  # not dist/lite-*: jupyterlite skips config files whose path starts with the output dir
rm -rf "$src" dist/lite
mkdir -p "$src/pypi" "$src/files"
# the kernel loads ssl, sqlite3, ipython (and jedi for completion) at start
.venv/bin/python scripts/assemble_pyodide.py "$src/static/pyodide" "$wheel" ssl sqlite3 ipython jedi
rm -f "$src/static/pyodide/.assembled"
.venv/bin/python -m pip download -q --disable-pip-version-check --no-deps -d "$src/pypi" comm==0.2.2
cp "$wheel" "$src/pypi/"
cp notebooks/*.ipynb "$model" "$src/files/"
cat > "$src/jupyter-lite.json" <<'JSON'
{
  "jupyter-lite-schema-version": 0,
  "jupyter-config-data": {
    "appName": "ruvector-attention notebooks",
    "exposeAppInBrowser": true,
    "litePluginSettings": {
      "@jupyterlite/pyodide-kernel-extension:kernel": { "disablePyPIFallback": true }
    }
  }
}
JSON
if ! (cd "$src" && ../../.venv-lite/bin/jupyter lite build --contents files --no-sourcemaps \
  --no-unused-shared-packages --apps lab --apps repl --apps notebooks --output-dir ../lite) > dist/lite-build.log 2>&1; then
  cat dist/lite-build.log >&2
  exit 1
fi
echo "$digest" > dist/lite/.stamp
echo "built dist/lite ($(du -sh dist/lite | cut -f1))"
