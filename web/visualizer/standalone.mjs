// The page ra.viz.explore writes: one self-contained HTML file whose data (the weights as
// base64 float32, the labels and the special views' payloads) sits in a JSON script tag.
// mountStandalone draws it with the same views the demo uses.
import { drawViews } from './special.mjs';
import { AttentionVisualizer } from './visualizer.mjs';

/** A little-endian float32 array sent as { b64, shape } (exact: the bytes Python wrote). */
export function decodeArray({ b64, shape }) {
  const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  const data = new Float32Array(bytes.buffer);
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new RangeError(`array of shape [${shape}] needs ${size} values, got ${data.length}`);
  return data;
}

/**
 * Draw an explorer page's data into `root`: the heatmap (heads, rows, cols) and the
 * special views. Returns { visualizer, panels } for scripts and tests.
 * @param {HTMLElement} root
 * @param {{ title?: string, complexity?: string, weights: { b64: string, shape: number[] },
 *   xLabels?: string[], yLabels?: string[], payloads?: import('./special.mjs').Payload[] }} data
 */
export function mountStandalone(root, data) {
  const [heads, rows, cols] = data.weights.shape;
  const heading = document.createElement('h1');
  heading.textContent = data.title ?? 'Attention';
  const matrix = document.createElement('div');
  const panels = document.createElement('div');
  root.replaceChildren(heading, matrix, panels);
  const visualizer = new AttentionVisualizer(matrix);
  visualizer.render({
    weights: decodeArray(data.weights), heads, rows, cols, xLabels: data.xLabels, yLabels: data.yLabels,
    title: data.title, complexity: data.complexity,
  });
  drawViews(panels, data.payloads ?? []);
  return { visualizer, panels };
}
