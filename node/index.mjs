// ruvector-attention-py/node: the runtime of API.md §5 on worker_threads.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createPool } from '../web/core/client.mjs';

export * from '../web/core/errors.mjs';
export { ResidentMatrix } from '../web/core/matrix.mjs';
export { loadCompat } from './compat.mjs';
export { DEFAULT_INDEX_URL } from './boot.mjs';

const WORKER_URL = new URL('./worker.mjs', import.meta.url);

// Workers inherit the process's flags, but --input-type (node -e) is refused in a worker.
const execArgv = process.execArgv.filter((flag) => !flag.startsWith('--input-type'));

function spawn() {
  const worker = new Worker(WORKER_URL, { execArgv });
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
 * Start a pool of Pyodide workers.
 * @param {import('./index').RuntimeOptions} [options]
 */
export function createRuntime({ workers = availableParallelism(), indexURL, wheelURL, onProgress } = {}) {
  return createPool({ size: workers, spawn, bootOptions: { indexURL, wheelURL }, onProgress, sharedMemory: true });
}
