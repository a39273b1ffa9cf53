// Hyperbolic attention on the Poincaré disk: the keys and the query as the mechanism sees
// them (projected into the ball of curvature -c), drawn on the unit disk, with each key's
// weight as its size and colour.
//
// A point x of the ball is drawn at radius √c·|x| (< 1): its hyperbolic distance to the
// origin d_c(0, x) = (2/√c) artanh(√c|x|) is kept exactly (radius = tanh(√c·d/2)); its angle
// is its direction in the plane of the two main axes of the points (power iteration on
// XᵀX), so points far apart in that plane stay apart.
import { colour, fmt, html, panel, svg, tip } from './svg.mjs';

/** The mechanisms' margin from the boundary (kernels/poincare.py BALL_EPS): |x| <= (1 - eps)/√c. */
export const BALL_EPS = 4e-3;

function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function unit(v) {
  const n = Math.hypot(...v);
  return n > 0 ? v.map((x) => x / n) : v;
}

/** The two main axes (unit, orthogonal) of the rows of `points` (n rows of dim). */
function mainAxes(rows, dim) {
  const axes = [];
  for (let a = 0; a < Math.min(2, dim); a++) {
    let v = unit(Array.from({ length: dim }, (_, k) => 1 + ((k * 7 + a * 3) % 5)));
    for (let it = 0; it < 200; it++) {
      const next = new Array(dim).fill(0);
      for (const row of rows) {
        const p = dot(row, v);
        for (let k = 0; k < dim; k++) next[k] += p * row[k];
      }
      for (const axis of axes) {
        const p = dot(next, axis);
        for (let k = 0; k < dim; k++) next[k] -= p * axis[k];
      }
      const u = unit(next);
      if (Math.hypot(...u) === 0) break;
      const moved = Math.hypot(...u.map((x, k) => x - v[k]));
      v = u;
      if (moved < 1e-12) break;
    }
    axes.push(v);
  }
  if (axes.length === 1) axes.push([0]);
  return axes;
}

/**
 * Disk coordinates of `count` points (flat, `dim` each) in the ball of curvature -c:
 * { x, y, radius } with radius = √c·|project(p)| < 1 and (x, y) = radius · direction.
 */
export function diskLayout(points, count, dim, c) {
  const limit = 1 - BALL_EPS;
  const rows = Array.from({ length: count }, (_, i) => Array.from(points.slice(i * dim, (i + 1) * dim), Number));
  const [e1, e2] = mainAxes(rows, dim);
  const x = new Float64Array(count);
  const y = new Float64Array(count);
  const radius = new Float64Array(count);
  rows.forEach((row, i) => {
    radius[i] = Math.min(Math.sqrt(c) * Math.hypot(...row), limit);
    const px = dot(row, e1);
    const py = e2.length === dim ? dot(row, e2) : 0;
    const length = Math.hypot(px, py);
    [x[i], y[i]] = length > 0 ? [(radius[i] * px) / length, (radius[i] * py) / length] : [radius[i], 0];
  });
  return { x, y, radius };
}

/** Hyperbolic distance to the origin of a point drawn at disk radius r (curvature -c). */
export const originDistance = (r, c) => (2 / Math.sqrt(c)) * Math.atanh(r);

/**
 * Draw the Poincaré disk panel into `container`.
 * @param {HTMLElement} container
 * @param {import('./special.mjs').PoincarePayload} payload
 * @param {{ palette?: string }} [options]
 */
export function drawPoincare(container, payload, { palette } = {}) {
  const { keys, dim, labels = [], title } = payload;
  const c = -payload.curvature;
  // the query shown first, then the others one may pick
  const choices = [{ label: payload.queryLabel ?? 'query', query: payload.query, weights: payload.weights }, ...(payload.others ?? [])];
  const n = payload.weights.length;
  const all = new Float64Array((n + choices.length) * dim);
  all.set(Array.from(keys, Number));
  choices.forEach(({ query }, q) => all.set(Array.from(query, Number), (n + q) * dim));
  const layout = diskLayout(all, n + choices.length, dim, c); // one layout: the keys stay put when the query changes
  const section = panel(container, 'poincare', title ?? `Poincaré disk (curvature ${fmt(-c, 3)})`,
    'Keys (circles: size and colour = weight) and the query (diamond) in the ball; the radius keeps the hyperbolic distance to the centre.');
  let plot = diskPlot(layout, n, c, choices[0], n, labels, palette);
  if (choices.length > 1) {
    const select = html('select', { class: 'ra-disk-select', 'aria-label': 'query' }, ...choices.map(({ label }, q) => new Option(label, String(q))));
    select.addEventListener('change', () => {
      const q = Number(select.value);
      const next = diskPlot(layout, n, c, choices[q], n + q, labels, palette);
      plot.replaceWith(next);
      plot = next;
    });
    section.append(html('label', { class: 'ra-disk-pick' }, 'Query ', select));
  }
  section.append(plot);
  return section;
}

