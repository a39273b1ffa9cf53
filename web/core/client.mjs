// The runtime API of API.md §5 over a pool of workers, shared by the Node and browser
// facades. An environment adapter supplies `spawn()`, which starts one worker running
// serveWorker() and returns an endpoint: { post(msg, transfer), onMessage(fn),
// onExit(fn), terminate() }.
import { RuntimeClosedError, WorkerCrashedError, rebuildError } from './errors.mjs';
import { ResidentMatrix, flatten, flattenMask } from './matrix.mjs';

const BOOT_PHASES = 3; // pyodide, numpy, wheel: see bootSession

class WorkerSlot {
  #endpoint;
  #pending = new Map();
  #nextId = 1;
  #onProgress;
  alive = true;

  constructor(endpoint, { onExit, onProgress }) {
    this.#endpoint = endpoint;
    this.#onProgress = onProgress;
    endpoint.onMessage((message) => this.#receive(message));
    endpoint.onExit((reason) => {
      if (!this.alive) return;
      this.alive = false;
      this.#rejectAll(new WorkerCrashedError(`a worker stopped (${reason}); its requests failed`, {
        reason: String(reason),
      }));
      onExit(this);
    });
  }

  get load() {
    return this.#pending.size;
  }

  #receive({ id, ok, result, error, progress }) {
    const request = this.#pending.get(id);
    if (!request) return;
    if (progress !== undefined) {
      this.#onProgress?.(progress);
      return;
    }
    this.#pending.delete(id);
    if (ok) request.resolve(result);
    else request.reject(rebuildError(error));
  }

  #rejectAll(error) {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }

  request(message, transfer = []) {
    if (!this.alive) return Promise.reject(new WorkerCrashedError('the worker has stopped', {}));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#endpoint.post({ ...message, id }, transfer);
    });
  }

  /** Stop the worker as a crash would: its exit rejects pending requests. */
  kill() {
    return this.#endpoint.terminate();
  }

  async terminate(error) {
    this.alive = false;
    this.#rejectAll(error);
    await this.#endpoint.terminate();
  }
}

/** Per-call mechanism inputs as JSON-friendly values (typed arrays become arrays). */
function plain(extras) {
  if (extras == null) return null;
  const convert = (v) => (ArrayBuffer.isView(v) ? Array.from(v) : Array.isArray(v) ? v.map(convert) : v);
  return Object.fromEntries(Object.entries(extras).map(([k, v]) => [k, convert(v)]));
}

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
function shared(data) {
  if (!(data instanceof Float32Array) || data.buffer instanceof SharedArrayBuffer) return data;
  const copy = new Float32Array(new SharedArrayBuffer(data.byteLength));
  copy.set(data);
  return copy;
}

/** Copy `data` unless it is already a private buffer we may transfer. */
const transferable = ({ data, fresh }) => (fresh && data?.buffer ? [data.buffer] : []);

export class AttentionHandle {
  #runtime;
  #handle;

  constructor(runtime, handle, info) {
    this.#runtime = runtime;
    this.#handle = handle;
    /** {name, dim, numHeads, config, complexity, splittable, stateful, valuesMatchDim} */
    this.info = info;
  }

  async #single(method, query, keys, values, { mask, position, extras } = {}) {
    const q = flatten(query, 'query');
    const k = flatten(keys, 'keys');
    const v = values === null ? null : flatten(values, 'values');
    const m = flattenMask(mask);
    const args = {
      query: q.data, keys: k.data, values: v?.data ?? null, mask: m.data,
      options: { position: position ?? null, extras: plain(extras), ...(v?.rows !== undefined ? { valuesRows: v.rows } : {}) },
    };
    const transfer = [q, k, v ?? {}, m].flatMap(transferable);
    return this.#runtime._request({ op: 'call', handle: this.#handle, method, args }, transfer, this._pin);
  }

  /** One query (d) over keys (n, d) and values (n, dv) -> Float32Array(dv). */
  compute(query, keys, values, options) {
    return this.#single('compute', query, keys, values, options);
  }

  /** Weights of one query over keys -> Float32Array(n), summing to 1. */
  weights(query, keys, options) {
    return this.#single('weights', query, keys, null, options);
  }

  /** Queries (m, d) -> Float32Array(m * dv), split across workers and reassembled in order. */
  computeBatch(queries, keys, values, options) {
    return this.#runtime._batch(this, 'compute_batch', queries, keys, values, options);
  }

  /** Weights of a batch -> Float32Array(m * n), row-major. */
  weightsBatch(queries, keys, options) {
    return this.#runtime._batch(this, 'weights_batch', queries, keys, null, options);
  }

  /** Per-head weights -> Float32Array(heads * m * n) (one head for single-head mechanisms). */
  headWeightsBatch(queries, keys, options) {
    return this.#runtime._batch(this, 'head_weights_batch', queries, keys, null, { ...options, split: false });
  }

  get handle() {
    return this.#handle;
  }

  /** @internal Stateful mechanisms (topology_gated) keep every call on one worker. */
  get _pin() {
    return this.info.stateful ? this.#handle : null;
  }

  /** Free this mechanism in every worker. */
  dispose() {
    return this.#runtime._dispose(this.#handle);
  }
}

