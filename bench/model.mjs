// node bench/model.mjs [--repeat 20] [--json]
// all-MiniLM-L6-v2 (dist/models, from scripts/setup-model.sh) through the Node facade on 2
// workers: the time to boot, to load the model in both workers, and the median of one
// 32-token sentence (the sentence of bench/model.py, which times CPython and transformers).
import { createRuntime } from '../node/index.mjs';
import { timeModel } from './model-timing.mjs';

const args = process.argv.slice(2);
const repeat = Number(args[args.indexOf('--repeat') + 1]) || 20;
const MODEL = new URL('../dist/models/all-MiniLM-L6-v2.zip', import.meta.url);

const result = { node: process.version, ...(await timeModel(createRuntime, MODEL, repeat)) };
if (args.includes('--json')) console.log(JSON.stringify(result));
else {
  console.log(`Node ${result.node}, 2 workers, all-MiniLM-L6-v2, one ${result.tokens}-token sentence through 6 layers`);
  console.log(`boot ${result.boot_s.toFixed(2)} s, model load (both workers) ${result.load_both_workers_s.toFixed(2)} s, sentence ${result.sentence_ms.toFixed(1)} ms (median of ${repeat})`);
}
