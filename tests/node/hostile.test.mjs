// Hostile input through the Node facade (issue 11, API.md §1 and §5). What JavaScript
// cannot even send (detached buffers, BigInt, functions, Symbols, cycles, null rows) and
// what Python refuses both reject with typed errors, from every method, single and batch,
// never synchronously and never as DataCloneError / TypeError / RangeError. Finite input
// of any magnitude that fits float32 gives finite output. The pool is intact afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as facade from '../../node/index.mjs';
import { random, rejection, waitFor } from './helpers.mjs';

const { createRuntime } = facade;
let rt;
let attn;
before(async () => {
  rt = await createRuntime({ workers: 2 });
  attn = await rt.create('scaled_dot', { dim: 4 });
});
after(() => rt?.close());

const Q = [0.1, 0.2, 0.3, 0.4];
const K = [[1, 0, 0, 0], [0, 1, 0, 0]];
const V = [[1, 2], [3, 4]];

function detached() {
  const view = new Float32Array(8);
  structuredClone(view.buffer, { transfer: [view.buffer] });
  return view;
}

function cyclic() {
  const value = { a: [1] };
  value.a.push(value);
  return value;
}

const throwing = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });

/** Matrices no method can use, with the error class each must reject with. */
const BAD_MATRICES = {
  null: [null, 'InvalidInputError'],
  undefined: [undefined, 'InvalidInputError'],
  string: ['1,2,3,4', 'InvalidInputError'],
  number: [4, 'InvalidInputError'],
  object: [{ length: 4 }, 'InvalidInputError'],
  'detached buffer': [detached(), 'InvalidInputError'],
  BigInt64Array: [new BigInt64Array(8), 'InvalidInputError'],
  BigUint64Array: [new BigUint64Array(8), 'InvalidInputError'],
  DataView: [new DataView(new ArrayBuffer(32)), 'InvalidInputError'],
  'null row': [[null, [1, 0, 0, 0]], 'InvalidInputError'],
  'string in a row': [[[1, 0, 'x', 0], [0, 1, 0, 0]], 'InvalidInputError'],
  'BigInt in a row': [[[1n, 0n, 0n, 0n]], 'InvalidInputError'],
  'a row after numbers': [[1, 0, 0, [0]], 'InvalidInputError'],
  'holes': [new Array(8), 'InvalidInputError'],
  'detached row': [[new Float32Array(4), detached()], 'InvalidInputError'],
  'ragged rows': [[[1, 0, 0, 0], [1, 0]], 'DimensionMismatchError'],
  Symbol: [Symbol('k'), 'InvalidInputError'],
  function: [() => K, 'InvalidInputError'],
  Proxy: [throwing, 'InvalidInputError'],
};

/** Options no method accepts. */
const BAD_OPTIONS = {
  'a string': ['causal', 'InvalidInputError'],
  'an array': [[true], 'InvalidInputError'],
  'an unknown key': [{ casual: true }, 'InvalidConfigError'],
  'causal as a string': [{ causal: 'false' }, 'InvalidInputError', 'batch'],
  'causal as 1': [{ causal: 1 }, 'InvalidInputError', 'batch'],
  'rows negative': [{ rows: -1 }, 'InvalidInputError', 'batch'],
  'rows fractional': [{ rows: 1.5 }, 'InvalidInputError', 'batch'],
  'position as a string': [{ position: '1' }, 'InvalidInputError', 'single'],
  'mask as a string': [{ mask: 'true' }, 'InvalidInputError'],
  'mask as a number': [{ mask: 1 }, 'InvalidInputError'],
  'mask with null': [{ mask: [true, null] }, 'InvalidInputError'],
  'mask with an object': [{ mask: [{}, true] }, 'InvalidInputError'],
  'mask BigInt64Array': [{ mask: new BigInt64Array(2) }, 'InvalidInputError'],
  'mask detached': [{ mask: detached() }, 'InvalidInputError'],
  'mask of the wrong length': [{ mask: [true, false, true] }, 'DimensionMismatchError'],
  'mask of 0.5': [{ mask: [0.5, 1] }, 'InvalidInputError'],
  'extras a string': [{ extras: 'x' }, 'InvalidInputError'],
  'extras an array': [{ extras: [1] }, 'InvalidInputError'],
  'extras with a function': [{ extras: { f() {} } }, 'InvalidInputError'],
  'extras with a Symbol': [{ extras: { s: Symbol('s') } }, 'InvalidInputError'],
  'extras with a BigInt': [{ extras: { b: 1n } }, 'InvalidInputError'],
  'extras with NaN': [{ extras: { x: NaN } }, 'InvalidInputError'],
  'extras cyclic': [{ extras: cyclic() }, 'InvalidInputError'],
  'extras with a BigInt64Array': [{ extras: { d: new BigInt64Array(1) } }, 'InvalidInputError'],
  'extras unknown to the mechanism': [{ extras: { nope: 1 } }, 'InvalidConfigError'],
  'signal not a signal': [{ signal: {} }, 'InvalidInputError'],
  'timeoutMs negative': [{ timeoutMs: -1 }, 'InvalidInputError'],
  'timeoutMs a string': [{ timeoutMs: '10' }, 'InvalidInputError'],
  'a Proxy': [new Proxy({}, { ownKeys: () => { throw new Error('trap'); } }), 'InvalidInputError'],
};

