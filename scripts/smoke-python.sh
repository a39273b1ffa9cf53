#!/usr/bin/env bash
# Smoke-test the built Python artefacts outside the source tree:
#
#   scripts/smoke-python.sh DIST
#
# DIST holds exactly one ruvector_attention_py-*.tar.gz and one
# ruvector_attention_py-*-py3-none-any.whl (python -m build --outdir DIST). Checks both
# with `twine check --strict` (twine of .venv, see requirements-test.txt), then installs
# each into its own venv under DIST/smoke/ (pip pulls numpy, and for the sdist setuptools,
# from the package index) and, with that venv's python in an empty temporary directory,
# PYTHONPATH unset and isolated mode (-I), so the source tree cannot be imported: checks
# the package comes from the venv with py.typed and the license, runs the README's
# "Quick start (Python)" block, `python -m ruvector_attention info` and the console
# script. A venv is reused while its artefact's sha256 (and the base python) is unchanged,
# so a second run installs nothing. One line per check; exit 1 at the first failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
me=smoke-python

die() { echo "$me: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: scripts/smoke-python.sh DIST"
[ -d "$1" ] || die "$1 is not a directory"
dist=$(cd "$1" && pwd)

shopt -s nullglob
sdists=("$dist"/ruvector_attention_py-*.tar.gz)
wheels=("$dist"/ruvector_attention_py-*-py3-none-any.whl)
shopt -u nullglob
[ ${#sdists[@]} -eq 1 ] || die "want exactly one ruvector_attention_py-*.tar.gz in $dist, found ${#sdists[@]}"
[ ${#wheels[@]} -eq 1 ] || die "want exactly one ruvector_attention_py-*-py3-none-any.whl in $dist, found ${#wheels[@]}"
sdist=${sdists[0]}
wheel=${wheels[0]}

version=$(basename "$sdist" .tar.gz)
version=${version#ruvector_attention_py-}
wheel_version=$(basename "$wheel")
wheel_version=${wheel_version#ruvector_attention_py-}
wheel_version=${wheel_version%%-*}
[ "$version" = "$wheel_version" ] || die "sdist version $version != wheel version $wheel_version"

tool_python=$root/.venv/bin/python
[ -x "$tool_python" ] || die "no $tool_python: run scripts/setup-python.sh --test"
"$tool_python" -c "import twine" 2>/dev/null \
  || die "twine is not installed in .venv: run scripts/setup-python.sh --test"
base_python=${PYTHON:-python3}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# check LABEL COMMAND...: run it, print one "ok" line, or its output and exit 1.
check() {
  local label=$1; shift
  if "$@" >"$work/log" 2>&1; then
    echo "$me: ok    $label"
  else
    echo "$me: FAIL  $label" >&2
    sed 's/^/    /' "$work/log" >&2
    exit 1
  fi
}

check "twine check --strict $(basename "$sdist")" "$tool_python" -m twine check --strict "$sdist"
check "twine check --strict $(basename "$wheel")" "$tool_python" -m twine check --strict "$wheel"

"$tool_python" "$root/scripts/readme_snippet.py" "Quick start (Python)" python \
  >"$work/quickstart.py" || die "no Python quick start in README.md"

cat >"$work/where.py" <<'EOF'
"""The package must come from this venv, typed, with its license and the right version."""
import importlib.metadata
import sys
from pathlib import Path

import ruvector_attention

want = sys.argv[1]
venv = Path(sys.prefix).resolve()
package = Path(ruvector_attention.__file__).resolve().parent
assert package.is_relative_to(venv), f"imported from {package}, not from the venv {venv}"
assert (package / "py.typed").is_file(), f"no py.typed in {package}"
assert ruvector_attention.__version__ == want, f"__version__ {ruvector_attention.__version__}"
meta = importlib.metadata.distribution("ruvector-attention-py")
assert meta.version == want, f"installed metadata version {meta.version}, artefact {want}"
licenses = [f for f in meta.files or () if f.name == "LICENSE"]
assert licenses and "MIT License" in licenses[0].read_text(), "no installed LICENSE"
print(package)
EOF

# run COMMAND...: in the empty directory, without PYTHONPATH.
run() { (cd "$work/empty" && exec env -u PYTHONPATH "$@"); }

# venv_for KIND ARTEFACT: a venv under DIST/smoke/ with ARTEFACT installed, reused while
# the artefact's sha256, its own path and the base python are those it was made with.
venv_for() {
  local kind=$1 artefact=$2 venv=$dist/smoke/$1 digest
  digest="$(sha256sum "$artefact" | cut -d' ' -f1) $venv $("$base_python" -c 'import sys; print(sys.version.split()[0], sys.executable)')"
  if [ -f "$venv/.artefact" ] && [ "$(cat "$venv/.artefact")" = "$digest" ] \
    && "$venv/bin/python" -c "" 2>/dev/null; then
    echo "$me: ok    $kind: venv $venv reused (same artefact sha256)"
    return
  fi
  rm -rf "$venv"
  mkdir -p "$dist/smoke"
  check "$kind: fresh venv $venv" "$base_python" -m venv "$venv"
  check "$kind: pip install $(basename "$artefact")" \
    run "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$artefact"
  echo "$digest" >"$venv/.artefact"
}

for kind in wheel sdist; do
  if [ $kind = wheel ]; then artefact=$wheel; else artefact=$sdist; fi
  rm -rf "$work/empty"
  mkdir "$work/empty"
  venv_for $kind "$artefact"
  py=$dist/smoke/$kind/bin/python
  # -I: no PYTHONPATH, no user site, no script or current directory on sys.path.
  check "$kind: ruvector_attention $version imported from the venv, py.typed and LICENSE installed" \
    run "$py" -I "$work/where.py" "$version"
  check "$kind: README quick start (Python) runs" run "$py" -I "$work/quickstart.py"
  check "$kind: python -m ruvector_attention info" run "$py" -I -m ruvector_attention info
  check "$kind: console script ruvector-attention info" \
    run "$dist/smoke/$kind/bin/ruvector-attention" info
  [ -z "$(ls -A "$work/empty")" ] || die "$kind: the checks left files in their directory"
done
echo "$me: all checks passed for $(basename "$sdist") and $(basename "$wheel")"
