#!/usr/bin/env bash
# Compile wasm/*.c into pycore/ruvector_attention/kernels/attention.wasm, the WebAssembly
# SIMD (simd128) kernels the wheel carries for Pyodide, and again with relaxed SIMD into
# attention-relaxed.wasm (fused multiply-adds; kernels/wasm.py loads it only where the
# engine validates relaxed SIMD): each an Emscripten side module
# (position-independent code linked `-shared`, with a `dylink.0` section), which Pyodide's
# dynamic linker loads into its own memory. The compiler and linker are PyPI's `ziglang`
# (requirements-build.txt: `zig cc`, `zig wasm-ld`), installed into .venv. Idempotent: a
# stamp of the sources' and the toolchain's hash skips both the install and the compile.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { echo "build-kernels: run scripts/setup-python.sh first" >&2; exit 1; }

kernels=pycore/ruvector_attention/kernels
tool_digest=$(sha256sum requirements-build.txt | cut -d' ' -f1)
if [ ! -f .venv/.stamp-build ] || [ "$(cat .venv/.stamp-build)" != "$tool_digest" ]; then
  echo "build-kernels: pip install -r requirements-build.txt"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-build.txt
  echo "$tool_digest" > .venv/.stamp-build
fi

digest=$(cat requirements-build.txt scripts/build-kernels.sh wasm/*.c | sha256sum | cut -d' ' -f1)
stamp=wasm/.build-stamp
if [ -f "$kernels/attention.wasm" ] && [ -f "$kernels/attention-relaxed.wasm" ] && [ -f "$stamp" ] &&
  [ "$(cat "$stamp")" = "$digest" ]; then
  exit 0
fi
objects=$(mktemp -d)
trap 'rm -rf "$objects"' EXIT
# build <module> <cc flags...>: compile every source with the flags and link them
build() {
  local out=$kernels/$1 source
  shift
  echo "build-kernels: compiling $out"
  rm -f "$objects"/*.o
  for source in wasm/*.c; do
    .venv/bin/python -m ziglang cc --target=wasm32-freestanding -O3 -fPIC -nostdlib "$@" \
      -c -o "$objects/$(basename "$source" .c).o" "$source"
  done
  .venv/bin/python -m ziglang wasm-ld --experimental-pic -shared -o "$out.tmp" "$objects"/*.o
  mv "$out.tmp" "$out"
}
build attention.wasm -msimd128
build attention-relaxed.wasm -msimd128 -mrelaxed-simd
echo "$digest" > "$stamp"
