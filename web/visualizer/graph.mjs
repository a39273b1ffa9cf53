// Graph attention: tokens as nodes on a circle, and for each query its strongest edges to
// the keys it attends (an arrow from the query to the key), opacity and width = weight
// relative to the largest. For edge_featured, dual_space, diffusion, hnsw_aware, structural.
import { MAX_ROWS, fmt, html, panel, partNote, svg, tip } from './svg.mjs';

/**
 * The edges drawn: for each row its `perNode` heaviest off-diagonal weights (ties by key
 * index), as { from, to, weight, opacity }; opacity grows with the weight, from 0.15 for
 * the lightest edge drawn to 1 for the heaviest (all 1 when they are equal).
 */
export function graphEdges(weights, rows, cols, perNode = 3) {
  const edges = [];
  for (let i = 0; i < rows; i++) {
    const row = Array.from({ length: cols }, (_, j) => [weights[i * cols + j], j]).filter(([w, j]) => w > 0 && (j !== i || rows !== cols));
    row.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (const [weight, j] of row.slice(0, perNode)) edges.push({ from: i, to: j, weight });
  }
  const top = Math.max(...edges.map((e) => e.weight));
  const bottom = Math.min(...edges.map((e) => e.weight));
  return edges.map((e) => ({ ...e, opacity: top > bottom ? 0.15 + (0.85 * (e.weight - bottom)) / (top - bottom) : 1 }));
}

/** An edge from node a to node b (centres), bent to its left so that a→b and b→a stay apart,
 * stopping at b's rim, with an arrowhead: [curve path, arrowhead path]. */
function edgePaths([x1, y1], [x2, y2], rim) {
  const [dx, dy] = [x2 - x1, y2 - y1];
  const length = Math.hypot(dx, dy) || 1;
  const [cx, cy] = [(x1 + x2) / 2 - (dy / length) * length * 0.12, (y1 + y2) / 2 + (dx / length) * length * 0.12];
  const [tx, ty] = [x2 - cx, y2 - cy];
  const t = Math.hypot(tx, ty) || 1;
  const [ex, ey] = [x2 - (tx / t) * rim, y2 - (ty / t) * rim];
  const [ux, uy] = [tx / t, ty / t];
  const head = 7;
  const arrow = `M${ex} ${ey}L${ex - ux * head - uy * head * 0.45} ${ey - uy * head + ux * head * 0.45}L${ex - ux * head + uy * head * 0.45} ${ey - uy * head - ux * head * 0.45}Z`;
  return [`M${x1} ${y1}Q${cx} ${cy} ${ex} ${ey}`, arrow];
}

/**
 * Draw the attention graph panel into `container`.
 * @param {HTMLElement} container
 * @param {import('./special.mjs').GraphPayload} payload
 */
export function drawGraph(container, payload) {
  const { weights, labels = [], perNode = 3 } = payload;
  const whole = Array.isArray(weights[0]) ? weights.flat() : Array.from(weights, Number);
  // the first MAX_ROWS queries and keys: more nodes on one circle cannot be read
  const [rows, cols] = [Math.min(payload.rows, MAX_ROWS), Math.min(payload.cols, MAX_ROWS)];
  const flat = whole.length === rows * cols ? whole
    : Array.from({ length: rows * cols }, (_, k) => whole[Math.floor(k / cols) * payload.cols + (k % cols)]);
  const section = panel(container, 'graph', payload.title ?? 'Attention graph',
    `Each query's ${perNode} heaviest edges (arrow query → key; darker and wider = heavier). Hover or focus a token to see only its edges; self-attention weights are in its tooltip.`);
  const part = partNote(Math.max(rows, cols), Math.max(payload.rows, payload.cols), 'tokens');
  if (part) section.append(html('p', { class: 'ra-note', text: part }));
  const size = 380;
  const R = size / 2 - 50;
  const count = Math.max(rows, cols);
  const at = (i) => [size / 2 + R * Math.cos((2 * Math.PI * i) / count - Math.PI / 2), size / 2 + R * Math.sin((2 * Math.PI * i) / count - Math.PI / 2)];
  const plot = svg('svg', { viewBox: `0 0 ${size} ${size}`, width: size, height: size, class: 'ra-graph', role: 'img', 'aria-label': 'attention graph' });
  const edges = graphEdges(flat, rows, cols, perNode).sort((a, b) => a.weight - b.weight);
  for (const { from, to, weight, opacity } of edges) {
    const [curve, arrow] = edgePaths(at(from), at(to), 8);
    plot.append(svg('g', { class: 'ra-edge', 'data-from': from, 'data-to': to, 'data-weight': weight, opacity: opacity.toFixed(6) },
      svg('path', { d: curve, fill: 'none', style: 'stroke: var(--ras-bar, #2b5fd9)', 'stroke-width': 0.6 + 2.4 * opacity }),
      svg('path', { d: arrow, style: 'fill: var(--ras-bar, #2b5fd9)' }),
      tip(`${labels[from] ?? from} → ${labels[to] ?? to}: ${fmt(weight)}`)));
  }
  for (let i = 0; i < count; i++) {
    const [x, y] = at(i);
    const self = rows === cols ? ` (self ${fmt(flat[i * cols + i])})` : '';
    const node = svg('circle', { cx: x, cy: y, r: 6, fill: '#fff', stroke: '#222', class: 'ra-node', 'data-index': i, tabindex: 0 }, tip(`${labels[i] ?? i}${self}`));
    const focus = (on) => { // hover or focus a token: its edges stay, the others fade
      plot.classList.toggle('ra-focus', on);
      for (const edge of plot.querySelectorAll('.ra-edge')) {
        edge.classList.toggle('ra-touch', on && (edge.dataset.from === String(i) || edge.dataset.to === String(i)));
      }
    };
    node.addEventListener('pointerenter', () => focus(true));
    node.addEventListener('pointerleave', () => focus(false));
    node.addEventListener('focus', () => focus(true));
    node.addEventListener('blur', () => focus(false));
    plot.append(node);
    const outward = [(x - size / 2) / R, (y - size / 2) / R];
    plot.append(svg('text', {
      x: x + 14 * outward[0], y: y + 14 * outward[1] + 3, 'font-size': 10, fill: 'currentColor', 'text-anchor': outward[0] > 0.2 ? 'start' : outward[0] < -0.2 ? 'end' : 'middle',
    }, labels[i] ?? String(i)));
  }
  section.append(plot);
  return section;
}
