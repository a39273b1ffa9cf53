// A pool that is never stuck (API.md §5): cancellation, time limits and recycling, with
// real stuck requests (seconds of NumPy work in a worker, still running when stopped).
// A stopped request rejects at once with AbortError / TimeoutError; only its worker is
// replaced; mechanisms and uploads made before work on the replacement; requests queued
// behind it are answered, not lost.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as facade from '../../node/index.mjs';
import { random, rejection, sleep, waitFor } from './helpers.mjs';

const { createRuntime } = facade;
const DIM = 128;

// Many seconds in Pyodide (no BLAS): scaled_dot over 8192 x 4096 x 128 (split across the
// workers), and moe over 4096 x 4096 x 128 (never split: it keeps one worker busy).
const BIG = {
  queries: random(8192 * DIM, 1), keys: random(4096 * DIM, 2), values: random(4096 * DIM, 3),
};

/** Start `call()`; resolves to { pending } (its promise) once `count` more requests are running. */
async function running(rt, call, count = 1) {
  const before = rt._stats.running;
  const pending = call();
  pending.catch(() => {}); // examined by the test
  await waitFor(() => rt._stats.running >= before + count, { label: 'the request running' });
  await sleep(300); // it has reached Python and is computing
  assert.ok(rt._stats.running >= before + count, 'the stuck request is still running');
  return { pending };
}

function assertStopped(err, name) {
  assert.equal(err.name, name);
  assert.ok(err instanceof facade[name] && err instanceof facade.AttentionError && err instanceof Error);
}

describe('abort (one worker)', () => {
  let rt;
  const phases = [];
  before(async () => {
    rt = await createRuntime({ workers: 1, onProgress: (p) => phases.push(p.phase) });
  });
  after(() => rt?.close());

  it('an aborted signal rejects every method at once, without a worker', async () => {
    const attn = await rt.create('scaled_dot', { dim: 4 });
    const reason = new Error('changed my mind');
    const signal = AbortSignal.abort(reason);
    const q = [1, 0, 0, 0];
    const k = [[1, 0, 0, 0]];
    const calls = {
      compute: () => attn.compute(q, k, [[1]], { signal }),
      weights: () => attn.weights(q, k, { signal }),
      computeBatch: () => attn.computeBatch([q], k, [[1]], { signal }),
      weightsBatch: () => attn.weightsBatch([q], k, { signal }),
      headWeightsBatch: () => attn.headWeightsBatch([q], k, { signal }),
      create: () => rt.create('scaled_dot', { dim: 4 }, { signal }),
      upload: () => rt.upload(k, { signal }),
      describe: () => rt.describe('flash', { dim: 4, signal }),
    };
    for (const [label, call] of Object.entries(calls)) {
      const err = await rejection(call, label);
      assertStopped(err, 'AbortError');
      assert.equal(err.cause, reason, label);
    }
    assert.deepEqual(rt._stats, { workers: 1, booting: 0, queued: 0, running: 0, registered: 1 });
  });

  it('a running request rejects at once; queued requests run on the replacement, with the mechanisms and uploads made before', async (t) => {
    const mh = await rt.create('multi_head', { dim: 16, numHeads: 4, seed: 7 });
    const big = await rt.create('scaled_dot', { dim: DIM });
    const keys = random(30 * 16, 4);
    const values = random(30 * 16, 5); // multi_head: values have dim columns
    const query = random(16, 6);
    const [K, V] = [await rt.upload(keys, { rows: 30 }), await rt.upload(values, { rows: 30 })];
    const expected = await mh.compute(query, keys, values);
    assert.deepEqual(await mh.compute(query, K, V), expected);

    const controller = new AbortController();
    const { pending: stuck } = await running(rt, () => big.computeBatch(BIG.queries, BIG.keys, BIG.values, { signal: controller.signal }));
    const queued = [1, 2, 3].map(() => mh.compute(query, K, V)); // behind it on the only worker
    assert.equal(rt._stats.queued, 3);
    const start = performance.now();
    controller.abort();
    const err = await stuck.catch((e) => e);
    const rejectMs = performance.now() - start;
    assertStopped(err, 'AbortError');
    assert.ok(rejectMs < 200, `rejected ${rejectMs} ms after abort`);
    assert.equal(rt.workers, 0); // terminated; its replacement boots

    const answers = await Promise.all(queued);
    const recoverMs = performance.now() - start;
    answers.forEach((answer) => assert.deepEqual(answer, expected)); // same seed, same parameters
    assert.equal(rt.workers, 1);
    assert.ok(phases.includes('restart:wheel'));
    assert.deepEqual(await big.computeBatch(BIG.queries.subarray(0, 2 * DIM), BIG.keys.subarray(0, 8 * DIM), BIG.values.subarray(0, 8 * DIM)),
      await big.computeBatch(BIG.queries.subarray(0, 2 * DIM), BIG.keys.subarray(0, 8 * DIM), BIG.values.subarray(0, 8 * DIM)));
    t.diagnostic(`AbortError ${rejectMs.toFixed(1)} ms after abort(); queued requests answered by the replacement ${recoverMs.toFixed(0)} ms after abort()`);
  });

  it('a queued request that is aborted leaves without stopping the running one', async () => {
    const attn = await rt.create('scaled_dot', { dim: 4 });
    const expected = await attn.compute([1, 0, 0, 0], [[1, 0, 0, 0], [0, 1, 0, 0]], [[1], [2]]);
    const controller = new AbortController();
    const first = attn.compute([1, 0, 0, 0], [[1, 0, 0, 0], [0, 1, 0, 0]], [[1], [2]]);
    const second = attn.compute([1, 0, 0, 0], [[1, 0, 0, 0], [0, 1, 0, 0]], [[1], [2]], { signal: controller.signal });
    controller.abort();
    assertStopped(await second.catch((e) => e), 'AbortError');
    assert.deepEqual(await first, expected);
    assert.equal(rt.workers, 1); // nothing was replaced
  });
});

