// A batch split across workers by query rows and reassembled in order. Each part gets a
// contiguous block of queries (and of mask rows, for a mask per query) with its global
// row offset, so causal order and query positions stay global and the result equals
// one worker's.
import { shared } from './transfer.mjs';

/** Split `count` rows into at most `parts` contiguous, nearly equal [start, stop) ranges. */
export function splitRows(count, parts) {
  const ranges = [];
  const size = Math.ceil(count / parts);
  for (let start = 0; start < count; start += size) ranges.push([start, Math.min(start + size, count)]);
  return ranges;
}

/** Rows [start, stop) of a flattened matrix with known `cols`, as our own copy. */
const rowsOf = ({ data, cols }, start, stop) => ({ data: data.slice(start * cols, stop * cols), rows: stop - start, cols, fresh: true });

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
