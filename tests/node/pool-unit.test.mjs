// The pool's scheduling rules (web/core/pool.mjs) on fake in-process workers, in
// milliseconds: what is replaced when, what is recreated where, what is never lost.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { AttentionHandle, MIN_PART_KEYS } from '../../web/core/handle.mjs';
import { ResidentMatrix } from '../../web/core/matrix.mjs';
import { Pool } from '../../web/core/pool.mjs';
import { matrixKey } from '../../web/core/registry.mjs';
import { mergePartials } from '../../web/core/splitter.mjs';
import { sleep } from './helpers.mjs';

/**
 * Fake workers. `answer(worker, message)` returns the reply ({ ok, result, error, wasm,
 * broken }), or null to never answer (a stuck request). Every message is logged.
 */
function fakeWorkers(answer = () => ({ ok: true, result: null }), { bootFails = () => false } = {}) {
  const workers = [];
  const spawn = () => {
    const worker = { index: workers.length, log: [], sent: [], terminated: false, listeners: [], exits: [] };
    workers.push(worker);
    return {
      post(original, transfer = []) {
        worker.sent.push({ message: original, transfer });
        const message = structuredClone(original, { transfer }); // as postMessage: moved buffers detach here
        worker.log.push(message);
        setTimeout(() => {
          if (worker.terminated) return;
          let reply;
          if (message.op === 'boot') {
            reply = bootFails(worker) ? { ok: false, error: { name: 'PackageLoadError', message: 'no', details: {} } }
              : { ok: true, result: { mechanisms: ['fake'] } };
          } else {
            reply = answer(worker, message);
          }
          if (reply) worker.listeners.forEach((fn) => fn({ id: message.id, ...reply }));
        }, 1);
      },
      onMessage: (fn) => worker.listeners.push(fn),
      onExit: (fn) => worker.exits.push(fn),
      terminate: async () => {
        worker.terminated = true;
      },
    };
  };
  return { workers, spawn };
}

const ops = (worker, op) => worker.log.filter((m) => m.op === op);
const live = (workers) => workers.filter((w) => !w.terminated);

async function startPool(fake, options = {}) {
  const pool = new Pool({ spawn: fake.spawn, bootOptions: {}, size: 2, ...options });
  await pool.start();
  return pool;
}

async function until(condition) {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(2);
  assert.ok(condition());
}

