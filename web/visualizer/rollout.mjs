// Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers"):
// how much each input token reaches each position after `l` layers, with the residual
// connection counted as attention to oneself:
//   A_l = rownorm(r · W_l + (1 − r) · I)   (W_l: the mean over heads, or one head; r = 0.5)
//   R_0 = A_0,  R_l = A_l · R_{l−1}
// accumulated in float64, returned as float32.
import { headView, layerOf } from './weights.mjs';

/**
 * R_l for every layer l, as Float32Array(layers·n·n), from (layers·heads·n·n) attentions.
 * @param {Float32Array} attentions
 * @param {{ layers: number, heads: number, rows: number, cols: number }} shape (rows = cols = n)
 * @param {{ head?: number | 'mean', residual?: number }} [options] residual = r above
 */
export function rollout(attentions, { layers, heads, rows, cols }, { head = 'mean', residual = 0.5 } = {}) {
  if (rows !== cols) throw new RangeError(`rollout needs square attention (a token attends to tokens of its own sequence), got ${rows} × ${cols}`);
  const n = rows;
  const out = new Float32Array(layers * n * n);
  let previous = null;
  for (let l = 0; l < layers; l++) {
    const w = headView(layerOf(attentions, { heads, rows, cols }, l), { heads, rows, cols }, head);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) {
        a[i * n + j] = residual * w[i * n + j] + (i === j ? 1 - residual : 0);
        sum += a[i * n + j];
      }
      for (let j = 0; j < n; j++) a[i * n + j] /= sum || 1;
    }
    let r = a;
    if (previous) {
      r = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < n; k++) {
          const aik = a[i * n + k];
          if (aik === 0) continue;
          for (let j = 0; j < n; j++) r[i * n + j] += aik * previous[k * n + j];
        }
      }
    }
    out.set(r, l * n * n);
    previous = r;
  }
  return out;
}
