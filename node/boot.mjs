// Booting Pyodide under Node: the core from the `pyodide` npm dependency, numpy and our
// wheel from the package's own wheels/ folder (its lock names only those two), and no
// silent network access (Pyodide would fall back to its CDN for a package file missing
// locally).

import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPyodide } from 'pyodide';
import { PackageLoadError } from '../web/core/errors.mjs';
import { PACKAGE, bootSession } from '../web/core/session.mjs';

/** The folder of the `pyodide` npm package: Pyodide's core (wasm, stdlib, loader). */
export const DEFAULT_INDEX_URL = `${dirname(createRequire(import.meta.url).resolve('pyodide/package.json'))}/`;

/** wheels/ of this package: pyodide-lock.json, numpy's Pyodide wheel and ours. */
export const DEFAULT_PACKAGES_URL = fileURLToPath(new URL('../wheels/', import.meta.url));

const isRemote = (url) => /^[a-z]+:\/\//i.test(url) && !url.startsWith('file:');

function localPath(url) {
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  return path.endsWith('/') ? path : `${path}/`;
}

/** A local Pyodide core must be complete (else Pyodide fails obscurely). */
function checkLocalCore(indexPath) {
  const missing = ['pyodide.asm.js', 'pyodide.asm.wasm', 'python_stdlib.zip'].filter((file) => !existsSync(indexPath + file));
  if (missing.length) {
    throw new PackageLoadError(`no Pyodide core at ${indexPath} (missing ${missing.join(', ')})`, {
      packages: ['pyodide'], messages: missing.map((file) => `missing ${indexPath}${file}`),
    });
  }
}

/** Every file the named packages need must exist in a local package folder. */
export function checkLocalPackages(packagesPath, names) {
  const lockPath = `${packagesPath}pyodide-lock.json`;
  if (!existsSync(lockPath)) {
    throw new PackageLoadError(`no pyodide-lock.json in ${packagesPath}`, {
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
    if (!entry || !existsSync(packagesPath + entry.file_name)) missing.push(name);
    else todo.push(...entry.depends);
  }
  if (missing.length) {
    throw new PackageLoadError(`packages missing from ${packagesPath}: ${missing.join(', ')}`, {
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
export function bootNode({ indexURL = DEFAULT_INDEX_URL, packagesURL = DEFAULT_PACKAGES_URL, wheelURL } = {}, onStep) {
  let index = indexURL;
  if (!isRemote(indexURL)) {
    index = localPath(indexURL);
    checkLocalCore(index);
  }
  if (isRemote(packagesURL)) {
    throw new PackageLoadError(`packagesURL must be a local folder under Node, got ${packagesURL}`, { packages: [], messages: [] });
  }
  const packages = localPath(packagesURL);
  checkLocalPackages(packages, wheelURL ? ['numpy'] : [PACKAGE]);
  const pyodideOptions = { indexURL: index, lockFileURL: `${packages}pyodide-lock.json`, packageCacheDir: packages };
  return bootSession({ loadPyodide, pyodideOptions, wheelURL, readBinary, onStep });
}