describe('time limits (two workers)', () => {
  let rt;
  before(async () => {
    rt = await createRuntime({ workers: 2, requestTimeoutMs: 3000 });
  });
  after(() => rt?.close());

  it('requestTimeoutMs stops a stuck request with TimeoutError; the other worker answers meanwhile', async (t) => {
    const moe = await rt.create('moe', { dim: DIM });
    const small = await rt.create('scaled_dot', { dim: 4 });
    const args = [[1, 0, 0, 0], [[1, 0, 0, 0], [0, 1, 0, 0]], [[1], [2]]];
    const expected = await small.compute(...args);
    const start = performance.now();
    const { pending: stuck } = await running(rt, () => moe.computeBatch(BIG.queries.subarray(0, 4096 * DIM), BIG.keys, BIG.values));
    const during = await Promise.all(Array.from({ length: 20 }, () => small.compute(...args)));
    during.forEach((out) => assert.deepEqual(out, expected));
    assert.equal(rt._stats.running, 1); // only the stuck one
    const err = await stuck.catch((e) => e);
    const elapsed = performance.now() - start;
    assertStopped(err, 'TimeoutError');
    assert.equal(err.details.timeoutMs, 3000);
    assert.ok(elapsed >= 2900 && elapsed < 3000 + 1000, `TimeoutError after ${elapsed} ms`);
    const recovered = await waitFor(() => rt.workers === 2, { label: 'a replacement worker' });
    assert.deepEqual(await moe.computeBatch(BIG.queries.subarray(0, 4 * DIM), BIG.keys.subarray(0, 8 * DIM), BIG.values.subarray(0, 8 * DIM)),
      await moe.computeBatch(BIG.queries.subarray(0, 4 * DIM), BIG.keys.subarray(0, 8 * DIM), BIG.values.subarray(0, 8 * DIM)));
    t.diagnostic(`TimeoutError after ${elapsed.toFixed(0)} ms (limit 3000); 20 calls answered meanwhile; pool back to 2 workers ${recovered.toFixed(0)} ms later`);
  });

  it('a per-call timeoutMs overrides it, and AbortSignal.timeout() gives a TimeoutError too', async () => {
    const moe = await rt.create('moe', { dim: DIM });
    const q = BIG.queries.subarray(0, 4096 * DIM);
    let err = await rejection(() => moe.computeBatch(q, BIG.keys, BIG.values, { timeoutMs: 400 }));
    assertStopped(err, 'TimeoutError');
    assert.equal(err.details.timeoutMs, 400);
    await waitFor(() => rt.workers === 2, { label: 'a replacement worker' });
    err = await rejection(() => moe.computeBatch(q, BIG.keys, BIG.values, { signal: AbortSignal.timeout(400) }));
    assertStopped(err, 'TimeoutError');
    assert.equal(err.cause?.name, 'TimeoutError'); // the signal's reason
    await waitFor(() => rt.workers === 2, { label: 'a replacement worker' });
  });

  it('aborting a batch split over both workers stops both parts and rejects once', async () => {
    const attn = await rt.create('scaled_dot', { dim: DIM });
    const controller = new AbortController();
    const { pending: stuck } = await running(rt, () => attn.computeBatch(BIG.queries, BIG.keys, BIG.values, { signal: controller.signal }), 2);
    controller.abort('stop');
    const err = await stuck.catch((e) => e);
    assertStopped(err, 'AbortError');
    assert.equal(err.cause, 'stop');
    assert.deepEqual({ workers: rt.workers, running: rt._stats.running }, { workers: 0, running: 0 });
    await waitFor(() => rt.workers === 2, { label: 'two replacement workers' });
    const out = await attn.computeBatch(BIG.queries.subarray(0, 64 * DIM), BIG.keys.subarray(0, 32 * DIM), BIG.values.subarray(0, 32 * DIM));
    assert.equal(out.length, 64 * DIM);
  });

  it('a create that takes too long times out and registers nothing', async () => {
    const registered = rt._stats.registered;
    // 64 M float32 parameters: seconds to initialise in Pyodide
    const err = await rejection(() => rt.create('multi_head', { dim: 4096, numHeads: 8 }, { timeoutMs: 100 }));
    assertStopped(err, 'TimeoutError');
    assert.equal(rt._stats.registered, registered);
    await waitFor(() => rt.workers === 2, { label: 'a replacement worker' });
  });

  it('a create that Python refuses fails once, fast, on one worker only, and registers nothing', async () => {
    const registered = rt._stats.registered;
    const start = performance.now();
    // the constructor's size check (it used to allocate until every worker was stuck)
    const err = await rejection(() => rt.create('linear', { dim: 8, numFeatures: 1e9 }, { timeoutMs: 30_000 }));
    assert.equal(err.name, 'InputTooLargeError', `${err.name}: ${err.message}`);
    assert.ok(performance.now() - start < 5000);
    assert.equal(rt._stats.registered, registered);
    assert.equal(rt.workers, 2);
  });
});

