// node bench/browser/model.mjs [--json]
// all-MiniLM-L6-v2 (dist/models, from scripts/setup-model.sh) in headless Chromium on 2
// workers (bench/browser/model.html): boot, model load in both workers, and one 32-token
// sentence through all 6 layers; bench/model.mjs times the same in Node.
import { pageResults } from './page.mjs';

const r = await pageResults('/bench/browser/model.html');
if (process.argv.includes('--json')) console.log(JSON.stringify(r));
else {
  console.log(`${r.userAgent.match(/Chrome\/[\d.]+/)?.[0]} headless, crossOriginIsolated=${r.isolated}, 2 workers, all-MiniLM-L6-v2, one ${r.tokens}-token sentence through 6 layers`);
  console.log(`boot ${r.boot_s.toFixed(2)} s, model load (both workers) ${r.load_both_workers_s.toFixed(2)} s, sentence ${r.sentence_ms.toFixed(1)} ms (median of ${r.repeat})`);
}
