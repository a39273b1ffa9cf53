// A mechanism built in the workers, as Runtime.create returns it. Its calls are checked
// and flattened here (checks.mjs, matrix.mjs) and run as `call` requests on the pool; a
// batch that may be split runs on several workers (splitter.mjs).
import { callOptions, optionalBoolean, optionalCount, optionalNumber, plainExtras, plainLabels } from './checks.mjs';
import { batchMask, flatten, flattenMask, flattenVector, shaped } from './matrix.mjs';
import { METHODS, request } from './protocol.mjs';
import { matrixKey } from './registry.mjs';
import { splitBatch, splitKeys } from './splitter.mjs';
import { ownCopies, transferables } from './transfer.mjs';

const SINGLE_OPTIONS = ['mask', 'position', 'extras'];
const BATCH_OPTIONS = ['mask', 'causal', 'rows', 'extras'];
const VIEW_OPTIONS = ['mask', 'causal', 'rows', 'extras', 'labels'];
/**
 * Keys per worker below which one query's keys are not split. Measured with 2 workers
 * (Node, dim 128, interleaved runs), split/whole: uploaded keys 0.6-1.5x at 1,000-4,096
 * keys (no gain), 0.7-0.8x at 8,192 and 0.6-0.8x at 10,000; keys sent with the call 1.2x
 * at 1,000 and 0.5-0.9x at 10,000.
 */
export const MIN_PART_KEYS = 4096;

/**
 * What a handle needs of its runtime.
 * @typedef {{ pool: import('./pool.mjs').Pool, sharedMemory: boolean,
 *   progress(progress: { phase: string, loaded: number, total: number }): void }} Context
 */

/**
 * A call's inputs, flattened (matrix.mjs), and its options for the worker (camelCase).
 * @typedef {{ query: import('./matrix.mjs').Flat, keys: import('./matrix.mjs').Flat,
 *   values: import('./matrix.mjs').Flat | null, mask: import('./matrix.mjs').Flat, options: object }} Inputs
 */

/** The registry keys of the uploads among `flats`, which a request needs in its worker. */
const residentKeys = (flats) => flats.filter((f) => f?.resident !== undefined).map((f) => matrixKey(f.resident));

export class AttentionHandle {
  /** @type {Context} */
  #context;
  #handle;
  #key;

  /**
   * @param {Context} context
   * @param {number} handle the mechanism's id in the workers
   * @param {string} key its entry in the pool's registry
   * @param {object} info
   */
  constructor(context, handle, key, info) {
    this.#context = context;
    this.#handle = handle;
    this.#key = key;
    /** {name, dim, numHeads, config, complexity, splittable, stateful, valuesMatchDim, keyPartials} */
    this.info = info;
  }

  get handle() {
    return this.#handle;
  }

  /**
   * One `call` request for this mechanism.
   * @param {string} method a key of protocol.METHODS
   * @param {Inputs} inputs
   * @param {{ signal?: AbortSignal, timeoutMs?: number }} call
   */
  #send(method, inputs, call) {
    const sent = [inputs.query, inputs.keys, inputs.values, inputs.mask];
    const make = () => { // when a worker takes it (Pool.run): copies are made then, not in the queue
      const flats = ownCopies(sent, this.#context.pool.buffers);
      const [query, keys, values, mask] = flats;
      const args = {
        query: query.data, keys: keys.data, values: values?.data ?? null, mask: mask.data,
        options: values?.rows === undefined ? inputs.options : { ...inputs.options, valuesRows: values.rows },
      };
      return { message: request('call', this.#handle, method, args), transfer: transferables(flats) };
    };
    return this.#context.pool.run(make, {
      ...call,
      needs: [this.#key, ...residentKeys(sent)],
      pin: this.info.stateful ? this.#key : null, // topology_gated keeps its state in one worker
    });
  }

  /** Keys (rows of `dim` values) and values (for the methods that take them), flattened. */
  #keysAndValues(method, keys, values) {
    const k = shaped(flatten(keys, 'keys'), this.info.dim);
    const v = METHODS[method].values ? flatten(values, 'values') : null;
    return { keys: k, values: v };
  }

  async #single(method, query, keys, values, options) {
    const { own, call } = callOptions(options, SINGLE_OPTIONS, METHODS[method].js);
    const q = flattenVector(query, 'query');
    const kv = this.#keysAndValues(method, keys, values);
    const mask = flattenMask(own.mask);
    const sent = { position: optionalNumber(own.position, 'position'), extras: plainExtras(own.extras) };
    const single = { query: q, ...kv, mask, options: sent };
    const parts = method === 'compute' ? this.#keyParts(single) : 1;
    if (parts <= 1) return this.#send(method, single, call);
    return splitKeys(single, parts, (inputs) => this.#send('compute_partial', inputs, call));
  }

