// The worker protocol (web/core/protocol.mjs): what a worker answers to requests it cannot
// run (typed ProtocolError replies, the worker unharmed), on the real worker_threads
// worker and on the shared worker body with a fake session.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ProtocolError } from '../../node/index.mjs';
import { METHODS, OPS, request } from '../../web/core/protocol.mjs';
import { PythonSession } from '../../web/core/session.mjs';
import { WorkerSlot } from '../../web/core/slot.mjs';
import { BufferStock, ownCopies } from '../../web/core/transfer.mjs';
import { serveWorker } from '../../web/core/worker.mjs';

/** A worker body in this thread with a fake session; answers go through structuredClone. */
function fakeWorker() {
  const toWorker = [];
  const toPool = [];
  const session = {
    mechanisms: () => ['fake'],
    wasmBytes: () => 1024,
    describe: (name, dim) => ({ name, dim }),
    call: (handle, method) => Float32Array.of(handle, Object.keys(METHODS).indexOf(method)),
  };
  serveWorker(
    { post: (message) => setImmediate(() => toPool.forEach((fn) => fn(structuredClone(message)))), onMessage: (fn) => toWorker.push(fn) },
    async () => session,
  );
  const endpoint = {
    post: (message) => setImmediate(() => toWorker.forEach((fn) => fn(structuredClone(message)))),
    onMessage: (fn) => toPool.push(fn),
    onExit: () => {},
    terminate: async () => {},
  };
  return new WorkerSlot(endpoint, { onExit: () => {} });
}