describe('recycling', () => {
  const LIMIT = 160 * 2 ** 20;
  let rt;
  const phases = [];
  before(async () => {
    rt = await createRuntime({ workers: 1, maxWorkerMemory: LIMIT, onProgress: (p) => phases.push(p.phase) });
  });
  after(() => rt?.close());

  it('a worker whose WebAssembly memory grew past maxWorkerMemory is replaced after its request', async (t) => {
    const attn = await rt.create('scaled_dot', { dim: 64 });
    const small = [random(64, 1), random(10 * 64, 2), random(10 * 8, 3)];
    const expected = await attn.compute(...small);
    const [boot] = await rt.memory();
    assert.ok(boot.wasm < LIMIT, `${boot.wasm} bytes after boot`);
    assert.equal(phases.filter((p) => p.startsWith('restart:')).length, 0);
    // 2 x 77 MB of keys and values copied into the worker
    const n = 300_000;
    const out = await attn.compute(random(64, 4), random(n * 64, 5), random(n * 64, 6));
    assert.equal(out.length, 64);
    assert.ok(out.every(Number.isFinite));
    assert.equal(rt.workers, 0); // replaced after answering
    await waitFor(() => rt.workers === 1, { label: 'the replacement' });
    assert.deepEqual(await attn.compute(...small), expected);
    const [fresh] = await rt.memory();
    assert.ok(fresh.wasm < LIMIT);
    assert.equal(phases.filter((p) => p === 'restart:wheel').length, 1);
    t.diagnostic(`wasm ${boot.wasm} bytes after boot; replaced past ${LIMIT}; ${fresh.wasm} bytes in the replacement`);
  });
});
