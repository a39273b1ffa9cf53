// One layer's attention, (heads, queries, keys), in the matrix view: a head selector (and
// the mean over heads), a palette selector, PNG export, the mechanism's complexity and the
// first rows of its output.
import { element, injectStyles } from './dom.mjs';
import { MatrixView } from './matrix-view.mjs';
import { PALETTES } from './palettes.mjs';
import { headView, hiddenCells } from './weights.mjs';

export class AttentionVisualizer {
  /**
   * @param {HTMLElement} container
   * @param {{ toolbar?: HTMLElement }} [options] where the head and palette selectors go
   *   (default: a toolbar of its own above the matrix)
   */
  constructor(container, { toolbar } = {}) {
    injectStyles();
    this.container = container;
    container.classList.add('ra-root', 'ra-visualizer');
    this.headSelect = element('select', { class: 'ra-head' });
    this.paletteSelect = element('select', { class: 'ra-palette' }, PALETTES.map((name) => new Option(name, name)));
    const exportButton = element('button', { type: 'button', class: 'ra-export', text: 'Export PNG' });
    const bar = toolbar ?? element('div', { class: 'ra-toolbar' });
    bar.append(
      element('label', {}, ['Head ', this.headSelect]),
      element('label', {}, ['Palette ', this.paletteSelect]),
      exportButton,
      element('span', { class: 'ra-complexity ra-muted' }),
    );
    const stage = element('div');
    this.output = element('pre', { class: 'ra-output', hidden: '' });
    container.append(...(toolbar ? [] : [bar]), stage,
      element('p', { class: 'ra-muted ra-hint', text: 'Drag to pan · ctrl+wheel or +/− to zoom · 0 fits · arrow keys move between cells' }),
      this.output);
    this.toolbar = bar;
    this.matrix = new MatrixView(stage);
    this.canvas = this.matrix.canvas;
    this.tooltip = this.matrix.tooltip;
    this.headSelect.addEventListener('change', () => this.#draw());
    this.paletteSelect.addEventListener('change', () => this.matrix.setPalette(this.paletteSelect.value));
    exportButton.addEventListener('click', () => this.download());
    this.data = null;
  }

  /**
   * @param {import('./visualizer.d.ts').VisualizerData} data
   */
  render(data) {
    const previous = this.headSelect.value;
    this.data = {
      ...data,
      xLabels: data.xLabels ?? Array.from({ length: data.cols }, (_, j) => String(j)),
      yLabels: data.yLabels ?? Array.from({ length: data.rows }, (_, i) => String(i)),
    };
    this.hidden = data.hidden ?? hiddenCells(data);
    const options = data.heads > 1 ? ['mean', ...Array.from({ length: data.heads }, (_, h) => h)] : [0];
    this.headSelect.replaceChildren(...options.map((head) => new Option(head === 'mean' ? 'mean over heads' : `head ${head}`, String(head))));
    if (options.map(String).includes(previous)) this.headSelect.value = previous;
    this.toolbar.querySelector('.ra-complexity').textContent = data.complexity ? `complexity ${data.complexity}` : '';
    this.output.textContent = formatOutput(this.data);
    this.output.hidden = !this.output.textContent;
    this.#draw();
  }

  get head() {
    const value = this.headSelect.value;
    return value === 'mean' ? 'mean' : Number(value);
  }

  /** Show head `head` (a number or 'mean'). */
  set head(head) {
    this.headSelect.value = String(head);
    if (this.data) this.#draw();
  }

  /** The palette on screen. */
  get palette() {
    return this.matrix.palette;
  }

  set palette(name) {
    this.paletteSelect.value = name;
    this.matrix.setPalette(name);
  }

  /** The weights on screen, (rows·cols). */
  get view() {
    return headView(this.data.weights, this.data, this.head);
  }

  /** Canvas backing-store pixel at the centre of cell (row, col). */
  cellCenter(row, col) {
    return this.matrix.cellCenter(row, col);
  }

  /** Redraw in the current theme. */
  redraw() {
    this.matrix.draw();
  }

  #draw() {
    const { rows, cols, xLabels, yLabels, title } = this.data;
    this.matrix.setData({ values: this.view, rows, cols, xLabels, yLabels, hidden: this.hidden, title });
  }

  /** The heatmap as a PNG Blob. */
  toPNG() {
    return this.matrix.toPNG();
  }

  /** Save the heatmap as attention.png. */
  async download() {
    const url = URL.createObjectURL(await this.toPNG());
    const link = Object.assign(document.createElement('a'), { href: url, download: 'attention.png' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}

function formatOutput({ output, outputDim, yLabels }) {
  if (!output || !outputDim) return '';
  const rows = Math.min(output.length / outputDim, 6);
  const lines = [`output (${output.length / outputDim} × ${outputDim}), first rows:`];
  for (let i = 0; i < rows; i++) {
    const values = Array.from(output.subarray(i * outputDim, i * outputDim + Math.min(outputDim, 8)), (x) => x.toFixed(4));
    lines.push(`${(yLabels[i] ?? String(i)).padEnd(10)} [${values.join(', ')}${outputDim > 8 ? ', …' : ''}]`);
  }
  return lines.join('\n');
}
