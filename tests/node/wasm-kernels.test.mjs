// The WebAssembly SIMD kernels (pycore/ruvector_attention/kernels/attention.wasm and its
// relaxed-SIMD build attention-relaxed.wasm, both built by scripts/build-kernels.sh) on their
// own in Node, against float64 formulas written here: SGEMM, DGEMM, exp, the masked row
// softmax and the fused attention forward, at sizes that are not multiples of the vector width.
// (tests/kernels/test_wasm_*.py check them through Python inside Pyodide.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { DEFAULT_INDEX_URL, DEFAULT_PACKAGES_URL } from '../../node/boot.mjs';
import { PYTHON, ROOT, random, referenceRow } from './helpers.mjs';

// Relaxed SIMD is on by default from Node 21 (V8 11.4); Node 20 has it behind this flag,
// which V8 reads when it compiles a module, so that the relaxed build runs here too (and in
// the Pyodide worker below). It holds for this file's process only: node --test runs each
// file in a process of its own.
setFlagsFromString('--experimental-wasm-relaxed-simd');

// Side modules (scripts/build-kernels.sh): they import their memory, as Pyodide's dynamic
// linker provides it; here a memory of our own, operands placed from BASE up.
const BUILDS = { simd128: 'attention.wasm', relaxed: 'attention-relaxed.wasm' };
const memory = new WebAssembly.Memory({ initial: 16 });
const constant = (value) => new WebAssembly.Global({ value: 'i32', mutable: false }, value);
const instantiate = (file) => new WebAssembly.Instance(
  new WebAssembly.Module(readFileSync(`${ROOT}pycore/ruvector_attention/kernels/${file}`)),
  { env: { memory, __memory_base: constant(0), __table_base: constant(0) } },
).exports;
const BASE = 1024; // the module declares no static data (its dylink.0 memory size is 0)

/** Float32 copies of `arrays` in the memory from BASE up; their addresses. */
function place(...arrays) {
  let at = BASE;
  const total = arrays.reduce((sum, a) => sum + a.byteLength + 16, at);
  const missing = total - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / 65536));
  return arrays.map((a) => {
    new Uint8Array(memory.buffer, at, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const address = at;
    at += Math.ceil(a.byteLength / 16) * 16;
    return address;
  });
}
const read = (address, n) => Float32Array.from(new Float32Array(memory.buffer, address, n));

