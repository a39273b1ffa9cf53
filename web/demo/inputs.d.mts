// web/demo/inputs.mjs: the user's own arrays (.npy, .npz, .json, .csv) as float32.

export declare const MAX_FILE_BYTES: number;
export declare const MAX_ELEMENTS: number;

/** A file that cannot be read as a finite float32 array; `details.reason` says why. */
export declare class InputFileError extends Error {
  constructor(file: string, reason: string);
  name: 'InputFileError';
  details: { file: string; reason: string };
}

/** An .npy file's bytes as float32 in C order (`fail` throws with the reason). */
export declare function parseNpy(bytes: Uint8Array, fail: (reason: string) => never): { data: Float32Array; shape: number[] };

/**
 * Read a File (or a Blob with a name) as a float32 array: .npy (format 1-3, either byte
 * order, float/int/bool, C or Fortran order), .npz (stored or deflated; `key` picks an
 * array, default the first), .json (nested arrays or {data, shape}) or .csv (an optional
 * header row). Rejects with an InputFileError.
 */
export declare function readArrayFile(file: Blob & { name?: string }, options?: { key?: string }): Promise<{
  name: string;
  data: Float32Array;
  shape: number[];
  /** .npz: the array read and every array in the archive. */
  key?: string;
  keys?: string[];
}>;
