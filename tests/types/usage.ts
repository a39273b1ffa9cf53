// Compiled with `tsc --noEmit` by tests/node/types.test.mjs: the .d.ts files describe
// real usage (API.md §5) and reject misuse.
import {
  createRuntime, loadCompat, DimensionMismatchError, DEFAULT_INDEX_URL, DEFAULT_PACKAGES_URL,
  type Encoding, type MechanismName, type Runtime,
} from 'ruvector-attention-py/node';
import * as web from 'ruvector-attention-py/web';
import { AttentionVisualizer, type VisualizerData } from 'ruvector-attention-py/visualizer';

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
  // @ts-expect-error: packagesURL is a string or URL
  await createRuntime({ packagesURL: 5 });
  const browser: web.Runtime = await web.createRuntime({ indexURL: web.DEFAULT_INDEX_URL, packagesURL: DEFAULT_PACKAGES_URL });
  const data: VisualizerData = { weights: new Float32Array(4), heads: 1, rows: 2, cols: 2, xLabels: ['a', 'b'] };
  const view = new AttentionVisualizer(document.createElement('div'));
  view.render(data);
  const png: Blob = await view.toPNG();
  console.log(DEFAULT_INDEX_URL, browser, png, view.head);
  const model = await rt.loadModel('dist/models/all-MiniLM-L6-v2.zip');
  const encoding: Encoding = await model.encode('The cat sat.', { mechanism: 'flash', layers: [0] });
  const heads: number = model.info.heads;
  console.log(encoding.tokens.join(' '), encoding.attentions.length, heads);
  // @ts-expect-error: encode takes a string
  await model.encode(5);
}

void main();
