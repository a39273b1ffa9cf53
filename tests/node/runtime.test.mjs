// The Node facade against CPython: every mechanism, every method, one and two workers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRuntime } from '../../node/index.mjs';
import { assertClose, cpythonExpected, flat, random, referenceRow, rowsOf } from './helpers.mjs';

const expected = cpythonExpected();
let one;
let two;

before(async () => {
  [one, two] = await Promise.all([createRuntime({ workers: 1 }), createRuntime({ workers: 2 })]);
});
after(async () => {
  await Promise.all([one?.close(), two?.close()]);
});

describe('every registered mechanism equals CPython (1e-5)', () => {
  it('lists the registry', () => {
    assert.deepEqual(one.mechanisms, expected.mechanisms);
  });
  for (const c of expected.cases) {
    it(c.name, async () => {
      for (const rt of [one, two]) {
        const attn = await rt.create(c.name, toCamel(c.config));
        const [q, k, v] = [c.queries, c.keys, c.values];
        assertClose(await attn.compute(Float32Array.from(q[0]), rowsOf(k), rowsOf(v)), c.compute, 1e-5, 'compute');
        assertClose(await attn.weights(Float32Array.from(q[0]), flat(k)), c.weights, 1e-5, 'weights');
        assertClose(await attn.computeBatch(rowsOf(q), rowsOf(k), rowsOf(v)), c.computeBatch, 1e-5, 'computeBatch');
        assertClose(await attn.computeBatch(flat(q), flat(k), flat(v), { causal: true }),
          c.computeBatchCausal, 1e-5, 'causal');
        assertClose(await attn.computeBatch(rowsOf(q), rowsOf(k), rowsOf(v), { mask: c.mask }),
          c.computeBatchMasked, 1e-5, 'mask rows');
        assertClose(await attn.computeBatch(flat(q), flat(k), rowsOf(v), { mask: c.mask.flat() }),
          c.computeBatchMasked, 1e-5, 'flat mask');
        assertClose(await attn.weightsBatch(flat(q), flat(k)), c.weightsBatch, 1e-5, 'weightsBatch');
        await attn.dispose();
      }
    });
  }
});

describe('per-call extras reach the mechanism (rope distances, edge features)', () => {
  for (const c of expected.extrasCases) {
    it(c.name, async () => {
      const attn = await two.create(c.name, toCamel(c.config));
      const extras = Object.fromEntries(Object.entries(c.extras).map(([k, v]) => [k.replace(/_(.)/g, (_, x) => x.toUpperCase()), v]));
      assertClose(await attn.computeBatch(rowsOf(c.queries), rowsOf(c.keys), rowsOf(c.values), { extras }), c.computeBatch, 1e-5, c.name);
      await assert.rejects(attn.compute(c.queries[0], rowsOf(c.keys), rowsOf(c.values), { extras: { nope: 1 } }), /nope/);
    });
  }
});

function toCamel(config) {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace(/_(.)/g, (_, c) => c.toUpperCase()), v]));
}

describe('handles', () => {
  it('info has the contract fields in camelCase', async () => {
    const attn = await two.create('multi_head', { dim: 8, numHeads: 4, seed: 3 });
    assert.equal(attn.info.name, 'multi_head');
    assert.equal(attn.info.numHeads, 4);
    assert.equal(attn.info.dim, 8);
    assert.equal(attn.info.config.numHeads, 4);
    assert.equal(attn.info.complexity, 'O(n^2)');
    await attn.dispose();
  });

  it('names are case-insensitive and dashes are ignored', async () => {
    const attn = await one.create('Scaled-Dot', { dim: 4 });
    assert.equal(attn.info.name, 'scaled_dot');
  });

  it('a disposed handle rejects', async () => {
    const attn = await one.create('scaled_dot', { dim: 2 });
    await attn.dispose();
    await assert.rejects(attn.compute([1, 0], [[1, 0]], [[1]]), { name: 'InvalidInputError' });
  });
});

