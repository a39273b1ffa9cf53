// The user's own arrays for the demo: .npy, .npz, .json and .csv files read in the page
// (drag and drop or a file picker) into float32, checked as they are read. Anything that is
// not a finite float32 array of a known layout throws an InputFileError naming the file and
// what is wrong with it.

/** Largest file read (bytes) and largest array (elements): 256 MiB of float32. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;
export const MAX_ELEMENTS = 64 * 1024 * 1024;

export class InputFileError extends Error {
  /**
   * @param {string} file the file's name
   * @param {string} reason what is wrong, e.g. 'row 3 has 4 values, row 1 has 5'
   */
  constructor(file, reason) {
    super(`${file}: ${reason}`);
    this.name = 'InputFileError';
    this.details = { file, reason };
  }
}

// ------------------------------------------------------------------ checks shared by every format

/** Elements of `shape`, checked against MAX_ELEMENTS. */
function sizeOf(shape, fail) {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size === 0) fail(`the array is empty (shape [${shape.join(', ')}])`);
  if (size > MAX_ELEMENTS) fail(`too large: ${size} values, at most ${MAX_ELEMENTS}`);
  return size;
}

/** `values` (any numbers) as float32, every one finite after the cast. */
function finiteFloat32(values, shape, fail) {
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const what = Number.isNaN(data[i]) ? 'NaN' : Number.isFinite(values[i]) ? `${values[i]} (beyond float32)` : String(values[i]);
      fail(`value ${i} (index [${unravel(i, shape).join(', ')}]) is ${what}; only finite float32 values are accepted`);
    }
  }
  return data;
}

function unravel(index, shape) {
  const at = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(index % shape[d]);
    index = Math.floor(index / shape[d]);
  }
  return at;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number in text (no hex, no empty string, no 'Infinity'), or fail. */
function parseNumber(text, where, fail) {
  const cell = text.trim().replace(/^"(.*)"$/, '$1').trim();
  if (!NUMBER.test(cell)) fail(`${where} is not a number: ${JSON.stringify(cell.slice(0, 40))}`);
  return Number(cell);
}

// ------------------------------------------------------------------ .npy

const DTYPES = {
  f2: [2, null], f4: [4, 'getFloat32'], f8: [8, 'getFloat64'],
  i1: [1, 'getInt8'], i2: [2, 'getInt16'], i4: [4, 'getInt32'], i8: [8, 'getBigInt64'],
  u1: [1, 'getUint8'], u2: [2, 'getUint16'], u4: [4, 'getUint32'], u8: [8, 'getBigUint64'],
  b1: [1, 'getUint8'],
};

/** IEEE half precision bits as a number. */
function half(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** The header dict of an .npy file: descr, fortran_order, shape. */
function npyHeader(text, fail) {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const order = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !order || !shape) fail(`the .npy header is not a dict with descr, fortran_order and shape: ${text.trim().slice(0, 80)}`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`bad shape (${shape[1]}) in the .npy header`);
  return { descr: descr[1], fortran: order[1] === 'True', shape: dims };
}

/** An .npy file's bytes as { data, shape } (C order, float32). */
export function parseNpy(bytes, fail) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) fail('not an .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  if (major < 1 || major > 3) fail(`unsupported .npy format version ${major}.${bytes[7]}`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLength > bytes.length) fail('truncated: the file ends inside the .npy header');
  const decoder = new TextDecoder(major === 3 ? 'utf-8' : 'latin1');
  const { descr, fortran, shape } = npyHeader(decoder.decode(bytes.subarray(start, start + headerLength)), fail);
  const kind = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  const type = kind && DTYPES[kind[2] + kind[3]];
  if (!type) fail(`unsupported dtype ${descr}: only float, integer and boolean arrays can be read`);
  const little = kind[1] !== '>';
  const [width, getter] = type;
  const size = sizeOf(shape, fail);
  const offset = start + headerLength;
  if (offset + size * width > bytes.length) {
    fail(`truncated: shape [${shape.join(', ')}] of ${descr} needs ${size * width} bytes of data, the file has ${bytes.length - offset}`);
  }
  if (getter === 'getFloat32' && little && !fortran) { // the common case: one copy
    return { data: finiteFloat32(new Float32Array(bytes.slice(offset, offset + size * 4).buffer), shape, fail), shape };
  }
  const values = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const at = offset + i * width;
    values[i] = getter === null ? half(view.getUint16(at, little)) : Number(view[getter](at, little));
  }
  const c = fortran && shape.length > 1 ? fortranToC(values, shape) : values;
  return { data: finiteFloat32(c, shape, fail), shape };
}