describe('the worker protocol', () => {
  it("a call's or views' answer hands back its input buffers as spare, transferred; other ops none", async () => {
    const posted = [];
    let deliver;
    const session = { mechanisms: () => [], wasmBytes: () => 0, call: () => Float32Array.of(1), views: () => ({}), upload: () => 7 };
    serveWorker({ post: (message, transfer = []) => posted.push({ message, transfer }), onMessage: (fn) => { deliver = fn; } }, async () => session);
    await deliver({ id: 1, op: 'boot', args: [{}] });
    const query = Float32Array.of(1, 2), keys = new Float32Array(8), shared = new Float32Array(new SharedArrayBuffer(8));
    await deliver({ id: 2, op: 'call', args: [1, 'compute', { query, keys, values: shared, mask: null, options: {} }] });
    await deliver({ id: 3, op: 'views', args: [1, { queries: query, keys, mask: null, options: {} }] });
    await deliver({ id: 4, op: 'upload', args: [5, keys, 2, 4] });
    const [call, views, upload] = posted.slice(1);
    const same = (actual, expected) => actual.length === expected.length && actual.every((x, i) => x === expected[i]);
    assert.ok(same(call.message.spare, [query.buffer, keys.buffer]), 'not the shared one');
    assert.ok(same(call.transfer, [call.message.result.buffer, query.buffer, keys.buffer]));
    assert.ok(same(views.message.spare, [query.buffer, keys.buffer]));
    assert.deepEqual([upload.message.spare, upload.transfer], [[], []]); // Python keeps what it uploads
  });

  it('the buffer stock lends the smallest kept buffer that fits, within its limits', () => {
    const stock = new BufferStock({ maxBytes: 100_000, maxBuffers: 3 });
    const [small, middle, large] = [new ArrayBuffer(10_000), new ArrayBuffer(30_000), new ArrayBuffer(50_000)];
    stock.put([large, small, 'not a buffer', new ArrayBuffer(0), middle]);
    assert.equal(stock.take(5000), small);
    assert.equal(stock.take(5000), null, 'middle is more than four times 5000 bytes and 4 KiB');
    assert.equal(stock.take(20_000), middle);
    assert.equal(stock.take(60_000), null);
    stock.put([new ArrayBuffer(40_000), new ArrayBuffer(20_000)]); // 110,000 bytes: one must go
    assert.equal(stock.take(18_000).byteLength, 20_000); // the oldest, 50,000, made room for it
    assert.equal(stock.take(18_000).byteLength, 40_000);
    assert.equal(stock.take(1), null);
    stock.put(Array.from({ length: 4 }, () => new ArrayBuffer(8))); // three buffers at most
    assert.equal([1, 2, 3, 4].map(() => stock.take(8)).filter(Boolean).length, 3);
    // a call's copies come from the stock, equal to the caller's arrays, which stay whole
    const stocked = new ArrayBuffer(64), keys = Float32Array.of(1, 2, 3);
    const fresh = new BufferStock();
    fresh.put([stocked]);
    const [copy] = ownCopies([{ data: keys, fresh: false }], fresh);
    assert.equal(copy.data.buffer, stocked);
    assert.deepEqual([copy.fresh, Array.from(copy.data), keys.length], [true, [1, 2, 3], 3]);
  });

  it('every op but boot is a method of PythonSession, called with its arguments in order', () => {
    for (const [op, names] of Object.entries(OPS)) {
      if (op === 'boot') continue;
      assert.equal(typeof PythonSession.prototype[op], 'function', op);
      assert.ok(PythonSession.prototype[op].length <= names.length, op);
    }
  });

  it('the real worker answers an unknown op or a malformed message with a ProtocolError, then serves', async () => {
    const worker = new Worker(new URL('../../node/worker.mjs', import.meta.url));
    try {
      const answers = [];
      worker.on('message', (message) => answers.push(message));
      const bad = [
        { id: 1, op: 'nope', args: [] },
        { id: 2, op: 'constructor', args: [] },
        { id: 3, op: 'describe', args: 'flash' },
        { id: 4, op: 'call', args: [1, 'backward', {}] },
        { id: 5, op: 'memory', args: [] }, // before boot
        { op: 'memory', args: [] },
        null,
      ];
      for (const message of bad) worker.postMessage(message);
      while (answers.length < bad.length) await once(worker, 'message');
      for (const answer of answers) {
        assert.equal(answer.ok, false);
        assert.equal(answer.broken, false);
        assert.equal(answer.error.name, 'ProtocolError', answer.error.message);
      }
      assert.deepEqual(answers.map((a) => a.id), [1, 2, 3, 4, 5, undefined, undefined]);
      assert.match(answers[0].error.message, /unknown op "nope"; a worker serves boot, describe/);
      assert.deepEqual(answers[0].error.details, { op: 'nope' });
      assert.match(answers[3].error.message, /unknown method "backward"/);
      assert.match(answers[4].error.message, /memory before boot/);
      const reply = async (message) => {
        worker.postMessage(message);
        for (;;) {
          const [answer] = await once(worker, 'message');
          if (answer.id === message.id && answer.progress === undefined) return answer;
        }
      };
      assert.ok((await reply({ id: 6, ...request('boot', {}) })).result.mechanisms.includes('flash'));
      assert.equal((await reply({ id: 7, ...request('describe', 'flash', 8) })).result.dim, 8);
    } finally {
      await worker.terminate();
    }
  });

  it('through a slot: a ProtocolError rejects typed and the worker goes on', async () => {
    const slot = fakeWorker();
    assert.deepEqual(await slot.send(request('boot', {})), { mechanisms: ['fake'] });
    const err = await slot.send({ op: 'nope', args: [] }).catch((e) => e);
    assert.ok(err instanceof ProtocolError, `${err?.name}: ${err?.message}`);
    assert.equal(slot.broken, false);
    await assert.rejects(slot.send(request('boot', {})), { name: 'ProtocolError', message: /booted already/ });
    assert.deepEqual(await slot.send(request('describe', 'flash', 8)), { name: 'flash', dim: 8 });
    assert.deepEqual(await slot.send(request('call', 7, 'weights_batch', {})), Float32Array.of(7, 3));
    assert.equal(slot.wasm, 1024);
  });
});
