// createRuntime's options (API.md §5): checked here, before any worker starts, since no
// Python sees them.
import { checkTimeout } from './cancel.mjs';
import { invalidConfig, show } from './errors.mjs';

/** WebAssembly memory past which a worker is replaced after its request (1 GiB). */
export const DEFAULT_MAX_WORKER_MEMORY = 2 ** 30;

const RUNTIME_OPTIONS = ['workers', 'indexURL', 'packagesURL', 'wheelURL', 'onProgress', 'requestTimeoutMs', 'maxWorkerMemory'];

/** createRuntime's options, checked (InvalidConfigError), with defaults. */
export function runtimeOptions(options, defaultWorkers) {
  if (options == null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalidConfig(`createRuntime options must be an object, got ${show(options)}`);
  }
  const unknown = Object.keys(options).filter((key) => !RUNTIME_OPTIONS.includes(key));
  if (unknown.length) {
    throw invalidConfig(`createRuntime has no option ${unknown.map((k) => JSON.stringify(k)).join(', ')}; its options are ${RUNTIME_OPTIONS.join(', ')}`);
  }
  const { workers = defaultWorkers, indexURL, packagesURL, wheelURL, onProgress, requestTimeoutMs, maxWorkerMemory } = options;
  if (!Number.isSafeInteger(workers) || workers < 1) throw invalidConfig(`workers must be an integer >= 1, got ${show(workers)}`);
  for (const [name, url] of [['indexURL', indexURL], ['packagesURL', packagesURL], ['wheelURL', wheelURL]]) {
    if (url != null && typeof url !== 'string' && !(url instanceof URL)) throw invalidConfig(`${name} must be a string or URL, got ${show(url)}`);
  }
  if (onProgress != null && typeof onProgress !== 'function') throw invalidConfig(`onProgress must be a function, got ${show(onProgress)}`);
  if (maxWorkerMemory != null && !(typeof maxWorkerMemory === 'number' && maxWorkerMemory > 0)) {
    throw invalidConfig(`maxWorkerMemory must be a positive number of bytes (or Infinity), got ${show(maxWorkerMemory)}`);
  }
  return {
    workers,
    indexURL: indexURL == null ? undefined : String(indexURL),
    packagesURL: packagesURL == null ? undefined : String(packagesURL),
    wheelURL: wheelURL == null ? undefined : String(wheelURL),
    onProgress: onProgress ?? undefined,
    requestTimeoutMs: checkTimeout(requestTimeoutMs, 'requestTimeoutMs', invalidConfig),
    maxWorkerMemory: maxWorkerMemory ?? DEFAULT_MAX_WORKER_MEMORY,
  };
}
