// The model view: every head of every layer as a thumbnail (rows = layers, columns =
// heads), each painted from an ImageData at one pixel per cell and drawn scaled, each on
// its own range. Clicking (or Enter on) a thumbnail selects that layer and head.
import { paintBitmap } from './bitmap.mjs';
import { element, injectStyles, onResize, sizeCanvas } from './dom.mjs';
import { THEMES, pack, themeOf } from './palettes.mjs';

export class ModelView {
  /**
   * @param {HTMLElement} container
   * @param {{ onSelect?: (layer: number, head: number) => void, palette?: string }} [options]
   */
  constructor(container, { onSelect, palette = 'viridis' } = {}) {
    injectStyles();
    this.container = container;
    container.classList.add('ra-root');
    this.grid = element('div', { class: 'ra-modelview', role: 'group' });
    container.append(this.grid, element('p', { class: 'ra-muted ra-hint', text: 'Each thumbnail is one head on its own colour range; click one to open it.' }));
    this.onSelect = onSelect;
    this.palette = palette;
    this.data = null;
    this.paintMs = 0;
    onResize(container, () => this.data && this.draw());
  }

  /**
   * @param {{ attentions: Float32Array, layers: number, heads: number, rows: number, cols: number,
   *   hidden?: Uint8Array | null, selected?: [number, number] | null, title?: string }} data
   */
  setData(data) {
    this.data = { ...data, selected: data.selected ?? null };
    this.draw();
  }

  /** Mark thumbnail (layer, head) as the one open. */
  select(layer, head) {
    this.data.selected = [layer, head];
    for (const thumb of this.grid.querySelectorAll('.ra-thumb')) {
      thumb.setAttribute('aria-pressed', String(Number(thumb.dataset.layer) === layer && Number(thumb.dataset.head) === head));
    }
  }

  /** Repaint every thumbnail; `paintMs` is how long it took. */
  draw() {
    const start = performance.now();
    const { attentions, layers, heads, rows, cols, hidden, title } = this.data;
    const size = Math.max(24, Math.min(96, Math.floor(((this.container.clientWidth || 720) - 64) / heads) - 8));
    const [w, h] = cols >= rows ? [size, Math.max(8, Math.round((size * rows) / cols))] : [Math.round((size * cols) / rows), size];
    const grey = pack(THEMES[themeOf(this.container)].hidden);
    this.grid.style.gridTemplateColumns = `auto repeat(${heads}, ${w + 4}px)`;
    this.grid.setAttribute('aria-label', `${title ?? 'model view'}: ${layers} layers × ${heads} heads`);
    const cells = [element('span')];
    for (let head = 0; head < heads; head++) cells.push(element('span', { class: 'ra-axis', text: heads > 12 && head % 2 ? '' : `h${head}` }));
    const n = rows * cols;
    for (let layer = 0; layer < layers; layer++) {
      cells.push(element('span', { class: 'ra-axis', text: `layer ${layer}` }));
      for (let head = 0; head < heads; head++) {
        const values = attentions.subarray((layer * heads + head) * n, (layer * heads + head + 1) * n);
        const canvas = element('canvas');
        const ctx = sizeCanvas(canvas, w, h);
        ctx.imageSmoothingEnabled = w < cols;
        ctx.drawImage(paintBitmap(values, rows, cols, { palette: this.palette, hidden, grey }), 0, 0, w, h);
        const selected = this.data.selected?.[0] === layer && this.data.selected?.[1] === head;
        const thumb = element('button', {
          type: 'button', class: 'ra-thumb', 'data-layer': layer, 'data-head': head,
          'aria-label': `layer ${layer}, head ${head}`, 'aria-pressed': String(selected), title: `layer ${layer}, head ${head}`,
        }, [canvas]);
        thumb.addEventListener('click', () => {
          this.select(layer, head);
          this.onSelect?.(layer, head);
        });
        cells.push(thumb);
      }
    }
    this.grid.replaceChildren(...cells);
    this.paintMs = performance.now() - start;
  }
}
