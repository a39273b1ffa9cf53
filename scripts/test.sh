#!/usr/bin/env bash
# Every test: sets up what it needs, then runs the Python suite (unit, oracle,
# property and doctests). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh --test
.venv/bin/python -m pytest "$@"
