// ruvector-attention-py/web: the runtime of API.md §5 on module Web Workers.
import { openRuntime } from './core/runtime.mjs';

export * from './core/errors.mjs';
export { ResidentMatrix } from './core/matrix.mjs';
export { DEFAULT_MAX_WORKER_MEMORY } from './core/runtime-options.mjs';

const WORKER_URL = new URL('./worker.mjs', import.meta.url);

/**
 * Pyodide's core: where the page's import map sends `pyodide/`, else the `pyodide` package
 * next to ours in a node_modules/ served as is.
 */
export const DEFAULT_INDEX_URL = (() => {
  try {
    return import.meta.resolve('pyodide/');
  } catch {
    return new URL('../../pyodide/', import.meta.url).href;
  }
})();

/** wheels/ of this package: pyodide-lock.json, numpy's Pyodide wheel and ours. */
export const DEFAULT_PACKAGES_URL = new URL('../wheels/', import.meta.url).href;

function spawn() {
  const worker = new Worker(WORKER_URL, { type: 'module' });
  const exits = [];
  worker.addEventListener('error', (event) => exits.forEach((fn) => fn(event.message || 'worker error')));
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    onMessage: (fn) => worker.addEventListener('message', (event) => fn(event.data)),
    onExit: (fn) => exits.push(fn),
    // browsers do not report a terminated worker: say so ourselves
    terminate: () => {
      worker.terminate();
      exits.forEach((fn) => fn('terminated'));
    },
  };
}

const absolute = (url) => url && new URL(url, location.href).href;
const directory = (url) => (url.endsWith('/') ? url : `${url}/`);

/**
 * Start a pool of Pyodide workers. SharedArrayBuffer carries inputs shared by several
 * workers when the page is cross-origin isolated; transferables otherwise.
 * @param {import('./index').RuntimeOptions} [options]
 * @returns {Promise<import('./index').Runtime>}
 */
export function createRuntime(options) {
  return openRuntime(options, {
    spawn,
    sharedMemory: globalThis.crossOriginIsolated === true,
    defaultWorkers: Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4)),
    resolve: absolute,
    bootOptions: ({ indexURL = DEFAULT_INDEX_URL, packagesURL = DEFAULT_PACKAGES_URL, wheelURL }) => ({
      indexURL: directory(absolute(indexURL)), packagesURL: directory(absolute(packagesURL)), wheelURL: absolute(wheelURL),
    }),
  });
}
