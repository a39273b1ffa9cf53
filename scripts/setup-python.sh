#!/usr/bin/env bash
# Create .venv and install the package (editable) plus, with --test, the test
# dependencies. Idempotent: a stamp of the inputs' hash skips pip when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($python --version)"
  "$python" -m venv .venv
fi

stamp_of() { cat pyproject.toml "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }

install() {  # install <stamp-name> <pip args...>
  local name=$1; shift
  local stamp=".venv/.stamp-$name" digest
  digest=$(stamp_of requirements-test.txt)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
    return
  fi
  echo "setup: pip install $*"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@"
  echo "$digest" > "$stamp"
}

install runtime -e . build==1.3.0  # build makes the wheel that Pyodide installs
if [ "$want_test" = 1 ]; then
  install test -r requirements-test.txt
fi
scripts/build-kernels.sh  # the WebAssembly kernels the wheel carries, before any wheel is built
