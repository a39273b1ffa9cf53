// Graph attention: tokens as nodes on a circle, and for each query its strongest edges to
// the keys it attends (an arrow from the query to the key), opacity and width = weight
// relative to the largest. For edge_featured, dual_space, diffusion, hnsw_aware, structural.
import { fmt, panel, svg, tip } from './svg.mjs';

/**
 * The edges drawn: for each row its `perNode` heaviest off-diagonal weights (ties by key
 * index), as { from, to, weight, opacity } with opacity = weight / the largest drawn.
 */
export function graphEdges(weights, rows, cols, perNode = 3) {
  const edges = [];
  for (let i = 0; i < rows; i++) {
    const row = Array.from({ length: cols }, (_, j) => [weights[i * cols + j], j]).filter(([w, j]) => w > 0 && (j !== i || rows !== cols));
    row.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (const [weight, j] of row.slice(0, perNode)) edges.push({ from: i, to: j, weight });
  }
  const top = Math.max(...edges.map((e) => e.weight), 0) || 1;
  return edges.map((e) => ({ ...e, opacity: e.weight / top }));
}

/**
 * Draw the attention graph panel into `container`.
 * @param {HTMLElement} container
 * @param {import('./special.d.ts').GraphPayload} payload
 */
export function drawGraph(container, payload) {
  const { weights, rows, cols, labels = [], perNode = 3 } = payload;
  const flat = Array.isArray(weights[0]) ? weights.flat() : Array.from(weights, Number);
  const section = panel(container, 'graph', payload.title ?? 'Attention graph',
    `Each query's ${perNode} strongest edges (arrow query → key; opacity and width = weight). Self-attention weights are in the node's tooltip.`);
  const size = 380;
  const R = size / 2 - 50;
  const count = Math.max(rows, cols);
  const at = (i) => [size / 2 + R * Math.cos((2 * Math.PI * i) / count - Math.PI / 2), size / 2 + R * Math.sin((2 * Math.PI * i) / count - Math.PI / 2)];
  const plot = svg('svg', { viewBox: `0 0 ${size} ${size}`, width: size, height: size, class: 'ra-graph', role: 'img', 'aria-label': 'attention graph' });
  plot.append(svg('defs', {}, svg('marker', { id: 'ra-arrow', viewBox: '0 0 10 10', refX: 16, refY: 5, markerWidth: 5, markerHeight: 5, orient: 'auto-start-reverse' },
    svg('path', { d: 'M0 0L10 5L0 10z', fill: '#2b5fd9' }))));
  const edges = graphEdges(flat, rows, cols, perNode).sort((a, b) => a.weight - b.weight);
  for (const { from, to, weight, opacity } of edges) {
    const [x1, y1] = at(from);
    const [x2, y2] = at(to);
    plot.append(svg('line', {
      x1, y1, x2, y2, stroke: '#2b5fd9', 'stroke-opacity': opacity.toFixed(6), 'stroke-width': 0.5 + 3 * opacity, 'marker-end': 'url(#ra-arrow)',
      class: 'ra-edge', 'data-from': from, 'data-to': to, 'data-weight': weight,
    }, tip(`${labels[from] ?? from} → ${labels[to] ?? to}: ${fmt(weight)}`)));
  }
  for (let i = 0; i < count; i++) {
    const [x, y] = at(i);
    const self = rows === cols ? ` (self ${fmt(flat[i * cols + i])})` : '';
    plot.append(svg('circle', { cx: x, cy: y, r: 6, fill: '#fff', stroke: '#222', class: 'ra-node', 'data-index': i }, tip(`${labels[i] ?? i}${self}`)));
    const outward = [(x - size / 2) / R, (y - size / 2) / R];
    plot.append(svg('text', {
      x: x + 14 * outward[0], y: y + 14 * outward[1] + 3, 'font-size': 10, fill: 'currentColor', 'text-anchor': outward[0] > 0.2 ? 'start' : outward[0] < -0.2 ? 'end' : 'middle',
    }, labels[i] ?? String(i)));
  }
  section.append(plot);
  return section;
}
