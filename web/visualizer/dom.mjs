// Small DOM and canvas helpers shared by the views, and the views' own style sheet
// (injected once, so the views need no CSS file; themes follow prefers-color-scheme or the
// nearest data-theme="light|dark").
import { THEMES, css } from './palettes.mjs';

/** A new element with attributes (`class`, `data-*`, aria, ...), properties and children. */
export function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'text') node.textContent = value;
    else node.setAttribute(key, String(value));
  }
  node.append(...children);
  return node;
}

/** Size a canvas to `width` x `height` CSS pixels with a backing store of that x the device
 * pixel ratio (sharp on HiDPI screens); returns its context, drawing in CSS pixels. */
export function sizeCanvas(canvas, width, height) {
  const dpr = globalThis.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(width * dpr));
  const h = Math.max(1, Math.round(height * dpr));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(w / width, 0, 0, h / height, 0, 0);
  return ctx;
}

/** A canvas (OffscreenCanvas where available) holding `image` at 1 px per value. */
export function bitmapOf(image) {
  const canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(image.width, image.height)
    : Object.assign(document.createElement('canvas'), { width: image.width, height: image.height });
  canvas.getContext('2d').putImageData(image, 0, 0);
  return canvas;
}

export const FONT = '12px system-ui, sans-serif';

const vars = (theme) => `--ra-bg:${theme.background};--ra-fg:${theme.text};--ra-muted:${theme.muted};`
  + `--ra-hidden:${css(theme.hidden)};--ra-focus:${theme.focus};--ra-link:${theme.link};`
  + `--ra-panel:${theme === THEMES.dark ? '#20232a' : '#f6f7f9'};--ra-line:${theme === THEMES.dark ? '#3a3f4a' : '#d9dce1'};`;

const STYLES = `
.ra-root{${vars(THEMES.light)}}
@media (prefers-color-scheme: dark){.ra-root{${vars(THEMES.dark)}}}
[data-theme=light] .ra-root,.ra-root[data-theme=light]{${vars(THEMES.light)}}
[data-theme=dark] .ra-root,.ra-root[data-theme=dark]{${vars(THEMES.dark)}}
.ra-root{position:relative;color:var(--ra-fg);background:var(--ra-bg);min-width:0}
.ra-root canvas{display:block}
.ra-toolbar{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:center;margin-bottom:8px}
.ra-toolbar label{display:inline-flex;gap:6px;align-items:center;margin:0;white-space:nowrap}
.ra-toolbar select,.ra-toolbar button{font:inherit;padding:2px 6px;border:1px solid var(--ra-line);border-radius:4px;background:var(--ra-bg);color:var(--ra-fg)}
.ra-toolbar button{cursor:pointer}
.ra-muted{color:var(--ra-muted)}
.ra-stage{display:flex;gap:10px;align-items:flex-start;min-width:0}
.ra-heatmap{cursor:crosshair;touch-action:none;outline-offset:2px}
.ra-heatmap:focus-visible{outline:2px solid var(--ra-focus)}
.ra-tooltip{position:absolute;pointer-events:none;background:#222;color:#fff;padding:3px 7px;border-radius:4px;font-size:12px;white-space:nowrap;z-index:2}
.ra-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.ra-output{background:var(--ra-panel);padding:8px;border-radius:6px;font-size:12px;overflow-x:auto;margin:8px 0 0}
.ra-tabs{display:flex;flex-wrap:wrap;gap:4px;border-bottom:1px solid var(--ra-line);margin-bottom:8px}
.ra-tabs button{font:inherit;border:1px solid transparent;border-bottom:none;background:none;color:var(--ra-fg);padding:5px 10px;cursor:pointer;border-radius:6px 6px 0 0}
.ra-tabs button[aria-selected=true]{border-color:var(--ra-line);background:var(--ra-panel);font-weight:600}
.ra-headview svg{display:block;max-width:100%}
.ra-headview text{fill:var(--ra-fg);font:12px system-ui,sans-serif;cursor:default}
.ra-headview text.ra-focus{font-weight:700;fill:var(--ra-focus)}
.ra-modelview{display:grid;gap:4px;align-items:center;justify-content:start;overflow-x:auto;max-width:100%}
.ra-modelview .ra-axis{font-size:11px;color:var(--ra-muted);text-align:center;white-space:nowrap}
.ra-thumb{padding:0;border:2px solid transparent;border-radius:3px;background:none;cursor:pointer;line-height:0}
.ra-thumb:hover,.ra-thumb:focus-visible{border-color:var(--ra-muted)}
.ra-thumb[aria-pressed=true]{border-color:var(--ra-focus)}
.ra-compare{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px}
.ra-compare h3{font-size:13px;margin:0 0 4px}
.ra-note{margin:6px 0}
`;

/** Add the views' style sheet to the document once. */
export function injectStyles() {
  if (document.getElementById('ra-visualizer-styles')) return;
  document.head.append(element('style', { id: 'ra-visualizer-styles', text: STYLES }));
}

/** Call `draw` again (once per frame) whenever `node` changes width. */
export function onResize(node, draw) {
  let width = node.clientWidth;
  let queued = false;
  new ResizeObserver(() => {
    if (queued || node.clientWidth === width) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      width = node.clientWidth;
      draw();
    });
  }).observe(node);
}
