// Errors that cross the worker boundary as data (protocol.mjs's ErrorEnvelope:
// { name, message, details }) and are rebuilt here as instances of these classes, so
// callers can use `instanceof` or `name`.

export class AttentionError extends Error {
  /**
   * @param {string} message
   * @param {Record<string, unknown>} [details] the Python attributes (or ours)
   * @param {{ cause?: unknown }} [options]
   */
  constructor(message, details = {}, options = undefined) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }
}

// The Python classes of ra.errors (API.md §1), with their attributes in `details`.
export class DimensionMismatchError extends AttentionError {}
export class EmptyInputError extends AttentionError {}
export class InvalidInputError extends AttentionError {}
export class InputTooLargeError extends AttentionError {}
export class InvalidConfigError extends AttentionError {}
export class UnknownMechanismError extends AttentionError {}

// Failures of the runtime itself.
export class WorkerCrashedError extends AttentionError {}
export class RuntimeClosedError extends AttentionError {}
export class PackageLoadError extends AttentionError {}
/** A message a worker cannot run (unknown op or method, malformed): a bug of the caller's
 * side, answered without touching the worker's interpreter. */
export class ProtocolError extends AttentionError {}

// Calls that were stopped: the worker running them is replaced. `cause` is the signal's
// reason (AbortError) or absent (TimeoutError after `timeoutMs`).
export class AbortError extends AttentionError {}
export class TimeoutError extends AttentionError {}

/** An InvalidInputError whose details carry the message, as Python's do. */
export const invalidInput = (message, options) => new InvalidInputError(message, { details: message }, options);

/** An InvalidConfigError whose details carry the reason, as Python's do. */
export const invalidConfig = (message, options) => new InvalidConfigError(message, { reason: message }, options);

/** A short description of any value for messages (never throws). */
export function show(value) {
  try {
    if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'function') return 'a function';
    if (Array.isArray(value)) return `an array of ${value.length}`;
    if (ArrayBuffer.isView(value)) return `a ${value.constructor?.name ?? 'typed array'}`;
    if (typeof value === 'object' && value !== null) return `a ${Object.getPrototypeOf(value)?.constructor?.name ?? 'null-prototype'} object`;
    return String(value);
  } catch {
    return typeof value;
  }
}

const CLASSES = {
  AttentionError, DimensionMismatchError, EmptyInputError, InvalidInputError, InputTooLargeError,
  InvalidConfigError, UnknownMechanismError, WorkerCrashedError, RuntimeClosedError, PackageLoadError,
  ProtocolError, AbortError, TimeoutError,
};

/** The error object for an ErrorEnvelope (protocol.mjs; the Python bridge makes the same). */
export function rebuildError({ name, message, details }) {
  const Class = CLASSES[name];
  if (Class) return new Class(message, details ?? {});
  const err = new Error(message);
  err.name = name;
  err.details = details ?? {};
  return err;
}
