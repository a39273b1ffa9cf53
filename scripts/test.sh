#!/usr/bin/env bash
# Every test. Sets up what it needs (scripts/setup-js.sh: .venv with the test
# dependencies, npm packages, the wheel, the offline Pyodide distribution;
# scripts/build-lite.sh: the JupyterLite site; scripts/setup-e2e.sh: Debian's chromium),
# then runs:
#   1. pytest on CPython: unit, oracle (torch, SciPy, formulas), property and doctests;
#   2. node --test: the Node facade against CPython, errors, pool, compat, leaks, types;
#   3. the same pytest suite inside Pyodide (torch tests skip there), with the WebAssembly
#      SIMD kernels, then its kernel and mechanism tests again with their relaxed-SIMD build
#      and without them;
#   4. smoke tests from the artefacts (scripts/smoke.sh): the sdist, the wheel and the npm
#      tarball, each installed in an empty place, run the README's quick starts;
#   5. Playwright in headless Chromium: the browser runtime and the demo page, with and
#      without cross-origin isolation, the README's browser quick start from the installed
#      tarball, and a notebook run in JupyterLite (screenshots in dist/e2e-results).
# Arguments go to both pytest runs. Exits non-zero if any part failed.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup-js.sh --test || exit 1
scripts/build-lite.sh || exit 1
scripts/setup-e2e.sh || exit 1

status=0
passed=0
failed=0
run() {
  echo "== $*"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
}
run .venv/bin/python -m pytest "$@"
run node --test --test-concurrency=2 tests/node/
run node tests/pyodide/run.mjs --kernels=wasm --simd=simd128 "$@"
# the kernel and mechanism tests with the relaxed-SIMD build (fused multiply-adds)
run node tests/pyodide/run.mjs --kernels=wasm --simd=relaxed /project/tests/kernels /project/tests/attention \
  /project/tests/test_robustness.py /project/tests/test_key_partials.py "$@"
# again with the WebAssembly SIMD kernels off (NumPy in Pyodide), on the kernels and mechanisms
run node tests/pyodide/run.mjs --kernels=numpy /project/tests/kernels /project/tests/attention /project/tests/test_robustness.py "$@"
run scripts/smoke.sh
run node_modules/.bin/playwright test -c e2e/playwright.config.mjs
echo "suites: $passed passed, $failed failed"
exit $status
