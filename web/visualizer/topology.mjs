// topology_gated over a sliding window: for each position t the coherence of the keys in
// the window ending at t and the mode the gating policy picks (STABLE, CAUTIOUS, FREEZE,
// with hysteresis), as a line over coloured mode bands with the thresholds dashed.
import { fmt, html, panel, svg, tip } from './svg.mjs';

export const MODE_COLOURS = { stable: '#1b9e77', cautious: '#d95f02', freeze: '#7570b3' };

/**
 * Draw the topology panel into `container`.
 * @param {HTMLElement} container
 * @param {import('./special.mjs').TopologyPayload} payload
 */
export function drawTopology(container, payload) {
  const { windows, thresholds, labels = [], window } = payload;
  const known = windows.some((w) => w.coherence != null);
  const section = panel(container, 'topology', payload.title ?? `${known ? 'Coherence and mode' : 'Mode'} over a sliding window of ${window} keys`,
    `Each band is the mode after the window ending at that key${known ? '; the line is the window\'s coherence' : ''} (dashed: the stable, cautious and freeze thresholds).`);
  const width = Math.max(300, Math.min(620, 40 + windows.length * 28));
  const height = 210;
  const [left, top, plotW, plotH] = [36, 10, width - 46, height - 70];
  const step = plotW / Math.max(windows.length, 1);
  const yOf = (c) => top + plotH * (1 - c);
  const plot = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'ra-topology', role: 'img', 'aria-label': 'coherence and mode' });
  windows.forEach(({ end, mode, coherence }, i) => {
    plot.append(svg('rect', {
      x: left + i * step, y: top, width: step, height: plotH, fill: MODE_COLOURS[mode] ?? '#999', 'fill-opacity': 0.28,
      class: 'ra-window', 'data-end': end, 'data-mode': mode, 'data-coherence': coherence ?? '',
    }, tip(`keys ${Math.max(0, end - window + 1)}..${end}: ${mode}${coherence == null ? '' : `, coherence ${fmt(coherence)}`}`)));
    const [lx, ly] = [left + (i + 0.5) * step, top + plotH + 12];
    if (i % Math.ceil(12 / step) === 0) { // labels at least 12 px apart
      plot.append(svg('text', { x: lx, y: ly, 'font-size': 9, 'text-anchor': step < 36 ? 'end' : 'middle', fill: 'currentColor', transform: step < 36 ? `rotate(-40 ${lx} ${ly})` : null }, labels[end] ?? String(end)));
    }
  });
  for (const [name, value] of Object.entries(thresholds)) {
    plot.append(svg('line', { x1: left, x2: left + plotW, y1: yOf(value), y2: yOf(value), stroke: 'currentColor', 'stroke-opacity': 0.5, 'stroke-dasharray': '4 3' }),
      svg('text', { x: left + plotW - 2, y: yOf(value) - 2, 'font-size': 8, 'text-anchor': 'end', fill: 'currentColor' }, `${name} ${value}`));
  }
  const points = windows.filter((w) => w.coherence != null).map((w) => [left + (windows.indexOf(w) + 0.5) * step, yOf(w.coherence)]);
  if (points.length) plot.append(svg('polyline', { points: points.map((p) => p.join(',')).join(' '), fill: 'none', stroke: 'currentColor', 'stroke-width': 1.5, class: 'ra-coherence' }));
  for (const t of [0, 0.5, 1]) plot.append(svg('text', { x: left - 4, y: yOf(t) + 3, 'font-size': 9, 'text-anchor': 'end', fill: 'currentColor' }, String(t)));
  plot.append(svg('text', { x: 10, y: top + plotH / 2, 'font-size': 9, fill: 'currentColor', transform: `rotate(-90 10 ${top + plotH / 2})`, 'text-anchor': 'middle' }, 'coherence'));
  section.append(plot);
  section.append(html('div', { class: 'ra-legend-row' }, ...Object.entries(MODE_COLOURS).map(([mode, c]) =>
    html('span', { class: 'ra-chip', style: `background:${c}40;border-color:${c}`, text: mode }))));
  return section;
}
