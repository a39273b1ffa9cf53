// One Pyodide interpreter with numpy and ruvector_attention, reached only through the
// Python module ruvector_attention.bridge (never runPython on strings).
import { PackageLoadError, rebuildError } from './errors.mjs';
import { toCamelCase, toSnakeCase } from './names.mjs';

export const PACKAGE = 'ruvector-attention-py';

// Errors that Python raised and recorded (rebuilt with their class), or that the session
// raised itself for the caller's input: the interpreter is fine.
const pythonErrors = new WeakSet();

/** Whether `err` is a Python error rebuilt by a session (any other failure may have left
 * the interpreter unusable). */
export const isPythonError = (err) => pythonErrors.has(err);

/** The error of an envelope `{ name, message, details }`, marked as leaving the interpreter fine. */
function callerError(envelope) {
  const error = rebuildError(envelope);
  pythonErrors.add(error);
  return error;
}

/**
 * Load packages by name from the lock's folder; any that fails is an error
 * (Pyodide's loadPackage only logs failures).
 */
async function loadPackages(py, names) {
  const messages = [];
  await py.loadPackage(names, { messageCallback: () => {}, errorCallback: (m) => messages.push(m) });
  const missing = names.filter((name) => !(name in py.loadedPackages));
  if (missing.length || messages.length) {
    throw new PackageLoadError(`could not load ${missing.join(', ') || names.join(', ')}: ${messages.join('; ')}`, {
      packages: missing, messages,
    });
  }
}

/** Install a wheel's files into site-packages (bytes: Uint8Array or Node Buffer). */
export function installWheel(py, bytes) {
  const site = py.pyimport('site');
  const paths = site.getsitepackages();
  const sitePackages = paths.toJs()[0];
  paths.destroy();
  site.destroy();
  py.unpackArchive(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'wheel', {
    extractDir: sitePackages,
  });
}

/**
 * Boot Python: `loadPyodide(pyodideOptions)` from the environment (its indexURL is the
 * core, its lockFileURL a lock naming numpy and our wheel), then those packages by name,
 * or numpy only and our wheel from `wheelURL` (bytes via `readBinary`).
 * `onStep(phase)` is called as each of the three phases completes.
 */
export async function bootSession({ loadPyodide, pyodideOptions, wheelURL, readBinary, onStep = () => {} }) {
  const py = await loadPyodide({ ...pyodideOptions, stdout: () => {}, stderr: () => {} });
  onStep('pyodide');
  await loadPackages(py, wheelURL ? ['numpy'] : [PACKAGE]);
  onStep('numpy');
  if (wheelURL) {
    installWheel(py, await readBinary(wheelURL));
  }
  const session = new PythonSession(py, readBinary);
  onStep('wheel');
  return session;
}

export class PythonSession {
  #py;
  #bridge;
  #readBinary;

  /**
   * @param py a booted Pyodide with our package
   * @param {(url: string) => Promise<Uint8Array>} readBinary the environment's file or URL reader
   */
  constructor(py, readBinary) {
    this.#py = py;
    this.#readBinary = readBinary;
    const module = py.pyimport('ruvector_attention.bridge');
    this.#bridge = {};
    const names = ['to_js', 'mechanisms', 'describe', 'create', 'call_to_js', 'dispose', 'upload', 'release'];
    for (const name of [...names, 'views', 'load_model', 'encode', 'dispose_model', 'take_error']) {
      this.#bridge[name] = module[name].copy();
    }
    module.destroy();
  }

