// The demo's panels for what only this library computes, from the current mechanism and
// input through the runtime: the Poincaré disk (hyperbolic, mixed_curvature), the attention
// graph (edge_featured, dual_space, diffusion, hnsw_aware, structural), centroid OT's
// transport plan and topology_gated's mode over a sliding window. The views themselves are
// web/visualizer/special.mjs.
//
// What the runtime computes here: weights (per query or per batch). The transport plan is
// exact from them (below); topology_gated's mode is read from its weights. MoE routing,
// the coherence value and the geometry report need calls the JS runtime does not make
// (moe.routing, topology_gated.coherence, ReportBuilder): ra.viz.explore draws those.
import { drawViews } from '../visualizer/special.mjs';

export const GRAPH_MECHANISMS = ['edge_featured', 'dual_space', 'diffusion', 'hnsw_aware', 'structural'];

const rowOf = (flat, i, cols) => flat.subarray(i * cols, (i + 1) * cols);

/** Columns `from..to` of a flat (rows, cols) matrix. */
function columns(flat, rows, cols, from, to) {
  const out = new Float32Array(rows * (to - from));
  for (let i = 0; i < rows; i++) out.set(flat.subarray(i * cols + from, i * cols + to), i * (to - from));
  return out;
}

/** Most queries the Poincaré disk offers to pick from. */
const DISK_QUERIES = 64;

async function poincarePayload(ctx) {
  const { handle, name, config, queries, keys, rows, cols, dim, tokens, mask, causal } = ctx;
  const row = ctx.queryRow ?? 0;
  const weights = ctx.weights ?? await handle.weightsBatch(queries, keys, { mask, causal, extras: ctx.extras });
  let [k, q, d, curvature] = [keys, queries, dim, config.curvature ?? -1];
  if (name === 'mixed_curvature') { // the hyperbolic slice [E | H | S] of the product space
    const e = config.euclideanDim;
    d = config.hyperbolicDim;
    k = columns(keys, cols, dim, e, e + d);
    q = columns(queries, rows, dim, e, e + d);
    curvature = config.curvatureH ?? -1;
  }
  const label = (r) => tokens?.[r] ?? `query ${r}`;
  const choice = (r) => ({ label: label(r), query: Array.from(rowOf(q, r, d)), weights: Array.from(rowOf(weights, r, cols)) });
  const others = Array.from({ length: rows }, (_, r) => r).filter((r) => r !== row).slice(0, DISK_QUERIES - 1).map(choice);
  const { query, weights: shown } = choice(row);
  return {
    view: 'poincare', keys: k, query, dim: d, curvature, weights: shown, labels: tokens, queryLabel: label(row), others,
    title: `Poincaré disk · ${name}${name === 'mixed_curvature' ? ` (hyperbolic slice, ${d} dims)` : ''}`,
  };
}

async function graphPayload(ctx) {
  const { handle, name, queries, keys, rows, cols, tokens, mask, causal, extras } = ctx;
  const weights = ctx.weights ?? await handle.weightsBatch(queries, keys, { mask, causal, extras });
  return { view: 'graph', weights: Array.from(weights), rows, cols, labels: tokens, title: `Attention graph · ${name}` };
}

/**
 * The transport plan from centroid_ot's weights of the keys as queries: for query = key i
 * the mechanism's weights are w_ik = P_ij / (a_i |cluster j|) for k in cluster j, with
 * a_i = 1/n; so the keys of one cluster share a column of weights, and
 * P_ij = (1/n) Σ_{k in cluster j} w_ik.
 */
export function planFromWeights(weights, n) {
  const probes = Array.from(new Set(Array.from({ length: Math.min(n, 8) }, (_, p) => Math.floor((p * (n - 1)) / 7 || 0))));
  const sameColumn = (a, b) => {
    for (let i = 0; i < n; i++) if (weights[i * n + a] !== weights[i * n + b]) return false;
    return true;
  };
  const clusters = new Map(); // a few rows' values -> the clusters with those values (each checked on every row)
  const members = [];
  for (let k = 0; k < n; k++) {
    const key = probes.map((i) => weights[i * n + k]).join();
    const candidates = clusters.get(key) ?? [];
    const cluster = candidates.find((c) => sameColumn(c[0], k));
    if (cluster) cluster.push(k);
    else {
      candidates.push([k]);
      members.push(candidates.at(-1));
      clusters.set(key, candidates);
    }
  }
  const plan = Array.from({ length: n }, (_, i) => members.map((ks) => ks.reduce((sum, k) => sum + weights[i * n + k], 0) / n));
  return { plan, masses: members.map((ks) => ks.length / n), members };
}

