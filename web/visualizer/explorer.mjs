// The attention explorer: the views of a stack of attention layers behind tabs, sharing
// one layer and head selection and one palette: the matrix, the head view, the model view
// (click a thumbnail to open it in the matrix), rollout across layers and the comparison
// of two maps of the same input.
import { AttentionVisualizer } from './attention-visualizer.mjs';
import { CompareView } from './compare.mjs';
import { element, injectStyles } from './dom.mjs';
import { HeadView } from './head-view.mjs';
import { MatrixView } from './matrix-view.mjs';
import { ModelView } from './model-view.mjs';
import { rollout } from './rollout.mjs';
import { headView, layerOf } from './weights.mjs';

/** The explorer's views, in tab order. */
export const VIEWS = ['matrix', 'heads', 'model', 'rollout', 'compare'];
const TITLES = { matrix: 'Matrix', heads: 'Head view', model: 'Model view', rollout: 'Rollout', compare: 'Compare' };

export class AttentionExplorer {
  /**
   * @param {HTMLElement} container
   * @param {{ onChange?: (state: { view: string, layer: number, head: number | 'mean', palette: string }) => void }} [options]
   */
  constructor(container, { onChange } = {}) {
    injectStyles();
    this.container = container;
    container.classList.add('ra-root', 'ra-explorer');
    this.onChange = onChange;
    this.tabs = element('div', { class: 'ra-tabs', role: 'tablist' });
    this.layerSelect = element('select', { class: 'ra-layer' });
    this.layerLabel = element('label', { hidden: '' }, ['Layer ', this.layerSelect]);
    const controls = element('div', { class: 'ra-toolbar' }, [this.layerLabel]);
    this.panels = {};
    for (const view of VIEWS) {
      const tab = element('button', { type: 'button', role: 'tab', 'data-view': view, 'aria-selected': 'false', text: TITLES[view] });
      tab.addEventListener('click', () => this.show(view));
      this.tabs.append(tab);
      this.panels[view] = element('div', { class: `ra-panel ra-panel-${view}`, role: 'tabpanel', hidden: '' });
    }
    container.append(this.tabs, controls, ...Object.values(this.panels));
    this.matrix = new AttentionVisualizer(this.panels.matrix, { toolbar: controls });
    this.heads = new HeadView(this.panels.heads);
    this.model = new ModelView(this.panels.model, { onSelect: (layer, head) => this.open(layer, head) });
    this.rolloutNote = element('p', { class: 'ra-note ra-muted' });
    this.panels.rollout.append(this.rolloutNote);
    this.rollout = new MatrixView(this.panels.rollout.appendChild(element('div')), { legendTitle: 'rollout' });
    this.comparison = new CompareView(this.panels.compare);
    this.layerSelect.addEventListener('change', () => this.#update());
    this.matrix.headSelect.addEventListener('change', () => this.#update());
    this.matrix.paletteSelect.addEventListener('change', () => this.#palette());
    this.view = 'matrix';
    this.data = null;
  }

  /**
   * Show a stack of attention layers.
   * @param {import('./visualizer.d.ts').ExplorerData} data
   */
  render(data) {
    const layers = data.layers ?? 1;
    const previous = this.layerSelect.value;
    this.data = { ...data, layers };
    this.layerSelect.replaceChildren(...Array.from({ length: layers }, (_, l) => new Option(`layer ${l}`, String(l))));
    this.layerSelect.value = previous !== '' && Number(previous) < layers ? previous : '0';
    const square = data.rows === data.cols;
    this.tabs.querySelector('[data-view=rollout]').hidden = !square;
    this.#renderLayer();
    this.#update();
    this.show(this.view === 'rollout' && !square ? 'matrix' : this.view);
  }

  #renderLayer() {
    const { attentions, heads, rows, cols } = this.data;
    this.shownLayer = this.layer;
    this.matrix.render({ ...this.data, weights: layerOf(attentions, { heads, rows, cols }, this.layer),
      title: this.data.layers > 1 ? `${this.data.title ?? ''} · layer ${this.layer}` : this.data.title });
  }

  /** Set the comparison's two maps (the compare tab). @param {import('./visualizer.d.ts').CompareData} data */
  compare(data) {
    this.comparison.setData(data);
    this.compared = data;
  }

  /** The layer on screen. */
  get layer() {
    return Number(this.layerSelect.value || 0);
  }

  /** Open (layer, head) in the matrix view. */
  open(layer, head) {
    this.layerSelect.value = String(layer);
    this.#renderLayer();
    this.matrix.head = head;
    this.#update();
    this.show('matrix');
  }

  /** Switch to view `view` (one of VIEWS). */
  show(view) {
    this.view = VIEWS.includes(view) ? view : 'matrix';
    for (const tab of this.tabs.children) tab.setAttribute('aria-selected', String(tab.dataset.view === this.view));
    for (const [name, panel] of Object.entries(this.panels)) panel.hidden = name !== this.view;
    this.matrix.toolbar.querySelector('.ra-export').hidden = this.view !== 'matrix';
    // the comparison shows the layer and head it was made of (its titles say which)
    this.matrix.headSelect.parentElement.hidden = this.view === 'compare';
    this.layerLabel.hidden = this.view === 'compare' || (this.data?.layers ?? 1) < 2;
    if (this.data) this.#drawVisible();
    this.#changed();
  }

  /** Redraw what is on screen (after a theme change). */
  redraw() {
    if (!this.data) return;
    this.matrix.redraw();
    this.#drawVisible();
    if (this.compared) this.comparison.redraw();
  }

  #update() {
    if (!this.data) return;
    if (this.shownLayer !== this.layer) this.#renderLayer();
    this.#drawVisible();
    this.#changed();
  }

  #drawVisible() {
    const { heads, rows, cols, xLabels, yLabels, layers, title } = this.data;
    const shape = { heads, rows, cols };
    if (this.view === 'heads') {
      this.heads.setData({ values: headView(layerOf(this.data.attentions, shape, this.layer), shape, this.matrix.head),
        rows, cols, xLabels: this.matrix.data.xLabels, yLabels: this.matrix.data.yLabels, hidden: this.matrix.hidden, title });
    } else if (this.view === 'rollout' && rows === cols) {
      const head = this.matrix.head;
      const rolled = rollout(this.data.attentions, { layers, ...shape }, { head });
      const n = rows * cols;
      this.rolloutNote.textContent = `Rollout through layers 0–${this.layer} (Abnar & Zuidema 2020: 0.5·A + 0.5·I, rows normalised, multiplied through the layers), ${head === 'mean' ? 'mean over heads' : `head ${head}`}.`;
      this.rolledOut = rolled.subarray(this.layer * n, (this.layer + 1) * n);
      this.rollout.setData({ values: this.rolledOut, rows, cols, xLabels, yLabels, palette: this.matrix.palette, title: `rollout to layer ${this.layer}` });
    } else if (this.view === 'model') {
      const head = this.matrix.head;
      this.model.setData({ ...this.data, hidden: this.matrix.hidden, selected: [this.layer, head === 'mean' ? -1 : head] });
    }
  }

  #palette() {
    const palette = this.matrix.palette;
    this.model.palette = palette;
    this.rollout.setPalette(palette);
    for (const view of [this.comparison.a, this.comparison.b]) view.setPalette(palette);
    if (this.data) this.#drawVisible();
    this.#changed();
  }

  /** The palette on screen; setting it repaints every view. */
  get palette() {
    return this.matrix.palette;
  }

  set palette(name) {
    this.matrix.palette = name;
    this.#palette();
  }

  #changed() {
    this.onChange?.({ view: this.view, layer: this.layer, head: this.matrix.head, palette: this.matrix.palette });
  }
}
