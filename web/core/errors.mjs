// Errors that cross the worker boundary as data ({ name, message, details }) and are
// rebuilt here as instances of these classes, so callers can use `instanceof` or `name`.

export class AttentionError extends Error {
  constructor(message, details = {}) {
    super(message);
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

const CLASSES = {
  AttentionError, DimensionMismatchError, EmptyInputError, InvalidInputError, InputTooLargeError,
  InvalidConfigError, UnknownMechanismError, WorkerCrashedError, RuntimeClosedError, PackageLoadError,
};

/** Plain data for postMessage. */
export function serializeError(err) {
  return {
    name: err?.name ?? 'Error',
    message: err?.message ?? String(err),
    details: err?.details ?? {},
  };
}

/** The error object for data made by serializeError (or by the Python bridge). */
export function rebuildError({ name, message, details }) {
  const Class = CLASSES[name];
  if (Class) return new Class(message, details ?? {});
  const err = new Error(message);
  err.name = name;
  err.details = details ?? {};
  return err;
}
