// The worker pool. Requests wait in one queue and each worker runs one at a time, so:
// - a request that is aborted or times out is the only one on its worker: that worker is
//   terminated and replaced, and nothing else is lost (queued requests never sat on it);
// - a worker whose interpreter failed, or whose WebAssembly memory grew past a threshold,
//   is replaced after its request;
// - a slow request holds one worker, never the pool.
// The state requests need (mechanisms, uploaded matrices) lives in a registry
// (registry.mjs) and is recreated in a worker the first time a request there needs it,
// so a replacement worker gets every live mechanism and upload back without a replay step.
import { abortError, onAbort, timeoutError } from './cancel.mjs';
import { RuntimeClosedError, WorkerCrashedError } from './errors.mjs';
import { Job } from './job.mjs';
import { request } from './protocol.mjs';
import { Registry, goneError } from './registry.mjs';
import { WorkerSlot } from './slot.mjs';
import { BufferStock } from './transfer.mjs';

const BOOT_PHASES = 3; // pyodide, numpy, wheel: see bootSession

const closedError = () => new RuntimeClosedError('the runtime is closed', {});

export class Pool {
  #spawn;
  #bootOptions;
  #onProgress;
  #size;
  #maxWorkerMemory;
  #requestTimeoutMs;
  /** @type {WorkerSlot[]} booted and in service */
  #slots = [];
  #booting = new Set();
  /** @type {Job[]} */
  #queue = [];
  /** mechanisms and uploads, made in each worker where first needed */
  #registry = new Registry();
  /** pin key -> the slot that keeps a stateful mechanism's calls */
  #pins = new Map();
  #closed = false;
  /** @type {string[]} */
  mechanisms = [];
  /** Buffers the workers handed back, for the copies of the next calls' inputs. */
  buffers = new BufferStock();

  /**
   * @param {object} options
   * @param {() => object} options.spawn starts a worker, returns its endpoint
   * @param {object} options.bootOptions sent to each worker's boot
   * @param {number} options.size workers to keep running
   * @param {(progress: object) => void} [options.onProgress]
   * @param {number} [options.maxWorkerMemory] bytes of WebAssembly memory past which a worker is replaced
   * @param {number} [options.requestTimeoutMs] default time limit of a request on a worker
   */
  constructor({ spawn, bootOptions, size, onProgress, maxWorkerMemory = Infinity, requestTimeoutMs = Infinity }) {
    this.#spawn = spawn;
    this.#bootOptions = bootOptions;
    this.#size = size;
    this.#onProgress = onProgress;
    this.#maxWorkerMemory = maxWorkerMemory;
    this.#requestTimeoutMs = requestTimeoutMs;
  }

  /** Workers in service (booted). */
  get workers() {
    return this.#slots.length;
  }

  /** Counts for diagnostics and tests. */
  get stats() {
    return {
      workers: this.#slots.length,
      booting: this.#booting.size,
      queued: this.#queue.length,
      running: this.#slots.filter((slot) => slot.job).length,
      registered: this.#registry.size,
    };
  }