export class Runtime {
  #spawn;
  #bootOptions;
  #onProgress;
  #slots = [];
  #booting = new Set();
  #handles = new Map(); // handle -> { name, config } to replay in replacement workers
  #resident = new Map(); // id -> { data, rows, cols } to replay too
  #nextHandle = 1;
  #closed = false;
  #waiters = [];
  /** @type {string[]} */
  mechanisms = [];

  #sharedMemory;

  constructor({ spawn, bootOptions, onProgress, sharedMemory = false }) {
    this.#spawn = spawn;
    this.#bootOptions = bootOptions;
    this.#onProgress = onProgress;
    this.#sharedMemory = sharedMemory;
  }

  /** Whether inputs sent to several workers travel in SharedArrayBuffers. */
  get sharedMemory() {
    return this.#sharedMemory;
  }

  get workers() {
    return this.#slots.length;
  }

  async _start(size) {
    let loaded = 0;
    const total = size * BOOT_PHASES;
    const progress = (phase) => this.#onProgress?.({ phase, loaded: ++loaded, total });
    try {
      await Promise.all(Array.from({ length: size }, () => this.#startSlot(progress)));
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async #startSlot(progress) {
    const slot = new WorkerSlot(this.#spawn(), {
      onExit: (dead) => this.#replace(dead),
      onProgress: progress,
    });
    this.#booting.add(slot);
    try {
      const { mechanisms } = await slot.request({ op: 'boot', options: this.#bootOptions });
      this.mechanisms = mechanisms;
      for (const [handle, { name, config }] of this.#handles) {
        await slot.request({ op: 'create', handle, name, config });
      }
      for (const [tensor, { data, rows, cols }] of this.#resident) {
        await slot.request({ op: 'upload', tensor, data, rows, cols });
      }
    } catch (err) {
      await slot.terminate(err);
      throw err;
    } finally {
      this.#booting.delete(slot);
    }
    if (this.#closed) {
      await slot.terminate(new RuntimeClosedError('the runtime is closed', {}));
      return;
    }
    this.#slots.push(slot);
    this.#waiters.splice(0).forEach((wake) => wake());
  }

  #replace(dead) {
    this.#slots = this.#slots.filter((slot) => slot !== dead);
    if (this.#closed) return;
    this.#startSlot((phase) => this.#onProgress?.({ phase: `restart:${phase}`, loaded: 0, total: BOOT_PHASES }))
      .catch(() => {}); // a replacement that cannot boot leaves the pool smaller
  }

  async #ready() {
    if (this.#closed) throw new RuntimeClosedError('the runtime is closed', {});
    while (this.#slots.length === 0) {
      if (this.#booting.size === 0) throw new WorkerCrashedError('no worker is running', {});
      await new Promise((wake) => this.#waiters.push(wake));
      if (this.#closed) throw new RuntimeClosedError('the runtime is closed', {});
    }
    return this.#slots;
  }

  /** Send to the least busy worker, or with `pin` (a number) always to the same one. */
  async _request(message, transfer = [], pin = null) {
    const slots = await this.#ready();
    const slot = pin === null ? slots.reduce((best, s) => (s.load < best.load ? s : best)) : slots[pin % slots.length];
    return slot.request(message, transfer);
  }

  async #everyWorker(message) {
    const slots = await this.#ready();
    const results = await Promise.allSettled(slots.map((slot) => slot.request(message)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return results[0].value;
  }

  /** Info with the default config of `name` at query dimension `dim` (nothing is built). */
  describe(name, { dim }) {
    return this._request({ op: 'describe', name, dim });
  }

  /** Build a mechanism in every worker (configs in camelCase). */
  async create(name, config = {}) {
    const handle = this.#nextHandle++;
    const info = await this.#everyWorker({ op: 'create', handle, name, config });
    this.#handles.set(handle, { name, config });
    return new AttentionHandle(this, handle, info);
  }

  /**
   * Copy a matrix into every worker once (validated there once); pass the returned
   * ResidentMatrix as keys or values to avoid sending them with every call.
   * A flat Float32Array needs `{ rows }` or `{ cols }`.
   */
  async upload(matrix, { rows, cols } = {}) {
    const flat = flatten(matrix, 'matrix', rows);
    const data = flat.data.slice(); // our own copy, replayed into replacement workers
    const tensor = this.#nextHandle++;
    const [r, c] = await this.#everyWorker({ op: 'upload', tensor, data, rows: flat.rows ?? null, cols: cols ?? null });
    this.#resident.set(tensor, { data, rows: r, cols: c });
    return new ResidentMatrix(tensor, r, c, (id) => this.#release(id));
  }

  async #release(tensor) {
    this.#resident.delete(tensor);
    await this.#everyWorker({ op: 'release', tensor });
  }

  async _dispose(handle) {
    this.#handles.delete(handle);
    await this.#everyWorker({ op: 'dispose', handle });
  }

  async _batch(attn, method, queries, keys, values, { mask, causal, rows, extras, split = true } = {}) {
    const q = flatten(queries, 'queries', rows);
    const k = flatten(keys, 'keys');
    const v = values === null ? null : flatten(values, 'values');
    const m = flattenMask(mask);
    const dim = attn.info.dim;
    const queryRows = q.rows ?? q.data.length / dim;
    const keyRows = k.rows ?? k.data.length / dim;
    if (m.data && !m.rows && queryRows > 1 && m.data.length === queryRows * keyRows) m.rows = queryRows;
    const common = { keys: k.data, values: v?.data ?? null };
    const options = { causal: causal ?? null, extras: plain(extras), ...(v?.rows !== undefined ? { valuesRows: v.rows } : {}) };
    const slots = await this.#ready();
    // extras may hold per-query rows (rope's distances), so a call with extras is not split
    const divisible = split && !extras && attn.info.splittable && Number.isInteger(queryRows) && typeof q.data !== 'number';
    const parts = divisible ? Math.min(slots.length, queryRows) : 1;
    if (parts <= 1) {
      const args = { ...common, query: q.data, mask: m.data, options: { ...options, queryRows: q.rows ?? null, maskRows: m.rows } };
      return this._request({ op: 'call', handle: attn.handle, method, args }, [q, k, v ?? {}, m].flatMap(transferable), attn._pin);
    }
    const ranges = splitRows(queryRows, parts);
    if (this.#sharedMemory) {
      common.keys = shared(common.keys);
      common.values = shared(common.values);
    }
    let done = 0;
    const chunks = await Promise.all(ranges.map(async ([start, stop]) => {
      const args = {
        ...common,
        query: q.data.slice(start * dim, stop * dim),
        mask: m.rows ? m.data.slice(start * (m.data.length / m.rows), stop * (m.data.length / m.rows)) : m.data,
        options: { ...options, queryRows: stop - start, maskRows: m.rows ? stop - start : 0, rowOffset: start, totalRows: queryRows },
      };
      const out = await this._request({ op: 'call', handle: attn.handle, method, args }, [args.query.buffer]);
      this.#onProgress?.({ phase: 'compute', loaded: ++done, total: ranges.length });
      return out;
    }));
    return concat(chunks);
  }

  /** Memory of each worker (for leak checks). */
  async memory() {
    const slots = await this.#ready();
    return Promise.all(slots.map((slot) => slot.request({ op: 'memory' })));
  }

  /** Terminate every worker; pending and later requests reject with RuntimeClosedError. */
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    const error = new RuntimeClosedError('the runtime is closed', {});
    const slots = [...this.#slots, ...this.#booting];
    this.#slots = [];
    this.#waiters.splice(0).forEach((wake) => wake());
    await Promise.all(slots.map((slot) => slot.terminate(error)));
  }

  /** For tests: stop one worker abruptly, as a crash would. */
  async _killWorker(index = 0) {
    await this.#slots[index]?.kill();
  }
}

/** Start a pool of `size` workers and resolve once all have booted. */
export async function createPool({ size, spawn, bootOptions, onProgress, sharedMemory }) {
  const runtime = new Runtime({ spawn, bootOptions, onProgress, sharedMemory });
  await runtime._start(size);
  return runtime;
}
