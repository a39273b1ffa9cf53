// ruvector-attention-py/node: the runtime of API.md §5 on worker_threads.
import { availableParallelism } from 'node:os';
import { openRuntime } from '../web/core/runtime.mjs';
import { startWorker } from './flags.mjs';

export * from '../web/core/errors.mjs';
export { ResidentMatrix } from '../web/core/matrix.mjs';
export { loadCompat } from './compat.mjs';
export { DEFAULT_INDEX_URL, DEFAULT_PACKAGES_URL } from './boot.mjs';
export { DEFAULT_MAX_WORKER_MEMORY } from '../web/core/runtime-options.mjs';

const WORKER_URL = new URL('./worker.mjs', import.meta.url);

function spawn() {
  const worker = startWorker(WORKER_URL);
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    onMessage: (fn) => worker.on('message', fn),
    onExit: (fn) => {
      worker.on('error', (err) => fn(err.message));
      worker.on('exit', (code) => fn(`exit code ${code}`));
    },
    terminate: () => worker.terminate(),
  };
}

/**
 * Start a pool of Pyodide workers, whatever flags this process was started with.
 * @param {import('./index').RuntimeOptions} [options]
 * @returns {Promise<import('./index').Runtime>}
 */
export function createRuntime(options) {
  return openRuntime(options, {
    spawn,
    sharedMemory: true,
    defaultWorkers: availableParallelism(),
    bootOptions: ({ indexURL, packagesURL, wheelURL }) => ({ indexURL, packagesURL, wheelURL }),
  });
}
