// node bench/diffusion.mjs [keys ...] [--json]
// node bench/diffusion.mjs --before [keys ...]
// Diffusion attention through the Node facade (one Pyodide worker), the JS side of
// bench/diffusion.py: rt.create('diffusion', {dim: 16}) + weights for a new key set ("cold":
// includes the kNN graph), the same keys with another query ("warm": graph cached on the
// worker), and weightsBatch of 64 queries on those keys. Keys and queries standard normal
// (seeded), sent as Float32Arrays on every call.
// --before: the former dense algorithm (before_weights of bench/diffusion.py: n x n inverse
// and matrix power) in Pyodide in this thread, one query, default keys 1000 and 2000.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { loadPyodide } from 'pyodide';
import { DEFAULT_INDEX_URL, DEFAULT_PACKAGES_URL, createRuntime } from '../node/index.mjs';

const DIM = 16;
const args = process.argv.slice(2);
const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
const json = args.includes('--json');

function normals(count, seed) {
  // xorshift32 + Box-Muller: reproducible without dependencies
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const a = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(a);
    if (i + 1 < count) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

async function seconds(fn) {
  const start = performance.now();
  const value = await fn();
  return [value, (performance.now() - start) / 1e3];
}

if (args.includes('--before')) {
  const py = await loadPyodide({
    indexURL: DEFAULT_INDEX_URL, lockFileURL: `${DEFAULT_PACKAGES_URL}pyodide-lock.json`, packageCacheDir: DEFAULT_PACKAGES_URL,
  });
  await py.loadPackage('numpy');
  const globals = py.toPy({ __name__: 'diffusion_bench' }); // its functions, not its main
  py.runPython(readFileSync(new URL('./diffusion.py', import.meta.url), 'utf8'), { globals });
  console.log(`Node ${process.version}, Pyodide ${py.version}, the former dense diffusion, 1 query; seconds`);
  for (const n of sizes.length ? sizes : [1000, 2000]) {
    const s = py.runPython(`
import time
rng = np.random.default_rng(0)
keys, query = rng.standard_normal((${n}, ${DIM}), dtype=np.float32), rng.standard_normal((1, ${DIM}), dtype=np.float32)
start = time.perf_counter()
before_weights(query, keys)
time.perf_counter() - start`, { globals });
    console.log(`${String(n).padStart(7)} ${s.toFixed(2).padStart(9)}`);
  }
  process.exit(0);
}

const rt = await createRuntime({ workers: 1 });
const rows = [];
for (const n of sizes.length ? sizes : [2000, 20000, 100000]) {
  const keys = normals(n * DIM, n);
  const [q1, q2] = [normals(DIM, 1), normals(DIM, 2)];
  const batch = normals(64 * DIM, 3);
  const attn = await rt.create('diffusion', { dim: DIM });
  const [w, cold] = await seconds(() => attn.weights(q1, keys, {}));
  const [, warm] = await seconds(() => attn.weights(q2, keys, {}));
  const [wb, warm64] = await seconds(() => attn.weightsBatch(batch, keys, {}));
  const sum = w.reduce((a, b) => a + b, 0);
  const sums = Array.from({ length: 64 }, (_, i) => wb.subarray(i * n, (i + 1) * n).reduce((a, b) => a + b, 0));
  if (Math.abs(sum - 1) > 1e-4 || sums.some((s) => Math.abs(s - 1) > 1e-4)) throw new Error(`weights do not sum to 1 at ${n} keys`);
  await attn.dispose();
  rows.push({ keys: n, cold1: cold, warm1: warm, warm64 });
  if (!json) console.error(`measured ${n} keys`);
}
await rt.close();

if (json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log(`Node ${process.version}, ${availableParallelism()} cores, one worker; seconds`);
  console.log(`${'keys'.padStart(7)} ${'1 query cold'.padStart(13)} ${'1 query warm'.padStart(13)} ${'64 queries warm'.padStart(16)}`);
  for (const r of rows) {
    console.log(`${String(r.keys).padStart(7)} ${r.cold1.toFixed(2).padStart(13)} ${r.warm1.toFixed(2).padStart(13)} ${r.warm64.toFixed(2).padStart(16)}`);
  }
}