/** The disk's SVG: the keys (points 0..n-1 of `layout`) with the weights of a choice of query, point `queryIndex`. */
function diskPlot({ x, y, radius }, n, c, { label: queryLabel, weights }, queryIndex, labels, palette) {
  const size = 380;
  const R = size / 2 - 14;
  const at = (i) => [size / 2 + R * x[i], size / 2 - R * y[i]];
  const plot = svg('svg', { viewBox: `0 0 ${size} ${size}`, width: size, height: size, class: 'ra-disk', role: 'img', 'aria-label': 'Poincaré disk' });
  plot.append(svg('circle', { cx: size / 2, cy: size / 2, r: R, class: 'ra-disk-boundary', fill: 'none', stroke: 'currentColor', 'stroke-width': 1.5 }));
  for (const d of [1, 2, 3]) { // circles of hyperbolic radius d around the centre (not crowding the rim)
    const r = Math.tanh((Math.sqrt(c) * d) / 2);
    if (r > 0.95) break;
    plot.append(svg('circle', { cx: size / 2, cy: size / 2, r: R * r, fill: 'none', stroke: 'currentColor', 'stroke-opacity': 0.18, 'stroke-dasharray': '3 3' }),
      svg('text', { x: size / 2 + 3, y: size / 2 - R * r - 2, 'font-size': 9, fill: 'currentColor', 'fill-opacity': 0.5 }, `d=${d}`));
  }
  const top = Math.max(...weights) || 1;
  const [qx, qy] = at(queryIndex);
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => weights[a] - weights[b]); // heaviest on top
  for (const j of order) {
    const [px, py] = at(j);
    const t = weights[j] / top;
    plot.append(svg('line', { x1: qx, y1: qy, x2: px, y2: py, stroke: colour(t, palette), 'stroke-opacity': 0.6 * t, 'stroke-width': 1 }));
  }
  // labels for the heaviest keys first; one that would overlap a placed label is left to the tooltip
  const placed = [];
  const labelled = new Map(); // key -> whether its label sits on the left
  for (const j of [...order].reverse()) {
    const [px, py] = at(j);
    const width = 6 * (labels[j] ?? String(j)).length; // about 6 px a character at 10 px
    const left = px + 6 + width > size - 2; // near the right edge: the label goes left of the point
    const middle = left ? px - 6 - width / 2 : px + 6 + width / 2;
    if (placed.every(([lx, ly, lw]) => Math.abs(middle - lx) > (lw + width) / 2 + 2 || Math.abs(py - ly) > 11)) {
      placed.push([middle, py, width]);
      labelled.set(j, left);
    }
  }
  for (const j of order) {
    const [px, py] = at(j);
    const t = weights[j] / top;
    const label = labels[j] ?? String(j);
    plot.append(svg('circle', {
      cx: px, cy: py, r: 3 + 9 * Math.sqrt(t), fill: colour(t, palette), stroke: '#222', 'stroke-width': 0.6,
      class: 'ra-disk-key', 'data-index': j, 'data-weight': weights[j], 'data-radius': radius[j],
    }, tip(`${label}: weight ${fmt(weights[j])}, distance to centre ${fmt(originDistance(radius[j], c))}`)));
    if (labelled.has(j)) {
      const left = labelled.get(j);
      plot.append(svg('text', { x: left ? px - 6 : px + 6, y: py - 6, 'font-size': 10, fill: 'currentColor', 'text-anchor': left ? 'end' : 'start', 'pointer-events': 'none' }, label));
    }
  }
  const s = 7;
  plot.append(svg('path', {
    d: `M${qx} ${qy - s}L${qx + s} ${qy}L${qx} ${qy + s}L${qx - s} ${qy}Z`, fill: '#e4572e', stroke: '#222', class: 'ra-disk-query', 'data-radius': radius[queryIndex],
  }, tip(`${queryLabel} (query), distance to centre ${fmt(originDistance(radius[queryIndex], c))}`)));
  return plot;
}
