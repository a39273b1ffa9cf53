// The views only this library draws, checked against numbers computed in the test set-up
// (e2e/views_fixtures.py, by CPython): explorer pages written by ra.viz.explore opened from
// disk with no server, array files read by web/demo/inputs.mjs (NumPy-written .npy/.npz,
// JSON and CSV written here, bad files), and web/demo/special.mjs through the runtime.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, test } from '@playwright/test';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIR = `${ROOT}dist/views/`;
const SHOTS = `${DIR}shots/`;
let expected;

test.beforeAll(() => {
  execFileSync(`${ROOT}.venv/bin/python`, [`${ROOT}e2e/views_fixtures.py`, DIR], { env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
  mkdirSync(SHOTS, { recursive: true });
  expected = JSON.parse(readFileSync(`${DIR}expected.json`, 'utf8'));
});

/** Values equal within `tol` (absolute), element by element. */
function close(actual, wanted, tol) {
  expect(actual.length).toBe(wanted.length);
  actual.forEach((x, i) => expect(Math.abs(x - wanted[i]), `index ${i}: ${x} vs ${wanted[i]}`).toBeLessThanOrEqual(tol));
}

const nondecreasing = (xs) => xs.every((x, i) => i === 0 || x >= xs[i - 1] - 1e-12);

/** Open an explorer page from disk (file://, no server) and wait until it has drawn. */
async function openPage(page, name) {
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  const requests = [];
  page.on('request', (req) => { if (!/^(file|data):/.test(req.url())) requests.push(req.url()); });
  await page.goto(pathToFileURL(`${DIR}${name}.html`).href);
  await expect(page.locator('body[data-ready=true]')).toBeAttached({ timeout: 20_000 });
  expect(errors).toEqual([]);
  expect(requests).toEqual([]); // offline: nothing but the file and its data: modules
}

/** Disk radius and weight of each key, the query's radius, read from the Poincaré SVG. */
async function diskPoints(page, scope = 'body') {
  return page.evaluate((root) => {
    const plot = document.querySelector(`${root} .ra-disk`);
    const boundary = plot.querySelector('.ra-disk-boundary');
    const [cx, cy, R] = ['cx', 'cy', 'r'].map((a) => Number(boundary.getAttribute(a)));
    const keys = [...plot.querySelectorAll('.ra-disk-key')].map((c) => ({
      index: Number(c.dataset.index), weight: Number(c.dataset.weight), size: Number(c.getAttribute('r')),
      radius: Math.hypot(Number(c.getAttribute('cx')) - cx, Number(c.getAttribute('cy')) - cy) / R,
    })).sort((a, b) => a.index - b.index);
    const path = plot.querySelector('.ra-disk-query').getAttribute('d');
    const [qx, qy] = /M([-\d.e]+) ([-\d.e]+)/.exec(path).slice(1).map(Number); // the diamond's top vertex, 7 above its centre
    return { keys, query: Math.hypot(qx - cx, qy + 7 - cy) / R };
  }, scope);
}

test.describe('explorer pages from disk', () => {
  test.beforeEach(({}, info) => test.skip(info.project.name !== 'isolated', 'no server involved: one project is enough'));

  test('hyperbolic: the matrix holds the weights, every point sits inside the disk at its tanh radius', async ({ page }) => {
    await openPage(page, 'hyperbolic');
    const want = expected.hyperbolic;
    const view = await page.evaluate(() => Array.from(window.raExplorer.visualizer.view));
    close(view, want.matrix.flat(), 0); // the float32 weights, exactly
    // hover the heaviest cell of the query row: the tooltip shows the same number
    const row = want.row;
    const col = want.matrix[row].indexOf(Math.max(...want.matrix[row]));
    const box = await page.locator('.ra-visualizer canvas').first().boundingBox();
    const [x, y, width] = await page.evaluate(([r, c]) => [...window.raExplorer.visualizer.cellCenter(r, c), window.raExplorer.visualizer.canvas.width], [row, col]);
    const scale = box.width / width;
    await page.mouse.move(box.x + x * scale, box.y + y * scale);
    const tokens = expected.tokens;
    await expect(page.locator('.ra-tooltip').first()).toHaveText(`${tokens[row]} → ${tokens[col]}: ${want.matrix[row][col].toFixed(6)}`);
    // the compare tab holds scaled_dot's weights of the same input
    await page.locator('[role=tab][data-view=compare]').click();
    const compared = await page.evaluate(() => Array.from(window.raExplorer.explorer.compared.b));
    close(compared, want.compared.flat(), 0);

    const { keys, query } = await diskPoints(page);
    expect(keys.every((p) => p.radius < 1)).toBe(true);
    close(keys.map((p) => p.radius), want.radius, 1e-9);
    expect(Math.abs(query - want.radius[row])).toBeLessThan(1e-9);
    close(keys.map((p) => p.weight), want.weights, 1e-7);
    const bySize = [...keys].sort((a, b) => a.weight - b.weight);
    expect(nondecreasing(bySize.map((p) => p.size))).toBe(true);
    await page.locator('[data-view=poincare]').screenshot({ path: `${SHOTS}poincare.png` });
    // pick another query: its weights and its place, the keys where they were
    await page.selectOption('.ra-disk-select', '1'); // the first of the others: query 0
    const picked = await diskPoints(page);
    close(picked.keys.map((p) => p.weight), want.matrix[0], 0);
    expect(Math.abs(picked.query - want.radius[0])).toBeLessThan(1e-9);
    close(picked.keys.map((p) => p.radius), want.radius, 1e-9);
    await page.screenshot({ path: `${SHOTS}hyperbolic-page.png`, fullPage: true });
  });

  test('moe: the bars are routing(), the batch loads its tokens per expert against capacity; the report is ra\'s', async ({ page }) => {
    await openPage(page, 'moe');
    const want = expected.moe;
    const bars = await page.evaluate(() => [...document.querySelectorAll('.ra-routing tbody tr')].map((tr) =>
      [...tr.querySelectorAll('.ra-bar')].map((bar) => [Number(bar.dataset.expert), Number(bar.dataset.gate),
        parseFloat(bar.querySelector('.ra-bar-fill').style.width)])));
    expect(bars.length).toBe(want.routing.length);
    bars.forEach((row, i) => {
      const routed = [...want.routing[i]].sort((a, b) => a[0] - b[0]);
      expect(row.map(([e]) => e)).toEqual(routed.map(([e]) => e));
      close(row.map(([, g]) => g), routed.map(([, g]) => g), 0);
      close(row.map(([, , w]) => w), routed.map(([, g]) => 100 * g), 1e-3);
    });
    const loads = await page.evaluate(() => [...document.querySelectorAll('.ra-load-row')].map((r) =>
      [Number(r.querySelector('.ra-bar').dataset.load), r.classList.contains('ra-overflow')]));
    expect(loads.map(([l]) => l)).toEqual(want.tokensPerExpert);
    expect(loads.map(([, over]) => over)).toEqual(want.tokensPerExpert.map((l) => l > want.capacity));
    await expect(page.locator('.ra-load h4')).toContainText(`capacity ${want.capacity}`);
    expect(want.rerouted).toBeGreaterThan(0); // the capacity is small enough to reroute
    expect(await page.locator('.ra-rerouted').count()).toBeGreaterThan(0);
    await expect(page.locator('.ra-load .ra-note')).toContainText(`rerouted ${want.rerouted}`);

    const metrics = await page.evaluate(() => [...document.querySelectorAll('.ra-metrics tbody tr')].map((tr) =>
      ({ type: tr.dataset.metric, value: Number(tr.dataset.value), status: tr.dataset.status })));
    expect(metrics.map((m) => [m.type, m.status])).toEqual(want.report.metrics.map((m) => [m.type, m.status]));
    close(metrics.map((m) => m.value), want.report.metrics.map((m) => m.value), 0);
    await expect(page.locator('.ra-recommendation')).toHaveAttribute('data-recommendation', want.report.recommendation);
    await expect(page.locator('.ra-health-value')).toHaveAttribute('data-value', String(want.report.health_score));
    await page.locator('[data-view=routing]').screenshot({ path: `${SHOTS}routing.png` });
    await page.locator('[data-view=report]').screenshot({ path: `${SHOTS}report.png` });
  });

  test('centroid_ot: the plan is Sinkhorn\'s, rows sum to 1/n and columns to the centroids\' masses', async ({ page }) => {
    await openPage(page, 'centroid_ot');
    const want = expected.centroid_ot;
    const cells = await page.evaluate(() => [...document.querySelectorAll('.ra-plan-cell')].map((c) => [Number(c.dataset.row), Number(c.dataset.col), Number(c.dataset.value)]));
    const m = want.plan[0].length;
    expect(cells.length).toBe(want.plan.length * m);
    close(cells.map(([, , v]) => v), want.plan.flat(), 1e-12);
    const rows = await page.evaluate(() => [...document.querySelectorAll('.ra-plan-row-sum')].map((t) => Number(t.dataset.value)));
    close(rows, rows.map(() => 1 / want.plan.length), 1e-12);
    const cols = await page.evaluate(() => [...document.querySelectorAll('.ra-plan-col-sum')].map((t) => Number(t.dataset.value)));
    close(cols, want.masses, 1e-3);
    await page.locator('[data-view=transport]').screenshot({ path: `${SHOTS}transport.png` });
  });

  test('diffusion: each query\'s heaviest edges, opacity ordered like the weights', async ({ page }) => {
    await openPage(page, 'diffusion');
    const W = expected.diffusion.weights;
    const edges = await page.evaluate(() => [...document.querySelectorAll('.ra-edge')].map((e) => ({
      from: Number(e.dataset.from), to: Number(e.dataset.to), weight: Number(e.dataset.weight), opacity: Number(e.getAttribute('opacity')),
    })));
    for (const e of edges) expect(Math.abs(e.weight - W[e.from][e.to])).toBeLessThanOrEqual(1e-7);
    edges.sort((a, b) => a.weight - b.weight);
    expect(nondecreasing(edges.map((e) => e.opacity))).toBe(true);
    expect([edges[0].opacity, edges.at(-1).opacity]).toEqual([0.15, 1]); // lightest faint, heaviest opaque
    // the edges of each query are its 3 heaviest other keys
    W.forEach((row, i) => {
      const best = row.map((w, j) => [w, j]).filter(([, j]) => j !== i).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, 3).map(([, j]) => j);
      expect(edges.filter((e) => e.from === i).map((e) => e.to).sort()).toEqual(best.sort());
    });
    await page.locator('[data-view=graph]').screenshot({ path: `${SHOTS}graph.png` });
    // hovering a token keeps its own edges and fades the others
    await page.locator('.ra-node[data-index="5"]').hover();
    const faded = await page.evaluate(() => [...document.querySelectorAll('.ra-edge')].map((e) =>
      [e.dataset.from === '5' || e.dataset.to === '5', Number(getComputedStyle(e).opacity)]));
    for (const [touches, opacity] of faded) expect(touches ? opacity >= 0.15 : opacity === 0.06).toBe(true);
    await page.locator('[data-view=graph]').screenshot({ path: `${SHOTS}graph-focus.png` });
  });

  test('topology_gated: the mode and coherence of each window', async ({ page }) => {
    await openPage(page, 'topology_gated');
    const want = expected.topology_gated;
    const windows = await page.evaluate(() => [...document.querySelectorAll('.ra-window')].map((w) => [w.dataset.mode, Number(w.dataset.coherence)]));
    expect(windows.map(([mode]) => mode)).toEqual(want.modes);
    expect(new Set(want.modes).size).toBe(3); // the input moves through all three modes
    close(windows.map(([, c]) => c), want.coherence, 1e-9);
    await page.locator('[data-view=topology]').screenshot({ path: `${SHOTS}topology.png` });
  });
});

// ---------------------------------------------------------------------------- array files

async function harness(page) {
  await page.goto('/e2e/views.html');
  await expect(page.locator('body[data-ready=true]')).toBeAttached();
}

/** readArrayFile in the page on a file of these bytes: its result, or its error's name and message. */
function readInPage(page, name, bytes, options) {
  return page.evaluate(async ([fileName, data, opts]) => {
    try {
      const r = await window.readArrayFile(new File([new Uint8Array(data)], fileName), opts);
      return { shape: r.shape, data: Array.from(r.data), key: r.key, keys: r.keys };
    } catch (err) {
      return { error: err.name, message: err.message };
    }
  }, [name, Array.from(bytes), options]);
}

const text = (s) => new TextEncoder().encode(s);

/** An .npy v1.0 file: header dict padded to a multiple of 64, then `data`. */
function npy(header, data = new Uint8Array(0)) {
  const dict = `${header}${' '.repeat(63 - ((10 + header.length) % 64))}\n`;
  return new Uint8Array([0x93, ...text('NUMPY'), 1, 0, dict.length & 255, dict.length >> 8, ...text(dict), ...data]);
}
const f32 = (xs) => Array.from(Float32Array.from(xs));

test.describe('array files', () => {
  test('.npy (v1-v3, float32/float64/int16, either endianness, Fortran order), .npz (stored, deflated), .json, .csv', async ({ page }) => {
    await harness(page);
    const A = expected.files.A;
    for (const name of ['c_f4.npy', 'fortran_be_f8.npy', 'v2.npy', 'v3.npy', 'deflated.npz', 'stored.npz']) {
      const r = await readInPage(page, name, readFileSync(`${DIR}${name}`));
      expect(r.error, `${name}: ${r.message}`).toBeUndefined();
      expect(r.shape).toEqual([3, 4]);
      expect(r.data).toEqual(f32(A.flat()));
    }
    const second = await readInPage(page, 'stored.npz', readFileSync(`${DIR}stored.npz`), { key: 'second' });
    expect(second.shape).toEqual([4, 3]);
    expect(second.data).toEqual(f32(A[0].map((_, j) => A.map((row) => -row[j])).flat()));
    expect(second.keys).toEqual(['first', 'second']);
    const ints = await readInPage(page, 'int16.npy', readFileSync(`${DIR}int16.npy`));
    expect([ints.shape, ints.data]).toEqual([[2, 3], expected.files.int16.flat()]);

    const nested = await readInPage(page, 'a.json', text('[[0.5, -1.25], [3e-3, 1e3]]'));
    expect([nested.shape, nested.data]).toEqual([[2, 2], f32([0.5, -1.25, 3e-3, 1e3])]);
    const object = await readInPage(page, 'b.json', text('{"data": [1, 2, 3, 4, 5, 6], "shape": [3, 2]}'));
    expect([object.shape, object.data]).toEqual([[3, 2], [1, 2, 3, 4, 5, 6]]);
    const csv = await readInPage(page, 'c.csv', text('x,y,z\r\n0.1,-2,3e2\r\n4,5.5,-.5\r\n'));
    expect([csv.shape, csv.data]).toEqual([[2, 3], f32([0.1, -2, 300, 4, 5.5, -0.5])]);
  });

  test('bad files throw InputFileError saying what is wrong', async ({ page }) => {
    await harness(page);
    const truncated = readFileSync(`${DIR}truncated.npy`);
    const cases = [
      ['complex.npy', readFileSync(`${DIR}complex.npy`), /unsupported dtype <c8/],
      ['truncated.npy', truncated, /truncated: shape \[3, 4\] of <f4 needs 48 bytes of data, the file has 42/],
      ['not.npy', text('hello world, not numpy'), /not an \.npy file/],
      ['cut.npz', readFileSync(`${DIR}stored.npz`).subarray(0, 200), /not an \.npz file|truncated/],
      ['ragged.csv', text('1,2,3\n4,5\n'), /ragged rows: line 2 has 2 values, line 1 has 3/],
      ['word.csv', text('1,2\n3,abc\n'), /line 2, column 2 is not a number: "abc"/],
      ['nan.csv', text('1,nan\n'), /line 1, column 2 is not a number: "nan"/],
      ['ragged.json', text('[[1, 2], [3]]'), /ragged rows/],
      ['string.json', text('[[1, "2"]]'), /\[0\]\[1\] is not a number: "2"/],
      ['huge.json', text('[1e39, 1]'), /value 0 \(index \[0\]\) is 1e\+39 \(beyond float32\)/],
      ['shape.json', text('{"data": [1, 2, 3], "shape": [2, 2]}'), /shape \[2, 2\] needs 4 values, data has 3/],
      ['broken.json', text('[[1, 2'), /not valid JSON/],
      ['empty.csv', new Uint8Array(0), /the file is empty/],
      ['table.xlsx', text('PK'), /unsupported file type \.xlsx/],
      ['huge.npy', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }"), /too large: 10000000000 values, at most 67108864/],
      ['strings.npy', npy("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }"), /unsupported dtype <U3/],
      ['nan.npy', npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(new Float64Array([1, NaN]).buffer)), /value 1 \(index \[1\]\) is NaN/],
    ];
    for (const [name, bytes, message] of cases) {
      const r = await readInPage(page, name, bytes);
      expect(r.error, name).toBe('InputFileError');
      expect(r.message).toMatch(new RegExp(`^${name.replace('.', '\\.')}: `));
      expect(r.message).toMatch(message);
    }
  });

  test('a dropped .npy is read', async ({ page }) => {
    await harness(page);
    const bytes = Array.from(readFileSync(`${DIR}fortran_be_f8.npy`));
    await page.evaluate((data) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], 'dropped.npy'));
      document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, bytes);
    await expect(page.locator('#result[data-done="1"]')).toBeAttached();
    const result = JSON.parse(await page.locator('#result').textContent());
    expect(result).toEqual({ name: 'dropped.npy', shape: [3, 4], data: f32(expected.files.A.flat()) });
  });
});

