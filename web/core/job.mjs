// One request of the pool: queued, then running on one worker, then settled exactly once.

export class Job {
  /** @type {import('./slot.mjs').WorkerSlot | null} the worker running it */
  slot = null;
  done = false;
  #resolve;
  #reject;
  #cleanups = [];

  /**
   * @param {object | (() => { message: object, transfer: Transferable[] })} message the
   *   request (protocol.request), or a function that makes it and its transfer list when a
   *   worker takes the job (see Pool.run)
   * @param {{ transfer?: Transferable[], needs?: string[], pin?: string | null,
   *   defines?: { key: string, teardown: object } | null, timeoutMs?: number }} options see Pool.run
   */
  constructor(message, { transfer = [], needs = [], pin = null, defines = null, timeoutMs = Infinity }, resolve, reject) {
    this.message = message;
    this.transfer = transfer;
    this.needs = needs;
    this.pin = pin;
    this.defines = defines;
    this.timeoutMs = timeoutMs;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /** Run `fn` when the job settles (stop watching its signal, clear its timer). */
  onSettle(fn) {
    this.#cleanups.push(fn);
  }

  #settle(settle, value) {
    if (this.done) return;
    this.done = true;
    this.#cleanups.splice(0).forEach((fn) => fn());
    settle(value);
  }

  resolve(value) {
    this.#settle(this.#resolve, value);
  }

  reject(error) {
    this.#settle(this.#reject, error);
  }
}
