#!/usr/bin/env bash
# Smoke tests from the artefacts alone, each installed in an empty place, running the
# README's quick starts there (after scripts/setup-js.sh --test):
#   1. the sdist and the wheel: `twine check`, a fresh venv each, the Python quick start
#      (scripts/smoke-python.sh);
#   2. the npm tarball (`npm pack`): an empty npm folder installs it, then the Node.js quick
#      start runs there; the browser quick start is written there as index.html (and as
#      no-import-map.html without its import map), for e2e/package.spec.mjs to open in
#      headless Chromium;
#   3. one version everywhere, and one wheel: the wheel in dist/, in the tarball's wheels/
#      and in the JupyterLite site's piplite index (what `%pip install` gets) are the same
#      bytes.
# Idempotent: an app folder is rebuilt only when the tarball changed.
set -euo pipefail
cd "$(dirname "$0")/.."
snippet() { .venv/bin/python scripts/readme_snippet.py "$@"; }

scripts/smoke-python.sh dist

echo "smoke: npm pack"
rm -f dist/ruvector-attention-py-*.tgz
tarball=$(npm pack --silent --pack-destination dist | tail -n 1)
tarball=$(realpath "dist/$tarball")
echo "smoke: $(basename "$tarball"): $(du -k "$tarball" | cut -f1) KiB, $(tar tzf "$tarball" | wc -l) files"
stray=$(tar tzf "$tarball" | grep -E '^package/(tests|bench|e2e|scripts|notebooks|pycore|dist|web/demo)/' || true)
if [ -n "$stray" ]; then
  echo "smoke: the tarball ships files it does not load:" >&2
  echo "$stray" >&2
  exit 1
fi

app=dist/smoke/npm
digest=$(sha256sum < "$tarball" | cut -d' ' -f1)
if [ ! -f "$app/.stamp" ] || [ "$(cat "$app/.stamp")" != "$digest" ]; then
  echo "smoke: installing the tarball in an empty npm folder"
  rm -rf "$app"
  mkdir -p "$app"
  (cd "$app" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error "$tarball")
  echo "$digest" > "$app/.stamp"
fi
snippet 'Quick start (Node.js)' js > "$app/quickstart.mjs"
snippet 'Quick start (browser)' html > "$app/index.html"
grep -v '"importmap"' "$app/index.html" > "$app/no-import-map.html"  # the default core path
out=$(cd "$app" && node quickstart.mjs)
grep -qx '64 512 1.000' <<< "$out" || { echo "smoke: unexpected output of the Node.js quick start:" >&2; echo "$out" >&2; exit 1; }
echo "smoke: the Node.js quick start runs from the installed tarball"

installed="$app/node_modules/ruvector-attention-py"
version=$(node -p "require('./package.json').version")
[ "$(node -p "require('./$installed/package.json').version")" = "$version" ]
wheel=dist/ruvector_attention_py-$version-py3-none-any.whl
for copy in "$installed/wheels/$(basename "$wheel")" "dist/lite/pypi/$(basename "$wheel")"; do
  cmp -s "$wheel" "$copy" || { echo "smoke: $copy differs from $wheel (or is missing)" >&2; exit 1; }
done
echo "smoke: one wheel ($version) in dist/, the npm package and the JupyterLite index"