  /** A float32 ndarray proxy's values as a fresh Float32Array (one copy, made by
   * bridge.to_js); the proxy is destroyed. */
  #copyOut(array) {
    try {
      return this.#bridge.to_js(array);
    } finally {
      array.destroy();
    }
  }

  #invoke(name, ...args) {
    try {
      return this.#bridge[name](...args);
    } catch (err) {
      const recorded = this.#bridge.take_error();
      if (!recorded) throw err;
      throw callerError(JSON.parse(recorded));
    }
  }

  /** @returns {string[]} */
  mechanisms() {
    return JSON.parse(this.#invoke('mechanisms'));
  }

  /** Info and default config of mechanism `name` at query dimension `dim` (camelCase). */
  describe(name, dim) {
    return toCamelCase(JSON.parse(this.#invoke('describe', name, dim)));
  }

  /** Build a mechanism under `handle`; returns its info with camelCase keys. */
  create(handle, name, config = {}) {
    const info = JSON.parse(this.#invoke('create', handle, name, JSON.stringify(toSnakeCase(config))));
    return toCamelCase(info);
  }

  /**
   * Run a method; `args` holds flat `query`, `keys`, `values`, `mask` (typed arrays, or the
   * id of an uploaded matrix) and `options` (camelCase: queryRows, valuesRows, maskRows,
   * causal, position, rowOffset, totalRows, extras, keyStart, keyStop, keyTotal). Each typed array is
   * copied once, into NumPy, by the bridge (`to_memoryview`); options travel as positional
   * scalars (extras, rare and free-form, as JSON). Returns a fresh Float32Array (the result
   * copied out once, by bridge.call_to_js; a Float64Array for `compute_partial`).
   */
  call(handle, method, { query, keys, values = null, mask = null, options = {} }) {
    const { queryRows = null, valuesRows = null, maskRows = null, causal = null, position = null } = options;
    const { rowOffset = null, totalRows = null, extras = null, keyStart = null, keyStop = null, keyTotal = null } = options;
    return this.#invoke(
      'call_to_js', handle, method, query, keys, values, mask,
      queryRows, valuesRows, maskRows, causal, position, rowOffset, totalRows,
      extras === null ? null : JSON.stringify(toSnakeCase(extras)), keyStart, keyStop, keyTotal,
    );
  }

  /**
   * The payloads of the views only this library draws (web/visualizer/special.mjs) for
   * mechanism `handle` on flat `queries` and `keys`; `options`: queryRows, maskRows, causal,
   * extras, labels ({ x, y, row }).
   */
  views(handle, { queries, keys, mask = null, options = {} }) {
    const { queryRows = null, maskRows = null, causal = null, extras = null, labels = null } = options;
    return JSON.parse(this.#invoke(
      'views', handle, queries, keys, queryRows, mask, maskRows, causal,
      extras === null ? null : JSON.stringify(toSnakeCase(extras)), labels === null ? null : JSON.stringify(labels),
    ));
  }

  dispose(handle) {
    this.#invoke('dispose', handle);
  }

  /** Keep a matrix resident under `id` (validated once); returns its [rows, cols]. */
  upload(id, data, rows, cols) {
    return JSON.parse(this.#invoke('upload', id, data, rows ?? null, cols ?? null));
  }

  release(id) {
    this.#invoke('release', id);
  }

  /**
   * Load a checkpoint (models.load: a .zip) under `id` from `source`: its bytes, or a path
   * or URL this worker reads itself. The bytes pass through a file in Pyodide's memory
   * file system, removed once loaded. Returns its shape (camelCase).
   */
  async loadModel(id, source) {
    const bytes = typeof source === 'string' ? await this.#read(source) : source;
    const path = `/tmp/model-${id}.zip`;
    this.#py.FS.writeFile(path, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    try {
      return toCamelCase(JSON.parse(this.#invoke('load_model', id, path)));
    } finally {
      this.#py.FS.unlink(path);
    }
  }

  /**
   * `text` through model `id` (optionally with `swap` = { mechanism, layers, config }):
   * { tokens, inputIds, attentions: Float32Array(layers·heads·n·n), embedding: Float32Array }.
   */
  encode(id, text, swap = null) {
    const result = this.#invoke('encode', id, text, swap === null ? null : JSON.stringify(toSnakeCase(swap)));
    try {
      const meta = toCamelCase(JSON.parse(result.get(0)));
      return { ...meta, attentions: this.#copyOut(result.get(1)), embedding: this.#copyOut(result.get(2)) };
    } finally {
      result.destroy();
    }
  }

  /** A file or URL's bytes; a failure to read it is the caller's InvalidInputError (the
   * interpreter is fine). */
  async #read(source) {
    try {
      return await this.#readBinary(source);
    } catch (err) {
      throw callerError({
        name: 'InvalidInputError', message: `could not read ${source}: ${err?.message ?? err}`, details: { source },
      });
    }
  }

  disposeModel(id) {
    this.#invoke('dispose_model', id);
  }

  /** Bytes of WebAssembly memory (it only grows). */
  wasmBytes() {
    return this.#py._module.HEAP8.byteLength;
  }

  /** Bytes of wasm memory (it only grows) and of this thread's JS heap. */
  memory() {
    const jsHeap = globalThis.performance?.memory?.usedJSHeapSize ?? globalThis.process?.memoryUsage().heapUsed;
    return { wasm: this.wasmBytes(), jsHeap };
  }
}
