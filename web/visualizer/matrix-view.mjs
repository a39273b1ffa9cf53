// The matrix view: a (rows x cols) matrix as a heatmap, rows = queries (top to bottom),
// columns = keys (left to right). The values are painted once into an ImageData at one
// pixel per cell and drawn scaled (no smoothing), so pan and zoom cost one drawImage even
// at 4096 x 4096; the canvas's backing store is its CSS size x devicePixelRatio. Hidden
// cells are grey and hatched, there is a titled legend, the exact value on hover, and
// keyboard navigation (arrows, shift+arrows by 10, +/- zoom, 0 fits) announced in an
// aria-live region. Drag pans; ctrl+wheel (or wheel once focused) zooms.
import { paintBitmap } from './bitmap.mjs';
import { FONT, element, injectStyles, onResize, sizeCanvas } from './dom.mjs';
import { THEMES, css, lookupTable, pack, themeOf } from './palettes.mjs';
import { rangeOf } from './weights.mjs';

const MAX_CELL = 56; // CSS px per cell at zoom 1
const MAX_HEIGHT = 640; // CSS px of the plot at zoom 1
const LABEL_MIN = 9; // CSS px per cell from which token labels are drawn
const LABELLED = 400; // largest side that gets token labels at all
const HATCH_MIN = 6; // CSS px per cell from which hidden cells are hatched
const AXIS = 18; // CSS px for an axis title

/**
 * @typedef {{ values: Float32Array, rows: number, cols: number, xLabels?: string[],
 *   yLabels?: string[], hidden?: Uint8Array | null, range?: [number, number],
 *   palette?: string, legendTitle?: string, title?: string }} MatrixData
 */

export class MatrixView {
  /**
   * @param {HTMLElement} container
   * @param {{ palette?: string, legendTitle?: string, format?: (value: number) => string }} [options]
   *   format: how hover and the live region write a value (default 6 decimals)
   */
  constructor(container, { palette = 'viridis', legendTitle = 'weight', format = (v) => v.toFixed(6) } = {}) {
    injectStyles();
    this.container = container;
    container.classList.add('ra-root', 'ra-matrix');
    this.canvas = element('canvas', { class: 'ra-heatmap', tabindex: 0, role: 'img' });
    this.legend = element('canvas', { class: 'ra-legend', role: 'img' });
    this.tooltip = element('div', { class: 'ra-tooltip', role: 'tooltip', hidden: '' });
    this.live = element('div', { class: 'ra-sr ra-live', 'aria-live': 'polite' });
    container.append(element('div', { class: 'ra-stage' }, [this.canvas, this.legend]), this.tooltip, this.live);
    this.palette = palette;
    this.legendTitle = legendTitle;
    this.format = format;
    this.data = null;
    this.zoom = 1;
    this.origin = [0, 0]; // top-left visible cell (fractional): [row, col]
    this.focus = null; // [row, col] of the keyboard's cell
    this.#listen();
    onResize(container, () => this.data && this.draw());
  }

  /** Show a matrix (keeps zoom and focus when the shape is unchanged). @param {MatrixData} data */
  setData(data) {
    const same = this.data && this.data.rows === data.rows && this.data.cols === data.cols;
    this.data = {
      ...data,
      xLabels: data.xLabels ?? Array.from({ length: data.cols }, (_, j) => String(j)),
      yLabels: data.yLabels ?? Array.from({ length: data.rows }, (_, i) => String(i)),
      hidden: data.hidden ?? null,
    };
    if (data.palette) this.palette = data.palette;
    if (data.legendTitle) this.legendTitle = data.legendTitle;
    this.range = data.range ?? rangeOf(data.values, this.data.hidden);
    if (!same) {
      this.zoom = 1;
      this.origin = [0, 0];
      this.focus = null;
    }
    this.bitmap = null;
    this.draw();
  }

  /** Switch palette ('viridis', 'cividis', 'diverging') and redraw. */
  setPalette(name) {
    this.palette = name;
    this.bitmap = null;
    if (this.data) this.draw();
  }

  /** The current theme's colours (THEMES.light or THEMES.dark). */
  get theme() {
    return THEMES[themeOf(this.container)];
  }

