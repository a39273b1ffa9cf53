// The head view (as bertviz draws it): queries in a left column, keys in a right column,
// a line from query i to key j with opacity w_ij / max(w), so opacities are ordered like
// the weights. Hovering (or focusing) a token keeps only its lines: a query's row, or the
// column of queries that look at a key. Above MAX_LINES cells, each query keeps its
// TOP_PER_ROW largest weights.
import { element, injectStyles, onResize } from './dom.mjs';

const SVG = 'http://www.w3.org/2000/svg';
const ROW = 18; // px per token
const MAX_LINES = 16384;
const TOP_PER_ROW = 8;

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Cells (i, j) that get a line: all, or each row's largest weights above MAX_LINES. */
function linked(values, rows, cols, hidden) {
  const cells = [];
  for (let i = 0; i < rows; i++) {
    const row = [];
    for (let j = 0; j < cols; j++) if (!hidden?.[i * cols + j] && values[i * cols + j] > 0) row.push(j);
    if (rows * cols > MAX_LINES) row.sort((a, b) => values[i * cols + b] - values[i * cols + a]).splice(TOP_PER_ROW);
    for (const j of row) cells.push([i, j]);
  }
  return cells;
}

export class HeadView {
  /** @param {HTMLElement} container */
  constructor(container) {
    injectStyles();
    this.container = container;
    container.classList.add('ra-root', 'ra-headview');
    this.svg = svg('svg', { role: 'img' });
    container.append(this.svg, element('p', { class: 'ra-muted ra-hint', text: 'Hover or focus a token to see only its lines; line opacity is the weight.' }));
    this.data = null;
    onResize(container, () => this.data && this.#draw());
  }

  /** @param {{ values: Float32Array, rows: number, cols: number, xLabels: string[], yLabels: string[], hidden?: Uint8Array | null, title?: string }} data */
  setData(data) {
    this.data = data;
    this.#draw();
  }

  #draw() {
    const { values, rows, cols, xLabels, yLabels, hidden, title } = this.data;
    const width = Math.max(240, Math.min(this.container.clientWidth || 480, 560));
    const height = 36 + Math.max(rows, cols) * ROW;
    const [x0, x1] = [width * 0.3, width * 0.7];
    this.svg.setAttribute('width', width);
    this.svg.setAttribute('height', height);
    this.svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    this.svg.setAttribute('aria-label', `${title ?? 'head view'}: lines from ${rows} queries to ${cols} keys`);
    const y = (k) => 30 + k * ROW + ROW / 2;
    let max = 0;
    for (let k = 0; k < values.length; k++) if (!hidden?.[k] && values[k] > max) max = values[k];
    const lines = linked(values, rows, cols, hidden).map(([i, j]) => svg('line', {
      class: 'ra-link', x1: x0 + 6, y1: y(i), x2: x1 - 6, y2: y(j), 'stroke-opacity': max > 0 ? values[i * cols + j] / max : 0,
      'data-row': i, 'data-col': j,
    }));
    const token = (label, k, side) => {
      const node = svg('text', {
        class: 'ra-token', x: side === 'query' ? x0 : x1, y: y(k) + 4, 'text-anchor': side === 'query' ? 'end' : 'start',
        tabindex: 0, 'data-side': side, 'data-index': k,
      }, label);
      const on = () => this.#focus(side, k, node);
      node.addEventListener('mouseenter', on);
      node.addEventListener('focus', on);
      node.addEventListener('mouseleave', () => this.#focus(null));
      node.addEventListener('blur', () => this.#focus(null));
      return node;
    };
    this.svg.replaceChildren(
      svg('text', { x: x0, y: 14, 'text-anchor': 'end', class: 'ra-axis' }, 'query'),
      svg('text', { x: x1, y: 14, 'text-anchor': 'start', class: 'ra-axis' }, 'key'),
      svg('g', { class: 'ra-links', stroke: 'var(--ra-link)', 'stroke-width': 2 }),
      ...yLabels.map((label, i) => token(label, i, 'query')),
      ...xLabels.map((label, j) => token(label, j, 'key')),
    );
    this.svg.querySelector('.ra-links').append(...lines);
    this.lines = lines;
  }

  /** Keep only the lines of query or key `index` (side 'query' or 'key'); null shows all. */
  #focus(side, index, node) {
    for (const text of this.svg.querySelectorAll('.ra-token')) text.classList.toggle('ra-focus', text === node);
    const attribute = side === 'query' ? 'data-row' : 'data-col';
    for (const line of this.lines) {
      line.style.display = side === null || Number(line.getAttribute(attribute)) === index ? '' : 'none';
    }
  }
}
