// The runtime of API.md §5 over a pool of workers (pool.mjs), shared by the Node and
// browser facades: it starts the pool, builds mechanisms (handle.mjs holds what they
// run) and uploads matrices. Every public method is async: whatever goes wrong rejects
// with a typed error.
import { callOptions, guard, optionalCount, plainConfig } from './checks.mjs';
import { UnknownMechanismError, invalidConfig, invalidInput, show } from './errors.mjs';
import { AttentionHandle } from './handle.mjs';
import { ModelHandle, modelSource } from './model.mjs';
import { ResidentMatrix, flatten } from './matrix.mjs';
import { Pool } from './pool.mjs';
import { request } from './protocol.mjs';
import { matrixKey, mechanismKey, modelKey } from './registry.mjs';
import { runtimeOptions } from './runtime-options.mjs';
import { sharedCopy } from './transfer.mjs';

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

export class Runtime {
  #pool;
  /** @type {import('./handle.mjs').Context} what each AttentionHandle needs */
  #context;
  #resolve;
  #nextId = 1;

  /**
   * @param {Pool} pool started
   * @param {{ sharedMemory?: boolean, onProgress?: (progress: object) => void }} [options]
   */
  constructor(pool, { sharedMemory = false, onProgress, resolve = (url) => url } = {}) {
    this.#pool = pool;
    this.#resolve = resolve;
    const progress = (report) => {
      try {
        onProgress?.(report);
      } catch {
        // a failing progress callback must not fail the call
      }
    };
    this.#context = { pool, sharedMemory, progress };
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
    return this.#context.sharedMemory;
  }

  /** Info with the default config of `name` at query dimension `dim` (nothing is built). */
  async describe(name, options) {
    const { own, call } = callOptions(options, ['dim'], 'describe');
    return this.#pool.run(request('describe', mechanismName(name, this.mechanisms), dimOption(own.dim)), call);
  }

  /**
   * Build a mechanism (config keys in camelCase). It is built and checked in one worker,
   * and in each other worker the first time a call runs there; a config Python rejects
   * rejects here once, and nothing is kept.
   */
  async create(name, config, options) {
    const { call } = callOptions(options, [], 'create');
    const handle = this.#nextId++;
    const key = mechanismKey(handle);
    const info = await this.#pool.run(request('create', handle, mechanismName(name, this.mechanisms), plainConfig(config)), {
      ...call,
      defines: { key, teardown: request('dispose', handle) },
    });
    return new AttentionHandle(this.#context, handle, key, info);
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
    const data = this.sharedMemory ? sharedCopy(flat.data) : flat.fresh ? flat.data : flat.data.slice();
    const tensor = this.#nextId++;
    const key = matrixKey(tensor);
    const [rows, columns] = await this.#pool.run(request('upload', tensor, data, flat.rows ?? null, cols), {
      ...call,
      defines: { key, teardown: request('release', tensor) },
    });
    return new ResidentMatrix(tensor, rows, columns, () => this.#pool.forget(key));
  }

  /**
   * Load a real model (a BERT-family checkpoint .zip, e.g. all-MiniLM-L6-v2) in the
   * workers: from a path or URL that each worker reads itself, or from its bytes (sent to
   * each worker once). It is loaded and checked in one worker now, in each other worker
   * the first time one of its requests runs there.
   */
  async loadModel(source, options) {
    const { call } = callOptions(options, [], 'loadModel');
    const data = modelSource(source, { sharedMemory: this.sharedMemory, resolve: this.#resolve });
    const id = this.#nextId++;
    const key = modelKey(id);
    const info = await this.#pool.run(request('loadModel', id, data), {
      ...call,
      defines: { key, teardown: request('disposeModel', id) },
    });
    return new ModelHandle(this.#pool, id, key, info);
  }

  /** Memory of each worker (for leak checks). */
  async memory() {
    return this.#pool.memory();
  }

  /** Terminate every worker; pending and later requests reject with RuntimeClosedError. */
  async close() {
    return this.#pool.close();
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

/**
 * Start a runtime on `environment`: { spawn() (a worker endpoint), sharedMemory,
 * defaultWorkers, bootOptions({ indexURL, packagesURL, wheelURL }) (what each worker boots
 * with), resolve(url) (a model's path or URL as the workers read it) }.
 * Resolves once every worker has booted.
 */
export async function openRuntime(options, { spawn, sharedMemory, defaultWorkers, bootOptions, resolve }) {
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
  return new Runtime(pool, { sharedMemory, onProgress: checked.onProgress, resolve });
}
