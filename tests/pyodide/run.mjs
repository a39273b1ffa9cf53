// Run the pytest suite inside Pyodide (Node), against the wheel as installed there.
//   node tests/pyodide/run.mjs [--kernels=auto|wasm|numpy] [--simd=relaxed|simd128] [pytest args...]
// --kernels sets RUVECTOR_KERNELS (default auto: the WebAssembly SIMD kernels the wheel
// carries); wasm also fails at once unless the kernels load. --simd chooses the kernels'
// build and fails at once unless it runs: relaxed turns on V8's relaxed SIMD (a flag on
// Node 20, the default from Node 21), simd128 sets RUVECTOR_SIMD=simd128. The backend in
// use is printed.
// The tests directory is mounted read-only from the host; torch tests skip (no torch in
// Pyodide), the NumPy, SciPy and formula oracles run. Exits with pytest's status.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { loadPyodide } from 'pyodide';
import { checkLocalPackages } from '../../node/boot.mjs';
import { installWheel } from '../../web/core/session.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WHEELS = `${ROOT}dist/test-wheels/`;
// core + numpy, scipy, pytest and our wheel: scripts/setup-js.sh --test assembles it
const DISTRIBUTION = `${ROOT}dist/pyodide-test/`;

const PACKAGES = ['ruvector-attention-py', 'pytest', 'scipy', 'attrs', 'sortedcontainers'];
const options = process.argv.slice(2);
const kernelsOption = options.find((arg) => arg.startsWith('--kernels='));
const kernels = kernelsOption ? kernelsOption.slice('--kernels='.length) : 'auto';
const simdOption = options.find((arg) => arg.startsWith('--simd='));
const simd = simdOption?.slice('--simd='.length);
if (simd === 'relaxed') setFlagsFromString('--experimental-wasm-relaxed-simd'); // read when a module compiles

checkLocalPackages(DISTRIBUTION, PACKAGES); // never the CDN
const py = await loadPyodide({ indexURL: DISTRIBUTION });
const failures = [];
await py.loadPackage(PACKAGES, {
  messageCallback: () => {},
  errorCallback: (message) => failures.push(message),
});
if (failures.length) {
  console.error(`could not load packages: ${failures.join('; ')}`);
  process.exit(1);
}
for (const wheel of readdirSync(WHEELS).filter((name) => name.endsWith('.whl'))) {
  installWheel(py, readFileSync(WHEELS + wheel));
}

py.FS.mkdirTree('/project/tests');
py.FS.mount(py.FS.filesystems.NODEFS, { root: `${ROOT}tests` }, '/project/tests');
py.FS.mkdirTree('/work');
py.FS.chdir('/work');

py.globals.set('kernels_mode', kernels);
py.globals.set('simd_build', simd === 'simd128' ? 'simd128' : 'auto');
const backend = py.runPython(`
import os
os.environ["RUVECTOR_KERNELS"] = kernels_mode
os.environ["RUVECTOR_SIMD"] = simd_build
import ruvector_attention as ra
ra.kernels.backend() + (f" ({ra.kernels.simd() or ra.kernels.failure()})" if ra.kernels.simd() or ra.kernels.failure() else "")
`);
console.log(`kernels: ${kernels} -> ${backend}`);
if (kernels === 'wasm' && !backend.startsWith('wasm')) process.exit(1);
if (simd && backend !== `wasm (${simd})`) {
  console.error(`--simd=${simd}: the kernels' ${simd} build did not load`);
  process.exit(1);
}

const pytest = py.pyimport('pytest');
const args = options.filter((arg) => arg !== kernelsOption && arg !== simdOption);
const status = pytest.main(py.toPy([
  '/project/tests', '--ignore=/project/tests/node', '--ignore=/project/tests/types',
  '--ignore=/project/tests/pyodide', '-p', 'no:cacheprovider', '--rootdir=/project', ...args,
]));
// ruvector_attention.distributed needs dask, which Pyodide lacks: importing it raises by design
const doctests = pytest.main(py.toPy(['--doctest-modules', '--pyargs', 'ruvector_attention', '-q',
  '--ignore-glob=/*/ruvector_attention/distributed',
  '-p', 'no:cacheprovider', '-o', 'doctest_optionflags=NORMALIZE_WHITESPACE NUMBER']));
process.exit(Number(status) || Number(doctests));
