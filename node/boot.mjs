// Booting Pyodide under Node: the local distribution by default, and no silent network
// access (Pyodide would fall back to its CDN for a package file missing locally).

import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadPyodide } from 'pyodide';
import { PackageLoadError } from '../web/core/errors.mjs';
import { PACKAGE, bootSession } from '../web/core/session.mjs';

/** dist/pyodide next to the package, assembled by scripts/setup-js.sh. */
export const DEFAULT_INDEX_URL = fileURLToPath(new URL('../dist/pyodide/', import.meta.url));

const isRemote = (url) => /^[a-z]+:\/\//i.test(url) && !url.startsWith('file:');

function localPath(url) {
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  return path.endsWith('/') ? path : `${path}/`;
}

/** Every file the named packages need must exist in a local distribution. */
export function checkLocalPackages(indexPath, names) {
  const lockPath = `${indexPath}pyodide-lock.json`;
  if (!existsSync(lockPath)) {
    throw new PackageLoadError(`no Pyodide distribution at ${indexPath} (run scripts/setup-js.sh)`, {
      packages: names, messages: [`missing ${lockPath}`],
    });
  }
  const { packages } = JSON.parse(readFileSync(lockPath, 'utf8'));
  const missing = [];
  const todo = [...names];
  const seen = new Set();
  while (todo.length) {
    const name = todo.pop();
    if (seen.has(name)) continue;
    seen.add(name);
    const entry = packages[name];
    if (!entry || !existsSync(indexPath + entry.file_name)) missing.push(name);
    else todo.push(...entry.depends);
  }
  if (missing.length) {
    throw new PackageLoadError(`packages missing from ${indexPath}: ${missing.join(', ')}`, {
      packages: missing, messages: [],
    });
  }
}

async function readBinary(url) {
  if (isRemote(url)) {
    const response = await fetch(url);
    if (!response.ok) throw new PackageLoadError(`could not fetch ${url}: ${response.status}`, { packages: [url], messages: [] });
    return new Uint8Array(await response.arrayBuffer());
  }
  return readFile(url.startsWith('file:') ? fileURLToPath(url) : url);
}

/** Boot one Python session (in a worker or, for loadCompat, in this thread). */
export function bootNode({ indexURL = DEFAULT_INDEX_URL, wheelURL } = {}, onStep) {
  let index = indexURL;
  if (!isRemote(indexURL)) {
    index = localPath(indexURL);
    checkLocalPackages(index, wheelURL ? ['numpy'] : [PACKAGE]);
  }
  return bootSession({ loadPyodide, indexURL: index, wheelURL, readBinary, onStep });
}

