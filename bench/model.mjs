// node bench/model.mjs [--repeat 20] [--json]
// all-MiniLM-L6-v2 (dist/models, from scripts/setup-model.sh) through the Node facade on 2
// workers: the time to boot, to load the model in both workers, and the median of one
// 32-token sentence (the sentence of bench/model.py, which times CPython and transformers).
import { createRuntime } from '../node/index.mjs';
import { SENTENCE } from './sentence.mjs';

const args = process.argv.slice(2);
const repeat = Number(args[args.indexOf('--repeat') + 1]) || 20;
const MODEL = new URL('../dist/models/all-MiniLM-L6-v2.zip', import.meta.url);

async function seconds(fn) {
  const start = performance.now();
  const value = await fn();
  return [value, (performance.now() - start) / 1e3];
}

const [rt, boot] = await seconds(() => createRuntime({ workers: 2 }));
const [model, load] = await seconds(async () => {
  const loaded = await rt.loadModel(MODEL);
  await Promise.all([loaded.encode('warm'), loaded.encode('up')]); // both workers hold it
  return loaded;
});
const times = [];
let tokens = 0;
for (let i = 0; i < repeat; i++) {
  const [out, s] = await seconds(() => model.encode(SENTENCE));
  tokens = out.tokens.length;
  times.push(s * 1e3);
}
times.sort((a, b) => a - b);
const result = { node: process.version, workers: 2, tokens, boot_s: boot, load_both_workers_s: load, sentence_ms: times[times.length >> 1] };
await rt.close();
if (args.includes('--json')) console.log(JSON.stringify(result));
else {
  console.log(`Node ${result.node}, 2 workers, all-MiniLM-L6-v2, one ${tokens}-token sentence through 6 layers`);
  console.log(`boot ${boot.toFixed(2)} s, model load (both workers) ${load.toFixed(2)} s, sentence ${result.sentence_ms.toFixed(1)} ms (median of ${repeat})`);
}