  /**
   * Workers to split one query's keys across (flash-decoding; 1: not split): for a
   * mechanism whose key partials merge exactly (info.keyPartials), no per-call position or
   * extras, at least MIN_PART_KEYS keys each, keys and values both uploaded (each worker
   * takes its range of them) or both sent with the call as flat rows (each worker gets a
   * copy of its rows only; with a mask of one value per key, if any).
   */
  #keyParts({ query, keys, values, mask, options }) {
    const plain = this.info.keyPartials && options.position == null && !options.extras;
    if (!plain || !values || keys.rows === undefined || query.data?.length !== this.info.dim) return 1;
    const uploaded = keys.resident !== undefined && values.resident !== undefined;
    const sent = keys.resident === undefined && values.resident === undefined && (values.rows ?? keys.rows) === keys.rows
      && values.data.length % keys.rows === 0 && (mask.data === null || mask.data.length === keys.rows);
    if (!uploaded && !sent) return 1;
    return Math.min(this.#context.pool.workers, Math.floor(keys.rows / MIN_PART_KEYS));
  }

  async #batch(method, queries, keys, values, options) {
    const { own, call } = callOptions(options, BATCH_OPTIONS, METHODS[method].js);
    const q = shaped(flatten(queries, 'queries', optionalCount(own.rows, 'rows')), this.info.dim);
    const kv = this.#keysAndValues(method, keys, values);
    const mask = batchMask(flattenMask(own.mask), q.rows, kv.keys.rows);
    const extras = plainExtras(own.extras);
    const sent = { causal: optionalBoolean(own.causal, 'causal'), extras };
    // extras may hold per-query rows (rope's distances), so a call with extras is not split
    const divisible = METHODS[method].splits && this.info.splittable && !extras && q.resident === undefined
      && q.cols === this.info.dim;
    const parts = divisible ? Math.min(this.#context.pool.workers, q.rows) : 1;
    if (parts <= 1) {
      const whole = { ...sent, queryRows: q.rows ?? null, maskRows: mask.rows };
      return this.#send(method, { query: q, ...kv, mask, options: whole }, call);
    }
    return splitBatch({ queries: q, ...kv, mask, options: sent }, parts, {
      sharing: this.#context.sharedMemory,
      send: (inputs) => this.#send(method, inputs, call),
      onPart: (loaded, total) => this.#context.progress({ phase: 'compute', loaded, total }),
    });
  }

  /** One query (d) over keys (n, d) and values (n, dv) -> Float32Array(dv). */
  async compute(query, keys, values, options) {
    return this.#single('compute', query, keys, values, options);
  }

  /** Weights of one query over keys -> Float32Array(n), summing to 1. */
  async weights(query, keys, options) {
    return this.#single('weights', query, keys, null, options);
  }

  /** Queries (m, d) -> Float32Array(m * dv), split across workers and reassembled in order. */
  async computeBatch(queries, keys, values, options) {
    return this.#batch('compute_batch', queries, keys, values, options);
  }

  /** Weights of a batch -> Float32Array(m * n), row-major. */
  async weightsBatch(queries, keys, options) {
    return this.#batch('weights_batch', queries, keys, null, options);
  }

  /** Per-head weights -> Float32Array(heads * m * n) (one head for single-head mechanisms). */
  async headWeightsBatch(queries, keys, options) {
    return this.#batch('head_weights_batch', queries, keys, null, options);
  }

  /**
   * The payloads of the views only this library draws (web/visualizer/special.mjs's
   * drawViews) for these queries and keys: the Poincaré disk, moe's routing, centroid_ot's
   * plan, the graph, topology_gated's modes, then the keys' geometry report. `labels`:
   * { x: key labels, y: query labels, row: the query the disk shows }.
   */
  async views(queries, keys, options) {
    const { own, call } = callOptions(options, VIEW_OPTIONS, 'views');
    const q = shaped(flatten(queries, 'queries', optionalCount(own.rows, 'rows')), this.info.dim);
    const k = shaped(flatten(keys, 'keys'), this.info.dim);
    const mask = batchMask(flattenMask(own.mask), q.rows, k.rows);
    const labels = own.labels == null ? null : plainLabels(own.labels);
    const sentOptions = {
      queryRows: q.rows ?? null, maskRows: mask.rows, causal: optionalBoolean(own.causal, 'causal'),
      extras: plainExtras(own.extras), labels,
    };
    const make = () => {
      const flats = ownCopies([q, k, mask], this.#context.pool.buffers);
      const args = { queries: flats[0].data, keys: flats[1].data, mask: flats[2].data, options: sentOptions };
      return { message: request('views', this.#handle, args), transfer: transferables(flats) };
    };
    return this.#context.pool.run(make, {
      ...call,
      needs: [this.#key, ...residentKeys([q, k, mask])],
      pin: this.info.stateful ? this.#key : null,
    });
  }

  /** Free this mechanism in every worker; later calls reject with InvalidInputError. */
  async dispose() {
    return this.#context.pool.forget(this.#key);
  }
}
