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

/** Deterministic values in [-0.5, 0.5). */
export function random(n, seed) {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolve once `condition()` holds; fail after `timeoutMs`. */
export async function waitFor(condition, { timeoutMs = 120_000, label = 'condition' } = {}) {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) assert.fail(`${label} not reached in ${timeoutMs} ms`);
    await sleep(20);
  }
  return performance.now() - start;
}

/** The error `fn()` rejects with; fails if it throws synchronously or resolves. */
export async function rejection(fn, label = '') {
  let promise;
  try {
    promise = fn();
  } catch (err) {
    assert.fail(`${label}: threw synchronously ${err?.name}: ${err?.message}`);
  }
  assert.ok(promise instanceof Promise, `${label}: did not return a promise`);
  return promise.then(
    () => assert.fail(`${label}: resolved instead of rejecting`),
    (err) => err,
  );
}

/** Float64 softmax(scale · q kᵀ) v of one row, hidden keys skipped; zeros if none visible. */
export function referenceRow(q, k, v, n, d, dv, scale, visible) {
  const s = Array.from({ length: n }, (_, j) => {
    let t = 0;
    for (let p = 0; p < d; p++) t += q[p] * k[j * d + p];
    return visible(j) ? t * scale : -Infinity;
  });
  const mx = Math.max(...s);
  const out = new Float64Array(dv);
  if (mx === -Infinity) return { out, weights: new Float64Array(n), max: mx, total: 0 };
  const w = s.map((x) => Math.exp(x - mx));
  const total = w.reduce((a, b) => a + b, 0);
  for (let j = 0; j < n; j++) for (let c = 0; c < dv; c++) out[c] += (w[j] / total) * v[j * dv + c];
  return { out, weights: Float64Array.from(w, (x) => x / total), max: mx, total };
}
