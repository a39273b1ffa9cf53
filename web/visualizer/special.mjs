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

const LIGHT = '--ras-line:#e2e4e8;--ras-muted:#5a5f66;--ras-track:#eef0f4;--ras-bar:#2b5fd9;--ras-over:#c0392b;--ras-warn:#a35200;'
  + '--ras-ok-bg:#d8f0e3;--ras-ok:#11603a;--ras-mid-bg:#fbeccd;--ras-mid:#7a4d00;--ras-bad-bg:#f8d7d3;--ras-bad:#8a1c12;';
const DARK = '--ras-line:#3a3f4a;--ras-muted:#a3a8b3;--ras-track:#30343c;--ras-bar:#7fa6ff;--ras-over:#ff7b6b;--ras-warn:#ffb35c;'
  + '--ras-ok-bg:#173d2a;--ras-ok:#9fe0bd;--ras-mid-bg:#45361a;--ras-mid:#ffd58a;--ras-bad-bg:#4a1f1b;--ras-bad:#ffb4a9;';

// the theme follows the nearest data-theme="light|dark" (as the explorer's), else the system
const STYLE = `
.ra-specials { ${LIGHT} display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; margin-top: 12px; }
@media (prefers-color-scheme: dark) { :root:not([data-theme=light]) .ra-specials { ${DARK} } }
[data-theme=dark] .ra-specials { ${DARK} }
[data-theme=light] .ra-specials { ${LIGHT} }
.ra-special { border: 1px solid var(--ras-line); border-radius: 8px; padding: 10px 12px; max-width: min(100%, 720px); overflow-x: auto; }
.ra-special h3 { margin: 0 0 4px; font-size: 14px; }
.ra-special h4 { margin: 10px 0 4px; font-size: 13px; }
.ra-special svg { display: block; max-width: 100%; height: auto; }
.ra-note { margin: 0 0 8px; color: var(--ras-muted); font-size: 12px; max-width: 60ch; }
.ra-bar { display: inline-flex; align-items: center; gap: 6px; font-size: 11px; font-variant-numeric: tabular-nums; }
.ra-bar-track { position: relative; display: inline-block; width: 80px; height: 12px; background: var(--ras-track); border-radius: 3px; }
.ra-bar-fill { position: absolute; left: 0; top: 0; bottom: 0; background: var(--ras-bar); border-radius: 3px; }
.ra-routing { border-collapse: collapse; font-size: 12px; }
.ra-routing th, .ra-routing td { padding: 2px 6px; text-align: left; border-bottom: 1px solid var(--ras-line); white-space: nowrap; }
.ra-rerouted { color: var(--ras-warn); font-weight: 600; }
.ra-load-row { display: flex; gap: 8px; align-items: center; font-size: 12px; margin: 2px 0; }
.ra-load-row > span:first-child { width: 120px; }
.ra-overflow .ra-bar-fill { background: var(--ras-over); }
.ra-legend-row { display: flex; gap: 6px; margin-top: 4px; }
.ra-graph.ra-focus .ra-edge:not(.ra-touch) { opacity: 0.06; }
.ra-node:focus { outline: none; stroke-width: 3; }
.ra-chip { border: 1px solid; border-radius: 10px; padding: 0 8px; font-size: 11px; }
.ra-health { display: flex; gap: 8px; align-items: center; }
.ra-health-meter { width: 160px; }
.ra-metrics { border-collapse: collapse; font-size: 12px; margin: 6px 0; }
.ra-metrics td, .ra-metrics th { padding: 2px 8px; border-bottom: 1px solid var(--ras-line); text-align: left; }
.ra-status { border-radius: 8px; padding: 0 6px; }
.ra-status-healthy { background: var(--ras-ok-bg); color: var(--ras-ok); }
.ra-status-warning { background: var(--ras-mid-bg); color: var(--ras-mid); }
.ra-status-critical { background: var(--ras-bad-bg); color: var(--ras-bad); }`;

/** Add the views' style sheet to `doc` once. */
export function ensureStyles(doc = document) {
  if (doc.getElementById('ra-special-style')) return;
  const style = doc.createElement('style');
  style.id = 'ra-special-style';
  style.textContent = STYLE;
  doc.head.append(style);
}

/**
 * Clear `container` and draw one panel per payload ({ view, ...data }) into it, colour
 * maps on `palette` ('viridis' or 'cividis').
 * @param {HTMLElement} container
 * @param {import('./special.mjs').Payload[]} payloads
 * @param {{ palette?: string }} [options]
 */
export function drawViews(container, payloads, options = {}) {
  ensureStyles(container.ownerDocument);
  container.classList.add('ra-specials');
  container.replaceChildren();
  for (const payload of payloads) {
    const draw = VIEWS[payload.view];
    if (!draw) throw new TypeError(`unknown view ${JSON.stringify(payload.view)}; expected one of ${Object.keys(VIEWS).join(', ')}`);
    draw(container, payload, options);
  }
  return container;
}
