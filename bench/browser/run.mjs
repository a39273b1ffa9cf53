// node bench/browser/run.mjs [--json]
// Our runtime in headless Chromium (1 and 2 workers, with and without rt.upload) against
// @ruvector/attention-wasm loaded in the same page, on bench/workloads.mjs; our Node
// runtime is measured in the same run for the browser/Node ratio. GF/s: GFLOP/s of the
// browser's 2 workers with uploaded keys (flops(w) of bench/workloads.mjs).
import { pageResults } from './page.mjs';
import { createRuntime } from '../../node/index.mjs';
import { WORKLOADS, gflops, inputs, medianMs, oursCall } from '../workloads.mjs';

const { rows, isolated, userAgent } = await pageResults('/bench/browser/index.html');

const node = await createRuntime({ workers: 2 });
for (const [i, w] of WORKLOADS.entries()) {
  const data = inputs(w);
  rows[i].node2 = await medianMs(await oursCall(node, w, data));
  rows[i].node2r = await medianMs(await oursCall(node, w, data, { resident: true }));
}
await node.close();

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ isolated, userAgent, rows }, null, 2));
} else {
  console.log(`${userAgent.match(/Chrome\/[\d.]+/)?.[0]} headless, crossOriginIsolated=${isolated}; median ms ("res": rt.upload)`);
  const header = ['workload', 'web 1w', 'web 2w', 'web 2w res', 'wasm', 'node 2w', 'node 2w res', 'GF/s web res', 'web/node', 'web/node res', 'wasm/web 2w', 'wasm/web res'];
  console.log(header.map((h, i) => (i ? h.padStart(13) : h.padEnd(23))).join(''));
  for (const [i, r] of rows.entries()) {
    const cells = [r.ours1, r.ours2, r.ours2r, r.wasm, r.node2, r.node2r, gflops(WORKLOADS[i], r.ours2r)]
      .map((x, c) => x.toFixed(c === 6 ? 1 : 3).padStart(13));
    const ratios = [r.ours2 / r.node2, r.ours2r / r.node2r, r.wasm / r.ours2, r.wasm / r.ours2r]
      .map((x) => x.toFixed(x < 10 ? 2 : 1).padStart(13));
    console.log(r.workload.padEnd(23) + cells.join('') + ratios.join(''));
  }
}
