// The body of every worker (Node worker_threads or browser Web Worker): the request loop
// of protocol.mjs around one PythonSession. Environment adapters provide `endpoint` and
// `boot`. A request that is not one (protocol.malformed) gets a ProtocolError; a failure
// that is not a Python error says `broken: true`, and the pool then replaces this worker.
// The answer to a `call` or `views` hands its input buffers back (`spare`) for reuse.
import { ProtocolError, WorkerCrashedError } from './errors.mjs';
import { SPARE_OPS, answer, failure, malformed, progress } from './protocol.mjs';
import { isPythonError } from './session.mjs';
import { buffersOf } from './transfer.mjs';

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
  /** @type {import('./session.mjs').PythonSession | null} */
  let session = null;
  const run = async ({ id, op, args }) => {
    if (op === 'boot') {
      if (session) throw new ProtocolError('the worker has booted already', { op });
      session = await boot(args[0], (phase) => endpoint.post(progress(id, phase)));
      return { mechanisms: session.mechanisms() };
    }
    if (!session) throw new ProtocolError(`${op} before boot`, { op });
    return session[op](...args);
  };
  const wasm = () => {
    try {
      return session?.wasmBytes();
    } catch {
      return undefined;
    }
  };
  endpoint.onMessage(async (message) => {
    const refused = malformed(message);
    if (refused) {
      endpoint.post(failure(message?.id, refused, wasm(), false));
      return;
    }
    const spare = SPARE_OPS.includes(message.op) ? buffersOf(message.args) : [];
    try {
      const result = await run(message);
      endpoint.post(answer(message.id, result, wasm(), spare), [...new Set([...buffersOf([result]), ...spare])]); // moved, not copied
    } catch (err) {
      const broken = message.op !== 'boot' && !isPythonError(err) && !(err instanceof ProtocolError);
      endpoint.post(failure(message.id, broken ? interpreterFailure(err) : err, wasm(), broken, spare), spare);
    }
  });
}
