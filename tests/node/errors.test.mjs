// Every error class crosses the worker boundary with its name and attributes, and a bad
// request never harms the worker or the requests around it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as facade from '../../node/index.mjs';

const { createRuntime } = facade;
let rt;
let attn;

before(async () => {
  rt = await createRuntime({ workers: 2 });
  attn = await rt.create('scaled_dot', { dim: 4 });
});
after(() => rt?.close());

const q = new Float32Array([0.1, 0.2, 0.3, 0.4]);
const keys = [new Float32Array([1, 0, 0, 0]), new Float32Array([0, 1, 0, 0])];
const values = [new Float32Array([1, 2]), new Float32Array([3, 4])];

describe('errors cross the boundary typed', () => {
  const cases = [
    ['DimensionMismatchError', () => attn.compute(q.subarray(0, 3), keys, values), { expected: 4, actual: 3 }],
    ['DimensionMismatchError', () => attn.compute(q, keys, values.slice(0, 1)), { expected: 2, actual: 1 }],
    ['DimensionMismatchError', () => attn.compute(q, [keys[0], new Float32Array(3)], values), { expected: 4, actual: 3 }],
    ['EmptyInputError', () => attn.compute(q, new Float32Array(0), new Float32Array(0)), { context: 'keys' }],
    ['InvalidInputError', () => attn.compute(new Float32Array([NaN, 0, 0, 0]), keys, values), null],
    ['InvalidInputError', () => attn.computeBatch(q, keys, values, { mask: [0.5, 1] }), null],
    ['InvalidConfigError', () => rt.create('multi_head', { dim: 10, numHeads: 3 }), null],
    ['InvalidConfigError', () => rt.create('scaled_dot', { dim: 4, dropout: 2 }), null],
    ['UnknownMechanismError', () => rt.create('nope', { dim: 4 }), { name: 'nope' }],
  ];
  for (const [name, run, details] of cases) {
    it(`${name}${details ? ` ${JSON.stringify(details)}` : ''}`, async () => {
      const err = await run().then(() => null, (e) => e);
      assert.ok(err, 'expected a rejection');
      assert.equal(err.name, name);
      assert.ok(err instanceof facade[name] && err instanceof facade.AttentionError && err instanceof Error);
      if (details) for (const [k, v] of Object.entries(details)) assert.deepEqual(err.details[k], v);
      assert.match(err.message, /\w/);
    });
  }

  it('UnknownMechanismError lists the choices', async () => {
    const err = await rt.create('nope').catch((e) => e);
    assert.deepEqual(err.details.choices, rt.mechanisms);
  });

  it('InvalidInputError carries details', async () => {
    const err = await attn.compute(new Float32Array([Infinity, 0, 0, 0]), keys, values).catch((e) => e);
    assert.match(err.details.details, /finite/);
  });

  it('InputTooLargeError above ra.MAX_KEYS', async () => {
    const one = await rt.create('scaled_dot', { dim: 1 });
    const err = await one.compute(new Float32Array([1]), new Float32Array(1_000_001), new Float32Array(1_000_001))
      .catch((e) => e);
    assert.equal(err.name, 'InputTooLargeError');
    assert.deepEqual(err.details, { max: 1_000_000, actual: 1_000_001 });
  });

  it('bad requests interleaved with good ones do not disturb them', async () => {
    const good = await attn.compute(q, keys, values);
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => (i % 2
      ? attn.compute(q, keys, values)
      : attn.compute(new Float32Array([NaN, 0, 0, 0]), keys, values))));
    results.forEach((r, i) => {
      if (i % 2) assert.deepEqual(r.value, good);
      else assert.equal(r.reason.name, 'InvalidInputError');
    });
    assert.equal(rt.workers, 2);
  });
});
