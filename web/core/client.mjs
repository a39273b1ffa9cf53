// The runtime API of API.md §5 over a pool of workers (pool.mjs), shared by the Node and
// browser facades. This file checks what callers pass (checks.mjs, matrix.mjs), shapes
// requests and splits batches; the pool schedules, cancels and replaces workers.
// Every public method is async: whatever goes wrong rejects with a typed error.
import { checkTimeout } from './cancel.mjs';
import {
  callOptions, guard, optionalBoolean, optionalCount, optionalNumber, plainConfig, plainExtras,
} from './checks.mjs';
import { UnknownMechanismError, invalidConfig, invalidInput, show } from './errors.mjs';
import { ResidentMatrix, flatten, flattenMask, flattenVector } from './matrix.mjs';
import { Pool } from './pool.mjs';
import { METHODS, request } from './protocol.mjs';

/** WebAssembly memory past which a worker is replaced after its request (1 GiB). */
export const DEFAULT_MAX_WORKER_MEMORY = 2 ** 30;

const SINGLE_OPTIONS = ['mask', 'position', 'extras'];
const BATCH_OPTIONS = ['mask', 'causal', 'rows', 'extras'];

const mechanismKey = (handle) => `mechanism ${handle}`;
const matrixKey = (id) => `uploaded matrix ${id}`;

/** Split `count` rows into at most `parts` contiguous, nearly equal [start, stop) ranges. */
function splitRows(count, parts) {
  const ranges = [];
  const size = Math.ceil(count / parts);
  for (let start = 0; start < count; start += size) ranges.push([start, Math.min(start + size, count)]);
  return ranges;
}

function concat(chunks) {
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** A copy of `data` in a SharedArrayBuffer: one copy that every worker reads. */
function sharedCopy(data) {
  const copy = new Float32Array(new SharedArrayBuffer(data.byteLength));
  copy.set(data);
  return copy;
}

/** `data` in a SharedArrayBuffer (a copy unless it is one already). */
function shared(data) {
  if (!(data instanceof Float32Array) || data.buffer instanceof SharedArrayBuffer) return data;
  return sharedCopy(data);
}

/** Buffers of our own copies, moved to the worker instead of copied again. */
const transferable = (flat) => (flat?.fresh && flat.data?.buffer ? [flat.data.buffer] : []);

/** Registry keys of the uploaded matrices among `flats`. */
const residentKeys = (flats) => flats.filter((f) => f?.resident !== undefined).map((f) => matrixKey(f.resident));

/** A mechanism name must be a string (Python resolves it). */
function mechanismName(name, choices) {
  if (typeof name === 'string') return name;
  throw new UnknownMechanismError(`unknown attention mechanism ${show(name)}; expected one of: ${choices.join(', ')}`, {
    name: show(name), choices,
  });
}

/** `dim` for describe: absent (Python says it is required) or a number (Python checks it). */
function dimOption(dim) {
  if (dim == null) return null;
  if (typeof dim !== 'number') throw invalidConfig(`dim must be a positive integer, got ${show(dim)}`);
  return dim;
}

export class AttentionHandle {
  #runtime;
  #handle;
  #key;

  constructor(runtime, handle, info) {
    this.#runtime = runtime;
    this.#handle = handle;
    this.#key = mechanismKey(handle);
    /** {name, dim, numHeads, config, complexity, splittable, stateful, valuesMatchDim} */
    this.info = info;
  }

  get handle() {
    return this.#handle;
  }

  /** One request for this mechanism; `flats` are the flattened inputs it sends. */
  #request(method, args, flats, call) {
    return this.#runtime._run(request('call', this.#handle, method, args), {
      ...call,
      transfer: flats.flatMap(transferable),
      needs: [this.#key, ...residentKeys(flats)],
      pin: this.info.stateful ? this.#key : null, // topology_gated keeps its state in one worker
    });
  }

  async #single(method, query, keys, values, options) {
    const { own, call } = callOptions(options, SINGLE_OPTIONS, METHODS[method].js);
    const q = flattenVector(query, 'query');
    const k = flatten(keys, 'keys');
    const v = values === null ? null : flatten(values, 'values');
    const m = flattenMask(own.mask);
    const args = {
      query: q.data, keys: k.data, values: v?.data ?? null, mask: m.data,
      options: {
        position: optionalNumber(own.position, 'position'),
        extras: plainExtras(own.extras),
        ...(v?.rows !== undefined ? { valuesRows: v.rows } : {}),
      },
    };
    return this.#request(method, args, [q, k, v, m], call);
  }

  async #batch(method, queries, keys, values, options, split = true) {
    const { own, call } = callOptions(options, BATCH_OPTIONS, METHODS[method].js);
    const q = flatten(queries, 'queries', optionalCount(own.rows, 'rows'));
    const k = flatten(keys, 'keys');
    const v = values === null ? null : flatten(values, 'values');
    const m = flattenMask(own.mask);
    const extras = plainExtras(own.extras);
    const { dim } = this.info;
    const queryRows = q.rows ?? q.data.length / dim;
    const keyRows = k.rows ?? k.data.length / dim;
    if (m.data && !m.rows && queryRows > 1 && m.data.length === queryRows * keyRows) m.rows = queryRows;
    const sent = {
      causal: optionalBoolean(own.causal, 'causal'),
      extras,
      ...(v?.rows !== undefined ? { valuesRows: v.rows } : {}),
    };
    // extras may hold per-query rows (rope's distances), so a call with extras is not split
    const divisible = split && !extras && this.info.splittable && Number.isInteger(queryRows) && q.resident === undefined;
    const parts = divisible ? Math.min(this.#runtime.workers, queryRows) : 1;
    if (parts <= 1) {
      const args = {
        query: q.data, keys: k.data, values: v?.data ?? null, mask: m.data,
        options: { ...sent, queryRows: q.rows ?? null, maskRows: m.rows },
      };
      return this.#request(method, args, [q, k, v, m], call);
    }
    return this.#split(method, { q, k, v, m, dim, queryRows, options: sent }, parts, call);
  }

  /** A batch in `parts` row ranges on as many workers, reassembled in order. */
  async #split(method, { q, k, v, m, dim, queryRows, options }, parts, call) {
    const sharing = this.#runtime.sharedMemory;
    const keys = { ...k, data: sharing ? shared(k.data) : k.data, fresh: false };
    const values = v && { ...v, data: sharing ? shared(v.data) : v.data, fresh: false };
    const maskWidth = m.rows ? m.data.length / m.rows : 0;
    const ranges = splitRows(queryRows, parts);
    let done = 0;
    const chunks = await Promise.all(ranges.map(async ([start, stop]) => {
      const query = { data: q.data.slice(start * dim, stop * dim), fresh: true };
      const mask = m.rows ? m.data.slice(start * maskWidth, stop * maskWidth) : m.data;
      const args = {
        query: query.data, keys: keys.data, values: values?.data ?? null, mask,
        options: { ...options, queryRows: stop - start, maskRows: m.rows ? stop - start : 0, rowOffset: start, totalRows: queryRows },
      };
      const out = await this.#request(method, args, [query, keys, values], call);
      this.#runtime._progress({ phase: 'compute', loaded: ++done, total: ranges.length });
      return out;
    }));
    return concat(chunks);
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
    return this.#batch('head_weights_batch', queries, keys, null, options, false);
  }

  /** Free this mechanism in every worker; later calls reject with InvalidInputError. */
  async dispose() {
    return this.#runtime._forget(this.#key);
  }
}

