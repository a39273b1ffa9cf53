// Shared by the node test files: paths, the CPython reference outputs, tolerances.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PYTHON = `${ROOT}.venv/bin/python`;

/** Run tests/node/expected.py with the project's CPython. */
export function cpythonExpected() {
  const out = execFileSync(PYTHON, [`${ROOT}tests/node/expected.py`], { maxBuffer: 1 << 28 });
  return JSON.parse(out);
}

export const rowsOf = (matrix) => matrix.map((row) => Float32Array.from(row));
export const flat = (matrix) => Float32Array.from(matrix.flat());

export function assertClose(actual, expected, tolerance = 1e-5, label = '') {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= tolerance, `${label}: max |diff| ${worst} > ${tolerance}`);
}