describe('the pool on fake workers', () => {
  it('an aborted running request terminates only its worker; the queue goes on elsewhere', async () => {
    const fake = fakeWorkers((worker, m) => (m.args === 'stuck' ? null : { ok: true, result: worker.index }));
    const pool = await startPool(fake);
    const controller = new AbortController();
    const stuck = pool.run({ op: 'call', args: 'stuck' }, { signal: controller.signal });
    const others = Array.from({ length: 6 }, () => pool.run({ op: 'call', args: 'fast' }));
    controller.abort();
    await assert.rejects(stuck, { name: 'AbortError' });
    const answers = await Promise.all(others);
    assert.ok(answers.every((w) => w !== 0), 'worker 0 ran the stuck request and was replaced');
    assert.equal(fake.workers[0].terminated, true);
    await until(() => pool.workers === 2);
    assert.equal(fake.workers.length, 3);
    await pool.close();
  });

  it('a broken answer or memory past the limit replaces the worker after it answers', async () => {
    const fake = fakeWorkers((worker, m) => ({
      ok: m.args !== 'broken',
      result: 'fine',
      error: { name: 'WorkerCrashedError', message: 'trap', details: {} },
      broken: m.args === 'broken',
      wasm: m.args === 'big' ? 2 ** 31 : 1000,
    }));
    const pool = await startPool(fake, { size: 1, maxWorkerMemory: 2 ** 30 });
    assert.equal(await pool.run({ op: 'call', args: 'small' }), 'fine');
    assert.equal(fake.workers.length, 1);
    assert.equal(await pool.run({ op: 'call', args: 'big' }), 'fine');
    assert.equal(pool.workers, 0); // already replaced when the answer arrives
    assert.equal(await pool.run({ op: 'call', args: 'small' }), 'fine'); // waits for the replacement
    assert.equal(fake.workers.length, 2);
    await assert.rejects(pool.run({ op: 'call', args: 'broken' }), { name: 'WorkerCrashedError' });
    assert.equal(await pool.run({ op: 'call', args: 'small' }), 'fine');
    assert.equal(fake.workers.length, 3);
    assert.equal(live(fake.workers).length, 1);
    await pool.close();
  });

  it('registry entries are created once per worker, where first needed, and undone where present', async () => {
    const fake = fakeWorkers((worker, m) => ({ ok: true, result: m.op === 'call' ? worker.index : 'made' }));
    const pool = await startPool(fake);
    const define = { key: 'mechanism 1', teardown: { op: 'dispose', handle: 1 } };
    assert.equal(await pool.run({ op: 'create', handle: 1 }, { defines: define }), 'made');
    assert.equal(fake.workers.reduce((n, w) => n + ops(w, 'create').length, 0), 1);
    // ten calls at once need both workers: the second one creates it first, once
    await Promise.all(Array.from({ length: 10 }, () => pool.run({ op: 'call' }, { needs: ['mechanism 1'] })));
    assert.deepEqual(fake.workers.map((w) => ops(w, 'create').length), [1, 1]);
    await pool.forget('mechanism 1');
    assert.deepEqual(fake.workers.map((w) => ops(w, 'dispose').length), [1, 1]);
    const before = fake.workers.map((w) => w.log.length);
    await assert.rejects(pool.run({ op: 'call' }, { needs: ['mechanism 1'] }), { name: 'InvalidInputError' });
    assert.deepEqual(fake.workers.map((w) => w.log.length), before); // no worker was asked
    await pool.close();
  });

  it('a stateful mechanism stays on one worker while it lives', async () => {
    const fake = fakeWorkers((worker) => ({ ok: true, result: worker.index }));
    const pool = await startPool(fake);
    const define = { key: 'mechanism 1', teardown: { op: 'dispose', handle: 1 } };
    await pool.run({ op: 'create', handle: 1 }, { defines: define });
    const where = await Promise.all(Array.from({ length: 12 }, () => pool.run({ op: 'call' }, { needs: ['mechanism 1'], pin: 'mechanism 1' })));
    assert.equal(new Set(where).size, 1);
    await pool.close();
  });

  it('a replacement that cannot boot leaves the pool smaller; with none left, queued requests fail typed', async () => {
    const fake = fakeWorkers((worker, m) => (m.args === 'stuck' ? null : { ok: true, result: 1 }), { bootFails: (w) => w.index > 0 });
    const pool = await startPool(fake, { size: 1 });
    const controller = new AbortController();
    const stuck = pool.run({ op: 'call', args: 'stuck' }, { signal: controller.signal });
    const queued = pool.run({ op: 'call', args: 'fast' });
    controller.abort();
    await assert.rejects(stuck, { name: 'AbortError' });
    await assert.rejects(queued, { name: 'WorkerCrashedError', message: 'no worker is running' });
    assert.deepEqual(pool.stats, { workers: 0, booting: 0, queued: 0, running: 0, registered: 0 });
    await pool.close();
  });

  it('a time limit counts from the start of the run, not from the queue', async () => {
    const fake = fakeWorkers((worker, m) => (m.args === 'stuck' ? null : { ok: true, result: 1 }));
    const pool = await startPool(fake, { size: 1, requestTimeoutMs: 60 });
    const first = pool.run({ op: 'call', args: 'stuck' });
    const second = pool.run({ op: 'call', args: 'fast' }, { timeoutMs: 5 }); // waits > 5 ms, then runs fast
    await assert.rejects(first, { name: 'TimeoutError' });
    assert.equal(await second, 1);
    await pool.close();
  });

  it('many calls sharing one signal add one abort listener, removed when they settle', async () => {
    const fake = fakeWorkers(() => ({ ok: true, result: 1 }));
    const pool = await startPool(fake);
    const { signal } = new AbortController();
    const calls = Array.from({ length: 50 }, () => pool.run({ op: 'call' }, { signal }));
    assert.equal(getEventListeners(signal, 'abort').length, 1);
    await Promise.all(calls);
    assert.equal(getEventListeners(signal, 'abort').length, 0);
    await pool.close();
  });

  it('close() rejects queued and running requests with RuntimeClosedError', async () => {
    const fake = fakeWorkers((worker, m) => (m.args === 'stuck' ? null : { ok: true, result: 1 }));
    const pool = await startPool(fake, { size: 1 });
    const running = pool.run({ op: 'call', args: 'stuck' });
    const queued = pool.run({ op: 'call' });
    await pool.close();
    await assert.rejects(running, { name: 'RuntimeClosedError' });
    await assert.rejects(queued, { name: 'RuntimeClosedError' });
    await assert.rejects(pool.run({ op: 'call' }), { name: 'RuntimeClosedError' });
    assert.ok(fake.workers.every((w) => w.terminated));
  });
});

