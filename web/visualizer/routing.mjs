// Mixture-of-experts routing per token: for each token the gate of every expert it is
// routed to (bars: width = gate, the values of moe.routing()), and, for the whole batch,
// each expert's load against its capacity (batch routing caps each expert; a token whose
// choice is full is rerouted, and an expert that takes more than its capacity overflows).
import { MAX_ROWS, fmt, html, panel, partNote } from './svg.mjs';

/** A bar of `value` in [0, 1] (width = value), with its number. */
function bar(value, attrs, text = fmt(value, 3)) {
  const fill = html('span', { class: 'ra-bar-fill', style: `width:${(100 * Math.min(value, 1)).toFixed(3)}%` });
  return html('span', { class: 'ra-bar', ...attrs }, html('span', { class: 'ra-bar-track' }, fill), html('span', { class: 'ra-bar-value', text }));
}

/**
 * Draw the routing panel into `container`.
 * @param {HTMLElement} container
 * @param {import('./special.mjs').RoutingPayload} payload
 */
export function drawRouting(container, payload) {
  const { experts, tokens, gates, batch } = payload;
  const section = panel(container, 'routing', payload.title ?? 'MoE routing per token',
    'Gates of the experts each token is routed to (one query alone, as routing()); below, the batch: tokens per expert against its capacity.');
  const table = html('table', { class: 'ra-routing' });
  table.append(html('thead', {}, html('tr', {}, html('th', { text: 'token' }),
    ...experts.map((name, e) => html('th', { text: `${e}: ${name}` })),
    ...(batch ? [html('th', { text: 'in the batch' })] : []))));
  const body = html('tbody');
  tokens.slice(0, MAX_ROWS).forEach((token, i) => {
    const row = html('tr', { 'data-token': i }, html('th', { text: token }));
    experts.forEach((_, e) => {
      const gate = gates[i][e];
      row.append(html('td', {}, gate > 0 ? bar(gate, { 'data-expert': e, 'data-gate': gate }) : ''));
    });
    if (batch) {
      const chosen = batch.gates[i].map((g, e) => [g, e]).filter(([g]) => g > 0).map(([, e]) => e);
      const alone = gates[i].map((g, e) => [g, e]).filter(([g]) => g > 0).map(([, e]) => e);
      const moved = chosen.join() !== alone.join();
      row.append(html('td', { class: moved ? 'ra-rerouted' : '', 'data-batch-experts': chosen.join(' ') },
        `${chosen.join(', ')}${moved ? ' (rerouted)' : ''}`));
    }
    body.append(row);
  });
  table.append(body);
  const part = partNote(Math.min(tokens.length, MAX_ROWS), tokens.length, 'tokens');
  if (part) section.append(html('p', { class: 'ra-note', text: part }));
  section.append(table);
  if (batch) {
    const load = html('div', { class: 'ra-load' }, html('h4', { text: `Tokens per expert (capacity ${batch.capacity ?? '∞'})` }));
    const most = Math.max(batch.capacity ?? 0, ...batch.tokensPerExpert, 1);
    batch.tokensPerExpert.forEach((count, e) => {
      const over = batch.capacity != null && count > batch.capacity;
      load.append(html('div', { class: `ra-load-row${over ? ' ra-overflow' : ''}` }, html('span', { text: `${e}: ${experts[e]}` }),
        bar(count / most, { 'data-expert': e, 'data-load': count }, `${count}${over ? ' > capacity' : ''}`)));
    });
    load.append(html('p', { class: 'ra-note', text: `rerouted ${batch.rerouted} · dropped choices ${batch.dropped} · over capacity ${batch.overCapacity}` }));
    section.append(load);
  }
  return section;
}