// Each method, called with the good arguments except for those given.
const GOOD = { single: { query: Q, keys: K, values: V }, batch: { query: [Q, Q], keys: K, values: V } };
const METHODS = {
  compute: { kind: 'single', run: (a, { query, keys, values, options }) => a.compute(query, keys, values, options) },
  weights: { kind: 'single', run: (a, { query, keys, options }) => a.weights(query, keys, options) },
  computeBatch: { kind: 'batch', run: (a, { query, keys, values, options }) => a.computeBatch(query, keys, values, options) },
  weightsBatch: { kind: 'batch', run: (a, { query, keys, options }) => a.weightsBatch(query, keys, options) },
  headWeightsBatch: { kind: 'batch', run: (a, { query, keys, options }) => a.headWeightsBatch(query, keys, options) },
};
const call = (method, changes) => () => METHODS[method].run(attn, { ...GOOD[METHODS[method].kind], ...changes });

/** Values Python refuses, shaped right for each place (single query: 4; others: 2 rows). */
const BAD_VALUES = {
  NaN: [NaN, 'InvalidInputError'],
  Infinity: [-Infinity, 'InvalidInputError'],
  'past float32 (Float64Array)': [1e300, 'InvalidInputError'],
};
function shaped(place, kind, bad) {
  const length = place === 'query' && kind === 'single' ? 4 : place === 'values' ? 4 : 8;
  const data = new Float64Array(length).fill(0.5);
  data[1] = bad;
  return data;
}

const TYPED = new Set(['InvalidInputError', 'InvalidConfigError', 'DimensionMismatchError', 'EmptyInputError', 'InputTooLargeError', 'UnknownMechanismError']);

async function expectTyped(label, call, name) {
  const err = await rejection(call, label);
  assert.ok(err instanceof facade.AttentionError, `${label}: ${err?.name}: ${err?.message}`);
  assert.ok(TYPED.has(err.name), `${label}: ${err.name}`);
  assert.equal(err.name, name, `${label}: ${err.name}: ${err.message}`);
  assert.ok(err instanceof facade[name]);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.details && typeof err.details === 'object', `${label}: details`);
}

describe('matrices the JS side cannot send reject typed, from every method', () => {
  for (const [method, { kind }] of Object.entries(METHODS)) {
    it(method, async () => {
      for (const place of ['query', 'keys', ...(method === 'compute' || method === 'computeBatch' ? ['values'] : [])]) {
        for (const [label, [bad, name]] of Object.entries(BAD_MATRICES)) {
          await expectTyped(`${method} ${place}=${label}`, call(method, { [place]: bad }), name);
        }
        for (const [label, [bad, name]] of Object.entries(BAD_VALUES)) {
          await expectTyped(`${method} ${place}=${label}`, call(method, { [place]: shaped(place, kind, bad) }), name);
        }
      }
    });
  }
});

describe('options the JS side refuses reject typed, from every method', () => {
  for (const [method, { kind }] of Object.entries(METHODS)) {
    it(method, async () => {
      for (const [label, [options, name, only]] of Object.entries(BAD_OPTIONS)) {
        const expected = only && only !== kind ? 'InvalidConfigError' : name; // another kind's option is unknown
        await expectTyped(`${method} ${label}`, call(method, { options }), expected);
      }
    });
  }
});

