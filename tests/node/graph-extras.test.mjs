// Seed 004's graph mechanisms through the Node facade with their per-call inputs as
// { extras } (camelCase in JS, snake_case in Python): equal to CPython, and bad inputs
// reject typed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createRuntime } from '../../node/index.mjs';
import { PYTHON, assertClose, random } from './helpers.mjs';

const DIM = 8;
const N = 6;
const queries = random(3 * DIM, 11);
const keys = random(N * DIM, 12);
const CASES = {
  hnsw_aware: { config: { dim: DIM, maxLayers: 4, seed: 1 }, extras: { hnswLayers: [0, 1, 0, 2, 3, 0] },
    python: "ra.create('hnsw_aware', dim=8, max_layers=4, seed=1)", keyword: 'hnsw_layers' },
  structural: { config: { dim: DIM, numFeatures: 2, seed: 1 }, extras: { structuralFeatures: [[1, 0.5], [2, 0.1], [0, 0], [3, 0.9], [1, 0.2], [2, 0.4]] },
    python: "ra.create('structural', dim=8, num_features=2, seed=1)", keyword: 'structural_features' },
};

function cpython(name) {
  const { python, keyword, extras } = CASES[name];
  const script = `
import json, sys, numpy as np, ruvector_attention as ra
q = np.array(json.loads(sys.argv[1]), np.float32).reshape(3, ${DIM})
k = np.array(json.loads(sys.argv[2]), np.float32).reshape(${N}, ${DIM})
attn = ${python}
print(json.dumps(attn.weights_batch(q, k, ${keyword}=json.loads(sys.argv[3])).ravel().tolist()))`;
  const out = execFileSync(PYTHON, ['-c', script, JSON.stringify([...queries]), JSON.stringify([...keys]), JSON.stringify(Object.values(extras)[0])]);
  return JSON.parse(out);
}

describe('graph mechanisms with per-call inputs', () => {
  let rt;
  before(async () => {
    rt = await createRuntime({ workers: 2 });
  });
  after(() => rt?.close());

  for (const name of Object.keys(CASES)) {
    it(`${name}: extras reach Python, the result equals CPython (split over two workers too)`, async () => {
      const { config, extras } = CASES[name];
      const attn = await rt.create(name, config);
      const weights = await attn.weightsBatch(queries, keys, { extras });
      assertClose(weights, cpython(name), 1e-6, name);
      const plain = await attn.weightsBatch(queries, keys);
      assert.notDeepEqual(plain, weights); // the inputs change the weights
    });
  }

  it('bad per-call inputs reject typed', async () => {
    const hnsw = await rt.create('hnsw_aware', CASES.hnsw_aware.config);
    await assert.rejects(hnsw.weightsBatch(queries, keys, { extras: { hnswLayers: [0, 1, 0, 2, 9, 0] } }), { name: 'InvalidInputError' });
    await assert.rejects(hnsw.weightsBatch(queries, keys, { extras: { hnswLayers: [0, 1] } }), { name: 'DimensionMismatchError' });
    const structural = await rt.create('structural', CASES.structural.config);
    await assert.rejects(structural.weightsBatch(queries, keys, { extras: { structuralFeatures: [[1, 2, 3]] } }), { name: 'DimensionMismatchError' });
  });
});
