#!/usr/bin/env bash
# The main job: set everything up (Python venv, npm packages, our wheel, the offline
# Pyodide distribution, the JupyterLite site), then serve the in-browser demo on
# http://127.0.0.1:8000/ with COOP/COEP, and the notebooks at /lite/ without them.
# Ctrl-C stops it. PORT=8080 scripts/demo.sh picks another port.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-js.sh
scripts/build-lite.sh
exec node scripts/serve.mjs --port "${PORT:-8000}"
