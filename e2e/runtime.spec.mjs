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
  // the workers' lock is a blob: URL of this origin
  expect(requests.filter((url) => !url.replace(/^blob:/, '').startsWith('http://127.0.0.1:'))).toEqual([]);
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

test('input JavaScript cannot send rejects with typed errors, never synchronously', async ({ page }) => {
  await page.goto('/e2e/harness.html');
  const result = await page.evaluate(async () => {
    const { createRuntime, AttentionError } = await import('/web/index.mjs');
    const rt = await createRuntime({ workers: 1 });
    const attn = await rt.create('scaled_dot', { dim: 4 });
    const q = [0.1, 0.2, 0.3, 0.4];
    const k = [[1, 0, 0, 0], [0, 1, 0, 0]];
    const v = [[1], [2]];
    const detached = new Float32Array(4);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    const cyclic = { dim: 4 };
    cyclic.self = cyclic;
    const cases = {
      'detached query': () => attn.compute(detached, k, v),
      'BigInt64Array keys': () => attn.weights(q, new BigInt64Array(8)),
      'null row': () => attn.computeBatch([q, null], k, v),
      'ragged rows': () => attn.weightsBatch([q, [1, 2]], k),
      'NaN query': () => attn.compute([NaN, 0, 0, 0], k, v),
      'mask string': () => attn.compute(q, k, v, { mask: 'yes' }),
      'causal string': () => attn.computeBatch([q], k, v, { causal: 'false' }),
      'extras function': () => attn.headWeightsBatch([q], k, { extras: { f() {} } }),
      'unknown option': () => attn.computeBatch([q], k, v, { casual: true }),
      'config null': () => rt.create('scaled_dot', null),
      'config function': () => rt.create('scaled_dot', { dim: 4, f() {} }),
      'config Symbol': () => rt.create('scaled_dot', { dim: Symbol('4') }),
      'config BigInt': () => rt.create('scaled_dot', { dim: 4n }),
      'config cycle': () => rt.create('scaled_dot', cyclic),
      'describe without dim': () => rt.describe('flash'),
      'upload detached': () => rt.upload(detached, { rows: 1 }),
      'signal not a signal': () => attn.compute(q, k, v, { signal: 'stop' }),
      'createRuntime workers 0': () => createRuntime({ workers: 0 }),
    };
    const errors = {};
    for (const [label, run] of Object.entries(cases)) {
      try {
        const promise = run();
        errors[label] = await promise.then(() => 'resolved', (e) => (e instanceof AttentionError ? e.name : `untyped ${e?.name}`));
      } catch (e) {
        errors[label] = `threw synchronously ${e?.name}`;
      }
    }
    const after = Array.from(await attn.compute(q, k, v));
    const workers = rt.workers;
    await rt.close();
    return { errors, after, workers };
  });
  expect(result.errors).toEqual({
    'detached query': 'InvalidInputError',
    'BigInt64Array keys': 'InvalidInputError',
    'null row': 'InvalidInputError',
    'ragged rows': 'DimensionMismatchError',
    'NaN query': 'InvalidInputError',
    'mask string': 'InvalidInputError',
    'causal string': 'InvalidInputError',
    'extras function': 'InvalidInputError',
    'unknown option': 'InvalidConfigError',
    'config null': 'InvalidConfigError',
    'config function': 'InvalidConfigError',
    'config Symbol': 'InvalidConfigError',
    'config BigInt': 'InvalidConfigError',
    'config cycle': 'InvalidConfigError',
    'describe without dim': 'InvalidConfigError',
    'upload detached': 'InvalidInputError',
    'signal not a signal': 'InvalidInputError',
    'createRuntime workers 0': 'InvalidConfigError',
  });
  expect(result.after).toHaveLength(1);
  expect(result.workers).toBe(1);
});