describe('configs, names and runtime options', () => {
  const configs = {
    null: null,
    number: 4,
    string: 'dim=4',
    array: [4],
    'a function': { dim: 4, f() {} },
    'a Symbol value': { dim: Symbol('4') },
    'a Symbol key': { dim: 4, [Symbol('k')]: 1 },
    'a BigInt': { dim: 4n },
    NaN: { dim: NaN },
    Infinity: { dim: 4, temperature: Infinity },
    cyclic: cyclic(),
    'a Date': { dim: 4, seed: new Date() },
    'a Map': new Map([['dim', 4]]),
    'a typed array': new Float32Array(4),
    'a throwing getter': { get dim() { throw new Error('getter'); } },
    'an unknown key': { dim: 4, nope: 1 },
    'a string flag': { dim: 4, causal: 'false' },
    'too large': { dim: 8, numFeatures: 1e9 },
  };
  const expected = { 'a string flag': ['InvalidInputError', 'InvalidConfigError'], 'too large': ['InputTooLargeError'] };

  it('create rejects every bad config typed, once, and keeps nothing', async () => {
    const registered = rt._stats.registered;
    for (const [label, config] of Object.entries(configs)) {
      const name = label === 'too large' ? 'linear' : 'scaled_dot';
      const err = await rejection(() => rt.create(name, config, { timeoutMs: 20_000 }), label);
      const names = expected[label] ?? ['InvalidConfigError'];
      assert.ok(names.includes(err.name), `${label}: ${err.name}: ${err.message}`);
      assert.ok(err instanceof facade.AttentionError);
    }
    assert.equal(rt._stats.registered, registered);
  });

  it('bad names, describe without a dim, bad uploads', async () => {
    for (const name of [5, null, undefined, Symbol('scaled_dot'), {}, () => 'scaled_dot']) {
      await expectTyped(`create ${String(name)}`, () => rt.create(name, { dim: 4 }), 'UnknownMechanismError');
    }
    await expectTyped('create nope', () => rt.create('nope', { dim: 4 }), 'UnknownMechanismError');
    await expectTyped('describe()', () => rt.describe('flash'), 'InvalidConfigError');
    await expectTyped('describe dim "x"', () => rt.describe('flash', { dim: 'x' }), 'InvalidConfigError');
    await expectTyped('describe dim 0', () => rt.describe('flash', { dim: 0 }), 'InvalidConfigError');
    await expectTyped('describe options 5', () => rt.describe('flash', 5), 'InvalidInputError');
    await expectTyped('create options', () => rt.create('flash', { dim: 4 }, { signal: 5 }), 'InvalidInputError');
    await expectTyped('create options key', () => rt.create('flash', { dim: 4 }, { dim: 4 }), 'InvalidConfigError');
    for (const [label, [bad, name]] of Object.entries(BAD_MATRICES)) {
      await expectTyped(`upload ${label}`, () => rt.upload(bad, { rows: 2 }), name);
    }
    await expectTyped('upload NaN', () => rt.upload([[NaN, 1]]), 'InvalidInputError');
    await expectTyped('upload rows "2"', () => rt.upload(new Float32Array(4), { rows: '2' }), 'InvalidInputError');
    const K2 = await rt.upload(K);
    await expectTyped('upload an uploaded matrix', () => rt.upload(K2), 'InvalidInputError');
    await expectTyped('an uploaded matrix as the query', () => attn.compute(K2, K2, V), 'InvalidInputError');
    await K2.dispose();
    await expectTyped('a released matrix', () => attn.weights(Q, K2), 'InvalidInputError');
  });

  it('createRuntime rejects bad options typed, before starting any worker', async () => {
    const cases = [5, 'x', { workers: 0 }, { workers: 1.5 }, { workers: '2' }, { nope: 1 }, { requestTimeoutMs: -5 },
      { requestTimeoutMs: '5' }, { maxWorkerMemory: 0 }, { maxWorkerMemory: 'big' }, { onProgress: 5 }, { indexURL: 5 }];
    for (const options of cases) {
      const start = performance.now();
      await expectTyped(`createRuntime(${JSON.stringify(options)})`, () => createRuntime(options), 'InvalidConfigError');
      assert.ok(performance.now() - start < 500);
    }
  });
});

describe('finite in, finite out, through the facade', () => {
  const FLOAT32_MAX = 3.4028234663852886e38;
  const inputs = {
    'float32 max': (n) => random(n, 1).map((x) => (x >= 0 ? FLOAT32_MAX : -FLOAT32_MAX)),
    '1e19': (n) => random(n, 2).map((x) => x * 2e19),
    denormals: (n) => random(n, 3).map((x) => (x >= 0 ? 1e-45 : -1e-45)),
    zeros: (n) => new Float32Array(n),
    'Int32Array': (n) => Int32Array.from(random(n, 4), (x) => x * 2 ** 31),
    'Uint8Array': (n) => Uint8Array.from(random(n, 5), (x) => (x + 0.5) * 255),
  };

  it('every mechanism: finite outputs, weights that sum to 1', async () => {
    const failures = [];
    for (const name of rt.mechanisms) {
      const { config } = await rt.describe(name, { dim: 8 }); // the defaults, required fields filled in
      const mechanism = await rt.create(name, config);
      const { dim } = mechanism.info;
      const dv = mechanism.info.valuesMatchDim ? dim : 4;
      for (const [label, make] of Object.entries(inputs)) {
        const query = make(dim);
        const keys = make(6 * dim);
        const values = make(6 * dv);
        try {
          const out = await mechanism.computeBatch(make(3 * dim), keys, values, { rows: 3 });
          const single = await mechanism.compute(query, keys, values);
          const weights = await mechanism.weights(query, keys);
          const sum = weights.reduce((a, b) => a + b, 0);
          if (![...out, ...single, ...weights].every(Number.isFinite) || Math.abs(sum - 1) > 1e-4) {
            failures.push(`${name} ${label}: finite ${[...out, ...single].every(Number.isFinite)}, weights sum ${sum}`);
          }
        } catch (err) {
          failures.push(`${name} ${label}: ${err.name}: ${err.message}`);
        }
      }
      await mechanism.dispose();
    }
    assert.deepEqual(failures, []);
  });
});

describe('afterwards', () => {
  it('the pool is intact: same workers, nothing queued, good calls answered', async () => {
    await waitFor(() => rt.workers === 2, { label: '2 workers' }); // a replacement if a call timed out
    const { queued, running } = rt._stats;
    assert.deepEqual({ queued, running }, { queued: 0, running: 0 });
    const out = await attn.compute(Q, K, V);
    assert.equal(out.length, 2);
    assert.ok(out.every(Number.isFinite));
  });
});
