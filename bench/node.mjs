// node bench/node.mjs [--json] [--relaxed-simd]
// Our Node facade (1 and 2 workers; 2 workers again with the WebAssembly SIMD kernels off,
// RUVECTOR_KERNELS=numpy) vs npm @ruvector/attention (native) and @ruvector/attention-wasm,
// side by side in one process, on bench/workloads.mjs and a 1 x 16 call (almost no
// arithmetic: the fixed cost of a call). GFLOP/s: flops(w) of bench/workloads.mjs.
// --relaxed-simd turns on V8's relaxed SIMD (a flag on Node 20, the default from Node 21),
// so that the workers load the kernels' relaxed build (fused multiply-adds).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import * as wasm from '@ruvector/attention-wasm';
import { createRuntime } from '../node/index.mjs';
import { WORKLOADS, gflops, inputs, medianMs, nativeCall, oursCall, wasmCall } from './workloads.mjs';

if (process.argv.includes('--relaxed-simd')) setFlagsFromString('--experimental-wasm-relaxed-simd');
// the build the workers' Python loads: the relaxed one where this engine validates it
const relaxed = WebAssembly.validate(readFileSync(new URL('../pycore/ruvector_attention/kernels/attention-relaxed.wasm', import.meta.url)));
const require = createRequire(import.meta.url);
const native = require('@ruvector/attention');
wasm.initSync({ module: readFileSync(require.resolve('@ruvector/attention-wasm/ruvector_attention_wasm_bg.wasm')) });

const FIXED_COST = { label: 'scaled_dot 1x16', queries: 1, keys: 16, mechanism: 'scaled_dot', config: {} };

const [one, two] = [await createRuntime({ workers: 1 }), await createRuntime({ workers: 2 })];
const kernels = process.env.RUVECTOR_KERNELS;
process.env.RUVECTOR_KERNELS = 'numpy'; // workers take the environment they start with
const off = await createRuntime({ workers: 2 });
if (kernels === undefined) delete process.env.RUVECTOR_KERNELS;
else process.env.RUVECTOR_KERNELS = kernels;
const rows = [];
for (const w of [FIXED_COST, ...WORKLOADS]) {
  const data = inputs(w);
  const slowPeer = w.queries > 1 ? { budgetMs: 0, minRuns: 1 } : {};
  const ms = {
    ours1: await medianMs(await oursCall(one, w, data)),
    ours2: await medianMs(await oursCall(two, w, data)),
    ours2r: await medianMs(await oursCall(two, w, data, { resident: true })),
    off2r: await medianMs(await oursCall(off, w, data, { resident: true }), { budgetMs: 0, minRuns: 3 }),
    native: await medianMs(nativeCall(native, w, data), { minRuns: 3 }),
    wasm: await medianMs(wasmCall(wasm, w, data), slowPeer),
  };
  rows.push({ workload: w.label, ...ms, gflops1: gflops(w, ms.ours1), gflops2r: gflops(w, ms.ours2r) });
  if (!process.argv.includes('--json')) console.error(`measured ${w.label}`);
}
await Promise.all([one.close(), two.close(), off.close()]);

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log(`Node ${process.version}, ${availableParallelism()} cores; median ms (wasm peer: one run for 512 queries)`);
  console.log(`our kernels: the ${relaxed ? 'relaxed-SIMD' : 'simd128'} build`);
  console.log('"res": keys and values uploaded once with rt.upload; the peers get arrays each call;');
  console.log('"off": the WebAssembly SIMD kernels off (NumPy in Pyodide); GF/s: GFLOP/s');
  const header = ['workload', 'ours 1w', 'ours 2w', 'ours 2w res', '2w res off', 'native', 'wasm',
    'GF/s 1w', 'GF/s 2w res', 'off/on', '2w/native', '2w res/nat', 'wasm/2w', 'wasm/2w res'];
  console.log(header.map((h, i) => (i ? h.padStart(12) : h.padEnd(23))).join(''));
  for (const r of rows) {
    const cells = [r.ours1, r.ours2, r.ours2r, r.off2r, r.native, r.wasm].map((x) => x.toFixed(3).padStart(12));
    const rates = [r.gflops1, r.gflops2r].map((x) => x.toFixed(1).padStart(12));
    const ratios = [r.off2r / r.ours2r, r.ours2 / r.native, r.ours2r / r.native, r.wasm / r.ours2, r.wasm / r.ours2r]
      .map((x) => x.toFixed(x < 10 ? 3 : 1).padStart(12));
    console.log(r.workload.padEnd(23) + cells.join('') + rates.join('') + ratios.join(''));
  }
}