test('aborting or timing out a running call replaces its worker; what was made before still works', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/e2e/harness.html');
  const result = await page.evaluate(async () => {
    const { createRuntime } = await import('/web/index.mjs');
    const rt = await createRuntime({ workers: 1 });
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const waitRunning = async () => {
      while (rt._stats.running === 0) await sleep(20);
      await sleep(300);
      return rt._stats.running;
    };
    const mh = await rt.create('multi_head', { dim: 16, numHeads: 4, seed: 7 });
    const rows = (n, seed) => Array.from({ length: n }, (_, i) => Float32Array.from({ length: 16 }, (_, j) => Math.sin(seed + i * 16 + j)));
    const K = await rt.upload(rows(30, 1));
    const V = await rt.upload(rows(30, 2));
    const query = rows(1, 3)[0];
    const before = Array.from(await mh.compute(query, K, V));
    // about a second of work in the worker, even with the WebAssembly SIMD kernels
    const big = await rt.create('scaled_dot', { dim: 128 });
    const queries = new Float32Array(8192 * 128).map((_, i) => Math.sin(i));
    const keys = new Float32Array(4096 * 128).map((_, i) => Math.cos(i));
    const controller = new AbortController();
    const stuck = big.computeBatch(queries, keys, keys, { signal: controller.signal });
    const runningAtAbort = await waitRunning();
    const queued = mh.compute(query, K, V); // waits behind it on the only worker
    const start = performance.now();
    controller.abort();
    const aborted = await stuck.then(() => 'resolved', (e) => e.name);
    const rejectMs = performance.now() - start;
    const afterAbort = Array.from(await queued); // on the replacement worker
    const timedOut = await big.computeBatch(queries, keys, keys, { timeoutMs: 100 }).then(() => 'resolved', (e) => e.name);
    const afterTimeout = Array.from(await mh.compute(query, K, V));
    const workers = rt.workers;
    await rt.close();
    return { runningAtAbort, aborted, rejectMs, before, afterAbort, timedOut, afterTimeout, workers };
  });
  expect(result.runningAtAbort).toBe(1);
  expect(result.aborted).toBe('AbortError');
  expect(result.rejectMs).toBeLessThan(200);
  expect(result.afterAbort).toEqual(result.before);
  expect(result.timedOut).toBe('TimeoutError');
  expect(result.afterTimeout).toEqual(result.before);
  expect(result.workers).toBe(1);
});

test('a real model: all-MiniLM-L6-v2 loaded by URL in both workers, as in Node', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/e2e/harness.html');
  const result = await page.evaluate(async () => {
    const { createRuntime } = await import('/web/index.mjs');
    const rt = await createRuntime({ workers: 2 });
    const model = await rt.loadModel('/models/all-MiniLM-L6-v2.zip');
    const texts = ['A man is eating food.', 'A man eats a meal.'];
    const [a, b] = await Promise.all(texts.map((text) => model.encode(text))); // one per worker
    const swapped = await model.encode(texts[0], { mechanism: 'flash', layers: [0, 5] });
    const dot = (x, y) => x.reduce((sum, v, i) => sum + v * y[i], 0);
    const bad = await model.encode(7).catch((err) => err.name);
    await rt.close();
    return {
      info: model.info, tokens: a.tokens, size: a.attentions.length,
      norm: Math.sqrt(dot(a.embedding, a.embedding)), similar: dot(a.embedding, b.embedding),
      flash: dot(a.embedding, swapped.embedding), bad,
    };
  });
  expect(result.info.layers).toBe(6);
  expect(result.tokens).toEqual(['[CLS]', 'a', 'man', 'is', 'eating', 'food', '.', '[SEP]']);
  expect(result.size).toBe(6 * 12 * 8 * 8);
  expect(result.norm).toBeCloseTo(1, 5);
  expect(result.similar).toBeGreaterThan(0.8);
  expect(result.flash).toBeGreaterThan(0.99999);
  expect(result.bad).toBe('InvalidInputError');
});
