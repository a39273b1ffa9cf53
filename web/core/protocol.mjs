// The worker protocol, the one description both sides read: the pool's side (slot.mjs)
// sends requests and reads answers, a worker (worker.mjs) reads requests and answers.
//
//   request   { id, op, args }                                  pool -> worker
//   progress  { id, progress: phase }                           worker -> pool (boot)
//   answer    { id, ok: true, result, wasm, spare }             worker -> pool
//   failure   { id, ok: false, error: ErrorEnvelope, wasm, broken, spare }
//
// `op` names a method of the worker's PythonSession (or `boot`, which makes the session)
// and `args` are its arguments, in order. `wasm` is the worker's WebAssembly memory in
// bytes; `broken` says the failure was not a Python error (the interpreter may be
// unusable), so the pool replaces the worker. `spare` hands back the ArrayBuffers that
// carried a `call`'s or `views`' inputs (SPARE_OPS), which Python has copied, for the
// pool's next copies (transfer.mjs BufferStock). Errors travel as data (an ErrorEnvelope)
// and are rebuilt as instances of errors.mjs's classes.
import { ProtocolError, show } from './errors.mjs';

/**
 * @typedef {{ name: string, message: string, details: Record<string, unknown> }} ErrorEnvelope
 * @typedef {{ id: number, op: string, args: unknown[] }} Request
 */

/**
 * Each op with the names of its arguments (PythonSession's signatures; `boot` takes the
 * environment's boot options).
 */
export const OPS = Object.freeze({
  boot: ['options'],
  describe: ['name', 'dim'],
  create: ['handle', 'name', 'config'],
  call: ['handle', 'method', 'args'],
  views: ['handle', 'args'],
  dispose: ['handle'],
  upload: ['tensor', 'data', 'rows', 'cols'],
  release: ['tensor'],
  loadModel: ['model', 'source'],
  encode: ['model', 'text', 'swap'],
  disposeModel: ['model'],
  memory: [],
});

/** The ops whose inputs Python copies and does not keep: their buffers come back as `spare`. */
export const SPARE_OPS = Object.freeze(['call', 'views']);

/**
 * The mechanism methods `call` runs, by their Python name: the JavaScript name (for
 * messages), whether it takes a batch of queries, whether it takes values, and whether a
 * batch may be split across workers by query rows (per-head weights are not).
 * `compute_partial` is one key range of a `compute` split by keys (splitter.mjs).
 */
export const METHODS = Object.freeze({
  compute: { js: 'compute', batch: false, values: true, splits: false },
  weights: { js: 'weights', batch: false, values: false, splits: false },
  compute_batch: { js: 'computeBatch', batch: true, values: true, splits: true },
  weights_batch: { js: 'weightsBatch', batch: true, values: false, splits: true },
  head_weights_batch: { js: 'headWeightsBatch', batch: true, values: false, splits: false },
  compute_partial: { js: 'compute', batch: false, values: true, splits: false },
});

/** A request without its id (the slot adds it): `op` with its arguments in order. */
export function request(op, ...args) {
  return { op, args };
}

/** An error as data for postMessage. */
export function envelope(err) {
  return { name: err?.name ?? 'Error', message: err?.message ?? String(err), details: err?.details ?? {} };
}

/** The answer to request `id` when it succeeded. */
export const answer = (id, result, wasm, spare = []) => ({ id, ok: true, result, wasm, spare });
/** The answer to request `id` when it failed with `error`. */
export const failure = (id, error, wasm, broken, spare = []) => ({ id, ok: false, error: envelope(error), wasm, broken, spare });
/** A boot phase of request `id` done (more answers follow). */
export const progress = (id, phase) => ({ id, progress: phase });

/**
 * Why `message` is not a request a worker can run, as a ProtocolError, or null: a worker
 * answers it with this error instead of failing on it.
 * @param {unknown} message
 */
export function malformed(message) {
  if (typeof message !== 'object' || message === null) return new ProtocolError(`a request must be an object, got ${show(message)}`, {});
  const { id, op, args } = message;
  if (!Number.isSafeInteger(id)) return new ProtocolError(`a request needs an integer id, got ${show(id)}`, {});
  if (typeof op !== 'string' || !Object.hasOwn(OPS, op)) {
    return new ProtocolError(`unknown op ${show(op)}; a worker serves ${Object.keys(OPS).join(', ')}`, { op: String(op) });
  }
  if (!Array.isArray(args) || args.length > OPS[op].length) {
    return new ProtocolError(`${op} takes [${OPS[op].join(', ')}], got ${Array.isArray(args) ? `${args.length} arguments` : show(args)}`, { op });
  }
  if (op === 'call' && !Object.hasOwn(METHODS, args[1])) {
    return new ProtocolError(`unknown method ${show(args[1])}; call runs ${Object.keys(METHODS).join(', ')}`, { op, method: String(args[1]) });
  }
  return null;
}
