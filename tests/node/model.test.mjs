// A real model through the Node facade: rt.loadModel(all-MiniLM-L6-v2) in two workers
// equals ruvector_attention.models on CPython (tokens, every attention map, the
// embedding), with a mechanism swapped in too; bad sources and texts reject typed; a
// replaced worker loads the model again by itself.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createRuntime } from '../../node/index.mjs';
import { PYTHON, ROOT, assertClose } from './helpers.mjs';

const MODEL = `${ROOT}dist/models/all-MiniLM-L6-v2.zip`;
const TEXTS = ['The cat sat on the mat.', 'Crème brûlée? Naïve café!'];

/** CPython's encoding of each text (optionally with a swap), as JSON. */
function cpython(swap) {
  const script = `
import json, sys
from ruvector_attention import models
enc = models.load(sys.argv[1])
swap = json.loads(sys.argv[2])
if swap:
    enc = enc.with_attention(swap["mechanism"], swap.get("layers"))
out = []
for text in json.loads(sys.argv[3]):
    o = enc(text)
    out.append({"tokens": o.tokens, "attentions": [float(x) for x in __import__("numpy").stack(o.attentions).ravel()],
                "embedding": [float(x) for x in o.embedding]})
print(json.dumps(out))`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, MODEL, JSON.stringify(swap), JSON.stringify(TEXTS)], { maxBuffer: 1 << 28 }));
}

describe('a real model in the Node runtime', () => {
  let rt;
  let model;
  before(async () => {
    rt = await createRuntime({ workers: 2 });
    model = await rt.loadModel(MODEL);
  });
  after(() => rt?.close());

  it('loads and describes the checkpoint', () => {
    assert.deepEqual(model.info, { layers: 6, heads: 12, hiddenSize: 384, maxPositions: 512, pooling: 'mean' });
  });

  it('equals CPython on every worker, with and without a mechanism swapped in', async () => {
    for (const swap of [null, { mechanism: 'hyperbolic', layers: [1, 4] }]) {
      const expected = cpython(swap);
      // four at once: both workers load the model and answer
      const outs = await Promise.all([...TEXTS, ...TEXTS].map((text) => model.encode(text, swap ?? undefined)));
      outs.forEach((out, i) => {
        const want = expected[i % TEXTS.length];
        assert.deepEqual(out.tokens, want.tokens);
        assert.equal(out.layers, 6);
        assert.equal(out.attentions.length, 6 * 12 * want.tokens.length ** 2);
        assertClose(out.attentions, want.attentions, 1e-5, 'attentions');
        assertClose(out.embedding, want.embedding, 1e-5, 'embedding');
      });
    }
  });

  it('loads from bytes as from a path', async () => {
    const fromBytes = await rt.loadModel(readFileSync(MODEL));
    const [a, b] = await Promise.all([fromBytes.encode(TEXTS[0]), model.encode(TEXTS[0])]);
    assert.deepEqual(a.embedding, b.embedding);
    await fromBytes.dispose();
  });

  it('bad sources, texts and swaps reject typed; the runtime keeps working', async () => {
    await assert.rejects(rt.loadModel(`${ROOT}no-such-model.zip`), { name: 'InvalidInputError' });
    await assert.rejects(rt.loadModel(5), { name: 'InvalidInputError' });
    await assert.rejects(rt.loadModel(Buffer.from('not a zip')), { name: 'InvalidInputError' });
    await assert.rejects(model.encode(42), { name: 'InvalidInputError' });
    await assert.rejects(model.encode('x', { mechanism: 'no_such' }), { name: 'UnknownMechanismError' });
    await assert.rejects(model.encode('x', { layers: [1] }), { name: 'InvalidInputError' });
    await assert.rejects(model.encode('x', { mechanism: 'flash', layers: [9] }), { name: 'InvalidInputError' });
    await assert.rejects(model.encode('word '.repeat(600)), { name: 'InputTooLargeError' });
    await assert.rejects(model.encode('x', { colour: 'red' }), { name: 'InvalidConfigError' });
    assert.equal((await model.encode('still fine')).tokens.length, 4);
  });

  it('a replaced worker loads the model again when a request needs it', async () => {
    const before = await model.encode(TEXTS[1]);
    await rt._killWorker(0);
    await rt._killWorker(1);
    const again = await Promise.all([model.encode(TEXTS[1]), model.encode(TEXTS[1])]);
    for (const out of again) assert.deepEqual(out.embedding, before.embedding);
  });

  it('a disposed model rejects', async () => {
    const other = await rt.loadModel(MODEL);
    await other.dispose();
    await assert.rejects(other.encode('x'), { name: 'InvalidInputError' });
  });
});
