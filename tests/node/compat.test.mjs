// loadCompat(): @ruvector/attention's names, signatures and return types, synchronous,
// checked against the formulas written out here in float64.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadCompat } from '../../node/index.mjs';
import { assertClose } from './helpers.mjs';

let ra;
before(async () => {
  ra = await loadCompat();
});

const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
function softmaxAttention(query, keys, values, score) {
  const s = keys.map((k) => score(query, k));
  const max = Math.max(...s);
  const e = s.map((x) => Math.exp(x - max));
  const total = e.reduce((a, b) => a + b, 0);
  return values[0].map((_, j) => values.reduce((acc, v, i) => acc + (e[i] / total) * v[j], 0));
}

const query = new Float32Array([0.3, -0.2, 0.1, 0.05]);
const keys = [[0.1, 0.2, -0.1, 0.3], [-0.2, 0.1, 0.4, 0.0], [0.05, -0.3, 0.2, 0.1]].map((r) => new Float32Array(r));
const values = [[1, 0], [0, 1], [0.5, 0.5]].map((r) => new Float32Array(r));

describe('compat layer', () => {
  it('exposes the four functions of @ruvector/attention', () => {
    for (const name of ['scaledDotProductAttention', 'multiHeadAttention', 'flashAttention', 'hyperbolicAttention']) {
      assert.equal(typeof ra[name], 'function');
    }
  });

  it('scaledDotProductAttention is synchronous softmax(q·k/√d) V', () => {
    const out = ra.scaledDotProductAttention(query, keys, values);
    assert.ok(out instanceof Float32Array);
    assertClose(out, softmaxAttention(query, keys, values, (q, k) => dot(q, k) / 2), 1e-6);
  });

  it('flashAttention equals it for any block size', () => {
    const exact = softmaxAttention(query, keys, values, (q, k) => dot(q, k) / 2);
    assertClose(ra.flashAttention(query, keys, values, 1), exact, 1e-6);
    assertClose(ra.flashAttention(query, keys, values), exact, 1e-6);
  });

  it('hyperbolicAttention weighs by Poincaré distance', () => {
    const distance = (x, y) => {
      const d2 = x.reduce((s, xi, i) => s + (xi - y[i]) ** 2, 0);
      return Math.acosh(1 + (2 * d2) / ((1 - dot(x, x)) * (1 - dot(y, y))));
    };
    const same = values.map(() => new Float32Array([0.2, -0.1]));
    const out = ra.hyperbolicAttention(query, keys, same, -1.0);
    assertClose(out, [0.2, -0.1], 1e-6); // the gyro-midpoint of equal points is that point
    const far = ra.hyperbolicAttention(query, keys, values.map((v) => v.map((x) => x * 0.5)), -1.0);
    assert.equal(far.length, 2);
    assert.ok(distance(query, keys[0]) > 0);
  });

  it('multiHeadAttention takes {dim, numHeads} and returns dim values', () => {
    const vs = keys;
    const out = ra.multiHeadAttention(query, keys, vs, { dim: 4, numHeads: 2 });
    assert.ok(out instanceof Float32Array);
    assert.equal(out.length, 4);
    assert.deepEqual(ra.multiHeadAttention(query, keys, vs, { dim: 4, numHeads: 2 }), out);
  });

  it('throws typed errors synchronously', () => {
    assert.throws(() => ra.scaledDotProductAttention(query, keys, values.slice(0, 2)), { name: 'DimensionMismatchError' });
    assert.throws(() => ra.multiHeadAttention(query, keys, keys, { dim: 4, numHeads: 3 }), { name: 'InvalidConfigError' });
    assert.throws(() => ra.hyperbolicAttention(query, keys, values, 1.0), { name: 'InvalidConfigError' });
  });
});