export class Runtime {
  #pool;
  #sharedMemory;
  #onProgress;
  #nextId = 1;

  constructor(pool, { sharedMemory = false, onProgress } = {}) {
    this.#pool = pool;
    this.#sharedMemory = sharedMemory;
    this.#onProgress = onProgress;
  }

  /** @type {string[]} every registered mechanism name (from the Python registry) */
  get mechanisms() {
    return this.#pool.mechanisms;
  }

  /** Workers in service (a replaced one is back once its replacement has booted). */
  get workers() {
    return this.#pool.workers;
  }

  /** Whether inputs sent to several workers travel in SharedArrayBuffers. */
  get sharedMemory() {
    return this.#sharedMemory;
  }

  /** Info with the default config of `name` at query dimension `dim` (nothing is built). */
  async describe(name, options) {
    const { own, call } = callOptions(options, ['dim'], 'describe');
    const message = request('describe', mechanismName(name, this.mechanisms), dimOption(own.dim));
    return this.#pool.run(message, call);
  }

  /**
   * Build a mechanism (config keys in camelCase). It is built and checked in one worker,
   * and in each other worker the first time a call runs there; a config Python rejects
   * rejects here once, and nothing is kept.
   */
  async create(name, config, options) {
    const { call } = callOptions(options, [], 'create');
    const handle = this.#nextId++;
    const message = request('create', handle, mechanismName(name, this.mechanisms), plainConfig(config));
    const info = await this.#pool.run(message, {
      ...call,
      defines: { key: mechanismKey(handle), teardown: request('dispose', handle) },
    });
    return new AttentionHandle(this, handle, info);
  }

  /**
   * Keep a matrix in the workers (validated once in Python); pass the returned
   * ResidentMatrix as keys or values to avoid sending them with every call.
   * A flat Float32Array needs `{ rows }` or `{ cols }`.
   */
  async upload(matrix, options) {
    const { own, call } = callOptions(options, ['rows', 'cols'], 'upload');
    if (matrix instanceof ResidentMatrix) throw invalidInput('matrix is already uploaded');
    const flat = flatten(matrix, 'matrix', optionalCount(own.rows, 'rows'));
    const cols = optionalCount(own.cols, 'cols') ?? null;
    // our own copy (the caller may change theirs), sent to each worker that needs it:
    // shared, not copied again, where possible
    const data = this.#sharedMemory ? sharedCopy(flat.data) : flat.fresh ? flat.data : flat.data.slice();
    const tensor = this.#nextId++;
    const key = matrixKey(tensor);
    const [rows, columns] = await this.#pool.run(request('upload', tensor, data, flat.rows ?? null, cols), {
      ...call,
      defines: { key, teardown: request('release', tensor) },
    });
    return new ResidentMatrix(tensor, rows, columns, () => this.#pool.forget(key));
  }

  /** Memory of each worker (for leak checks). */
  async memory() {
    return this.#pool.memory();
  }

  /** Terminate every worker; pending and later requests reject with RuntimeClosedError. */
  async close() {
    return this.#pool.close();
  }

  /** @internal */
  _run(message, options) {
    return this.#pool.run(message, options);
  }

  /** @internal */
  _forget(key) {
    return this.#pool.forget(key);
  }

  /** @internal */
  _progress(progress) {
    try {
      this.#onProgress?.(progress);
    } catch {
      // a failing progress callback must not fail the call
    }
  }

  /** For tests: counts of workers, queued and running requests. */
  get _stats() {
    return this.#pool.stats;
  }

  /** For tests: stop one worker abruptly, as a crash would. */
  async _killWorker(index = 0) {
    await this.#pool.kill(index);
  }
}

