// The body of every worker (Node worker_threads or browser Web Worker): a request loop
// around one PythonSession. Environment adapters provide `endpoint` and `boot`.
import { serializeError } from './errors.mjs';

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
  endpoint.onMessage(async (message) => {
    const { id, op } = message;
    try {
      const result = await handlers[op](message);
      endpoint.post({ id, ok: true, result }, result instanceof Float32Array ? [result.buffer] : []);
    } catch (err) {
      endpoint.post({ id, ok: false, error: serializeError(err) });
    }
  });
}
