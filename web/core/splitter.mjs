// Work split across workers. A batch by query rows, reassembled in order: each part gets
// a contiguous block of queries (and of mask rows, for a mask per query) with its global
// row offset, so causal order and query positions stay global and the result equals one
// worker's. One query by key ranges (flash-decoding): each part returns the softmax
// partial of its keys and the partials merge exactly (kernels/partials.py's rule).
import { shared } from './transfer.mjs';

/** Split `count` rows into at most `parts` contiguous, nearly equal [start, stop) ranges. */
export function splitRows(count, parts) {
  const ranges = [];
  const size = Math.ceil(count / parts);
  for (let start = 0; start < count; start += size) ranges.push([start, Math.min(start + size, count)]);
  return ranges;
}

/** Rows [start, stop) of a flattened matrix with known `cols`: a view, which the request
 * that sends it copies (transfer.mjs ownCopies). */
const rowsOf = ({ data, cols }, start, stop) => ({ data: data.subarray(start * cols, stop * cols), rows: stop - start, cols, fresh: false });

/** Chunks of rows, in order, as one matrix. */
function concat(chunks) {
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * Run a batch as `parts` row blocks.
 * @param {{ queries: import('./matrix.mjs').Flat, keys: import('./matrix.mjs').Flat,
 *   values: import('./matrix.mjs').Flat | null, mask: import('./matrix.mjs').Flat,
 *   options: object }} batch `queries` with known rows and cols; `mask.rows` 0 for a
 *   mask shared by every query
 * @param {number} parts
 * @param {{ sharing: boolean, send(inputs: object): Promise<Float32Array>, onPart(done: number, total: number): void }} how
 *   `sharing`: keys and values go in SharedArrayBuffers; `send` runs one part
 * @returns {Promise<Float32Array>} (queries.rows · width), row-major
 */
export async function splitBatch({ queries, keys, values, mask, options }, parts, { sharing, send, onPart }) {
  const once = (flat) => flat && { ...flat, data: sharing ? shared(flat.data) : flat.data, fresh: false };
  const [k, v] = [once(keys), once(values)];
  const ranges = splitRows(queries.rows, parts);
  let done = 0;
  const chunks = await Promise.all(ranges.map(async ([start, stop]) => {
    const rows = stop - start;
    const out = await send({
      query: rowsOf(queries, start, stop),
      keys: k,
      values: v,
      mask: mask.rows ? rowsOf(mask, start, stop) : { ...mask, fresh: false },
      options: { ...options, queryRows: rows, maskRows: mask.rows ? rows : 0, rowOffset: start, totalRows: queries.rows },
    });
    onPart(++done, ranges.length);
    return out;
  }));
  return concat(chunks);
}

/**
 * One query's output from the partials of its key ranges, each `[μ, ℓ, a_1..a_dv]`
 * (float64: the largest visible score, Σ e^(s-μ), Σ e^(s-μ)·v): the log-sum-exp rule of
 * kernels/partials.py, `out = Σ_c e^(μ_c-μ) a_c / Σ_c e^(μ_c-μ) ℓ_c` with `μ = max_c μ_c`;
 * zeros when no part saw a key.
 * @param {Float64Array[]} parts
 * @returns {Float32Array}
 */
export function mergePartials(parts) {
  const top = Math.max(...parts.map((p) => p[0]));
  const shift = Number.isFinite(top) ? top : 0;
  const weighted = new Float64Array(parts[0].length - 2);
  let total = 0;
  for (const p of parts) {
    const factor = Math.exp(p[0] - shift); // <= 1; 0 for a part that saw no key
    if (factor === 0) continue;
    total += factor * p[1];
    for (let j = 0; j < weighted.length; j++) weighted[j] += factor * p[j + 2];
  }
  const out = new Float32Array(weighted.length);
  if (total > 0) for (let j = 0; j < out.length; j++) out[j] = weighted[j] / total;
  return out;
}

/**
 * Run one query as `parts` key ranges, one `compute_partial` each, and merge them.
 * @param {{ query: import('./matrix.mjs').Flat, keys: import('./matrix.mjs').Flat,
 *   values: import('./matrix.mjs').Flat, mask: import('./matrix.mjs').Flat, options: object }} single
 *   keys (with known rows) and values both uploaded, each part naming its range of them
 *   (`keyStart`, `keyStop`), or both flat, each part getting a copy of its rows (and of
 *   its values of a one-row mask), their range and the whole call's key count
 *   (`keyTotal`: Python's limit, and errors that name the caller's rows); every part
 *   gets the query whole
 * @param {number} parts
 * @param {(inputs: object) => Promise<Float64Array>} send runs one part
 * @returns {Promise<Float32Array>}
 */
export async function splitKeys({ query, keys, values, mask, options }, parts, send) {
  const width = (flat) => flat.cols ?? flat.data.length / keys.rows;
  const part = (keyStart, keyStop) => (keys.resident !== undefined
    ? { keys, values, mask: { ...mask, fresh: false }, options: { ...options, keyStart, keyStop } }
    : {
      keys: rowsOf({ data: keys.data, cols: width(keys) }, keyStart, keyStop),
      values: rowsOf({ data: values.data, cols: width(values) }, keyStart, keyStop),
      mask: mask.data === null ? mask : { data: mask.data.subarray(keyStart, keyStop), rows: 0, fresh: false },
      options: { ...options, keyStart, keyStop, keyTotal: keys.rows },
    });
  const ranges = splitRows(keys.rows, parts);
  const sharedQuery = { ...query, fresh: false }; // every part reads it: each gets a copy
  const pending = ranges.map(([start, stop]) => send({ query: sharedQuery, ...part(start, stop) }));
  const settled = await Promise.allSettled(pending);
  const failed = settled.find((result) => result.status === 'rejected'); // the first range's, whoever answers first
  if (failed) throw failed.reason;
  return mergePartials(settled.map((result) => result.value));
}
