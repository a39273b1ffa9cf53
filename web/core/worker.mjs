// The body of every worker (Node worker_threads or browser Web Worker): a request loop
// around one PythonSession. Environment adapters provide `endpoint` and `boot`.
// Every answer carries the worker's WebAssembly memory (`wasm`), and a failure that is not
// a Python error says `broken: true`: the pool then replaces this worker.
import { WorkerCrashedError, serializeError } from './errors.mjs';
import { isPythonError } from './session.mjs';

/** A failure outside Python (a wasm trap, a fatal Pyodide error, a stack overflow). */
function interpreterFailure(err) {
  const reason = `${err?.name ?? 'Error'}: ${err?.message ?? String(err)}`;
  return new WorkerCrashedError(`the worker failed (${reason}); it is being replaced`, { reason });
}

/**
 * @param endpoint {{ post(message, transfer?): void, onMessage(fn): void }}
 * @param boot {(options, onStep) => Promise<import('./session.mjs').PythonSession>}
 */
export function serveWorker(endpoint, boot) {
  let session = null;
  const handlers = {
    async boot({ id, options }) {
      session = await boot(options, (phase) => endpoint.post({ id, progress: phase }));
      return { mechanisms: session.mechanisms() };
    },
    describe: ({ name, dim }) => session.describe(name, dim),
    create: ({ handle, name, config }) => session.create(handle, name, config),
    call: ({ handle, method, args }) => session.call(handle, method, args),
    dispose: ({ handle }) => session.dispose(handle),
    upload: ({ tensor, data, rows, cols }) => session.upload(tensor, data, rows, cols),
    release: ({ tensor }) => session.release(tensor),
    memory: () => session.memory(),
  };
  const wasm = () => {
    try {
      return session?.wasmBytes();
    } catch {
      return undefined;
    }
  };
  endpoint.onMessage(async (message) => {
    const { id, op } = message;
    try {
      const result = await handlers[op](message);
      endpoint.post({ id, ok: true, result, wasm: wasm() }, result instanceof Float32Array ? [result.buffer] : []);
    } catch (err) {
      const broken = op !== 'boot' && !isPythonError(err);
      endpoint.post({ id, ok: false, error: serializeError(broken ? interpreterFailure(err) : err), wasm: wasm(), broken });
    }
  });
}
