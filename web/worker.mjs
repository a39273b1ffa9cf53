// A module Web Worker: the shared worker body, loading Pyodide's core from indexURL and
// numpy and our wheel from packagesURL.
import { serveWorker } from './core/worker.mjs';
import { bootSession } from './core/session.mjs';

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not fetch ${url}: ${response.status}`);
  return response;
}

const readBinary = async (url) => new Uint8Array(await (await fetchOk(url)).arrayBuffer());

/**
 * The lock at packagesURL with every file name made absolute. In browsers Pyodide fetches
 * package files relative to indexURL (the core), which an app may serve elsewhere; an
 * absolute name is taken as is, and Pyodide still checks each file's sha256.
 */
async function absoluteLock(packagesURL) {
  const lockURL = new URL('pyodide-lock.json', packagesURL);
  const lock = await (await fetchOk(lockURL)).json();
  for (const entry of Object.values(lock.packages)) entry.file_name = new URL(entry.file_name, lockURL).href;
  return URL.createObjectURL(new Blob([JSON.stringify(lock)], { type: 'application/json' }));
}

serveWorker(
  {
    post: (message, transfer) => self.postMessage(message, transfer),
    onMessage: (fn) => self.addEventListener('message', (event) => fn(event.data)),
  },
  async ({ indexURL, packagesURL, wheelURL }, onStep) => {
    const { loadPyodide } = await import(new URL('pyodide.mjs', indexURL).href);
    const lockFileURL = await absoluteLock(packagesURL);
    try {
      return await bootSession({ loadPyodide, pyodideOptions: { indexURL, lockFileURL }, wheelURL, readBinary, onStep });
    } finally {
      URL.revokeObjectURL(lockFileURL);
    }
  },
);