describe("one query's keys split across workers (flash-decoding)", () => {
  it('equals one worker and a float64 formula, uploaded or sent, with blind key ranges', async () => {
    const n = 9000, d = 16;
    const q = random(d, 3).map((x) => 4 * x), k = random(n * d, 5), v = random(n * 3, 7);
    for (const [name, config, scale] of [['flash', { blockSize: 32 }, 0.25], ['scaled_dot', { temperature: 0.5 }, 0.5]]) {
      const split = await two.create(name, { dim: d, ...config });
      const whole = await one.create(name, { dim: d, ...config });
      assert.equal(split.info.keyPartials, true);
      const [K, V] = [await two.upload(k, { rows: n }), await two.upload(v, { rows: n })];
      const late = (j) => j >= 6000 && j % 3 > 0; // the first worker's range sees nothing
      for (const [mask, visible] of [[null, undefined], [Uint8Array.from({ length: n }, (_, j) => Number(late(j))), late]]) {
        const expected = referenceRow(q, k, v, n, d, 3, scale, visible ?? (() => true)).out;
        const options = mask ? { mask } : undefined;
        assertClose(await split.compute(q, K, V, options), expected, 1e-5, `${name} uploaded`);
        assertClose(await split.compute(q, k, v, options), expected, 1e-5, `${name} sent`);
        assertClose(await whole.compute(q, k, v, options), expected, 1e-5, `${name} one worker`);
      }
      const blind = new Uint8Array(n);
      assert.deepEqual([...(await split.compute(q, K, V, { mask: blind }))], [0, 0, 0]);
      await Promise.all([split.dispose(), whole.dispose(), K.dispose(), V.dispose()]);
    }
  });

  it('a bad input in a split call rejects with the same typed error', async () => {
    const n = 8192, d = 4;
    const attn = await two.create('scaled_dot', { dim: d });
    const [K, V, short] = [await two.upload(random(n * d, 3), { rows: n }), await two.upload(random(n, 2), { rows: n }),
      await two.upload(random(n - 1, 2), { rows: n - 1 })];
    await assert.rejects(attn.compute(Float32Array.of(1, Number.NaN, 0, 0), K, V), { name: 'InvalidInputError' });
    await assert.rejects(attn.compute(random(d, 1), K, short), { name: 'DimensionMismatchError' });
    const k = random(n * d, 4);
    k[7000 * d] = Number.NaN; // in the second worker's rows only
    await assert.rejects(attn.compute(random(d, 1), k, random(n, 2)), (err) => {
      assert.equal(err.name, 'InvalidInputError');
      assert.match(err.message, /index \(2904, 0\).*keys 4096\.\.8192 of 8192/); // row 7000 of the call
      return true;
    });
    await Promise.all([attn.dispose(), K.dispose(), V.dispose(), short.dispose()]);
  });
});

describe('loading', () => {
  it('installs the wheel from wheelURL when given (numpy still from the local distribution)', async () => {
    const { readdirSync } = await import('node:fs');
    const { ROOT } = await import('./helpers.mjs');
    const wheel = readdirSync(`${ROOT}dist`).find((f) => f.endsWith('.whl'));
    const rt = await createRuntime({ workers: 1, wheelURL: `${ROOT}dist/${wheel}` });
    try {
      const attn = await rt.create('scaled_dot', { dim: 2 });
      assert.deepEqual(await attn.compute([1, 0], [[1, 0], [0, 1]], [[1], [0]]), await (await one.create('scaled_dot', { dim: 2 })).compute([1, 0], [[1, 0], [0, 1]], [[1], [0]]));
    } finally {
      await rt.close();
    }
  });

  it('a missing distribution is a PackageLoadError, not a network attempt', async () => {
    await assert.rejects(createRuntime({ workers: 1, indexURL: '/nonexistent/pyodide/' }), (err) => {
      assert.equal(err.name, 'PackageLoadError');
      return true;
    });
  });
});
