#!/usr/bin/env bash
# Every test. Sets up what it needs (scripts/setup-js.sh: .venv with the test
# dependencies, npm packages, the wheel, the offline Pyodide distribution), then runs:
#   1. pytest on CPython: unit, oracle (torch, SciPy, formulas), property and doctests;
#   2. node --test: the Node facade against CPython, errors, pool, compat, leaks, types;
#   3. the same pytest suite inside Pyodide (torch tests skip there).
# Arguments go to both pytest runs. Exits non-zero if any part failed.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup-js.sh || exit 1

status=0
run() {
  echo "== $*"
  "$@" || status=1
}
run .venv/bin/python -m pytest "$@"
run node --test --test-concurrency=2 tests/node/
run node tests/pyodide/run.mjs "$@"
exit $status
