// Small DOM helpers shared by the special views: SVG and HTML elements from attributes,
// a titled panel, and number formatting. Plain DOM, no framework.
import { colour as paletteColour, css } from './palettes.mjs';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes (null/undefined skipped) and children (nodes or text). */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) if (value != null) node.setAttribute(key, String(value));
  node.append(...children);
  return node;
}

/** An HTML element with attributes (`text` sets its text) and children. */
export function html(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null) continue;
    if (key === 'text') node.textContent = String(value);
    else node.setAttribute(key, String(value));
  }
  node.append(...children);
  return node;
}

/** A tooltip for an SVG element (shown on hover by the browser). */
export const tip = (text) => svg('title', {}, text);

/** Colour of t in [0, 1] on a sequential palette ('viridis' or 'cividis', palettes.mjs) as CSS. */
export const colour = (t, palette = 'viridis') => css(paletteColour(palette, t));

/** Most rows (keys, tokens, nodes) a view draws; the rest is summed up in a note. */
export const MAX_ROWS = 64;

/** A note for a view that draws the first `shown` of `total` rows, or null. */
export const partNote = (shown, total, what) => (shown < total ? `Showing the first ${shown} of ${total} ${what}.` : null);

/** A number with `digits` significant digits, as the views print values. */
export const fmt = (x, digits = 4) => (Number.isInteger(x) ? String(x) : Number(x).toPrecision(digits));

/**
 * A panel: a <section class="ra-special" data-view=view> with a heading and an optional
 * note under it, appended to `container`; returns the section.
 */
export function panel(container, view, title, note) {
  const section = html('section', { class: 'ra-special', 'data-view': view }, html('h3', { text: title }));
  if (note) section.append(html('p', { class: 'ra-note', text: note }));
  container.append(section);
  return section;
}

/** Rows of a flat row-major matrix (or an array of rows) as arrays of numbers. */
export function rowsOf(matrix, rows, cols) {
  if (Array.isArray(matrix) && Array.isArray(matrix[0])) return matrix.map((r) => Array.from(r, Number));
  return Array.from({ length: rows }, (_, i) => Array.from(matrix.slice(i * cols, (i + 1) * cols), Number));
}