/** Column-major values of `shape` in row-major order. */
function fortranToC(values, shape) {
  const out = new Float64Array(values.length);
  const fStrides = shape.map((_, d) => shape.slice(0, d).reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) {
    const at = unravel(i, shape);
    out[i] = values[at.reduce((sum, x, d) => sum + x * fStrides[d], 0)];
  }
  return out;
}

// ------------------------------------------------------------------ .npz (a zip of .npy files)

/** The zip's entries from its central directory: { name, method, compressed, size, local }. */
function zipEntries(bytes, fail) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) fail('not an .npz file (no zip end-of-directory record; truncated?)');
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const entries = [];
  for (let e = 0; e < count; e++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) fail('truncated or corrupt zip directory');
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const entry = {
      name: new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      method: view.getUint16(at + 10, true),
      compressed: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      local: view.getUint32(at + 42, true),
    };
    // ZIP64: sizes and offset of 0xFFFFFFFF are in the extra field (id 1), in this order
    let x = at + 46 + nameLength;
    while (x + 4 <= at + 46 + nameLength + extraLength) {
      const id = view.getUint16(x, true);
      const length = view.getUint16(x + 2, true);
      if (id === 1) {
        let y = x + 4;
        for (const key of ['size', 'compressed', 'local']) {
          if (entry[key] === 0xffffffff) {
            entry[key] = Number(view.getBigUint64(y, true));
            y += 8;
          }
        }
      }
      x += 4 + length;
    }
    entries.push(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The uncompressed bytes of one zip entry (stored, or deflated: DecompressionStream). */
async function zipEntryBytes(bytes, entry, fail) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (entry.local + 30 > bytes.length || view.getUint32(entry.local, true) !== 0x04034b50) fail(`corrupt zip entry ${entry.name}`);
  const start = entry.local + 30 + view.getUint16(entry.local + 26, true) + view.getUint16(entry.local + 28, true);
  if (start + entry.compressed > bytes.length) fail(`truncated: zip entry ${entry.name} ends past the end of the file`);
  const raw = bytes.subarray(start, start + entry.compressed);
  if (entry.method === 0) return raw;
  if (entry.method !== 8) fail(`zip entry ${entry.name} uses compression method ${entry.method}; only stored and deflated are supported`);
  if (entry.size > MAX_FILE_BYTES) fail(`too large: zip entry ${entry.name} inflates to ${entry.size} bytes`);
  try {
    const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    return fail(`zip entry ${entry.name} does not inflate (${err?.message ?? err}); corrupt or truncated`);
  }
}

async function parseNpz(bytes, fail, key) {
  const entries = zipEntries(bytes, fail).filter((e) => e.name.endsWith('.npy'));
  if (!entries.length) fail('the .npz archive holds no .npy array');
  const keys = entries.map((e) => e.name.slice(0, -4));
  const entry = key === undefined ? entries[0] : entries[keys.indexOf(key)];
  if (!entry) fail(`no array ${JSON.stringify(key)} in the archive; it holds ${keys.join(', ')}`);
  const inner = (reason) => fail(`${entry.name}: ${reason}`);
  return { ...parseNpy(await zipEntryBytes(bytes, entry, fail), inner), key: entry.name.slice(0, -4), keys };
}

// ------------------------------------------------------------------ .json and .csv

