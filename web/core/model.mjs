// A real model (ruvector_attention.models, e.g. all-MiniLM-L6-v2) loaded in the workers,
// as Runtime.loadModel returns it. Each worker loads the checkpoint once, the first time
// one of its requests needs it (registry.mjs), from a path or URL it reads itself or from
// bytes sent once; requests then carry only text.
import { callOptions, plainConfig } from './checks.mjs';
import { invalidInput, show } from './errors.mjs';
import { request } from './protocol.mjs';

/** What `source` may be: a path or URL (each worker reads it), or the checkpoint's bytes. */
export function modelSource(source, { sharedMemory, resolve }) {
  if (typeof source === 'string' || source instanceof URL) return resolve(String(source));
  const bytes = source instanceof ArrayBuffer ? new Uint8Array(source)
    : source instanceof Uint8Array ? source : null;
  if (bytes === null) {
    throw invalidInput(`a model source is a path, a URL or the bytes of a .zip (Uint8Array or ArrayBuffer), got ${show(source)}`);
  }
  // our own copy, sent to each worker that loads it: one shared copy where possible
  const copy = new Uint8Array(sharedMemory ? new SharedArrayBuffer(bytes.byteLength) : new ArrayBuffer(bytes.byteLength));
  copy.set(bytes);
  return copy;
}

/** encode's `mechanism`, `layers` and `config` as the worker's swap, or null for none. */
function swapOf({ mechanism, layers, config }) {
  if (mechanism == null) {
    if (layers != null || config != null) throw invalidInput('layers and config need a mechanism to swap in');
    return null;
  }
  if (typeof mechanism !== 'string') throw invalidInput(`mechanism must be a registry name, got ${show(mechanism)}`);
  if (layers != null && !(Array.isArray(layers) && layers.every(Number.isSafeInteger))) {
    throw invalidInput(`layers must be an array of layer numbers, got ${show(layers)}`);
  }
  return { mechanism, layers: layers ?? null, config: config == null ? {} : plainConfig(config) };
}

export class ModelHandle {
  #pool;
  #id;
  #key;

  /**
   * @param {import('./pool.mjs').Pool} pool
   * @param {number} id the model's id in the workers
   * @param {string} key its entry in the pool's registry
   * @param {{ layers: number, heads: number, hiddenSize: number, maxPositions: number, pooling: string }} info
   */
  constructor(pool, id, key, info) {
    this.#pool = pool;
    this.#id = id;
    this.#key = key;
    this.info = info;
  }

  /**
   * `text` through the model: { tokens, inputIds, attentions: Float32Array(layers·heads·n·n),
   * embedding: Float32Array(hiddenSize) }. `{ mechanism, layers, config }` swaps a registry
   * mechanism into those layers (default all) first (Encoder.with_attention).
   */
  async encode(text, options) {
    const { own, call } = callOptions(options, ['mechanism', 'layers', 'config'], 'encode');
    if (typeof text !== 'string') throw invalidInput(`encode takes a string, got ${show(text)}`);
    const result = await this.#pool.run(request('encode', this.#id, text, swapOf(own)), {
      ...call, needs: [this.#key],
    });
    return { ...result, layers: this.info.layers, heads: this.info.heads };
  }

  /** Free the model in every worker; later calls reject with InvalidInputError. */
  async dispose() {
    return this.#pool.forget(this.#key);
  }
}
