// One Pyodide interpreter with numpy and ruvector_attention, reached only through the
// Python module ruvector_attention.bridge (never runPython on strings).
import { PackageLoadError, rebuildError } from './errors.mjs';
import { toCamelCase, toSnakeCase } from './names.mjs';

export const PACKAGE = 'ruvector-attention-py';

// Errors that Python raised and recorded (rebuilt with their class): the interpreter is fine.
const pythonErrors = new WeakSet();

/** Whether `err` is a Python error rebuilt by a session (any other failure may have left
 * the interpreter unusable). */
export const isPythonError = (err) => pythonErrors.has(err);

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
  const session = new PythonSession(py);
  onStep('wheel');
  return session;
}

export class PythonSession {
  #py;
  #bridge;

  constructor(py) {
    this.#py = py;
    const module = py.pyimport('ruvector_attention.bridge');
    this.#bridge = {};
    for (const name of ['mechanisms', 'describe', 'create', 'call', 'dispose', 'upload', 'release', 'take_error']) {
      this.#bridge[name] = module[name].copy();
    }
    module.destroy();
  }

  #invoke(name, ...args) {
    try {
      return this.#bridge[name](...args);
    } catch (err) {
      const recorded = this.#bridge.take_error();
      if (!recorded) throw err;
      const error = rebuildError(JSON.parse(recorded));
      pythonErrors.add(error);
      throw error;
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
   * Run a method; `args` holds flat `query`, `keys`, `values`, `mask` and `options`
   * (camelCase). Returns a fresh Float32Array (the Python result is copied out and freed).
   */
  call(handle, method, { query, keys, values = null, mask = null, options = {} }) {
    const result = this.#invoke(
      'call', handle, method, query, keys, values, mask, JSON.stringify(toSnakeCase(options)),
    );
    try {
      const buffer = result.getBuffer('f32');
      try {
        return buffer.data.slice();
      } finally {
        buffer.release();
      }
    } finally {
      result.destroy();
    }
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
