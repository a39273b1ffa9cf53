#!/usr/bin/env bash
# Node side of the set-up: npm packages, our sdist and wheel (dist/), and wheels/, what
# the npm package ships for Pyodide: a lock naming numpy and our wheel, and those two
# wheels (the core is the npm `pyodide` dependency). With --test also the Python test
# dependencies and dist/pyodide-test, a Pyodide distribution with pytest, scipy and
# hypothesis for the in-Pyodide tests. Each of these has its own folder and stamp, so
# alternating the demo and the tests rebuilds nothing. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
test_mode=0
[ "${1:-}" = "--test" ] && test_mode=1
if [ "$test_mode" = 1 ]; then scripts/setup-python.sh --test; else scripts/setup-python.sh; fi

stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

npm_digest=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)
if ! stamp_ok node_modules/.stamp "$npm_digest"; then
  # npm install, not npm ci: npm 11's lock omits other platforms' optional packages of
  # @ruvector/attention, which npm ci then reports as missing
  echo "setup: npm install"
  npm install --no-audit --no-fund --loglevel=error
  echo "$npm_digest" > node_modules/.stamp
fi

# the package's files (not pycore/*.egg-info, which the editable install leaves there), through
# the visualizer/ link to web/visualizer (the modules ra.viz.explore inlines)
wheel_digest=$(find -L pycore/ruvector_attention -type f ! -name '*.pyc' -print0 | sort -z \
  | xargs -0 cat pyproject.toml README.md LICENSE CHANGELOG.md MANIFEST.in 2>/dev/null | sha256sum | cut -d' ' -f1)
if ! stamp_ok dist/.wheel-stamp "$wheel_digest" || ! ls dist/ruvector_attention_py-*.whl dist/ruvector_attention_py-*.tar.gz >/dev/null 2>&1; then
  echo "setup: building the sdist and the wheel (from the sdist)"
  rm -f dist/ruvector_attention_py-*
  .venv/bin/python -m build --outdir dist . >/dev/null
  rm -rf build pycore/*.egg-info
  echo "$wheel_digest" > dist/.wheel-stamp
fi
wheel=$(ls dist/ruvector_attention_py-*.whl)

.venv/bin/python scripts/assemble_pyodide.py --packages-only wheels "$wheel"
scripts/setup-model.sh  # dist/models/all-MiniLM-L6-v2.zip, the demo's and the tests' real model
[ "$test_mode" = 1 ] || exit 0
.venv/bin/python scripts/assemble_pyodide.py dist/pyodide-test "$wheel" pytest scipy attrs sortedcontainers

# hypothesis is not in Pyodide's lock and its newest wheels carry a native module: take
# the newest pure-Python release (py3-none-any), which runs in Pyodide as is
if ! ls dist/test-wheels/hypothesis-*-py3-none-any.whl >/dev/null 2>&1; then
  rm -rf dist/test-wheels
  .venv/bin/python -m pip download -q --no-deps --only-binary=:all: --platform any \
    --python-version 3.12 -d dist/test-wheels "hypothesis<=$(grep '^hypothesis==' requirements-test.txt | cut -d= -f3)"
fi