describe("one query's keys split across the pool (handle.mjs, splitter.mjs)", () => {
  const info = { name: 'scaled_dot', dim: 2, keyPartials: true, stateful: false, splittable: true };
  /** Keys and values uploaded as matrices 1 and 2, n rows of 2. */
  const uploaded = (n) => [new ResidentMatrix(1, n, 2, () => {}), new ResidentMatrix(2, n, 2, () => {})];
  /** The partial of a range of uploaded keys: μ = its start / 4096, ℓ = its length, a = [start, 1]. */
  const partialOfRange = ({ keyStart, keyStop }) => ({
    ok: true, result: Float64Array.of(keyStart / 4096, keyStop - keyStart, keyStart, 1),
  });
  /** A handle on fake workers that answer compute_partial with `answer(options)`. */
  async function splitting(size = 2, answer = partialOfRange) {
    const fake = fakeWorkers((worker, m) => {
      if (m.op !== 'call') return { ok: true, result: null };
      const [, method, { options }] = m.args;
      return method === 'compute_partial' ? answer(options) : { ok: true, result: Float32Array.of(-1, -1) };
    });
    const pool = await startPool(fake, { size });
    await pool.run({ op: 'create', args: [] }, { defines: { key: 'm1', teardown: { op: 'dispose', args: [] } } });
    for (const id of [1, 2]) {
      await pool.run({ op: 'upload', args: [] }, { defines: { key: matrixKey(id), teardown: { op: 'release', args: [] } } });
    }
    return { fake, pool, attn: new AttentionHandle({ pool, sharedMemory: true, progress() {} }, 1, 'm1', info) };
  }

  it('from MIN_PART_KEYS keys per worker, each worker takes one range and the partials merge', async () => {
    const { fake, pool, attn } = await splitting();
    const n = 2 * MIN_PART_KEYS;
    const out = await attn.compute(Float32Array.of(1, 0), ...uploaded(n));
    const calls = fake.workers.map((w) => ops(w, 'call').map((m) => [m.args[1], m.args[2].options.keyStart, m.args[2].options.keyStop]));
    assert.deepEqual(calls.flat().sort((a, b) => a[1] - b[1]), [['compute_partial', 0, 4096], ['compute_partial', 4096, 8192]]);
    assert.ok(calls.every((c) => c.length === 1), 'one range per worker');
    // μ = 0 and 1, ℓ = 4096 each: weights 1 and e against a = [0, 1] and [4096, 1]
    const e = Math.E;
    assert.ok(Math.abs(out[0] - (e * 4096) / (4096 + e * 4096)) < 1e-4 && Math.abs(out[1] - (1 + e) / (4096 + e * 4096)) < 1e-9);
    await pool.close();
  });

  it('keys sent with the call: each worker gets a copy of its rows, their range and the whole count', async () => {
    const { fake, pool, attn } = await splitting();
    const n = 2 * MIN_PART_KEYS;
    const keys = Float32Array.from({ length: 2 * n }, (_, i) => i), values = new Float32Array(3 * n);
    await attn.compute(Float32Array.of(1, 0), keys, values, { mask: new Uint8Array(n).fill(1) });
    const parts = fake.workers.flatMap((w) => ops(w, 'call').map((m) => m.args[2])).sort((a, b) => a.keys[0] - b.keys[0]);
    assert.deepEqual(parts.map((p) => [p.keys.length, p.keys[0], p.values.length, p.mask.length, p.options.keyTotal, p.options.keyStart]),
      [[n, 0, 1.5 * n, n / 2, n, 0], [n, n, 1.5 * n, n / 2, n, n / 2]]);
    await pool.close();
  });

  it('fewer keys, one worker, a position, mixed or odd inputs: one plain compute', async () => {
    const many = 4 * MIN_PART_KEYS;
    const sent = [new Float32Array(2 * many), new Float32Array(2 * many)];
    const cases = [[2, uploaded(2 * MIN_PART_KEYS - 1)], [1, uploaded(many)], [2, uploaded(many), { position: 3 }],
      [2, [sent[0], uploaded(many)[1]]], [2, sent, { mask: new Uint8Array(many + 1) }], [2, [sent[0], new Float32Array(2 * many + 1)]]];
    for (const [size, [keys, values], options] of cases) {
      const { fake, pool, attn } = await splitting(size);
      await attn.compute(Float32Array.of(1, 0), keys, values, options);
      assert.deepEqual(fake.workers.flatMap((w) => ops(w, 'call').map((m) => m.args[1])), ['compute']);
      await pool.close();
    }
  });

  it("a call's inputs travel as the facade's own copies, transferred; the caller's stay whole", async () => {
    const { fake, pool, attn } = await splitting(1);
    const query = Float32Array.of(1, 0), keys = Float32Array.of(1, 2, 3, 4), values = Float32Array.of(5, 6, 7, 8);
    const sharedKeys = new Float32Array(new SharedArrayBuffer(16)).fill(1);
    await attn.compute(query, keys, values);
    await attn.compute(query, sharedKeys, ...uploaded(2).slice(1));
    const [sent, mixed] = fake.workers[0].sent.filter(({ message }) => message.op === 'call').map(({ message, transfer }) => [message.args[2], transfer]);
    const copies = [sent[0].query, sent[0].keys, sent[0].values];
    // the copies were moved (detached here, delivered equal), never the caller's buffers
    assert.deepEqual(sent[1].length, 3);
    assert.ok(sent[1].every((buffer, i) => buffer === copies[i].buffer && buffer.byteLength === 0));
    assert.ok([query, keys, values].every((caller) => !sent[1].includes(caller.buffer)));
    assert.deepEqual([query, keys, values].map((a) => Array.from(a)), [[1, 0], [1, 2, 3, 4], [5, 6, 7, 8]]);
    const delivered = ops(fake.workers[0], 'call')[0].args[2];
    assert.deepEqual([delivered.query, delivered.keys, delivered.values].map((a) => Array.from(a)), [[1, 0], [1, 2, 3, 4], [5, 6, 7, 8]]);
    // a shared buffer goes as it is; an upload goes as its id
    assert.equal(mixed[0].keys, sharedKeys);
    assert.equal(mixed[0].values, 2);
    assert.ok(mixed[1].length === 1 && mixed[1][0] === mixed[0].query.buffer);
    await pool.close();
  });

  it('buffers an answer hands back (spare) carry the next calls\' copies', async () => {
    const fake = fakeWorkers((worker, m) => {
      if (m.op !== 'call') return { ok: true, result: null };
      const { query, keys } = m.args[2];
      return { ok: true, result: Float32Array.of(0, 0), spare: [query.buffer, keys.buffer] };
    });
    const pool = await startPool(fake, { size: 1 });
    await pool.run({ op: 'create', args: [] }, { defines: { key: 'm1', teardown: { op: 'dispose', args: [] } } });
    const info = { name: 'scaled_dot', dim: 2, keyPartials: false, stateful: false, splittable: true };
    const attn = new AttentionHandle({ pool, sharedMemory: false, progress() {} }, 1, 'm1', info);
    await attn.compute(Float32Array.of(1, 0), Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8));
    const handedBack = ops(fake.workers[0], 'call')[0].args[2];
    await attn.compute(Float32Array.of(3, 4), Float32Array.of(9, 8, 7, 6), Float32Array.of(1, 1, 1, 1));
    const second = fake.workers[0].sent.filter(({ message }) => message.op === 'call')[1].message.args[2];
    const reused = [second.query.buffer, second.keys.buffer, second.values.buffer];
    assert.ok(reused.includes(handedBack.query.buffer) && reused.includes(handedBack.keys.buffer));
    assert.deepEqual(Array.from(ops(fake.workers[0], 'call')[1].args[2].keys), [9, 8, 7, 6]);
    await pool.close();
  });

  it('when ranges fail, the call rejects with the first range\'s error', async () => {
    const { pool, attn } = await splitting(2, ({ keyStart }) => ({
      ok: false, error: { name: 'InvalidInputError', message: `range from ${keyStart}`, details: {} },
    }));
    for (let i = 0; i < 5; i++) {
      await assert.rejects(attn.compute(Float32Array.of(1, 0), ...uploaded(2 * MIN_PART_KEYS)), { name: 'InvalidInputError', message: 'range from 0' });
    }
    await pool.close();
  });

  it('mergePartials: blind parts add nothing, all blind gives zeros', () => {
    const blind = Float64Array.of(-Infinity, 0, 0, 0);
    assert.deepEqual([...mergePartials([blind, Float64Array.of(2, 4, 8, -4), blind])], [2, -1]);
    assert.deepEqual([...mergePartials([blind, blind])], [0, 0]);
  });
});
