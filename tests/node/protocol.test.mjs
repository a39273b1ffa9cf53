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
