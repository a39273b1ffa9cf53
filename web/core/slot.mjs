// One worker as the pool sees it: requests out and answers matched by id (protocol.mjs),
// and what the worker reported about itself (its WebAssembly memory, whether its interpreter may be
// broken). An environment adapter's `spawn()` supplies the endpoint:
// { post(msg, transfer), onMessage(fn), onExit(fn), terminate() }.
import { WorkerCrashedError, invalidInput, rebuildError } from './errors.mjs';

export class WorkerSlot {
  #endpoint;
  #pending = new Map();
  #nextId = 1;
  #onProgress;
  #onSpare;
  alive = true;
  /** The pool's request running here (one at a time), or null. */
  job = null;
  /** Keys of the pool's registry (mechanisms, uploads) that exist in this worker. */
  known = new Set();
  /** Bytes of WebAssembly memory after the last answer. */
  wasm = 0;
  /** Whether the last failure was not a Python error (the interpreter may be unusable). */
  broken = false;

  /**
   * @param endpoint see the file comment
   * @param {{ onExit(slot: WorkerSlot, reason: string): void, onProgress?(phase: string): void,
   *   onSpare?(buffers: ArrayBuffer[]): void }} hooks
   *   onExit is called once if the worker stops by itself (not by stop()); onSpare gets the
   *   input buffers an answer hands back (protocol.mjs).
   */
  constructor(endpoint, { onExit, onProgress, onSpare }) {
    this.#endpoint = endpoint;
    this.#onProgress = onProgress;
    this.#onSpare = onSpare;
    endpoint.onMessage((message) => this.#receive(message));
    endpoint.onExit((reason) => {
      if (!this.alive) return;
      this.alive = false;
      this.#rejectAll(new WorkerCrashedError(`a worker stopped (${reason}); its request failed`, { reason: String(reason) }));
      onExit(this, String(reason));
    });
  }

  #receive({ id, ok, result, error, progress, wasm, broken, spare }) {
    const request = this.#pending.get(id);
    if (!request) return;
    if (progress !== undefined) {
      this.#onProgress?.(progress);
      return;
    }
    this.#pending.delete(id);
    if (spare?.length) this.#onSpare?.(spare);
    if (wasm !== undefined) this.wasm = wasm;
    this.broken = Boolean(broken);
    if (ok) request.resolve(result);
    else request.reject(rebuildError(error));
  }

  #rejectAll(error) {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }

  /** Send one message; resolves with the worker's answer. */
  send(message, transfer = []) {
    if (!this.alive) return Promise.reject(new WorkerCrashedError('the worker has stopped', {}));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        this.#endpoint.post({ ...message, id }, transfer);
      } catch (err) { // the checks at the boundary should make this unreachable (DataCloneError)
        this.#pending.delete(id);
        reject(invalidInput(`the request could not be sent to a worker: ${err?.message ?? err}`));
      }
    });
  }

  /** Stop the worker as a crash would: onExit runs and pending requests reject. */
  crash() {
    return this.#endpoint.terminate();
  }

  /** Stop the worker on purpose: pending requests reject with `error`, onExit does not run. */
  async stop(error) {
    if (!this.alive) return;
    this.alive = false;
    this.#rejectAll(error);
    await this.#endpoint.terminate();
  }
}