const RUNTIME_OPTIONS = ['workers', 'indexURL', 'packagesURL', 'wheelURL', 'onProgress', 'requestTimeoutMs', 'maxWorkerMemory'];

/** createRuntime's options, checked (InvalidConfigError), with defaults. */
function runtimeOptions(options, defaultWorkers) {
  if (options == null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalidConfig(`createRuntime options must be an object, got ${show(options)}`);
  }
  const unknown = Object.keys(options).filter((key) => !RUNTIME_OPTIONS.includes(key));
  if (unknown.length) {
    throw invalidConfig(`createRuntime has no option ${unknown.map((k) => JSON.stringify(k)).join(', ')}; its options are ${RUNTIME_OPTIONS.join(', ')}`);
  }
  const { workers = defaultWorkers, indexURL, packagesURL, wheelURL, onProgress, requestTimeoutMs, maxWorkerMemory } = options;
  if (!Number.isSafeInteger(workers) || workers < 1) throw invalidConfig(`workers must be an integer >= 1, got ${show(workers)}`);
  for (const [name, url] of [['indexURL', indexURL], ['packagesURL', packagesURL], ['wheelURL', wheelURL]]) {
    if (url != null && typeof url !== 'string' && !(url instanceof URL)) throw invalidConfig(`${name} must be a string or URL, got ${show(url)}`);
  }
  if (onProgress != null && typeof onProgress !== 'function') throw invalidConfig(`onProgress must be a function, got ${show(onProgress)}`);
  if (maxWorkerMemory != null && !(typeof maxWorkerMemory === 'number' && maxWorkerMemory > 0)) {
    throw invalidConfig(`maxWorkerMemory must be a positive number of bytes (or Infinity), got ${show(maxWorkerMemory)}`);
  }
  return {
    workers,
    indexURL: indexURL == null ? undefined : String(indexURL),
    packagesURL: packagesURL == null ? undefined : String(packagesURL),
    wheelURL: wheelURL == null ? undefined : String(wheelURL),
    onProgress: onProgress ?? undefined,
    requestTimeoutMs: checkTimeout(requestTimeoutMs, 'requestTimeoutMs', invalidConfig),
    maxWorkerMemory: maxWorkerMemory ?? DEFAULT_MAX_WORKER_MEMORY,
  };
}

/**
 * Start a runtime on `environment`: { spawn() (a worker endpoint), sharedMemory,
 * defaultWorkers, bootOptions({ indexURL, packagesURL, wheelURL }) (what each worker boots
 * with) }.
 * Resolves once every worker has booted.
 */
export async function openRuntime(options, { spawn, sharedMemory, defaultWorkers, bootOptions }) {
  const checked = guard(() => runtimeOptions(options, defaultWorkers), (err) => invalidConfig(`createRuntime options: ${err?.message ?? show(err)}`));
  const boot = guard(() => bootOptions(checked), (err) => invalidConfig(`indexURL/packagesURL/wheelURL: ${err?.message ?? show(err)}`));
  const pool = new Pool({
    spawn,
    bootOptions: boot,
    size: checked.workers,
    onProgress: checked.onProgress,
    maxWorkerMemory: checked.maxWorkerMemory,
    requestTimeoutMs: checked.requestTimeoutMs,
  });
  await pool.start();
  return new Runtime(pool, { sharedMemory, onProgress: checked.onProgress });
}
