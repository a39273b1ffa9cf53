// The demo's panels for what only this library computes, for the current mechanism and
// input: the mechanism itself makes their payloads in a worker (handle.views, i.e.
// ra.viz.special_views, the payloads ra.viz.explore embeds): the Poincaré disk (hyperbolic,
// mixed_curvature), moe's routing, centroid_ot's transport plan, the attention graph,
// topology_gated's modes over a sliding window, and the keys' geometry report.
// web/visualizer/special.mjs draws them.
import { drawViews } from '../visualizer/special.mjs';

/** The labels of a views call: the tokens name the keys, and the queries when they are as many. */
function labelsOf({ tokens, rows, cols, queryRow = 0 }) {
  const labels = { row: queryRow };
  if (tokens?.length === cols) labels.x = tokens;
  if (tokens?.length === rows) labels.y = tokens;
  return labels;
}

/**
 * The payloads of the panels for mechanism `ctx.handle` on the demo's input.
 * @param {import('./special.mjs').SpecialContext} ctx
 */
export async function specialPayloads(ctx) {
  const { handle, queries, keys, rows, mask = null, causal = false, extras } = ctx;
  return handle.views(queries, keys, { rows, mask, causal, extras, labels: labelsOf(ctx) });
}

/**
 * Clear `container` and draw the panels of `ctx.handle`'s mechanism on the demo's input.
 * @param {HTMLElement} container
 * @param {import('./special.mjs').SpecialContext} ctx
 */
export async function drawSpecialViews(container, ctx) {
  const payloads = await specialPayloads(ctx);
  drawViews(container, payloads, { palette: ctx.palette });
  return payloads;
}
