// Compare two attention maps of the same input: side by side on one colour range, and
// their difference A − B on a diverging palette whose range is symmetric, [−m, m] with
// m = max |A − B|, so white is "no change", red "A attends more", blue "B attends more".
import { element, injectStyles } from './dom.mjs';
import { MatrixView } from './matrix-view.mjs';
import { rangeOf } from './weights.mjs';

/** A − B, elementwise. */
export function difference(a, b) {
  if (a.length !== b.length) throw new RangeError(`cannot compare maps of ${a.length} and ${b.length} cells`);
  return Float32Array.from(a, (x, k) => x - b[k]);
}

/** [−m, m] with m the largest |value| (m = 1 when all are 0). */
export function symmetricRange(values, hidden) {
  const [lo, hi] = rangeOf(values, hidden);
  const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  return [-m, m];
}

export class CompareView {
  /** @param {HTMLElement} container */
  constructor(container) {
    injectStyles();
    this.container = container;
    container.classList.add('ra-root');
    const panel = (name) => {
      const title = element('h3');
      const body = element('div', { class: `ra-compare-${name}` });
      return { node: element('div', {}, [title, body]), title, body };
    };
    this.panels = { a: panel('a'), b: panel('b'), diff: panel('diff') };
    this.note = element('p', { class: 'ra-note' });
    container.append(this.note, element('div', { class: 'ra-compare' }, Object.values(this.panels).map((p) => p.node)));
    this.a = new MatrixView(this.panels.a.body);
    this.b = new MatrixView(this.panels.b.body);
    // differences can be float rounding (1e-8): written with their exponent below 1e-3
    const signed = (v) => (v === 0 || Math.abs(v) >= 1e-3 ? v.toFixed(6) : v.toExponential(3));
    this.diff = new MatrixView(this.panels.diff.body, { palette: 'diverging', legendTitle: 'A − B', format: signed });
  }

  /**
   * @param {{ a: Float32Array, b: Float32Array, rows: number, cols: number, xLabels?: string[],
   *   yLabels?: string[], hidden?: Uint8Array | null, titleA: string, titleB: string, note?: string }} data
   */
  setData({ a, b, rows, cols, xLabels, yLabels, hidden, titleA, titleB, note = '' }) {
    const [loA, hiA] = rangeOf(a, hidden);
    const [loB, hiB] = rangeOf(b, hidden);
    const range = [Math.min(loA, loB), Math.max(hiA, hiB)];
    const shared = { rows, cols, xLabels, yLabels, hidden };
    this.panels.a.title.textContent = `A: ${titleA}`;
    this.panels.b.title.textContent = `B: ${titleB}`;
    this.panels.diff.title.textContent = 'A − B';
    const d = difference(a, b);
    const spread = symmetricRange(d, hidden);
    this.note.textContent = `${note ? `${note} ` : ''}Largest |A − B|: ${spread[1].toPrecision(3)}.`;
    this.a.setData({ ...shared, values: a, range });
    this.b.setData({ ...shared, values: b, range });
    this.diff.setData({ ...shared, values: d, range: spread, palette: 'diverging' });
  }

  /** Redraw all three in the current theme. */
  redraw() {
    for (const view of [this.a, this.b, this.diff]) view.draw();
  }
}
