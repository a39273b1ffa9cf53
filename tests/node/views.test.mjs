// handle.views: the payloads of the views only this library draws, made by the mechanism
// in a worker, equal ra.viz.special_views on CPython (numbers within float32 rounding).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { createRuntime, DimensionMismatchError, InvalidInputError } from '../../node/index.mjs';
import { PYTHON, random } from './helpers.mjs';

const DIM = 8;
const CASES = [
  { name: 'moe', config: { dim: DIM, expertCapacity: 0.5 }, python: 'dict(dim=8, expert_capacity=0.5)', views: ['routing', 'report'] },
  { name: 'hyperbolic', config: { dim: DIM }, python: 'dict(dim=8)', views: ['poincare', 'report'] },
  { name: 'centroid_ot', config: { dim: DIM, numCentroids: 3 }, python: 'dict(dim=8, num_centroids=3)', views: ['transport', 'report'] },
  { name: 'topology_gated', config: { dim: DIM, window: 4 }, python: 'dict(dim=8, window=4)', views: ['topology', 'report'] },
  { name: 'scaled_dot', config: { dim: DIM }, python: 'dict(dim=8)', views: ['report'] },
];
const KEYS = random(10 * DIM, 11).map((x) => x * 0.5);
const TOKENS = Array.from({ length: 10 }, (_, i) => `t${i}`);

function cpython({ name, python }) {
  const script = `
import json, sys, numpy as np, ruvector_attention as ra
keys = np.array(json.loads(sys.stdin.read()), dtype=np.float32).reshape(-1, ${DIM})
attn = ra.create(${JSON.stringify(name)}, **${python})
print(json.dumps(ra.viz.special_views(attn, keys, keys, x_labels=${JSON.stringify(TOKENS)}, y_labels=${JSON.stringify(TOKENS)})))`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script], { input: JSON.stringify([...KEYS]) }));
}

/** `actual` equals `expected` with numbers within `tolerance` (relative past 1). */
function assertSame(actual, expected, path = 'payload', tolerance = 1e-5) {
  if (typeof expected === 'number') {
    assert.equal(typeof actual, 'number', path);
    assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${path}: ${actual} vs ${expected}`);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual) && actual.length === expected.length, `${path}: length`);
    expected.forEach((item, i) => assertSame(actual[i], item, `${path}[${i}]`, tolerance));
  } else if (expected !== null && typeof expected === 'object') {
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${path}: keys`);
    for (const key of Object.keys(expected)) assertSame(actual[key], expected[key], `${path}.${key}`, tolerance);
  } else {
    assert.equal(actual, expected, path);
  }
}

describe('handle.views', () => {
  let rt;
  before(async () => {
    rt = await createRuntime({ workers: 1 });
  });
  after(() => rt?.close());

  for (const c of CASES) {
    test(`${c.name}: ${c.views.join(' + ')} equal ra.viz.special_views on CPython`, async () => {
      const attn = await rt.create(c.name, c.config);
      try {
        const payloads = await attn.views(KEYS, KEYS, { labels: { x: TOKENS, y: TOKENS } });
        assert.deepEqual(payloads.map((p) => p.view), c.views);
        assertSame(payloads, cpython(c));
      } finally {
        await attn.dispose();
      }
    });
  }

  test('bad inputs and labels reject typed; the runtime keeps working', async () => {
    const attn = await rt.create('moe', { dim: DIM });
    await assert.rejects(attn.views(KEYS, KEYS.subarray(0, 5)), DimensionMismatchError);
    await assert.rejects(attn.views(KEYS, KEYS, { labels: 'abc' }), InvalidInputError);
    await assert.rejects(attn.views(KEYS, KEYS, { labels: { row: 99 } }), InvalidInputError);
    await assert.rejects(attn.views(KEYS, KEYS, { labels: { x: ['too', 'few'] } }), DimensionMismatchError);
    assert.deepEqual((await attn.views(KEYS, KEYS)).map((p) => p.view), ['routing', 'report']);
    await attn.dispose();
  });
});
