// The browser runtime against CPython, across 2 workers, with typed errors, with and
// without cross-origin isolation (the two projects of playwright.config.mjs).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const expected = JSON.parse(execFileSync(`${ROOT}.venv/bin/python`, [`${ROOT}tests/node/expected.py`], { maxBuffer: 1 << 28 }));

test('the runtime equals CPython for every mechanism, split over 2 workers', async ({ page }, testInfo) => {
  const requests = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.goto('/e2e/harness.html');
  const result = await page.evaluate(async (cases) => {
    const { createRuntime } = await import('/web/index.mjs');
    const phases = [];
    const rt = await createRuntime({ workers: 2, onProgress: (p) => phases.push(p.phase) });
    const snake = (k) => k.replace(/_(.)/g, (_, c) => c.toUpperCase());
    const worst = {};
    const maxDiff = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), a.length === b.length ? 0 : Infinity);
    for (const c of cases) {
      const config = Object.fromEntries(Object.entries(c.config).map(([k, v]) => [snake(k), v]));
      const attn = await rt.create(c.name, config);
      const rows = (m) => m.map((r) => Float32Array.from(r));
      worst[c.name] = Math.max(
        maxDiff(await attn.compute(Float32Array.from(c.queries[0]), rows(c.keys), rows(c.values)), c.compute),
        maxDiff(await attn.weights(Float32Array.from(c.queries[0]), rows(c.keys)), c.weights),
        maxDiff(await attn.computeBatch(rows(c.queries), rows(c.keys), rows(c.values)), c.computeBatch),
        maxDiff(await attn.computeBatch(rows(c.queries), rows(c.keys), rows(c.values), { causal: true }), c.computeBatchCausal),
        maxDiff(await attn.computeBatch(rows(c.queries), rows(c.keys), rows(c.values), { mask: c.mask }), c.computeBatchMasked),
        maxDiff(await attn.weightsBatch(rows(c.queries), rows(c.keys)), c.weightsBatch),
      );
      await attn.dispose();
    }
    const errors = {};
    const sdp = await rt.create('scaled_dot', { dim: 4 });
    for (const [label, run] of [
      ['dims', () => sdp.compute([1, 2, 3], [[1, 0, 0, 0]], [[1]])],
      ['nan', () => sdp.compute([NaN, 0, 0, 0], [[1, 0, 0, 0]], [[1]])],
      ['config', () => rt.create('multi_head', { dim: 10, numHeads: 3 })],
      ['name', () => rt.create('nope')],
    ]) {
      errors[label] = await run().then(() => null, (e) => ({ name: e.name, details: e.details }));
    }
    const isolated = globalThis.crossOriginIsolated;
    const shared = rt.sharedMemory;
    await rt.close();
    return { worst, errors, phases, isolated, shared, workers: 2 };
  }, expected.cases);

  for (const [name, diff] of Object.entries(result.worst)) expect(diff, name).toBeLessThanOrEqual(1e-5);
  expect(Object.keys(result.worst).sort()).toEqual(expected.mechanisms);
  expect(result.phases.filter((p) => p === 'compute').length).toBeGreaterThan(0); // batches were split
  expect(result.errors.dims).toEqual({ name: 'DimensionMismatchError', details: { expected: 4, actual: 3 } });
  expect(result.errors.nan.name).toBe('InvalidInputError');
  expect(result.errors.config.name).toBe('InvalidConfigError');
  expect(result.errors.name.name).toBe('UnknownMechanismError');
  const isolatedProject = testInfo.project.name === 'isolated';
  expect(result.isolated).toBe(isolatedProject);
  expect(result.shared).toBe(isolatedProject);
  expect(requests.filter((url) => !url.startsWith('http://127.0.0.1:'))).toEqual([]);
});

test('a worker that dies is replaced; only its in-flight request fails', async ({ page }) => {
  await page.goto('/e2e/harness.html');
  const result = await page.evaluate(async () => {
    const { createRuntime } = await import('/web/index.mjs');
    const rt = await createRuntime({ workers: 2 });
    const attn = await rt.create('scaled_dot', { dim: 64 });
    const keys = new Float32Array(20000 * 64).map((_, i) => Math.sin(i));
    const pending = [0, 1, 2, 3].map(() => attn.compute(keys.subarray(0, 64), keys, keys));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await rt._killWorker(0);
    const settled = await Promise.allSettled(pending);
    for (let i = 0; i < 100 && rt.workers < 2; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const later = await attn.compute(keys.subarray(0, 64), keys.subarray(0, 640), keys.subarray(0, 640));
    const workers = rt.workers;
    await rt.close();
    return { failed: settled.filter((s) => s.status === 'rejected').map((s) => s.reason.name), later: later.length, workers };
  });
  expect(result.failed.length).toBeGreaterThan(0);
  expect(result.failed.length).toBeLessThan(4);
  expect(new Set(result.failed)).toEqual(new Set(['WorkerCrashedError']));
  expect(result.later).toBe(64);
  expect(result.workers).toBe(2);
});
