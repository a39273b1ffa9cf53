// 1,000 sequential requests on one runtime: memory grows by less than 10 % after warm-up.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createRuntime } from '../../node/index.mjs';

let rt;
before(async () => {
  rt = await createRuntime({ workers: 1 });
});
after(() => rt?.close());

it('no leak over 1,000 requests', async (t) => {
  const attn = await rt.create('scaled_dot', { dim: 128 });
  const keys = Float32Array.from({ length: 1000 * 128 }, (_, i) => Math.sin(i));
  const values = Float32Array.from({ length: 1000 * 64 }, (_, i) => Math.cos(i));
  const query = keys.subarray(0, 128);
  const run = async (count) => {
    for (let i = 0; i < count; i++) {
      const out = i % 2 ? await attn.compute(query, keys, values) : await attn.computeBatch(keys.subarray(0, 8 * 128), keys, values);
      assert.ok(out.length === 64 || out.length === 8 * 64);
    }
  };
  await run(100);
  const [warm] = await rt.memory();
  await run(1000);
  const [end] = await rt.memory();
  const growth = (end.wasm - warm.wasm) / warm.wasm;
  t.diagnostic(`wasm ${warm.wasm} -> ${end.wasm} bytes, worker JS heap ${warm.jsHeap} -> ${end.jsHeap}`);
  assert.ok(growth < 0.1, `wasm memory grew ${(growth * 100).toFixed(1)} % (${warm.wasm} -> ${end.wasm})`);
  // each request moves ~0.8 MB in; a leak of that would add ~800 MB
  assert.ok(end.jsHeap - warm.jsHeap < 0.1 * warm.jsHeap + 8e6, `worker JS heap ${warm.jsHeap} -> ${end.jsHeap}`);
});
