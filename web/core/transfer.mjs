// How inputs travel to workers: our own copies are moved (transferred), not copied again;
// inputs that several workers read go in one SharedArrayBuffer where the environment
// allows it.

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

/** Buffers of our own copies among `flats` (matrix.mjs), moved to the worker. */
export const transferables = (flats) => flats.flatMap((flat) => (flat?.fresh && flat.data?.buffer ? [flat.data.buffer] : []));
