// How a call's inputs travel to workers: our own copies are moved (transferred), not
// copied again, and a caller's arrays are copied by us, into buffers the workers hand back
// after use, and moved, not structured-cloned; inputs that several workers read go in one
// SharedArrayBuffer where the environment allows it. (Uploads and models are cloned: the
// pool replays their requests to new workers.)

/** A copy of `data` in a SharedArrayBuffer: one copy that every worker reads. */
export function sharedCopy(data) {
  const copy = new Float32Array(new SharedArrayBuffer(data.byteLength));
  copy.set(data);
  return copy;
}

/** `data` in a SharedArrayBuffer (a copy unless it is one already); an upload's id as is. */
export function shared(data) {
  if (!(data instanceof Float32Array) || data.buffer instanceof SharedArrayBuffer) return data;
  return sharedCopy(data);
}

const isShared = (buffer) => typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;

/**
 * ArrayBuffers that carried a call's inputs to a worker and came back with its answer
 * (protocol.mjs `spare`), kept for the next calls' copies: a new buffer's pages fault in as
 * it is first written, which made a copy of 1 MB cost Chromium 0.8 ms; into a buffer used
 * before it is too fast to time there.
 */
export class BufferStock {
  #buffers = [];
  #bytes = 0;

  /** @param {{ maxBytes?: number, maxBuffers?: number }} [limits] what the stock keeps at most */
  constructor({ maxBytes = 64 << 20, maxBuffers = 16 } = {}) {
    this.maxBytes = maxBytes;
    this.maxBuffers = maxBuffers;
  }

  /** Keep `buffers` for reuse; past the limits, the oldest kept go to the collector. */
  put(buffers) {
    for (const buffer of buffers) {
      if (!(buffer instanceof ArrayBuffer) || buffer.byteLength === 0 || buffer.byteLength > this.maxBytes) continue;
      this.#buffers.push(buffer);
      this.#bytes += buffer.byteLength;
      while (this.#buffers.length > this.maxBuffers || this.#bytes > this.maxBytes) this.#bytes -= this.#buffers.shift().byteLength;
    }
  }

  /** Drop every kept buffer. */
  clear() {
    this.#buffers = [];
    this.#bytes = 0;
  }

  /** A kept buffer of at least `bytes` and at most about four times that (the smallest), or null. */
  take(bytes) {
    let best = -1;
    this.#buffers.forEach((buffer, i) => {
      const size = buffer.byteLength;
      if (size >= bytes && size <= 4 * bytes + 4096 && (best < 0 || size < this.#buffers[best].byteLength)) best = i;
    });
    if (best < 0) return null;
    const [buffer] = this.#buffers.splice(best, 1);
    this.#bytes -= buffer.byteLength;
    return buffer;
  }
}

/**
 * `flats` (matrix.mjs) with each caller's typed array replaced by our own copy (in a buffer
 * from `stock` where it has one), which `transferables` then moves: Chromium's structured
 * clone of a call's inputs costs about 2 ms per MB; in Node the two cost the same. Shared
 * buffers travel as they are.
 * @param {BufferStock} [stock]
 */
export const ownCopies = (flats, stock) => flats.map((flat) => {
  const data = flat?.data;
  if (!ArrayBuffer.isView(data) || flat.fresh || isShared(data.buffer)) return flat;
  const buffer = (data.byteLength && stock?.take(data.byteLength)) || new ArrayBuffer(data.byteLength);
  const copy = new Float32Array(buffer, 0, data.length); // every Flat's data is float32
  copy.set(data);
  return { ...flat, data: copy, fresh: true };
});

/** The unshared ArrayBuffers under the typed arrays among `args` and their objects' values:
 * a result's arrays (a Float32Array, or a model's encoding), or a call's inputs, which a
 * worker hands back once Python has copied them. */
export function buffersOf(args) {
  const buffers = new Set();
  const add = (value) => {
    if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) buffers.add(value.buffer);
  };
  for (const arg of args) {
    add(arg);
    if (arg && typeof arg === 'object' && !ArrayBuffer.isView(arg)) Object.values(arg).forEach(add);
  }
  return [...buffers];
}

/** Buffers of our own copies among `flats` (matrix.mjs), moved to the worker. */
export const transferables = (flats) => flats.flatMap((flat) => (flat?.fresh && flat.data?.buffer ? [flat.data.buffer] : []));
