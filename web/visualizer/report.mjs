// The geometry report of the current keys (ra.ReportBuilder().analyze_keys(keys).build()):
// the health score, every metric with its value and status, and the recommended attention
// family with the reason.
import { fmt, html, panel } from './svg.mjs';

/**
 * Draw the report panel into `container`.
 * @param {HTMLElement} container
 * @param {import('./special.mjs').ReportPayload} payload
 */
export function drawReport(container, payload) {
  const { health_score: health, recommendation, metrics, why } = payload;
  const section = panel(container, 'report', payload.title ?? 'Geometry report of the keys');
  section.append(html('div', { class: 'ra-health' }, html('span', { text: 'health' }),
    html('meter', { min: 0, max: 1, low: 0.4, high: 0.7, optimum: 1, value: health, class: 'ra-health-meter' }),
    html('span', { class: 'ra-health-value', 'data-value': health, text: fmt(health, 3) })));
  const table = html('table', { class: 'ra-metrics' }, html('thead', {}, html('tr', {}, html('th', { text: 'metric' }), html('th', { text: 'value' }), html('th', { text: 'status' }))));
  const body = html('tbody');
  for (const { type, value, status } of metrics) {
    body.append(html('tr', { 'data-metric': type, 'data-value': value, 'data-status': status },
      html('td', { text: type.replaceAll('_', ' ') }), html('td', { text: fmt(value) }),
      html('td', {}, html('span', { class: `ra-status ra-status-${status}`, text: status }))));
  }
  table.append(body);
  section.append(table);
  section.append(html('p', { class: 'ra-recommendation', 'data-recommendation': recommendation },
    html('strong', { text: `Recommendation: ${recommendation}` }), why ? ` — ${why}` : ''));
  return section;
}