// ---------------------------------------------------------------------------- through the runtime

test.describe('special views through the runtime', () => {
  test.beforeEach(({}, info) => test.skip(info.project.name !== 'isolated', 'the runtime itself is tested in both; one is enough here'));

  test('drawSpecialViews: the Poincaré disk, routing, transport plan, graph and topology equal CPython, and every mechanism gets the keys\' report', async ({ page }) => {
    test.setTimeout(240_000);
    await harness(page);
    await page.evaluate(async () => {
      window.rt = await window.createRuntime({ workers: 1 });
    });
    /** Build `name`, draw its panels for keys (as queries too), and return what the DOM shows. */
    const draw = (name, config, keys, mask = null) => page.evaluate(async ([mechanism, cfg, rows, keyMask]) => {
      const { rt } = window;
      const handle = await rt.create(mechanism, cfg);
      const dim = handle.info.dim;
      const x = Float32Array.from(rows.flat());
      const container = document.getElementById('panels');
      container.innerHTML = '<p>stale</p>';
      try {
        const payloads = await window.drawSpecialViews(container, {
          rt, handle, name: handle.info.name, config: handle.info.config, queries: x, keys: x, values: x,
          rows: rows.length, cols: rows.length, dim, tokens: rows.map((_, i) => `t${i}`), mask: keyMask, causal: false,
        });
        return { views: payloads.map((p) => p.view), panels: container.querySelectorAll('.ra-special').length, text: container.textContent };
      } finally {
        await handle.dispose();
      }
    }, [name, config, keys, mask]);

    const hyp = expected.hyperbolic;
    expect(await draw('hyperbolic', { dim: 8, curvature: hyp.curvature }, hyp.keys)).toMatchObject({ views: ['poincare', 'report'], panels: 2 });
    let points = await diskPoints(page, '#panels');
    expect(points.keys.every((p) => p.radius < 1)).toBe(true);
    close(points.keys.map((p) => p.radius), hyp.radius, 1e-9);
    expect(Math.abs(points.query - hyp.radius[0])).toBeLessThan(1e-9); // query row 0 by default
    await page.locator('#panels').screenshot({ path: `${SHOTS}runtime-poincare.png` });
    // a masked key (the demo's key chips) gets no weight on the disk
    await draw('hyperbolic', { dim: 8, curvature: hyp.curvature }, hyp.keys, hyp.keys.map((_, j) => j !== 2));
    points = await diskPoints(page, '#panels');
    close(points.keys.map((p) => p.weight), hyp.maskedWeights, 1e-6);
    expect(points.keys[2].weight).toBe(0);

    const mixed = expected.mixed_curvature;
    await draw('mixed_curvature', { euclideanDim: 4, hyperbolicDim: 4, sphericalDim: 4 }, mixed.keys);
    points = await diskPoints(page, '#panels');
    close(points.keys.map((p) => p.radius), mixed.radius, 1e-9);
    close(points.keys.map((p) => p.weight), mixed.weights, 1e-6);

    const ot = expected.centroid_ot;
    expect(await draw('centroid_ot', { dim: 8, numCentroids: 4 }, ot.keys)).toMatchObject({ views: ['transport', 'report'], panels: 2 });
    const plan = await page.evaluate(() => [...document.querySelectorAll('#panels .ra-plan-cell')].map((c) => Number(c.dataset.value)));
    close(plan, ot.plan.flat(), 1e-7);

    const graph = expected.diffusion;
    expect(await draw('diffusion', { dim: 8 }, graph.keys)).toMatchObject({ views: ['graph', 'report'], panels: 2 });
    const edges = await page.evaluate(() => [...document.querySelectorAll('#panels .ra-edge')].map((e) => [Number(e.dataset.from), Number(e.dataset.to), Number(e.dataset.weight), Number(e.getAttribute('opacity'))]));
    for (const [from, to, weight] of edges) expect(Math.abs(weight - graph.weights[from][to])).toBeLessThanOrEqual(1e-6);
    edges.sort((a, b) => a[2] - b[2]);
    expect(nondecreasing(edges.map((e) => e[3]))).toBe(true);

    const topo = expected.topology_gated;
    expect(await draw('topology_gated', { dim: 8, window: 4, kNeighbors: 2 }, topo.keys)).toMatchObject({ views: ['topology', 'report'], panels: 2 });
    const modes = await page.evaluate(() => [...document.querySelectorAll('#panels .ra-window')].map((w) => w.dataset.mode));
    expect(modes).toEqual(topo.modes);
    await page.locator('#panels').screenshot({ path: `${SHOTS}runtime-topology.png` });

    expect(await draw('scaled_dot', { dim: 8 }, graph.keys)).toMatchObject({ views: ['report'], panels: 1 });
    // moe: per-token routing() and the batch's loads against capacity, made by the mechanism in the worker
    const moe = expected.moe;
    expect(await draw('moe', { dim: 16, expertCapacity: 0.5 }, moe.keys)).toMatchObject({ views: ['routing', 'report'], panels: 2 });
    const gates = await page.evaluate(() => [...document.querySelectorAll('#panels .ra-routing tbody tr')].map((tr) =>
      [...tr.querySelectorAll('.ra-bar')].map((bar) => [Number(bar.dataset.expert), Number(bar.dataset.gate)])));
    gates.forEach((row, i) => {
      const routed = [...moe.routing[i]].sort((a, b) => a[0] - b[0]);
      expect(row.map(([e]) => e)).toEqual(routed.map(([e]) => e));
      close(row.map(([, g]) => g), routed.map(([, g]) => g), 1e-6);
    });
    const loads = await page.evaluate(() => [...document.querySelectorAll('#panels .ra-load-row .ra-bar')].map((bar) => Number(bar.dataset.load)));
    expect(loads).toEqual(moe.tokensPerExpert);
    const statuses = await page.evaluate(() => [...document.querySelectorAll('#panels .ra-metrics tbody tr')].map((tr) => [tr.dataset.metric, tr.dataset.status]));
    expect(statuses).toEqual(moe.report.metrics.map((m) => [m.type, m.status]));
    await page.evaluate(() => window.rt.close());
  });
});