/** |actual - expected| <= atol + rtol·|expected| everywhere (NumPy's allclose). */
function assertAllClose(actual, expected, rtol, atol, label) {
  for (let i = 0; i < expected.length; i++) {
    const bound = atol + rtol * Math.abs(expected[i]);
    const close = actual[i] === expected[i] || Math.abs(actual[i] - expected[i]) <= bound; // -inf: equal
    assert.ok(close, `${label}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}


for (const [simd, file] of Object.entries(BUILDS)) describe(`${simd} build (${file})`, () => {
  const kernels = instantiate(file);

  test('sgemm (B as is and B transposed) equals the float64 product at sizes 1, 3, 17, 129', () => {
    for (const [m, n, k] of [[1, 1, 1], [3, 17, 5], [17, 3, 129], [129, 17, 3], [5, 129, 17]]) {
      const a = random(m * k, m + 7), b = random(k * n, n + 11);
      const bt = new Float32Array(n * k); // B transposed: n rows of k, as keys are stored
      for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bt[j * k + p] = b[p * n + j];
      const [pa, pb, pbt, pc, scratch] = place(a, b, bt, new Float32Array(m * n), new Float32Array(kernels.scratch_floats(0, k)));
      const expected = Float64Array.from({ length: m * n }, (_, x) => {
        let t = 0;
        for (let p = 0; p < k; p++) t += a[Math.floor(x / n) * k + p] * b[p * n + (x % n)];
        return 0.5 * t;
      });
      for (const [address, transposed] of [[pb, 0], [pbt, 1]]) {
        kernels.sgemm(1, m, n, k, pa, 0, address, 0, transposed, pc, 0.5, scratch);
        const c = read(pc, m * n);
        let worst = 0;
        for (let x = 0; x < m * n; x++) worst = Math.max(worst, Math.abs(c[x] - expected[x]));
        assert.ok(worst <= 1e-6 * Math.sqrt(k), `${m}x${n}x${k} transposed=${transposed}: ${worst}`);
      }
    }
  });

  test('dgemm (B as is and B transposed) equals the float64 product at sizes 1, 3, 17, 129 and depths past 256', () => {
    for (const [m, n, k] of [[1, 1, 1], [3, 17, 5], [17, 3, 129], [129, 17, 3], [5, 129, 17], [6, 7, 600]]) {
      const a = Float64Array.from(random(m * k, m + 5)), b = Float64Array.from(random(k * n, n + 13));
      const bt = new Float64Array(n * k);
      for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bt[j * k + p] = b[p * n + j];
      const [pa, pb, pbt, pc, scratch] = place(a, b, bt, new Float64Array(m * n), new Float32Array(kernels.scratch_floats(0, 2 * k)));
      for (const [address, transposed] of [[pb, 0], [pbt, 1]]) {
        kernels.dgemm(1, m, n, k, pa, 0, address, 0, transposed, pc, scratch);
        const c = new Float64Array(memory.buffer, pc, m * n);
        for (let x = 0; x < m * n; x++) {
          let t = 0, bound = 0;
          for (let p = 0; p < k; p++) {
            t += a[Math.floor(x / n) * k + p] * b[p * n + (x % n)];
            bound += Math.abs(a[Math.floor(x / n) * k + p] * b[p * n + (x % n)]);
          }
          assert.ok(Math.abs(c[x] - t) <= 2 * k * 2 ** -52 * bound, `${m}x${n}x${k} transposed=${transposed} [${x}]: ${c[x]} vs ${t}`);
        }
      }
    }
  });

  test('exp is within 2 ulp of Math.exp on [-104, 0], exactly 1 at 0 and 0 at -inf', () => {
    const x = Float32Array.from({ length: 20001 }, (_, i) => -104 * (i / 20000));
    x[0] = 0;
    const withInf = Float32Array.of(...x, -Infinity, -3e38, -87.5, -100);
    const [px, py] = place(withInf, new Float32Array(withInf.length));
    kernels.exp_neg_array(withInf.length, px, py);
    const y = read(py, withInf.length);
    assert.equal(y[0], 1);
    assert.equal(y[x.length], 0);
    assert.equal(y[x.length + 1], 0);
    for (let i = 0; i < withInf.length; i++) {
      const exact = Math.fround(Math.exp(withInf[i]));
      const ulp = Math.max(Math.abs(exact) * 2 ** -23, 2 ** -149);
      assert.ok(Math.abs(y[i] - exact) <= 2 * ulp, `exp(${withInf[i]}) = ${y[i]}, not ${exact}`);
    }
  });

  test('fused attention and the row softmax equal float64 with a mask, causal order and blind rows', () => {
    for (const [m, n, d, dv] of [[1, 1, 1, 1], [3, 17, 3, 5], [17, 129, 17, 3], [5, 600, 16, 9], [70, 300, 8, 4]]) {
      const q = random(m * d, m), k = random(n * d, n + 1), v = random(n * dv, dv + 2);
      for (let i = 0; i < q.length; i++) q[i] *= 8; // scores of a few units: peaked weights
      const mask = Uint8Array.from({ length: m * n }, (_, x) => ((x * 7919) % 5 === 0 ? 0 : 1));
      mask.fill(0, 0, n); // row 0 sees nothing
      const offset = 2, total = m + 4, shift = offset + n - total; // a slice of a larger batch
      const scale = 1 / Math.sqrt(d);
      const scratch = new Float32Array(kernels.scratch_floats(m, d));
      const [pq, pk, pv, po, pm, ps, pw, pst] = place(
        q, k, v, new Float32Array(m * dv), mask, scratch, new Float32Array(m * n), new Float32Array(2 * m),
      );
      assert.equal(kernels.attention(1, m, n, d, dv, pq, pk, pv, po, pm, 1, shift, scale, pst, ps), 0);
      const stats = read(pst, 2 * m);
      kernels.sgemm(1, m, n, d, pq, 0, pk, 0, 1, pw, scale, ps);
      kernels.softmax_rows(1, m, n, pw, pm, 1, shift);
      const out = read(po, m * dv), weights = read(pw, m * n);
      for (let i = 0; i < m; i++) {
        const visible = (j) => mask[i * n + j] === 1 && j <= i + shift;
        const ref = referenceRow(q.subarray(i * d), k, v, n, d, dv, scale, visible);
        if (i === 0) assert.ok(out.subarray(0, dv).every((x) => x === 0) && weights.subarray(0, n).every((x) => x === 0));
        assertAllClose(out.subarray(i * dv, (i + 1) * dv), ref.out, 1e-5, 1e-6, `out ${m}x${n}x${d} row ${i}`);
        // the softmax statistics: the row's largest visible score and the sum of e^(s - max)
        assertAllClose(stats.subarray(2 * i, 2 * i + 2), [ref.max, ref.total], 1e-5, 1e-6, `stats ${m}x${n}x${d} row ${i}`);
        const row = weights.subarray(i * n, (i + 1) * n);
        assertAllClose(row, ref.weights, 1e-5, 1e-7, `weights ${m}x${n}x${d} row ${i}`);
        const sum = row.reduce((a, b) => a + b, 0);
        if (ref.weights.some((x) => x > 0)) assert.ok(Math.abs(sum - 1) < 1e-5, `row ${i} sums to ${sum}`);
      }
    }
  });

  test('all_finite finds NaN and ±inf at every position, and takes denormals and ±3.4e38', () => {
    for (const n of [1, 3, 4, 5, 17]) {
      const finite = Float32Array.from({ length: n }, (_, i) => [1e-45, -3.4028234e38, 2, 0, 3.4028234e38][i % 5]);
      const [px] = place(finite);
      assert.equal(kernels.all_finite(n, px), 1, `n=${n}`);
      for (const bad of [NaN, Infinity, -Infinity]) {
        for (let at = 0; at < n; at++) {
          const x = finite.slice();
          x[at] = bad;
          const [pb] = place(x);
          assert.equal(kernels.all_finite(n, pb), 0, `${bad} at ${at} of ${n}`);
        }
      }
    }
  });

  test('fused attention reports scores or sums float32 cannot hold instead of returning them', () => {
    const d = 4, n = 2;
    const fill = (length, value) => new Float32Array(length).fill(value);
    const [huge, one, keys, big, small, out, scratch] = place(
      fill(d, 1e20), fill(d, 1), fill(n * d, -1e20), fill(n * d, 3e38), Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8),
      fill(d, 0), fill(kernels.scratch_floats(1, d), 0),
    );
    const attention = (q, v) => kernels.attention(1, 1, n, d, d, q, keys, v, out, 0, 0, 0, 0.5, 0, scratch);
    assert.equal(attention(huge, small), 1, 'scores of -2e40');
    assert.equal(attention(one, big), 1, 'a sum of values of 6e38');
    assert.equal(attention(one, small), 0, 'scores of -2e20, ordinary values');
    assert.deepEqual(Array.from(read(out, d)), [3, 4, 5, 6]);
  });
});

// tests/node/kernels_case.py in a Node worker's Pyodide (booted as the runtime's workers
// are: the core from the `pyodide` package, numpy and our wheel from wheels/) and on CPython.
const CASE = `${ROOT}tests/node/kernels_case.py`;

test('a Node worker reports the wasm backend and equals CPython', async () => {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { loadPyodide } = await import('pyodide');
      const py = await loadPyodide({ indexURL: workerData.index, lockFileURL: workerData.wheels + 'pyodide-lock.json', packageCacheDir: workerData.wheels });
      await py.loadPackage('ruvector-attention-py', { messageCallback: () => {} });
      parentPort.postMessage(py.runPython(workerData.script));
    })().catch((err) => parentPort.postMessage(JSON.stringify({ error: String(err) })));`;
  const worker = new Worker(source, {
    eval: true, workerData: { index: DEFAULT_INDEX_URL, wheels: DEFAULT_PACKAGES_URL, script: readFileSync(CASE, 'utf8') },
  });
  const inPyodide = JSON.parse(await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject)));
  await worker.terminate();
  assert.equal(inPyodide.error, undefined);
  assert.equal(inPyodide.backend, 'wasm');
  assert.equal(inPyodide.simd, 'relaxed', 'the relaxed build, where the engine validates it');
  const cpython = JSON.parse(execFileSync(PYTHON, ['-c', `import runpy; print(runpy.run_path(${JSON.stringify(CASE)})["RESULT"])`], { maxBuffer: 1 << 28 }));
  assert.equal(cpython.backend, 'numpy');
  for (const name of ['scaled_dot', 'multi_head', 'flash']) {
    for (const key of [name, `${name}_weights`]) {
      assert.equal(inPyodide[key].length, cpython[key].length, key);
      assertAllClose(inPyodide[key], cpython[key], 1e-5, 1e-6, key);
    }
  }
});
