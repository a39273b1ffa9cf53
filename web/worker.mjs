// A module Web Worker: the shared worker body, loading Pyodide from the distribution.
import { serveWorker } from './core/worker.mjs';
import { bootSession } from './core/session.mjs';

async function readBinary(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not fetch ${url}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

serveWorker(
  {
    post: (message, transfer) => self.postMessage(message, transfer),
    onMessage: (fn) => self.addEventListener('message', (event) => fn(event.data)),
  },
  async ({ indexURL, wheelURL }, onStep) => {
    const { loadPyodide } = await import(new URL('pyodide.mjs', indexURL).href);
    return bootSession({ loadPyodide, indexURL, wheelURL, readBinary, onStep });
  },
);
