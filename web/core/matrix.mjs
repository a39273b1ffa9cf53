// Matrices at the API: a flat Float32Array (rows inferred in Python from `dim` or given as
// { rows }) or an array of rows (Float32Array or number[]), the seed's convention. Shape
// and value checks happen once, in Python; here we only flatten.
import { DimensionMismatchError, InvalidInputError } from './errors.mjs';

/**
 * A matrix already in every worker (see Runtime.upload): pass it wherever a matrix goes
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

/**
 * `data` is a Float32Array, or the id (a number) of a ResidentMatrix.
 * @returns {{ data: Float32Array | number, rows: number | undefined, fresh: boolean }}
 */
export function flatten(matrix, name, rows) {
  if (matrix instanceof ResidentMatrix) return { data: matrix.id, rows: matrix.rows, fresh: false };
  if (matrix instanceof Float32Array) return { data: matrix, rows, fresh: false };
  if (ArrayBuffer.isView(matrix)) return { data: Float32Array.from(matrix), rows, fresh: true };
  if (!Array.isArray(matrix)) {
    throw new InvalidInputError(`${name} must be a Float32Array or an array of rows`, {
      details: `${name} must be a Float32Array or an array of rows`,
    });
  }
  if (matrix.length === 0 || typeof matrix[0] === 'number') {
    return { data: Float32Array.from(matrix), rows, fresh: true };
  }
  const width = matrix[0].length;
  const data = new Float32Array(matrix.length * width);
  matrix.forEach((row, i) => {
    if (row.length !== width) {
      throw new DimensionMismatchError(
        `${name} has ragged rows: row 0 has ${width} values but row ${i} has ${row.length}`,
        { expected: width, actual: row.length },
      );
    }
    data.set(row, i * width);
  });
  return { data, rows: matrix.length, fresh: true };
}

/** A mask as numbers (booleans become 1/0; Python checks the values): (n,) or (m, n) rows. */
export function flattenMask(mask) {
  if (mask == null) return { data: null, rows: 0, fresh: false };
  if (Array.isArray(mask) && mask.length && (Array.isArray(mask[0]) || ArrayBuffer.isView(mask[0]))) {
    const { data, rows } = flatten(mask.map((row) => Float32Array.from(row, Number)), 'mask');
    return { data, rows, fresh: true };
  }
  return { data: Float32Array.from(mask, Number), rows: 0, fresh: true };
}
