// Attention-weight visualizer: heatmaps of (heads, queries, keys) weights on a canvas,
// with token labels, a head selector (and the mean over heads), hover tooltips with exact
// values, a colour legend and PNG export. Plain DOM, no framework, no network.

const VIRIDIS = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** Viridis colour of t in [0, 1] as [r, g, b] (the same map as ra.viz.heatmap). */
export function viridis(t) {
  const pos = Math.min(Math.max(t, 0), 1) * (VIRIDIS.length - 1);
  const lo = Math.min(Math.floor(pos), VIRIDIS.length - 2);
  const f = pos - lo;
  return VIRIDIS[lo].map((c, i) => Math.round(c * (1 - f) + VIRIDIS[lo + 1][i] * f));
}

/** The (rows·cols) weights of one head, or their mean over heads for head = 'mean'. */
export function headView(weights, { heads, rows, cols }, head) {
  const size = rows * cols;
  if (head !== 'mean') return weights.subarray(head * size, (head + 1) * size);
  const mean = new Float32Array(size);
  for (let h = 0; h < heads; h++) for (let i = 0; i < size; i++) mean[i] += weights[h * size + i] / heads;
  return mean;
}

const CELL = 30;
const FONT = '12px sans-serif';

export class AttentionVisualizer {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    container.classList.add('ra-visualizer');
    container.innerHTML = `
      <div class="ra-toolbar">
        <label>Head <select class="ra-head"></select></label>
        <button type="button" class="ra-export">Export PNG</button>
        <span class="ra-complexity"></span>
      </div>
      <div class="ra-stage">
        <canvas class="ra-heatmap"></canvas>
        <canvas class="ra-legend" width="64" height="200"></canvas>
        <div class="ra-tooltip" role="tooltip" hidden></div>
      </div>
      <pre class="ra-output"></pre>`;
    this.canvas = container.querySelector('.ra-heatmap');
    this.legend = container.querySelector('.ra-legend');
    this.tooltip = container.querySelector('.ra-tooltip');
    this.headSelect = container.querySelector('.ra-head');
    this.headSelect.addEventListener('change', () => this.#draw());
    container.querySelector('.ra-export').addEventListener('click', () => this.download());
    this.canvas.addEventListener('mousemove', (event) => this.#hover(event));
    this.canvas.addEventListener('mouseleave', () => {
      this.tooltip.hidden = true;
    });
    this.data = null;
  }

  /**
   * @param {{ weights: Float32Array, heads: number, rows: number, cols: number,
   *   xLabels?: string[], yLabels?: string[], title?: string, complexity?: string,
   *   output?: Float32Array, outputDim?: number }} data
   */
  render(data) {
    this.data = {
      ...data,
      xLabels: data.xLabels ?? Array.from({ length: data.cols }, (_, j) => String(j)),
      yLabels: data.yLabels ?? Array.from({ length: data.rows }, (_, i) => String(i)),
    };
    this.headSelect.innerHTML = '';
    const options = data.heads > 1 ? ['mean', ...Array.from({ length: data.heads }, (_, h) => h)] : [0];
    for (const head of options) {
      const option = document.createElement('option');
      option.value = String(head);
      option.textContent = head === 'mean' ? 'mean over heads' : `head ${head}`;
      this.headSelect.append(option);
    }
    this.container.querySelector('.ra-complexity').textContent = data.complexity ? `complexity ${data.complexity}` : '';
    this.container.querySelector('.ra-output').textContent = formatOutput(data);
    this.#draw();
  }

  get head() {
    const value = this.headSelect.value;
    return value === 'mean' ? 'mean' : Number(value);
  }

  /** The weights on screen, (rows·cols). */
  get view() {
    return headView(this.data.weights, this.data, this.head);
  }

  #layout(ctx) {
    ctx.font = FONT;
    const { xLabels, yLabels, title } = this.data;
    const widest = (labels) => Math.max(...labels.map((l) => ctx.measureText(l).width));
    const left = Math.ceil(widest(yLabels)) + 12;
    const top = Math.ceil(widest(xLabels) * 0.8) + (title ? 34 : 16);
    return { left, top };
  }

  /** Canvas pixel at the centre of cell (row, col): for tests and tooltips. */
  cellCenter(row, col) {
    const { left, top } = this.margins;
    return [left + col * CELL + CELL / 2, top + row * CELL + CELL / 2];
  }

  #draw() {
    const { rows, cols, xLabels, yLabels, title } = this.data;
    const ctx = this.canvas.getContext('2d');
    this.margins = this.#layout(ctx);
    const { left, top } = this.margins;
    this.canvas.width = left + cols * CELL + 8;
    this.canvas.height = top + rows * CELL + 8;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.font = FONT;
    const view = this.view;
    let lo = Infinity;
    let hi = -Infinity;
    for (const w of view) {
      lo = Math.min(lo, w);
      hi = Math.max(hi, w);
    }
    this.range = [lo, hi];
    const span = hi > lo ? hi - lo : 1;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const [r, g, b] = viridis((view[i * cols + j] - lo) / span);
        ctx.fillStyle = `rgb(${r},${g},${b})`;
        ctx.fillRect(left + j * CELL, top + i * CELL, CELL, CELL);
      }
    }
    ctx.fillStyle = '#222';
    if (title) {
      ctx.font = `bold ${FONT}`;
      ctx.fillText(title, 4, 16);
      ctx.font = FONT;
    }
    ctx.textAlign = 'right';
    yLabels.forEach((label, i) => ctx.fillText(label, left - 6, top + i * CELL + CELL * 0.62));
    xLabels.forEach((label, j) => {
      ctx.save();
      ctx.translate(left + j * CELL + CELL * 0.6, top - 6);
      ctx.rotate(-Math.PI / 3);
      ctx.textAlign = 'left';
      ctx.fillText(label, 0, 0);
      ctx.restore();
    });
    this.#drawLegend(lo, hi);
  }

  #drawLegend(lo, hi) {
    const ctx = this.legend.getContext('2d');
    const { height } = this.legend;
    ctx.clearRect(0, 0, this.legend.width, height);
    for (let y = 0; y < height - 20; y++) {
      const [r, g, b] = viridis(1 - y / (height - 21));
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fillRect(0, y + 10, 14, 1);
    }
    ctx.fillStyle = '#222';
    ctx.font = FONT;
    ctx.fillText(hi.toPrecision(3), 18, 16);
    ctx.fillText(lo.toPrecision(3), 18, height - 10);
  }

  #hover(event) {
    const { left, top } = this.margins;
    const rect = this.canvas.getBoundingClientRect();
    const x = (event.clientX - rect.left) * (this.canvas.width / rect.width) - left;
    const y = (event.clientY - rect.top) * (this.canvas.height / rect.height) - top;
    const col = Math.floor(x / CELL);
    const row = Math.floor(y / CELL);
    const { rows, cols, xLabels, yLabels } = this.data;
    if (x < 0 || y < 0 || row >= rows || col >= cols) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.hidden = false;
    this.tooltip.textContent = `${yLabels[row]} → ${xLabels[col]}: ${this.view[row * cols + col].toFixed(6)}`;
    this.tooltip.style.left = `${event.clientX - this.container.getBoundingClientRect().left + 12}px`;
    this.tooltip.style.top = `${event.clientY - this.container.getBoundingClientRect().top + 12}px`;
  }

  /** The heatmap as a PNG Blob. */
  toPNG() {
    return new Promise((resolve) => this.canvas.toBlob(resolve, 'image/png'));
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