// ---------------------------------------------------------------------------- notebooks

test.describe('the explorer in a JupyterLite notebook', () => {
  test.beforeEach(({}, info) => test.skip(info.project.name !== 'not-isolated', 'the site is served without COOP/COEP'));

  /** Open the tour notebook in a fresh browser context and wait for its kernel. */
  async function notebook(page) {
    await page.goto('/lite/lab/index.html?path=01-tour.ipynb');
    await page.waitForFunction(() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === 'idle',
      null, { timeout: 150_000, polling: 500 });
  }

  test('runs where the output is trusted (a cell run in the session), and is stripped from an untrusted saved output', async ({ page }) => {
    test.setTimeout(300_000);
    const outside = [];
    page.on('request', (r) => { if (!/^(http:\/\/127\.0\.0\.1:|data:|blob:|about:)/.test(r.url())) outside.push(r.url()); });
    const output = readFileSync(`${DIR}notebook-output.html`, 'utf8'); // Explorer._repr_html_(), written by CPython
    await notebook(page);
    // the first cell displays that output, as `explore(...)` as a cell's last line does
    const source = `from IPython.display import display\ndisplay({"text/html": ${JSON.stringify(output)}}, raw=True)`;
    await page.evaluate(async (code) => {
      const { content } = window.jupyterapp.shell.currentWidget;
      content.activeCellIndex = 0;
      await window.jupyterapp.commands.execute('notebook:change-cell-to-code');
      content.activeCell.model.sharedModel.setSource(code);
      await window.jupyterapp.commands.execute('notebook:run-cell');
    }, source);
    const frame = page.frameLocator('.jp-OutputArea-output iframe');
    await expect(frame.locator('body[data-ready=true]')).toBeAttached({ timeout: 60_000 });
    await expect(frame.locator('.ra-special[data-view=poincare] .ra-disk-key')).toHaveCount(expected.tokens.length);
    await expect(frame.locator('.ra-special[data-view=report]')).toHaveCount(1);
    await page.screenshot({ path: `${SHOTS}jupyterlite-trusted.png` });

    // the same output saved in a notebook and opened afresh is untrusted: JupyterLab sanitizes it
    await page.evaluate(async (html) => {
      const cell = { cell_type: 'code', id: 'explore', metadata: {}, execution_count: 1, source: 'ra.viz.explore(...)',
        outputs: [{ output_type: 'execute_result', execution_count: 1, metadata: {}, data: { 'text/html': html, 'text/plain': '<Explorer>' } }] };
      const content = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [cell] };
      await window.jupyterapp.serviceManager.contents.save('saved-explorer.ipynb', { type: 'notebook', format: 'json', content });
      await window.jupyterapp.commands.execute('docmanager:open', { path: 'saved-explorer.ipynb' });
    }, output);
    await page.waitForFunction(() => window.jupyterapp.shell.currentWidget?.context?.path === 'saved-explorer.ipynb'
      && window.jupyterapp.shell.currentWidget.content.widgets.length === 1, null, { timeout: 30_000 });
    const saved = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output');
    await expect(saved).toHaveCount(1);
    expect(await page.evaluate(() => window.jupyterapp.shell.currentWidget.content.widgets[0].model.trusted)).toBe(false);
    expect(await saved.locator('iframe').count()).toBe(0);
    expect(outside).toEqual([]);
  });
});
