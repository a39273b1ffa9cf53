// Matrices at the API: a flat Float32Array (rows inferred in Python from `dim` or given as
// { rows }) or an array of rows (Float32Array or number[]), the seed's convention. Here we
// only flatten and reject what cannot be sent as numbers; shapes and values (NaN, ranks)
// are checked once, in Python.
import { DimensionMismatchError, InputTooLargeError, invalidInput, show } from './errors.mjs';
import { guard, unusableView } from './checks.mjs';

/**
 * The most float32 values one matrix may hold: 2 GiB, half of what a worker's 32-bit
 * WebAssembly memory can address, where Python must copy it.
 */
export const MAX_MATRIX_VALUES = 2 ** 29;

/**
 * A matrix already in the workers (see Runtime.upload): pass it wherever a matrix goes
 * and only its id crosses to the workers.
 */
export class ResidentMatrix {
  #release;

  constructor(id, rows, cols, release) {
    this.id = id;
    this.rows = rows;
    this.cols = cols;
    this.#release = release;
  }

  /** Free it in every worker. */
  dispose() {
    return this.#release(this.id);
  }
}

function checkSize(count, name) {
  if (count > MAX_MATRIX_VALUES) {
    throw new InputTooLargeError(`${name} has ${count} values, more than the ${MAX_MATRIX_VALUES} a worker can hold`, {
      max: MAX_MATRIX_VALUES, actual: count,
    });
  }
}

/** A typed array as float32: a Float32Array as is (a request copies only its view:
 * transfer.mjs ownCopies), any other as a new one. */
function floatsOfView(view, name) {
  const why = unusableView(view);
  if (why) throw invalidInput(`${name} cannot be used: ${why}`);
  checkSize(view.length, name);
  return view instanceof Float32Array ? view : Float32Array.from(view);
}

/** Index of the first item of `items` that is not a number, or -1. */
function firstNonNumber(items) {
  for (let i = 0; i < items.length; i++) if (typeof items[i] !== 'number') return i;
  return -1;
}

/** One row of an array of rows: a usable typed array or an array of numbers. */
function rowValues(row, name, i) {
  if (ArrayBuffer.isView(row)) return floatsOfView(row, `${name}[${i}]`);
  if (!Array.isArray(row)) {
    throw invalidInput(`${name}[${i}] must be a row (a Float32Array or an array of numbers), got ${show(row)}`);
  }
  const bad = firstNonNumber(row);
  if (bad >= 0) throw invalidInput(`${name}[${i}][${bad}] must be a number, got ${show(row[bad])}`);
  return row;
}

function flattenRows(matrix, name) {
  const rows = matrix.map((row, i) => rowValues(row, name, i));
  const width = rows[0].length;
  rows.forEach((row, i) => {
    if (row.length !== width) {
      throw new DimensionMismatchError(
        `${name} has ragged rows: row 0 has ${width} values but row ${i} has ${row.length}`,
        { expected: width, actual: row.length },
      );
    }
  });
  checkSize(rows.length * width, name);
  const data = new Float32Array(rows.length * width);
  rows.forEach((row, i) => data.set(row, i * width));
  return data;
}

/**
 * A matrix ready to send: `data` is a Float32Array, or the id (a number) of a
 * ResidentMatrix (then `resident` is that id); `rows` and `cols` where known (from an
 * array of rows, `{ rows }`, an upload, or `shaped`); `fresh` says whether `data` is our
 * own copy (transferable).
 * @typedef {{ data: Float32Array | number | null, rows?: number, cols?: number, fresh: boolean, resident?: number }} Flat
 */

/** @returns {Flat} */
export function flatten(matrix, name, rows) {
  return guard(() => {
    if (matrix instanceof ResidentMatrix) {
      return { data: matrix.id, rows: matrix.rows, cols: matrix.cols, fresh: false, resident: matrix.id };
    }
    if (ArrayBuffer.isView(matrix)) {
      const data = floatsOfView(matrix, name);
      return { data, rows, fresh: data !== matrix };
    }
    if (!Array.isArray(matrix)) {
      throw invalidInput(`${name} must be a Float32Array, an array of numbers or an array of rows, got ${show(matrix)}`);
    }
    if (matrix.length === 0 || typeof matrix[0] === 'number') {
      const bad = firstNonNumber(matrix);
      if (bad >= 0) throw invalidInput(`${name}[${bad}] must be a number, got ${show(matrix[bad])}`);
      checkSize(matrix.length, name);
      return { data: Float32Array.from(matrix), rows, fresh: true };
    }
    const data = flattenRows(matrix, name);
    return { data, rows: matrix.length, cols: data.length / matrix.length, fresh: true };
  }, (err) => invalidInput(`${name} could not be read: ${err?.message ?? show(err)}`));
}

/**
 * `flat` read as rows of `cols` values where its form does not say how many rows it has:
 * with `rows` and `cols` when they fit its length, else as it is (Python says why not).
 * @param {Flat} flat
 * @param {number} cols
 * @returns {Flat}
 */
export function shaped(flat, cols) {
  if (flat.resident !== undefined || flat.cols !== undefined) return flat;
  const { length } = flat.data;
  const rows = flat.rows ?? length / cols;
  return rows * cols === length && Number.isInteger(rows) ? { ...flat, rows, cols } : flat;
}

/** A single query vector: like a matrix, but never an uploaded one. */
export function flattenVector(vector, name) {
  if (vector instanceof ResidentMatrix) throw invalidInput(`${name} must be a vector, not an uploaded matrix`);
  return flatten(vector, name);
}

/** One mask entry as a number (booleans become 1/0): its value is Python's to check. */
function maskValue(value, at) {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  throw invalidInput(`${at} must be a boolean or a number, got ${show(value)}`);
}

function maskRow(row, at) {
  if (ArrayBuffer.isView(row)) return floatsOfView(row, at);
  if (!Array.isArray(row)) throw invalidInput(`${at} must be an array of booleans or a typed array, got ${show(row)}`);
  return Float32Array.from(row, (value, j) => maskValue(value, `${at}[${j}]`));
}

/**
 * A mask as numbers (booleans become 1/0; Python checks the values): (m, n) rows, or
 * `rows` 0 for one row of n that every query shares.
 * @returns {Flat}
 */
export function flattenMask(mask) {
  return guard(() => {
    if (mask == null) return { data: null, rows: 0, fresh: false };
    const nested = Array.isArray(mask) && mask.length > 0 && (Array.isArray(mask[0]) || ArrayBuffer.isView(mask[0]));
    if (nested) return flatten(mask.map((row, i) => maskRow(row, `mask[${i}]`)), 'mask');
    const data = maskRow(mask, 'mask');
    return { data, rows: 0, fresh: data !== mask };
  }, (err) => invalidInput(`mask could not be read: ${err?.message ?? show(err)}`));
}

/**
 * A batch's mask: a flat mask of (queryRows · keyRows) values is one row per query
 * (API.md §5: `(m, n)` rows or flat `m·n`); any other flat mask is shared.
 * @param {Flat} mask from flattenMask
 * @param {number | undefined} queryRows
 * @param {number | undefined} keyRows
 * @returns {Flat}
 */
export function batchMask(mask, queryRows, keyRows) {
  if (mask.data === null || mask.rows || !(queryRows > 1) || mask.data.length !== queryRows * keyRows) return mask;
  return { ...mask, rows: queryRows, cols: keyRows };
}
