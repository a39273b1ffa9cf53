// The WebAssembly SIMD kernels in Chromium: a module Web Worker boots Pyodide as the
// runtime's workers do (core from node_modules/pyodide, numpy and our wheel from wheels/),
// runs tests/node/kernels_case.py, reports the wasm backend (the relaxed-SIMD build) and
// equals CPython.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CASE = `${ROOT}tests/node/kernels_case.py`;
const cpython = JSON.parse(execFileSync(`${ROOT}.venv/bin/python`, ['-c', `import runpy; print(runpy.run_path(${JSON.stringify(CASE)})["RESULT"])`], { maxBuffer: 1 << 28 }));

const WORKER = `
self.onmessage = async ({ data: { origin, script } }) => {
  try {
    const { loadPyodide } = await import(origin + '/node_modules/pyodide/pyodide.mjs');
    const lock = await (await fetch(origin + '/wheels/pyodide-lock.json')).json();
    for (const entry of Object.values(lock.packages)) entry.file_name = origin + '/wheels/' + entry.file_name;
    const lockFileURL = URL.createObjectURL(new Blob([JSON.stringify(lock)], { type: 'application/json' }));
    const py = await loadPyodide({ indexURL: origin + '/node_modules/pyodide/', lockFileURL });
    await py.loadPackage('ruvector-attention-py');
    self.postMessage(py.runPython(script));
  } catch (err) {
    self.postMessage(JSON.stringify({ error: String(err) }));
  }
};`;

test('a browser worker computes with the wasm kernels and equals CPython', async ({ page }) => {
  await page.goto('/e2e/harness.html');
  const inWorker = JSON.parse(await page.evaluate(({ source, script }) => new Promise((resolve, reject) => {
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
    worker.onmessage = ({ data }) => { worker.terminate(); resolve(data); };
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage({ origin: location.origin, script });
  }), { source: WORKER, script: readFileSync(CASE, 'utf8') }));
  expect(inWorker.error).toBeUndefined();
  expect(inWorker.backend).toBe('wasm');
  expect(inWorker.simd, 'Chromium has relaxed SIMD since 114').toBe('relaxed');
  expect(cpython.backend).toBe('numpy');
  for (const name of ['scaled_dot', 'multi_head', 'flash']) {
    for (const key of [name, `${name}_weights`]) {
      expect(inWorker[key].length).toBe(cpython[key].length);
      const worst = inWorker[key].reduce((w, x, i) => Math.max(w, Math.abs(x - cpython[key][i]) - 1e-5 * Math.abs(cpython[key][i])), 0);
      expect(worst, key).toBeLessThanOrEqual(1e-6);
    }
  }
});
