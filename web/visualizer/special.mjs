// The views only this library can draw, from plain payloads (numbers, labels): the
// Poincaré disk, MoE routing, the transport plan, the attention graph, topology modes and
// the geometry report. The demo computes payloads through the runtime (web/demo/special.mjs),
// ra.viz.explore in CPython; both draw them with drawViews.
import { drawGraph } from './graph.mjs';
import { drawPoincare } from './poincare.mjs';
import { drawReport } from './report.mjs';
import { drawRouting } from './routing.mjs';
import { drawTopology } from './topology.mjs';
import { drawTransport } from './transport.mjs';

export { drawGraph, drawPoincare, drawReport, drawRouting, drawTopology, drawTransport };

/** Each view's drawing function by its name (a payload's `view`). */
export const VIEWS = Object.freeze({
  poincare: drawPoincare, routing: drawRouting, transport: drawTransport,
  graph: drawGraph, topology: drawTopology, report: drawReport,
});

const STYLE = `
.ra-specials { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; margin-top: 12px; }
.ra-special { border: 1px solid #e2e4e8; border-radius: 8px; padding: 10px 12px; max-width: min(100%, 720px); overflow-x: auto; background: inherit; }
.ra-special h3 { margin: 0 0 4px; font-size: 14px; }
.ra-special h4 { margin: 10px 0 4px; font-size: 13px; }
.ra-special svg { display: block; max-width: 100%; height: auto; }
.ra-note { margin: 0 0 8px; color: #666; font-size: 12px; max-width: 60ch; }
.ra-bar { display: inline-flex; align-items: center; gap: 6px; font-size: 11px; font-variant-numeric: tabular-nums; }
.ra-bar-track { position: relative; display: inline-block; width: 80px; height: 12px; background: #eef0f4; border-radius: 3px; }
.ra-bar-fill { position: absolute; left: 0; top: 0; bottom: 0; background: #2b5fd9; border-radius: 3px; }
.ra-routing { border-collapse: collapse; font-size: 12px; }
.ra-routing th, .ra-routing td { padding: 2px 6px; text-align: left; border-bottom: 1px solid #eee; white-space: nowrap; }
.ra-rerouted { color: #b35900; font-weight: 600; }
.ra-load-row { display: flex; gap: 8px; align-items: center; font-size: 12px; margin: 2px 0; }
.ra-load-row > span:first-child { width: 120px; }
.ra-overflow .ra-bar-fill { background: #c0392b; }
.ra-legend-row { display: flex; gap: 6px; margin-top: 4px; }
.ra-chip { border: 1px solid; border-radius: 10px; padding: 0 8px; font-size: 11px; }
.ra-health { display: flex; gap: 8px; align-items: center; }
.ra-health-meter { width: 160px; }
.ra-metrics { border-collapse: collapse; font-size: 12px; margin: 6px 0; }
.ra-metrics td, .ra-metrics th { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: left; }
.ra-status { border-radius: 8px; padding: 0 6px; }
.ra-status-healthy { background: #d8f0e3; color: #11603a; }
.ra-status-warning { background: #fbeccd; color: #7a4d00; }
.ra-status-critical { background: #f8d7d3; color: #8a1c12; }
@media (prefers-color-scheme: dark) {
  .ra-special { border-color: #3a3d44; }
  .ra-note { color: #aaa; }
  .ra-bar-track { background: #30333a; }
  .ra-bar-fill { background: #6f9bff; }
}`;

/** Add the views' style sheet to `doc` once. */
export function ensureStyles(doc = document) {
  if (doc.getElementById('ra-special-style')) return;
  const style = doc.createElement('style');
  style.id = 'ra-special-style';
  style.textContent = STYLE;
  doc.head.append(style);
}

/**
 * Clear `container` and draw one panel per payload ({ view, ...data }) into it.
 * @param {HTMLElement} container
 * @param {import('./special.mjs').Payload[]} payloads
 */
export function drawViews(container, payloads) {
  ensureStyles(container.ownerDocument);
  container.classList.add('ra-specials');
  container.replaceChildren();
  for (const payload of payloads) {
    const draw = VIEWS[payload.view];
    if (!draw) throw new TypeError(`unknown view ${JSON.stringify(payload.view)}; expected one of ${Object.keys(VIEWS).join(', ')}`);
    draw(container, payload);
  }
  return container;
}
