// The pool: batch splitting, many concurrent callers, crash recovery, progress, close().
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createRuntime } from '../../node/index.mjs';
import { ROOT, waitFor } from './helpers.mjs';

function random(n, seed) {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

let rt;
let progress = [];
before(async () => {
  rt = await createRuntime({ workers: 2, onProgress: (p) => progress.push(p) });
});
after(() => rt?.close());

describe('boot', () => {
  it('reports progress for every phase of every worker', () => {
    const boot = progress.filter((p) => ['pyodide', 'numpy', 'wheel'].includes(p.phase));
    assert.equal(boot.length, 6);
    assert.deepEqual(boot.map((p) => p.loaded), [1, 2, 3, 4, 5, 6]);
    assert.ok(boot.every((p) => p.total === 6));
  });
});

describe('computeBatch across workers', () => {
  it('splits queries, reassembles in order and equals the single-worker result', async () => {
    const single = await createRuntime({ workers: 1 });
    try {
      for (const name of ['scaled_dot', 'local_global', 'linear', 'moe']) {
        const config = { dim: 16, ...(name === 'local_global' ? { windowSize: 6 } : {}) };
        const [a, b] = await Promise.all([rt.create(name, config), single.create(name, config)]);
        const queries = random(33 * 16, 1);
        const keys = random(40 * 16, 2);
        const values = random(40 * 8, 3);
        progress = [];
        const split = await a.computeBatch(queries, keys, values, { causal: true });
        const whole = await b.computeBatch(queries, keys, values, { causal: true });
        assert.equal(split.length, 33 * 8);
        for (let i = 0; i < split.length; i++) assert.ok(Math.abs(split[i] - whole[i]) < 1e-6, `${name}[${i}]`);
        const computePhases = progress.filter((p) => p.phase === 'compute');
        assert.equal(computePhases.length, a.info.splittable ? 2 : 0, name);
      }
    } finally {
      await single.close();
    }
  });

  it('answers many concurrent callers correctly', async () => {
    const attn = await rt.create('scaled_dot', { dim: 8 });
    const keys = random(50 * 8, 7);
    const values = random(50 * 4, 8);
    const queries = Array.from({ length: 200 }, (_, i) => random(8, 100 + i));
    const reference = await Promise.all(queries.slice(0, 5).map((q) => attn.compute(q, keys, values)));
    const results = await Promise.all(queries.map((q) => attn.compute(q, keys, values)));
    reference.forEach((r, i) => assert.deepEqual(results[i], r));
    const batch = await attn.computeBatch(Float32Array.from(queries.flatMap((q) => [...q])), keys, values);
    results.forEach((r, i) => r.forEach((x, j) => assert.ok(Math.abs(batch[i * 4 + j] - x) < 1e-6)));
  });
});

describe('a stateful mechanism', () => {
  it('keeps every call on one worker, so its state is the same for all callers', async () => {
    // always FREEZE: the first call gives the mean of the values, later calls repeat it
    const attn = await rt.create('topology_gated', { dim: 4, stableThreshold: 1, cautiousThreshold: 1, freezeThreshold: 1, hysteresis: 0 });
    assert.equal(attn.info.stateful, true);
    const keys = random(6 * 4, 11);
    const values = Float32Array.from({ length: 6 * 2 }, (_, i) => i);
    const first = await attn.compute(random(4, 12), keys, values);
    [5, 6].forEach((mean, j) => assert.ok(Math.abs(first[j] - mean) < 1e-5));
    const doubled = values.map((x) => 2 * x);
    const later = await Promise.all(Array.from({ length: 8 }, (_, i) => attn.compute(random(4, 20 + i), keys, doubled)));
    later.forEach((out) => assert.deepEqual(out, first));
    const scaled = await rt.create('scaled_dot', { dim: 4 });
    assert.equal(scaled.info.stateful, false);
  });
});

describe('a worker that dies', () => {
  it('fails only its in-flight requests; the pool recovers', async () => {
    const attn = await rt.create('scaled_dot', { dim: 64 });
    const keys = random(20000 * 64, 5);
    const values = random(20000 * 64, 6);
    const inFlight = [0, 1, 2, 3].map((i) => attn.compute(random(64, i), keys, values));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await rt._killWorker(0);
    const settled = await Promise.allSettled(inFlight);
    const crashed = settled.filter((s) => s.status === 'rejected');
    assert.ok(crashed.length >= 1 && crashed.length < 4, `${crashed.length} of 4 failed`);
    crashed.forEach((s) => assert.equal(s.reason.name, 'WorkerCrashedError'));
    settled.filter((s) => s.status === 'fulfilled').forEach((s) => assert.equal(s.value.length, 64));
    // later requests succeed, and the replacement worker knows the existing handle
    const later = await Promise.all([0, 1, 2, 3].map((i) => attn.compute(random(64, i), keys.subarray(0, 640), values.subarray(0, 640))));
    later.forEach((out) => assert.equal(out.length, 64));
    await waitFor(() => rt.workers === 2, { label: 'a replacement worker' }); // a boot: seconds
    assert.equal(rt.workers, 2);
    const both = await Promise.all(Array.from({ length: 8 }, () => attn.compute(random(64, 9), keys.subarray(0, 640), values.subarray(0, 640))));
    both.forEach((out) => assert.deepEqual(out, both[0]));
  });
});

describe('close()', () => {
  it('rejects later requests', async () => {
    const own = await createRuntime({ workers: 1 });
    const attn = await own.create('scaled_dot', { dim: 2 });
    await own.close();
    await assert.rejects(attn.compute([1, 0], [[1, 0]], [[1]]), { name: 'RuntimeClosedError' });
    await assert.rejects(own.create('scaled_dot', { dim: 2 }), { name: 'RuntimeClosedError' });
  });

  it('leaves no handles: the process exits by itself', () => {
    const script = `
      import { createRuntime } from ${JSON.stringify(`${ROOT}node/index.mjs`)};
      const rt = await createRuntime({ workers: 2 });
      const attn = await rt.create('flash', { dim: 4 });
      await attn.computeBatch(new Float32Array(8), new Float32Array(8), new Float32Array(8));
      await rt.close();
      console.log('closed');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000, encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'closed');
  });
});

describe('resident matrices (rt.upload)', () => {
  it('give the same results as sending the data, in every worker, and replay after a crash', async () => {
    const attn = await rt.create('scaled_dot', { dim: 16 });
    const keys = random(30 * 16, 11);
    const values = random(30 * 4, 12);
    const queries = random(9 * 16, 13);
    const K = await rt.upload(keys, { rows: 30 });
    const V = await rt.upload(Array.from({ length: 30 }, (_, i) => values.subarray(i * 4, i * 4 + 4)));
    assert.deepEqual([K.rows, K.cols, V.rows, V.cols], [30, 16, 30, 4]);
    const sent = await attn.computeBatch(queries, keys, values, { causal: true });
    assert.deepEqual(await attn.computeBatch(queries, K, V, { causal: true }), sent);
    assert.deepEqual(await attn.compute(queries.subarray(0, 16), K, V), await attn.compute(queries.subarray(0, 16), keys, values));
    assert.deepEqual(await attn.weights(queries.subarray(0, 16), K), await attn.weights(queries.subarray(0, 16), keys));
    await rt._killWorker(1);
    await waitFor(() => rt.workers === 2, { label: 'a replacement worker' }); // a boot: seconds
    assert.equal(rt.workers, 2);
    assert.deepEqual(await attn.computeBatch(queries, K, V, { causal: true }), sent);
    await K.dispose();
    await assert.rejects(attn.compute(queries.subarray(0, 16), K, V), { name: 'InvalidInputError' });
    await assert.rejects(rt.upload(new Float32Array([1, NaN]), { rows: 1 }), { name: 'InvalidInputError' });
  });
});
