// Compiled with `tsc --noEmit` by tests/node/types.test.mjs: the .d.ts files describe
// real usage (API.md §5) and reject misuse.
import {
  createRuntime, loadCompat, DimensionMismatchError, type MechanismName, type Runtime,
} from 'ruvector-attention-py/node';

async function main(): Promise<void> {
  const rt: Runtime = await createRuntime({ workers: 2, onProgress: ({ phase, loaded, total }) => console.log(phase, loaded / total) });
  const names: MechanismName[] = rt.mechanisms;
  const attn = await rt.create('multi_head', { dim: 64, numHeads: 4, seed: 0 });
  const query = new Float32Array(64);
  const rows = [new Float32Array(64), new Float32Array(64)];
  const out: Float32Array = await attn.compute(query, rows, rows, { mask: [true, false] });
  const outs: Float32Array = await attn.computeBatch(rows, rows, rows, { causal: true });
  const w: Float32Array = await attn.weights(query, new Float32Array(128));
  const info: { name: MechanismName; numHeads: number } = attn.info;
  try {
    await attn.compute(query.subarray(1), rows, rows);
  } catch (err) {
    if (err instanceof DimensionMismatchError) console.log(err.details.expected, err.details.actual);
  }
  await attn.dispose();
  await rt.close();
  const ra = await loadCompat();
  const single: Float32Array = ra.multiHeadAttention(query, rows, rows, { dim: 64, numHeads: 4 });
  console.log(names, out, outs, w, info, single);
  // @ts-expect-error: computeBatch returns a Float32Array, not rows
  const wrong: Float32Array[] = await attn.computeBatch(rows, rows, rows);
  console.log(wrong);
}

void main();
