// node bench/browser/explorer.mjs [--json]
// The explorer's views in headless Chromium (bench/browser/explorer.html): frames per
// second while panning a 4096 x 4096 matrix (zoomed 1.5x and 16x), and the paint time of a
// model view of 8 layers x 8 heads at 256 tokens.
import { pageResults } from './page.mjs';

const r = await pageResults('/bench/browser/explorer.html', { timeoutMs: 300_000 });
if (process.argv.includes('--json')) console.log(JSON.stringify(r, null, 2));
else {
  console.log(`${r.userAgent.match(/Chrome\/[\d.]+/)?.[0]} headless, devicePixelRatio ${r.devicePixelRatio}`);
  console.log(`matrix ${r.matrix.n} x ${r.matrix.n}: setData (bitmap) ${r.matrix.setDataMs.toFixed(0)} ms`);
  for (const [zoom, p] of Object.entries(r.matrix.pan)) {
    console.log(`  panning at zoom ${zoom}: ${p.fps.toFixed(1)} frames/s, ${p.drawMs.toFixed(2)} ms per draw (median)`);
  }
  const m = r.model;
  console.log(`model view ${m.layers} layers x ${m.heads} heads at ${m.tokens} tokens (${m.thumbnails} thumbnails): `
    + `${m.paintMs.toFixed(0)} ms to the next frame, ${m.drawMs.toFixed(0)} ms drawing (median of 5)`);
}