  #paint() {
    const { values, rows, cols, hidden } = this.data;
    this.bitmap = paintBitmap(values, rows, cols, { palette: this.palette, hidden, grey: pack(this.theme.hidden), range: this.range });
    this.painted = { palette: this.palette, theme: this.theme };
  }

  #layout(ctx) {
    const { rows, cols, xLabels, yLabels, title } = this.data;
    ctx.font = FONT;
    const labelled = rows <= LABELLED && cols <= LABELLED;
    const widest = (labels) => (labelled ? Math.ceil(Math.max(...labels.map((l) => ctx.measureText(l).width))) : 0);
    const head = title ? 20 : 0;
    const left = AXIS + (labelled ? widest(yLabels) + 8 : 4);
    const top = head + AXIS + (labelled ? Math.ceil(widest(xLabels) * Math.sin(Math.PI / 3)) + 10 : 4);
    const legendWidth = this.#legendWidth();
    const available = Math.max(60, this.container.clientWidth - left - legendWidth - 24);
    const base = Math.min(MAX_CELL, available / cols, MAX_HEIGHT / rows);
    return { left, top, head, labelled, base, width: cols * base, height: rows * base };
  }

  /** The visible window: first row and column (fractional), CSS px per cell. */
  #window() {
    const { rows, cols } = this.data;
    const [r, c] = this.origin;
    const clampTo = (x, n) => Math.min(Math.max(x, 0), n - n / this.zoom);
    this.origin = [clampTo(r, rows), clampTo(c, cols)];
    return { row: this.origin[0], col: this.origin[1], cell: this.box.base * this.zoom };
  }

  /** Redraw (after a resize, a theme or palette change, a pan or a zoom). */
  draw() {
    if (!this.data) return;
    const theme = this.theme;
    if (!this.bitmap || this.painted.palette !== this.palette || this.painted.theme !== theme) this.#paint();
    const ctx = this.canvas.getContext('2d');
    this.box = this.#layout(ctx);
    const { left, top, width, height } = this.box;
    const { rows, cols } = this.data;
    const { row, col, cell } = this.#window();
    const c = sizeCanvas(this.canvas, Math.ceil(left + width + 8), Math.ceil(top + height + 8));
    c.fillStyle = theme.background;
    c.fillRect(0, 0, left + width + 8, top + height + 8);
    c.imageSmoothingEnabled = false;
    c.drawImage(this.bitmap, col, row, cols / this.zoom, rows / this.zoom, left, top, width, height);
    c.save();
    c.beginPath();
    c.rect(left, top, width, height);
    c.clip();
    if (cell >= HATCH_MIN && this.data.hidden) this.#hatch(c, theme);
    if (this.focus) {
      const [i, j] = this.focus;
      c.strokeStyle = theme.focus;
      c.lineWidth = 2;
      c.strokeRect(left + (j - col) * cell + 1, top + (i - row) * cell + 1, cell - 2, cell - 2);
    }
    c.restore();
    this.#labels(c, theme);
    this.#drawLegend(theme);
    this.canvas.setAttribute('aria-label', `${this.data.title ?? 'matrix'}: ${rows} queries (rows) by ${cols} keys (columns); arrow keys move between cells`);
  }

  /** The visible cells' index ranges [from, to). */
  #visible() {
    const { row, col, cell } = this.#window();
    const { rows, cols } = this.data;
    return {
      rows: [Math.floor(row), Math.min(rows, Math.ceil(row + this.box.height / cell))],
      cols: [Math.floor(col), Math.min(cols, Math.ceil(col + this.box.width / cell))],
    };
  }

  #hatch(c, theme) {
    const { left, top } = this.box;
    const { row, col, cell } = this.#window();
    const { cols, hidden } = this.data;
    const seen = this.#visible();
    c.strokeStyle = css(theme.hatch);
    c.lineWidth = 1;
    c.beginPath();
    for (let i = seen.rows[0]; i < seen.rows[1]; i++) {
      for (let j = seen.cols[0]; j < seen.cols[1]; j++) {
        if (!hidden[i * cols + j]) continue;
        const x = left + (j - col) * cell;
        const y = top + (i - row) * cell;
        // two strokes off the centre, so the centre keeps the plain hidden grey
        c.moveTo(x, y + cell / 2);
        c.lineTo(x + cell / 2, y);
        c.moveTo(x + cell / 2, y + cell);
        c.lineTo(x + cell, y + cell / 2);
      }
    }
    c.stroke();
  }

  #labels(c, theme) {
    const { left, top, head, width, height, labelled } = this.box;
    const { row, col, cell } = this.#window();
    const { rows, cols, xLabels, yLabels, title } = this.data;
    c.font = FONT;
    c.fillStyle = theme.text;
    if (title) {
      c.font = `600 ${FONT}`;
      c.textAlign = 'left';
      c.fillText(title, 0, 14);
      c.font = FONT;
    }
    c.fillStyle = theme.muted;
    c.textAlign = 'center';
    const span = (n) => (labelled ? '' : ` (0 – ${n - 1})`);
    c.fillText(`key →${span(cols)}`, left + width / 2, head + 13);
    c.save();
    c.translate(13, top + height / 2);
    c.rotate(Math.PI / 2);
    c.fillText(`query →${span(rows)}`, 0, 0);
    c.restore();
    if (!labelled || cell < LABEL_MIN) return;
    c.fillStyle = theme.text;
    const step = Math.ceil(13 / cell);
    const seen = this.#visible();
    c.textAlign = 'right';
    for (let i = seen.rows[0]; i < seen.rows[1]; i += step) {
      const y = top + (i - row + 0.5) * cell + 4;
      if (y >= top && y <= top + height + 4) c.fillText(yLabels[i], left - 6, y);
    }
    c.textAlign = 'left';
    for (let j = seen.cols[0]; j < seen.cols[1]; j += step) {
      const x = left + (j - col + 0.5) * cell + 3;
      if (x < left || x > left + width + 3) continue;
      c.save();
      c.translate(x, top - 6);
      c.rotate(-Math.PI / 3);
      c.fillText(xLabels[j], 0, 0);
      c.restore();
    }
  }

  #legendLabels() {
    const [lo, hi] = this.range;
    return [hi.toPrecision(3), lo.toPrecision(3)];
  }

  #legendWidth() {
    const ctx = this.legend.getContext('2d');
    ctx.font = FONT;
    const texts = [...this.#legendLabels(), this.legendTitle, 'hidden'];
    return Math.ceil(Math.max(20 + Math.max(...texts.slice(0, 2).map((t) => ctx.measureText(t).width)),
      ...texts.slice(2).map((t) => ctx.measureText(t).width))) + 6;
  }

  #drawLegend(theme) {
    const width = this.#legendWidth();
    const bar = Math.max(100, Math.min(200, this.box.height - 40));
    const showHidden = Boolean(this.data.hidden);
    const height = 22 + bar + 12 + (showHidden ? 26 : 0);
    const c = sizeCanvas(this.legend, width, height);
    c.fillStyle = theme.background;
    c.fillRect(0, 0, width, height);
    c.font = `600 ${FONT}`;
    c.fillStyle = theme.text;
    c.textAlign = 'left';
    c.fillText(this.legendTitle, 0, 12);
    const table = lookupTable(this.palette);
    for (let y = 0; y < bar; y++) {
      const packed = table[Math.round(255 * (1 - y / (bar - 1)))];
      c.fillStyle = `rgb(${packed & 255},${(packed >> 8) & 255},${(packed >> 16) & 255})`;
      c.fillRect(0, 20 + y, 14, 1);
    }
    c.font = FONT;
    c.fillStyle = theme.text;
    const [hiText, loText] = this.#legendLabels();
    c.fillText(hiText, 20, 30);
    c.fillText(loText, 20, 20 + bar);
    if (showHidden) {
      const y = 20 + bar + 14;
      c.fillStyle = css(theme.hidden);
      c.fillRect(0, y, 14, 14);
      c.strokeStyle = css(theme.hatch);
      c.beginPath();
      c.moveTo(0, y + 7);
      c.lineTo(7, y);
      c.moveTo(7, y + 14);
      c.lineTo(14, y + 7);
      c.stroke();
      c.fillStyle = theme.text;
      c.fillText('hidden', 20, y + 11);
    }
  }

  /** Canvas backing-store pixel at the centre of cell (row, col) (tests, tooltips). */
  cellCenter(row, col) {
    const { left, top } = this.box;
    const { row: r0, col: c0, cell } = this.#window();
    const dpr = this.canvas.width / parseFloat(this.canvas.style.width);
    return [(left + (col - c0 + 0.5) * cell) * dpr, (top + (row - r0 + 0.5) * cell) * dpr];
  }

  /** [row, col] under a client (viewport) point, or null outside the matrix. */
  cellAt(clientX, clientY) {
    const rect = this.canvas.getBoundingClientRect();
    const { left, top, width, height } = this.box;
    const x = clientX - rect.left - left;
    const y = clientY - rect.top - top;
    if (x < 0 || y < 0 || x >= width || y >= height) return null;
    const { row, col, cell } = this.#window();
    return [Math.floor(row + y / cell), Math.floor(col + x / cell)];
  }

  /** What a cell holds, as the tooltip and the live region say it. */
  describe(row, col) {
    const { cols, values, hidden, xLabels, yLabels } = this.data;
    const k = row * cols + col;
    return `${yLabels[row]} → ${xLabels[col]}: ${hidden?.[k] ? 'hidden' : this.format(values[k])}`;
  }

  /** Zoom by `factor` keeping the cell under CSS point (x, y) of the plot fixed. */
  zoomBy(factor, x = this.box.width / 2, y = this.box.height / 2) {
    const { rows, cols } = this.data;
    const { row, col, cell } = this.#window();
    const zoom = Math.min(Math.max(this.zoom * factor, 1), Math.max(1, Math.min(rows, cols) / 4));
    const next = this.box.base * zoom;
    this.zoom = zoom;
    this.origin = [row + y / cell - y / next, col + x / cell - x / next];
    this.draw();
  }

  /** Move the view by (dx, dy) CSS pixels, as a drag does. */
  panBy(dx, dy) {
    const { cell } = this.#window();
    this.origin = [this.origin[0] - dy / cell, this.origin[1] - dx / cell];
    this.draw();
  }

  /** Back to the whole matrix. */
  fit() {
    this.zoom = 1;
    this.origin = [0, 0];
    this.draw();
  }

  /** Put the keyboard focus on cell (row, col), bring it into view and announce it. */
  focusCell(row, col) {
    const { rows, cols } = this.data;
    const i = Math.min(Math.max(row, 0), rows - 1);
    const j = Math.min(Math.max(col, 0), cols - 1);
    this.focus = [i, j];
    const [r0, c0] = this.origin;
    const h = rows / this.zoom;
    const w = cols / this.zoom;
    this.origin = [i < r0 ? i : i >= r0 + h ? i - h + 1 : r0, j < c0 ? j : j >= c0 + w ? j - w + 1 : c0];
    this.draw();
    const { xLabels, yLabels } = this.data;
    this.live.textContent = `query ${yLabels[i]} (row ${i + 1} of ${rows}), key ${xLabels[j]} (column ${j + 1} of ${cols}): ${this.describe(i, j).split(': ').pop()}`;
  }

  #hover(event) {
    const at = this.cellAt(event.clientX, event.clientY);
    if (!at) {
      this.tooltip.hidden = true;
      return;
    }
    const box = this.container.getBoundingClientRect();
    this.tooltip.hidden = false;
    this.tooltip.textContent = this.describe(...at);
    this.tooltip.style.left = `${Math.min(event.clientX - box.left + 12, box.width - this.tooltip.offsetWidth)}px`;
    this.tooltip.style.top = `${event.clientY - box.top + 14}px`;
  }

  #listen() {
    const canvas = this.canvas;
    let drag = null;
    canvas.addEventListener('pointerdown', (event) => {
      drag = { x: event.clientX, y: event.clientY };
      canvas.setPointerCapture?.(event.pointerId);
    });
    canvas.addEventListener('pointermove', (event) => {
      if (!this.data) return;
      if (drag && event.buttons) {
        this.panBy(event.clientX - drag.x, event.clientY - drag.y);
        drag = { x: event.clientX, y: event.clientY };
      } else this.#hover(event);
    });
    canvas.addEventListener('pointerup', () => { drag = null; });
    canvas.addEventListener('pointerleave', () => { this.tooltip.hidden = true; });
    canvas.addEventListener('dblclick', () => this.fit());
    canvas.addEventListener('wheel', (event) => {
      if (!this.data || !(event.ctrlKey || event.metaKey || document.activeElement === canvas)) return;
      event.preventDefault();
      const rect = canvas.getBoundingClientRect();
      this.zoomBy(Math.exp(-event.deltaY / 300), event.clientX - rect.left - this.box.left, event.clientY - rect.top - this.box.top);
    }, { passive: false });
    canvas.addEventListener('focus', () => {
      if (this.data && !this.focus) this.focusCell(0, 0);
    });
    canvas.addEventListener('keydown', (event) => {
      if (!this.data) return;
      const step = event.shiftKey ? 10 : 1;
      const [i, j] = this.focus ?? [0, 0];
      const moves = {
        ArrowUp: [-step, 0], ArrowDown: [step, 0], ArrowLeft: [0, -step], ArrowRight: [0, step],
        Home: [0, -j], End: [0, this.data.cols], PageUp: [-i, 0], PageDown: [this.data.rows, 0],
      };
      if (moves[event.key]) this.focusCell(i + moves[event.key][0], j + moves[event.key][1]);
      else if (event.key === '+' || event.key === '=') this.zoomBy(1.5);
      else if (event.key === '-') this.zoomBy(1 / 1.5);
      else if (event.key === '0') this.fit();
      else return;
      event.preventDefault();
    });
  }

  /** The canvas as a PNG Blob. */
  toPNG() {
    return new Promise((resolve) => this.canvas.toBlob(resolve, 'image/png'));
  }
}