  #report(progress) {
    try {
      this.#onProgress?.(progress);
    } catch {
      // a failing progress callback must not stop the pool
    }
  }

  /** Boot every worker; on failure, stop them all and reject. */
  async start() {
    let loaded = 0;
    const total = this.#size * BOOT_PHASES;
    const progress = (phase) => this.#report({ phase, loaded: ++loaded, total });
    try {
      await Promise.all(Array.from({ length: this.#size }, () => this.#boot(progress)));
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  #spawnSlot(progress) {
    let endpoint;
    try {
      endpoint = this.#spawn();
    } catch (err) {
      const reason = `${err?.name}: ${err?.message}`;
      throw new WorkerCrashedError(`could not start a worker (${reason})`, { reason });
    }
    return new WorkerSlot(endpoint, {
      onExit: (dead) => this.#lost(dead), onProgress: progress, onSpare: (buffers) => this.buffers.put(buffers),
    });
  }

  async #boot(progress) {
    const slot = this.#spawnSlot(progress);
    this.#booting.add(slot);
    try {
      const { mechanisms } = await slot.send(request('boot', this.#bootOptions));
      this.mechanisms = mechanisms;
      if (this.#closed) throw closedError();
      this.#slots.push(slot);
    } catch (err) {
      await slot.stop(err);
      throw err;
    } finally {
      this.#booting.delete(slot);
      this.#dispatch();
    }
  }

  /** Start a worker in place of one that left; one that cannot boot leaves the pool smaller. */
  #replace() {
    if (this.#closed) return;
    let loaded = 0;
    const progress = (phase) => this.#report({ phase: `restart:${phase}`, loaded: ++loaded, total: BOOT_PHASES });
    this.#boot(progress).catch(() => this.#dispatch()); // with no worker left, queued requests fail
  }

  #remove(slot) {
    const index = this.#slots.indexOf(slot);
    if (index < 0) return false;
    this.#slots.splice(index, 1);
    return true;
  }

  /** A worker stopped by itself (crash, killed): its running request has failed. */
  #lost(slot) {
    if (!this.#remove(slot)) return; // still booting: #boot reports it
    this.#replace();
    this.#dispatch();
  }

  /** Stop a worker on purpose (stuck, broken, too big) and start another. */
  #retire(slot, why) {
    if (!this.#remove(slot)) return;
    slot.stop(new WorkerCrashedError(`the worker was replaced: ${why}`, { reason: why })).catch(() => {});
    this.#replace();
  }

  /**
   * Queue a request; resolves with the worker's answer.
   * @param {object | (() => { message: object, transfer: Transferable[] })} message a
   *   request (protocol.request), or a function that makes it and its transfer list when a
   *   worker takes it: a call copies its inputs then, not while it waits in the queue
   * @param {object} [options]
   * @param {Transferable[]} [options.transfer]
   * @param {string[]} [options.needs] registry keys the request uses
   * @param {string | null} [options.pin] keep every request with this pin on one worker
   * @param {{ key: string, teardown: object } | null} [options.defines] on success, register
   *   `message` under `key` (replayed where needed; `teardown` undoes it)
   * @param {AbortSignal} [options.signal]
   * @param {number} [options.timeoutMs] time limit once running (default: the pool's)
   */
  run(message, { signal, timeoutMs = this.#requestTimeoutMs, ...options } = {}) {
    if (this.#closed) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const gone = options.needs?.find((key) => !this.#registry.has(key));
    if (gone) return Promise.reject(goneError(gone));
    return new Promise((resolve, reject) => {
      const job = new Job(message, { ...options, timeoutMs }, resolve, reject);
      if (signal) job.onSettle(onAbort(signal, () => this.#stop(job, abortError(signal))));
      this.#queue.push(job);
      this.#dispatch();
    });
  }

  /** Reject a job; if it is running, only replacing its worker stops it. */
  #stop(job, error) {
    if (job.done) return;
    job.reject(error);
    if (job.slot) this.#retire(job.slot, `its request was stopped (${error.name})`);
    else this.#queue.splice(this.#queue.indexOf(job), 1);
  }

  /** Start queued jobs on idle workers. */
  #dispatch() {
    if (this.#closed) return;
    for (const slot of this.#slots) {
      if (slot.job) continue;
      const index = this.#queue.findIndex((job) => this.#fits(job, slot));
      if (index >= 0) this.#execute(slot, this.#queue.splice(index, 1)[0]);
    }
    if (this.#slots.length === 0 && this.#booting.size === 0) {
      this.#queue.splice(0).forEach((job) => job.reject(new WorkerCrashedError('no worker is running', {})));
    }
  }

  #fits(job, slot) {
    if (job.pin === null) return true;
    const pinned = this.#pins.get(job.pin);
    return !pinned || pinned === slot || !this.#slots.includes(pinned);
  }

  #execute(slot, job) {
    slot.job = job;
    job.slot = slot;
    if (job.pin !== null) this.#pins.set(job.pin, slot);
    if (Number.isFinite(job.timeoutMs)) {
      const timer = setTimeout(() => this.#stop(job, timeoutError(job.timeoutMs)), job.timeoutMs);
      job.onSettle(() => clearTimeout(timer));
    }
    // the worker is replaced (if it must be) before the caller hears back
    this.#perform(slot, job).then(
      (value) => {
        this.#after(slot);
        job.resolve(value);
      },
      (error) => {
        this.#after(slot);
        job.reject(error);
      },
    );
  }

  async #perform(slot, job) {
    for (const key of job.needs) await this.#registry.provide(slot, key);
    const { message, transfer } = typeof job.message === 'function' ? job.message() : job;
    const result = await slot.send(message, transfer);
    if (job.defines && !job.done) this.#registry.add(job.defines.key, job.message, job.defines.teardown, slot);
    return result;
  }

  /** After a request: replace the worker if it is broken or too big, then go on. */
  #after(slot) {
    slot.job = null;
    if (this.#slots.includes(slot)) {
      if (slot.broken) this.#retire(slot, 'its interpreter failed');
      else if (slot.wasm > this.#maxWorkerMemory) {
        this.#retire(slot, `its WebAssembly memory grew to ${slot.wasm} bytes (maxWorkerMemory ${this.#maxWorkerMemory})`);
      }
    }
    this.#dispatch();
  }

  /** Remove a registry entry and undo it in the workers that have it. */
  async forget(key) {
    this.#pins.delete(key);
    await this.#registry.forget(key, this.#slots);
  }

  /** Memory of each worker in service (answered after its running request). */
  memory() {
    return Promise.all(this.#slots.map((slot) => slot.send(request('memory'))));
  }

  /** Terminate every worker; pending and later requests reject with RuntimeClosedError. */
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    const error = closedError();
    this.#queue.splice(0).forEach((job) => job.reject(error));
    this.buffers.clear();
    const slots = [...this.#slots, ...this.#booting];
    this.#slots = [];
    await Promise.all(slots.map((slot) => slot.stop(error)));
  }

  /** For tests: stop one worker abruptly, as a crash would. */
  async kill(index = 0) {
    await this.#slots[index]?.crash();
  }
}
