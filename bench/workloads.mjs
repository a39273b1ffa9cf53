// The JS benchmark workloads (dim 128, float32) and the peers' adapters, shared by the
// Node benchmark and the browser one. Every implementation gets the same inputs.
export const DIM = 128;

export const WORKLOADS = [
  { label: 'scaled_dot 1x1000', queries: 1, keys: 1000, mechanism: 'scaled_dot', config: {} },
  { label: 'scaled_dot 512x1000', queries: 512, keys: 1000, mechanism: 'scaled_dot', config: {} },
  { label: 'multi_head 8h 512x1000', queries: 512, keys: 1000, mechanism: 'multi_head', config: { numHeads: 8 } },
  { label: 'flash 1x10000', queries: 1, keys: 10000, mechanism: 'flash', config: { blockSize: 64 } },
];

/** Floating-point operations of one call: 2·m·n·d for the scores and again for the
 * weights times the values, plus multi_head's four projections (2·rows·d² each). */
export function flops({ queries, keys, mechanism }) {
  const projections = mechanism === 'multi_head' ? 4 * (queries + keys) * DIM * DIM : 0;
  return 4 * queries * keys * DIM + projections;
}

/** GFLOP/s of a workload done in `ms`. */
export const gflops = (w, ms) => flops(w) / ms / 1e6;

/** Deterministic inputs: flat arrays and the same data as rows (the peers' format). */
export function inputs({ queries, keys }, seed = 1) {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296 - 0.5;
  };
  const flat = (n) => Float32Array.from({ length: n }, next);
  const q = flat(queries * DIM);
  const k = flat(keys * DIM);
  const v = flat(keys * DIM);
  const rows = (data) => Array.from({ length: data.length / DIM }, (_, i) => data.subarray(i * DIM, (i + 1) * DIM));
  return { q, k, v, qRows: rows(q), kRows: rows(k), vRows: rows(v) };
}

/**
 * Median ms of `fn` over runs until ~`budgetMs` is spent (at least `minRuns`), after calls
 * for ~`warmupMs` (at least one): engines compile WebAssembly in tiers (V8: Liftoff first,
 * TurboFan in the background for what turns hot), and new memory faults in on first touch,
 * so the first calls of Pyodide's interpreter, of our kernels and of the wasm peer run
 * slower than the steady state measured here (flash 1 x 10,000 uploaded: 4.1 ms in its
 * first 1.5 s on 2 Node workers, 1.6-2.4 later).
 */
export async function medianMs(fn, { budgetMs = 1500, minRuns = 1, maxRuns = 30, warmupMs = 1000 } = {}) {
  const warmup = performance.now();
  do await fn(); while (performance.now() - warmup < warmupMs);
  const times = [];
  const start = performance.now();
  while (times.length < minRuns || (times.length < maxRuns && performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * Our runtime on one workload: compute for one query, computeBatch otherwise. With
 * `resident`, keys and values are uploaded once (rt.upload) and only queries travel.
 */
export async function oursCall(rt, w, data, { resident = false } = {}) {
  const attn = await rt.create(w.mechanism, { dim: DIM, ...w.config });
  const k = resident ? await rt.upload(data.k, { rows: w.keys }) : data.k;
  const v = resident ? await rt.upload(data.v, { rows: w.keys }) : data.v;
  return w.queries === 1 ? () => attn.compute(data.q, k, v) : () => attn.computeBatch(data.q, k, v);
}

/** A peer's single-query function, looped over the queries (neither peer batches). */
function perQuery(compute, data) {
  return () => {
    let out;
    for (const query of data.qRows) out = compute(query, data.kRows, data.vRows);
    return out;
  };
}

/** @ruvector/attention (native N-API) */
export function nativeCall(ra, w, data) {
  const instance = {
    scaled_dot: () => new ra.DotProductAttention(DIM),
    multi_head: () => new ra.MultiHeadAttention(DIM, w.config.numHeads),
    flash: () => new ra.FlashAttention(DIM, w.config.blockSize),
  }[w.mechanism]();
  return perQuery((q, k, v) => instance.compute(q, k, v), data);
}

/** @ruvector/attention-wasm (initialised by the caller) */
export function wasmCall(wasm, w, data) {
  const compute = {
    scaled_dot: () => (q, k, v) => wasm.scaled_dot_attention(q, k, v),
    multi_head: () => {
      const mha = new wasm.WasmMultiHeadAttention(DIM, w.config.numHeads);
      return (q, k, v) => mha.compute(q, k, v);
    },
    flash: () => {
      const flash = new wasm.WasmFlashAttention(DIM, w.config.blockSize);
      return (q, k, v) => flash.compute(q, k, v);
    },
  }[w.mechanism]();
  return perQuery(compute, data);
}
