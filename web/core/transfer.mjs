// How inputs travel to workers: our own copies are moved (transferred), not copied again,
// and a caller's arrays are copied by us and moved, not structured-cloned; inputs that
// several workers read go in one SharedArrayBuffer where the environment allows it.

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
 * `flats` (matrix.mjs) with each caller's typed array replaced by our own copy, which
 * `transferables` then moves: Chromium's structured clone of a call's inputs costs about
 * 2 ms per MB, a copy and a transfer 0.8; in Node both cost the same (0.3 ms per MB,
 * round trip). Shared buffers travel as they are.
 */
export const ownCopies = (flats) => flats.map((flat) => {
  const data = flat?.data;
  if (!ArrayBuffer.isView(data) || flat.fresh || isShared(data.buffer)) return flat;
  return { ...flat, data: data.slice(), fresh: true };
});

/** Buffers of our own copies among `flats` (matrix.mjs), moved to the worker. */
export const transferables = (flats) => flats.flatMap((flat) => (flat?.fresh && flat.data?.buffer ? [flat.data.buffer] : []));
