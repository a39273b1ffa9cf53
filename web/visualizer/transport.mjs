// Centroid optimal transport: the plan P (keys x centroids) that moves the uniform measure
// on the keys onto the centroids' masses, with its marginals: each row sums to 1/n, each
// column to its centroid's mass |cluster| / n (up to Sinkhorn's tolerance).
import { MAX_ROWS, colour, fmt, html, panel, partNote, svg, tip } from './svg.mjs';

/** Row and column sums of a plan (rows of numbers). */
export function marginals(plan) {
  const rows = plan.map((row) => row.reduce((a, b) => a + b, 0));
  const cols = plan[0].map((_, j) => plan.reduce((a, row) => a + row[j], 0));
  return { rows, cols };
}

/**
 * Draw the transport plan panel into `container`.
 * @param {HTMLElement} container
 * @param {import('./special.mjs').TransportPayload} payload
 * @param {{ palette?: string }} [options]
 */
export function drawTransport(container, payload, { palette } = {}) {
  const { labels = [], masses } = payload;
  const m = payload.plan[0].length;
  const section = panel(container, 'transport', payload.title ?? `Transport plan: ${payload.plan.length} keys → ${m} centroids`,
    'Cell (key, centroid) = mass moved; the right column sums each row (1/n), the bottom row each column (the centroid\'s mass).');
  const { rows, cols } = marginals(payload.plan); // of the whole plan
  const plan = payload.plan.slice(0, MAX_ROWS);
  const n = plan.length;
  const part = partNote(n, payload.plan.length, 'keys');
  if (part) section.append(html('p', { class: 'ra-note', text: part }));
  const top = Math.max(...plan.flat()) || 1;
  const cell = Math.max(8, Math.min(22, Math.floor(420 / Math.max(m, 1))));
  const left = 70;
  const width = left + m * cell + 70;
  const height = 18 + n * cell + 34;
  const plot = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'ra-plan', role: 'img', 'aria-label': 'transport plan' });
  for (let j = 0; j < m; j++) plot.append(svg('text', { x: left + j * cell + cell / 2, y: 12, 'font-size': 9, 'text-anchor': 'middle', fill: 'currentColor' }, `c${j}`));
  plan.forEach((row, i) => {
    const y = 18 + i * cell;
    plot.append(svg('text', { x: left - 4, y: y + cell * 0.7, 'font-size': 10, 'text-anchor': 'end', fill: 'currentColor' }, labels[i] ?? String(i)));
    row.forEach((value, j) => {
      plot.append(svg('rect', { x: left + j * cell, y, width: cell - 1, height: cell - 1, fill: colour(value / top, palette), class: 'ra-plan-cell', 'data-row': i, 'data-col': j, 'data-value': value },
        tip(`${labels[i] ?? i} → centroid ${j}: ${fmt(value)}`)));
    });
    plot.append(svg('text', { x: left + m * cell + 4, y: y + cell * 0.7, 'font-size': 9, fill: 'currentColor', class: 'ra-plan-row-sum', 'data-row': i, 'data-value': rows[i] }, fmt(rows[i], 3)));
  });
  cols.forEach((value, j) => {
    plot.append(svg('text', {
      x: left + j * cell + cell / 2, y: 18 + n * cell + 12, 'font-size': 8, 'text-anchor': 'middle', fill: 'currentColor',
      class: 'ra-plan-col-sum', 'data-col': j, 'data-value': value, transform: `rotate(45 ${left + j * cell + cell / 2} ${18 + n * cell + 12})`,
    }, fmt(value, 2), tip(`centroid ${j}: column sum ${fmt(value)}${masses ? `, mass ${fmt(masses[j])}` : ''}`)));
  });
  section.append(plot);
  if (masses) {
    const error = Math.max(...cols.map((v, j) => Math.abs(v - masses[j])));
    section.append(html('p', { class: 'ra-note', text: `largest gap between a column sum and its centroid's mass: ${error.toExponential(2)}` }));
  }
  return section;
}