async function transportPayload(ctx) {
  const { handle, keys, cols, tokens } = ctx;
  const weights = await handle.weightsBatch(keys, keys);
  const { plan, masses, members } = planFromWeights(weights, cols);
  return {
    view: 'transport', plan, masses, labels: tokens,
    title: `Transport plan · ${cols} keys → ${members.length} centroids`,
  };
}

/** Softmax of q·k/√d over the visible keys (topology_gated's STABLE weights). */
function softmaxScores(q, keys, n, dim) {
  const s = Array.from({ length: n }, (_, j) => {
    let dot = 0;
    for (let k = 0; k < dim; k++) dot += q[k] * keys[j * dim + k];
    return dot / Math.sqrt(dim);
  });
  const top = Math.max(...s);
  const e = s.map((x) => Math.exp(x - top));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
}

/**
 * The query that reads the mode (which depends on the keys alone): key `t` scaled so that
 * every score q·k/√d lies in [-1, 1]; saturated scores would make the three modes' weights
 * alike.
 */
function probe(key, seen, dim) {
  let longest = 0;
  for (let j = 0; j < seen.length / dim; j++) longest = Math.max(longest, Math.hypot(...seen.subarray(j * dim, (j + 1) * dim)));
  const scale = Math.sqrt(dim) / ((Math.hypot(...key) || 1) * (longest || 1));
  return key.map((x) => x * scale);
}

/** topology_gated's mode from its weights: softmax of the scores (stable), uniform (freeze), else cautious. */
export function modeOf(weights, stable) {
  const close = (a, b) => a.every((x, j) => Math.abs(x - b[j]) <= 1e-5);
  if (close(Array.from(weights), stable)) return 'stable';
  return close(Array.from(weights), weights.map(() => 1 / weights.length)) ? 'freeze' : 'cautious';
}

/** Most positions the topology panel steps through (one call each). */
const TOPOLOGY_STEPS = 64;

async function topologyPayload(ctx) {
  const { rt, config, keys, dim, tokens } = ctx;
  const cols = Math.min(ctx.cols, TOPOLOGY_STEPS);
  // a fresh copy: the mode is state, and the user's mechanism must not move
  const gated = await rt.create('topology_gated', config);
  try {
    const windows = [];
    for (let t = 0; t < cols; t++) {
      const seen = keys.subarray(0, (t + 1) * dim);
      const q = probe(rowOf(keys, t, dim), seen, dim);
      const weights = await gated.weights(q, seen);
      windows.push({ end: t, mode: modeOf(weights, softmaxScores(q, seen, t + 1, dim)), coherence: null });
    }
    return {
      view: 'topology', windows, window: config.window, labels: tokens,
      ...(cols < ctx.cols ? { title: `Mode over a sliding window of ${config.window} keys (the first ${cols} of ${ctx.cols} positions)` } : {}),
      thresholds: { stable: config.stableThreshold, cautious: config.cautiousThreshold, freeze: config.freezeThreshold },
    };
  } finally {
    await gated.dispose();
  }
}

/** The payloads of the panels that apply to mechanism `name` (none: []). */
export async function specialPayloads(ctx) {
  const { name } = ctx;
  if (name === 'hyperbolic' || (name === 'mixed_curvature' && ctx.config.hyperbolicDim > 0)) return [await poincarePayload(ctx)];
  if (GRAPH_MECHANISMS.includes(name)) return [await graphPayload(ctx)];
  if (name === 'centroid_ot') return [await transportPayload(ctx)];
  if (name === 'topology_gated') return [await topologyPayload(ctx)];
  return [];
}

/**
 * Clear `container` and draw the panels that apply to mechanism `ctx.name`.
 * @param {HTMLElement} container
 * @param {import('./special.mjs').SpecialContext} ctx
 */
export async function drawSpecialViews(container, ctx) {
  const payloads = await specialPayloads(ctx);
  drawViews(container, payloads, { palette: ctx.palette });
  return payloads;
}
