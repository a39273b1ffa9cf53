// The page ra.viz.explore writes: one self-contained HTML file whose data (the weights as
// base64 float32, the labels, an optional comparison and the special views' payloads) sits
// in a JSON script tag. mountStandalone draws it with the demo's views: the explorer
// (matrix, head view, model view, rollout, compare) and the special views, which follow
// the explorer's palette.
import { AttentionExplorer } from './explorer.mjs';
import { drawViews } from './special.mjs';
import { hiddenCells } from './weights.mjs';

/** A little-endian float32 array sent as { b64, shape } (exact: the bytes Python wrote). */
export function decodeArray({ b64, shape }) {
  const text = atob(b64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  const data = new Float32Array(bytes.buffer);
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new RangeError(`array of shape [${shape}] needs ${size} values, got ${data.length}`);
  return data;
}

/**
 * Draw an explorer page's data into `root`. Returns { explorer, visualizer (its matrix),
 * panels } for scripts and tests.
 * @param {HTMLElement} root
 * @param {{ title?: string, complexity?: string, weights: { b64: string, shape: number[] },
 *   xLabels?: string[], yLabels?: string[], mask?: boolean[] | null, causal?: boolean,
 *   compare?: { a: { b64: string, shape: number[] }, b: { b64: string, shape: number[] }, titleA: string, titleB: string },
 *   payloads?: import('./special.mjs').Payload[] }} data weights (layers, heads, rows, cols)
 */
export function mountStandalone(root, data) {
  const [layers, heads, rows, cols] = data.weights.shape;
  const heading = document.createElement('h1');
  heading.textContent = data.title ?? 'Attention';
  const views = document.createElement('div');
  const panels = document.createElement('div');
  root.replaceChildren(heading, views, panels);
  const payloads = data.payloads ?? [];
  let palette = null;
  const explorer = new AttentionExplorer(views, {
    onChange: (state) => {
      if (state.palette !== palette) drawViews(panels, payloads, { palette: (palette = state.palette) });
    },
  });
  const shared = { rows, cols, xLabels: data.xLabels, yLabels: data.yLabels };
  if (data.compare) {
    const { a, b, titleA, titleB } = data.compare;
    explorer.compare({ ...shared, a: decodeArray(a), b: decodeArray(b), titleA, titleB,
      hidden: hiddenCells({ rows, cols, mask: data.mask, causal: data.causal }) });
  }
  explorer.render({
    ...shared, attentions: decodeArray(data.weights), layers, heads, mask: data.mask, causal: data.causal,
    title: data.title, complexity: data.complexity,
  });
  if (palette === null) drawViews(panels, payloads, { palette: (palette = explorer.matrix.palette) });
  return { explorer, visualizer: explorer.matrix, panels };
}
