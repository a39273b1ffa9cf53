// What workers must hold for requests to run: mechanisms and uploaded matrices, each kept
// under a key with the request that makes it in a worker (setup) and the one that undoes
// it (teardown). An entry is made in a worker the first time a request there needs it,
// so a replacement worker gets every live entry back without a replay step.
import { invalidInput } from './errors.mjs';

/** @typedef {import('./slot.mjs').WorkerSlot} WorkerSlot */

export const mechanismKey = (handle) => `mechanism ${handle}`;
export const matrixKey = (id) => `uploaded matrix ${id}`;
export const modelKey = (id) => `model ${id}`;

/** The rejection of a request that needs an entry no longer registered. */
export const goneError = (key) => invalidInput(`${key} is no longer available (disposed or released)`);

export class Registry {
  /** @type {Map<string, { setup: object, teardown: object }>} */
  #entries = new Map();

  get size() {
    return this.#entries.size;
  }

  has(key) {
    return this.#entries.has(key);
  }

  /** Register `setup` (already run in `slot`) under `key`; `teardown` undoes it. */
  add(key, setup, teardown, slot) {
    this.#entries.set(key, { setup, teardown });
    slot.known.add(key);
  }

  /** Make entry `key` exist in the slot's worker (create or upload it there). */
  async provide(slot, key) {
    const entry = this.#entries.get(key);
    if (!entry) throw goneError(key);
    if (slot.known.has(key)) return;
    await slot.send(entry.setup);
    if (this.#entries.get(key) === entry) slot.known.add(key);
    else slot.send(entry.teardown).catch(() => {}); // forgotten meanwhile
  }

  /** Remove entry `key` and undo it in those of `slots` that have it. */
  async forget(key, slots) {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    const holders = slots.filter((slot) => slot.known.delete(key));
    await Promise.all(holders.map((slot) => slot.send(entry.teardown).catch(() => {})));
  }
}