/** Nested arrays as [flat values, shape]; every level rectangular. */
function nested(value, fail, path = []) {
  if (!Array.isArray(value)) {
    if (typeof value !== 'number') fail(`${path.length ? `[${path.join('][')}]` : 'the value'} is not a number: ${JSON.stringify(value)?.slice(0, 40)}`);
    return [[value], []];
  }
  if (value.length === 0) fail(`${path.length ? `[${path.join('][')}]` : 'the array'} is empty`);
  const parts = value.map((item, i) => nested(item, fail, [...path, i]));
  const shape = parts[0][1];
  parts.forEach(([, s], i) => {
    if (s.join() !== shape.join()) {
      fail(`ragged rows: [${[...path, i].join('][')}] has shape [${s.join(', ')}], [${[...path, 0].join('][')}] has [${shape.join(', ')}]`);
    }
  });
  return [parts.flatMap(([v]) => v), [value.length, ...shape]];
}

function parseJson(text, fail) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail(`not valid JSON (${err.message})`);
  }
  if (Array.isArray(value)) {
    const [flat, shape] = nested(value, fail);
    sizeOf(shape, fail);
    return { data: finiteFloat32(flat, shape, fail), shape };
  }
  if (value === null || typeof value !== 'object' || !('data' in value)) {
    fail('expected nested arrays of numbers or an object {"data": [...], "shape": [...]}');
  }
  const [flat, inner] = nested(value.data, fail, ['data']);
  const shape = value.shape === undefined ? inner : value.shape;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  const size = sizeOf(shape, fail);
  if (size !== flat.length) fail(`shape [${shape.join(', ')}] needs ${size} values, data has ${flat.length}`);
  return { data: finiteFloat32(flat, shape, fail), shape };
}

function parseCsv(text, fail) {
  const lines = text.split(/\r?\n/).map((line, i) => [line, i + 1]).filter(([line]) => line.trim() !== '');
  if (!lines.length) fail('the file has no rows');
  const cells = (line) => line.split(/[,;\t]/);
  // a first row with no number in it is a header
  const header = cells(lines[0][0]).every((c) => !NUMBER.test(c.trim().replace(/^"(.*)"$/, '$1').trim()));
  const rows = header ? lines.slice(1) : lines;
  if (!rows.length) fail('the file has a header but no rows');
  const cols = cells(rows[0][0]).length;
  const flat = [];
  for (const [line, number] of rows) {
    const row = cells(line);
    if (row.length !== cols) fail(`ragged rows: line ${number} has ${row.length} values, line ${rows[0][1]} has ${cols}`);
    row.forEach((cell, j) => flat.push(parseNumber(cell, `line ${number}, column ${j + 1}`, fail)));
  }
  const shape = [rows.length, cols];
  sizeOf(shape, fail);
  return { data: finiteFloat32(flat, shape, fail), shape };
}

// ------------------------------------------------------------------ entry point

/**
 * Read a File (or Blob with a name) as a float32 array.
 * @param {Blob & { name?: string }} file
 * @param {{ key?: string }} [options] which array of an .npz (default: the first)
 * @returns {Promise<{ name: string, data: Float32Array, shape: number[], key?: string, keys?: string[] }>}
 */
export async function readArrayFile(file, { key } = {}) {
  const name = file?.name ?? 'file';
  const fail = (reason) => {
    throw new InputFileError(name, reason);
  };
  if (!(file instanceof Blob)) fail('expected a File or Blob');
  if (file.size > MAX_FILE_BYTES) fail(`too large: ${file.size} bytes, at most ${MAX_FILE_BYTES}`);
  if (file.size === 0) fail('the file is empty');
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase();
  let parsed;
  if (ext === 'npy') parsed = parseNpy(new Uint8Array(await file.arrayBuffer()), fail);
  else if (ext === 'npz') parsed = await parseNpz(new Uint8Array(await file.arrayBuffer()), fail, key);
  else if (ext === 'json') parsed = parseJson(await file.text(), fail);
  else if (ext === 'csv' || ext === 'txt' || ext === 'tsv') parsed = parseCsv(await file.text(), fail);
  else fail(`unsupported file type${ext ? ` .${ext}` : ''}: expected .npy, .npz, .json or .csv`);
  return { name, ...parsed };
}
