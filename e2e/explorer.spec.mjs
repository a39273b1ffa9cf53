// The explorer's views (web/visualizer/) in Chromium on weights made in the test, each
// checked by pixels or DOM against numbers computed here: the brightest cell is the
// largest weight, hidden cells are the hidden grey, hover and keyboard give exact values,
// HiDPI canvases are sharp, head-view line opacities are ordered like the weights, the
// model view has layers x heads thumbnails whose brightest pixel is the head's argmax,
// rollout equals its direct formula, the difference map's colours follow its sign, and a
// 4096 x 4096 matrix pans and zooms to the right cells. No Pyodide needed.
import { expect, test } from '@playwright/test';

// The views draw the same in both projects (isolation only matters to the runtime).
test.beforeEach(({}, testInfo) => test.skip(testInfo.project.name !== 'isolated', 'pure drawing: one project is enough'));

/** Seeded uniform numbers (mulberry32), the same here and in the page. */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** (layers·heads·n·n) softmax rows of random scores, as plain numbers. */
function attentions(layers, heads, n, seed) {
  const next = random(seed);
  const out = [];
  for (let r = 0; r < layers * heads * n; r++) {
    const scores = Array.from({ length: n }, () => Math.exp(4 * next()));
    const sum = scores.reduce((a, b) => a + b, 0);
    out.push(...scores.map((s) => s / sum));
  }
  return out;
}

const argmax = (xs) => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);
const brightness = ([r, g, b]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;

async function open(page) {
  await page.goto('/e2e/harness.html');
  await page.evaluate(async () => {
    window.viz = await import('/web/visualizer/visualizer.mjs');
    document.body.innerHTML = '<div id="host" style="width: 760px"></div>';
  });
}

test('matrix view: brightest cell is the argmax, hidden cells grey, exact values on hover and keyboard', async ({ page }) => {
  await open(page);
  const n = 9;
  const weights = attentions(1, 1, n, 1);
  const mask = Array.from({ length: n }, (_, j) => j !== 3);
  const result = await page.evaluate(({ weights, n, mask }) => {
    const view = new window.viz.AttentionVisualizer(document.getElementById('host'));
    view.render({ weights: Float32Array.from(weights), heads: 1, rows: n, cols: n, mask, causal: true, xLabels: [...'abcdefghi'], yLabels: [...'abcdefghi'] });
    window.view = view;
    const ctx = view.canvas.getContext('2d');
    const pixels = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) pixels.push(Array.from(ctx.getImageData(...view.cellCenter(i, j), 1, 1).data.slice(0, 3)));
    const legend = view.matrix.legend;
    const lctx = legend.getContext('2d');
    lctx.font = '12px system-ui, sans-serif';
    return {
      pixels, hiddenGrey: view.matrix.theme.hidden, hidden: Array.from(view.hidden),
      legendWidth: parseFloat(legend.style.width), widestLabel: Math.max(...view.matrix.range.map((v) => lctx.measureText(v.toPrecision(3)).width)),
    };
  }, { weights, n, mask });
  const visible = weights.map((w, k) => (result.hidden[k] ? -Infinity : w));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      expect(result.hidden[i * n + j]).toBe(j > i || j === 3 ? 1 : 0);
      if (result.hidden[i * n + j]) expect(result.pixels[i * n + j]).toEqual(result.hiddenGrey);
      else expect(result.pixels[i * n + j]).not.toEqual(result.hiddenGrey);
    }
  }
  const shown = result.pixels.map((p, k) => (result.hidden[k] ? -1 : brightness(p)));
  expect(argmax(shown)).toBe(argmax(visible));
  expect(result.legendWidth).toBeGreaterThanOrEqual(20 + result.widestLabel); // labels not clipped

  // hover: the exact weight of (row 4, col 2); a hidden cell says so
  const box = await page.locator('.ra-heatmap').boundingBox();
  const at = async (i, j) => {
    const [x, y] = await page.evaluate(([i, j]) => window.view.cellCenter(i, j), [i, j]);
    const scale = box.width / (await page.evaluate(() => window.view.canvas.width));
    await page.mouse.move(box.x + x * scale, box.y + y * scale);
  };
  await at(4, 2);
  await expect(page.locator('.ra-tooltip')).toHaveText(`e → c: ${weights[4 * n + 2].toFixed(6)}`);
  await at(1, 5);
  await expect(page.locator('.ra-tooltip')).toHaveText('b → f: hidden');

  // keyboard: focus starts at (0, 0); down, down, right lands on (2, 1), announced
  await page.locator('.ra-heatmap').focus();
  for (const key of ['ArrowDown', 'ArrowDown', 'ArrowRight']) await page.keyboard.press(key);
  await expect(page.locator('.ra-live')).toHaveText(`query c (row 3 of ${n}), key b (column 2 of ${n}): ${weights[2 * n + 1].toFixed(6)}`);
  expect(await page.evaluate(() => window.view.matrix.focus)).toEqual([2, 1]);
});

test.describe('HiDPI', () => {
  test.use({ deviceScaleFactor: 2 });
  test('canvases have a backing store of twice their CSS size', async ({ page }) => {
    await open(page);
    const sizes = await page.evaluate(() => {
      const view = new window.viz.AttentionVisualizer(document.getElementById('host'));
      view.render({ weights: new Float32Array(16).fill(0.25), heads: 1, rows: 4, cols: 4 });
      const model = new window.viz.ModelView(document.body.appendChild(document.createElement('div')));
      model.setData({ attentions: new Float32Array(2 * 16).fill(0.25), layers: 1, heads: 2, rows: 4, cols: 4 });
      const thumb = model.grid.querySelector('canvas');
      const pair = (c) => [c.width, c.getBoundingClientRect().width, c.height, c.getBoundingClientRect().height];
      return { dpr: devicePixelRatio, heatmap: pair(view.canvas), legend: pair(view.matrix.legend), thumb: pair(thumb) };
    });
    expect(sizes.dpr).toBe(2);
    for (const [w, cssW, h, cssH] of [sizes.heatmap, sizes.legend, sizes.thumb]) {
      expect(w).toBe(Math.round(2 * cssW));
      expect(h).toBe(Math.round(2 * cssH));
    }
  });
});

test('head view: one line per visible cell, opacities ordered like the weights; hover focuses a token', async ({ page }) => {
  await open(page);
  const n = 7;
  const weights = attentions(1, 1, n, 2);
  const lines = await page.evaluate(({ weights, n }) => {
    const view = new window.viz.HeadView(document.getElementById('host'));
    const labels = Array.from({ length: n }, (_, i) => `t${i}`);
    view.setData({ values: Float32Array.from(weights), rows: n, cols: n, xLabels: labels, yLabels: labels });
    return [...document.querySelectorAll('.ra-link')].map((l) => [Number(l.dataset.row), Number(l.dataset.col), Number(l.getAttribute('stroke-opacity'))]);
  }, { weights, n });
  expect(lines.length).toBe(n * n);
  const max = Math.max(...weights);
  for (const [i, j, opacity] of lines) expect(opacity).toBeCloseTo(weights[i * n + j] / max, 5);
  const byWeight = [...lines].sort((a, b) => weights[a[0] * n + a[1]] - weights[b[0] * n + b[1]]);
  for (let k = 1; k < byWeight.length; k++) expect(byWeight[k][2]).toBeGreaterThanOrEqual(byWeight[k - 1][2]);

  await page.locator('.ra-token[data-side=query][data-index="3"]').hover();
  const shown = await page.evaluate(() => [...document.querySelectorAll('.ra-link')].filter((l) => l.style.display !== 'none').map((l) => Number(l.dataset.row)));
  expect(shown).toEqual(Array(n).fill(3));
  await page.locator('.ra-token[data-side=key][data-index="5"]').hover();
  const column = await page.evaluate(() => [...document.querySelectorAll('.ra-link')].filter((l) => l.style.display !== 'none').map((l) => Number(l.dataset.col)));
  expect(column).toEqual(Array(n).fill(5));
});

test('model view: layers x heads thumbnails, each brightest at its head\'s argmax; a click opens it', async ({ page }) => {
  await open(page);
  const [layers, heads, n] = [3, 4, 6];
  const all = attentions(layers, heads, n, 3);
  const result = await page.evaluate(({ all, layers, heads, n }) => {
    const explorer = new window.viz.AttentionExplorer(document.getElementById('host'));
    window.explorer = explorer;
    explorer.render({ attentions: Float32Array.from(all), layers, heads, rows: n, cols: n });
    explorer.show('model');
    const brightest = [...document.querySelectorAll('.ra-thumb')].map((thumb) => {
      const canvas = thumb.querySelector('canvas');
      const ctx = canvas.getContext('2d');
      const values = [];
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const [r, g, b] = ctx.getImageData(Math.floor(((j + 0.5) * canvas.width) / n), Math.floor(((i + 0.5) * canvas.height) / n), 1, 1).data;
          values.push(0.2126 * r + 0.7152 * g + 0.0722 * b);
        }
      }
      return [Number(thumb.dataset.layer), Number(thumb.dataset.head), values.indexOf(Math.max(...values))];
    });
    return { brightest };
  }, { all, layers, heads, n });
  expect(result.brightest.length).toBe(layers * heads);
  for (const [layer, head, cell] of result.brightest) {
    const start = (layer * heads + head) * n * n;
    expect(cell, `layer ${layer} head ${head}`).toBe(argmax(all.slice(start, start + n * n)));
  }
  await page.locator('.ra-thumb[data-layer="2"][data-head="1"]').click();
  const opened = await page.evaluate(() => ({ view: window.explorer.view, layer: window.explorer.layer, head: window.explorer.matrix.head, shown: Array.from(window.explorer.matrix.view) }));
  expect(opened.view).toBe('matrix');
  expect([opened.layer, opened.head]).toEqual([2, 1]);
  const start = (2 * heads + 1) * n * n;
  opened.shown.forEach((w, k) => expect(w).toBeCloseTo(all[start + k], 6));
});

/** Rollout by its definition, in float64 on nested arrays: R = A_L ⋯ A_1 with
 * A_l = rownorm(0.5 · mean_h W_l,h + 0.5 · I). */
function directRollout(all, layers, heads, n) {
  let r = null;
  for (let l = 0; l < layers; l++) {
    const a = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (__, j) => {
      let mean = 0;
      for (let h = 0; h < heads; h++) mean += all[((l * heads + h) * n + i) * n + j] / heads;
      return 0.5 * mean + (i === j ? 0.5 : 0);
    }));
    const normed = a.map((row) => row.map((x) => x / row.reduce((s, y) => s + y, 0)));
    r = r === null ? normed : normed.map((row) => r[0].map((_, j) => row.reduce((s, x, k) => s + x * r[k][j], 0)));
  }
  return r.flat();
}

test('rollout equals the direct formula, in the function and on screen', async ({ page }) => {
  await open(page);
  const [layers, heads, n] = [4, 3, 8];
  const all = attentions(layers, heads, n, 4);
  const result = await page.evaluate(({ all, layers, heads, n }) => {
    const attn = Float32Array.from(all);
    const rolled = window.viz.rollout(attn, { layers, heads, rows: n, cols: n });
    const explorer = new window.viz.AttentionExplorer(document.getElementById('host'));
    explorer.render({ attentions: attn, layers, heads, rows: n, cols: n });
    explorer.layerSelect.value = String(layers - 1);
    explorer.layerSelect.dispatchEvent(new Event('change'));
    explorer.show('rollout');
    const view = explorer.rollout;
    const ctx = view.canvas.getContext('2d');
    const bright = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const [r, g, b] = ctx.getImageData(...view.cellCenter(i, j), 1, 1).data;
      bright.push(0.2126 * r + 0.7152 * g + 0.0722 * b);
    }
    return { last: Array.from(rolled.subarray((layers - 1) * n * n)), shown: Array.from(explorer.rolledOut), bright };
  }, { all, layers, heads, n });
  const expected = directRollout(all, layers, heads, n);
  result.last.forEach((x, k) => expect(x).toBeCloseTo(expected[k], 6));
  result.shown.forEach((x, k) => expect(x).toBeCloseTo(expected[k], 6));
  for (let i = 0; i < n; i++) expect(expected.slice(i * n, (i + 1) * n).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  expect(argmax(result.bright)).toBe(argmax(expected));
});

test('compare: A and B on one range, A − B on a symmetric diverging range, red where A > B, blue where A < B', async ({ page }) => {
  await open(page);
  const n = 6;
  const [a, b] = [attentions(1, 1, n, 5), attentions(1, 1, n, 6)];
  const result = await page.evaluate(({ a, b, n }) => {
    const view = new window.viz.CompareView(document.getElementById('host'));
    view.setData({ a: Float32Array.from(a), b: Float32Array.from(b), rows: n, cols: n, titleA: 'a', titleB: 'b', note: 'cosine 0.5' });
    const pixel = (v, i, j) => Array.from(v.canvas.getContext('2d').getImageData(...v.cellCenter(i, j), 1, 1).data.slice(0, 3));
    const cells = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) cells.push(pixel(view.diff, i, j));
    return { cells, range: view.diff.range, ranges: [view.a.range, view.b.range], note: view.note.textContent,
      said: view.diff.describe(2, 3), tiny: view.diff.format(-1.49e-8) };
  }, { a, b, n });
  const d = a.map((x, k) => x - b[k]);
  const m = Math.max(...d.map(Math.abs));
  expect(result.range[0]).toBeCloseTo(-m, 6);
  expect(result.range[1]).toBeCloseTo(m, 6);
  expect(result.ranges[0]).toEqual(result.ranges[1]);
  expect(result.said).toBe(`2 → 3: ${d[2 * n + 3].toFixed(6)}`);
  expect(result.tiny).toBe('-1.490e-8'); // float rounding keeps its digits
  expect(result.note).toBe(`cosine 0.5 Largest |A − B|: ${m.toPrecision(3)}.`);
  d.forEach((x, k) => {
    const [r, , blue] = result.cells[k];
    if (x > 0.05 * m) expect(r, `cell ${k}: ${x}`).toBeGreaterThan(blue);
    if (x < -0.05 * m) expect(blue, `cell ${k}: ${x}`).toBeGreaterThan(r);
  });
});

test('a 4096 x 4096 matrix: zoom and pan land on the right cells; palettes and the dark theme repaint', async ({ page }) => {
  await open(page);
  const result = await page.evaluate(() => {
    const n = 4096;
    const values = new Float32Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) values[i * n + j] = ((i * 7 + j * 13) % 1000) / 999;
    const view = new window.viz.MatrixView(document.getElementById('host'));
    view.setData({ values, rows: n, cols: n });
    const colourAt = (i, j) => Array.from(view.canvas.getContext('2d').getImageData(...view.cellCenter(i, j), 1, 1).data.slice(0, 3));
    const expected = (i, j, palette = 'viridis') => window.viz.colour(palette, values[i * n + j]);
    view.zoomBy(512, 0, 0); // cells of several CSS pixels
    view.panBy(-300, -200);
    const [r0, c0] = view.origin.map(Math.ceil); // about 8 x 8 cells are on screen
    const cells = [[r0 + 1, c0 + 5], [r0 + 6, c0 + 2], [r0, c0]];
    const viridis = cells.map(([i, j]) => [colourAt(i, j), expected(i, j)]);
    view.setPalette('cividis');
    const cividis = cells.map(([i, j]) => [colourAt(i, j), expected(i, j, 'cividis')]);
    document.documentElement.dataset.theme = 'dark';
    view.draw();
    const corner = Array.from(view.canvas.getContext('2d').getImageData(1, 1, 1, 1).data.slice(0, 3));
    return { viridis, cividis, zoom: view.zoom, corner, dark: window.viz.THEMES.dark.background };
  });
  expect(result.zoom).toBe(512);
  for (const [got, want] of [...result.viridis, ...result.cividis]) {
    got.forEach((c, k) => expect(Math.abs(c - want[k])).toBeLessThanOrEqual(2));
  }
  expect(result.viridis[0][0]).not.toEqual(result.cividis[0][0]);
  expect(`#${result.corner.map((c) => c.toString(16).padStart(2, '0')).join('')}`).toBe(result.dark);
});

test.describe('system dark theme', () => {
  test.use({ colorScheme: 'dark' });
  test('without a data-theme the views follow prefers-color-scheme', async ({ page }) => {
    await open(page);
    const result = await page.evaluate(() => {
      const view = new window.viz.MatrixView(document.getElementById('host'));
      view.setData({ values: Float32Array.from([0, 1, 1, 0]), rows: 2, cols: 2, hidden: Uint8Array.from([0, 1, 0, 0]) });
      const ctx = view.canvas.getContext('2d');
      return {
        theme: window.viz.themeOf(view.container),
        corner: Array.from(ctx.getImageData(1, 1, 1, 1).data.slice(0, 3)),
        hidden: Array.from(ctx.getImageData(...view.cellCenter(0, 1), 1, 1).data.slice(0, 3)),
        grey: window.viz.THEMES.dark.hidden,
      };
    });
    expect(result.theme).toBe('dark');
    expect(result.corner).toEqual([0x16, 0x18, 0x1d]);
    expect(result.hidden).toEqual(result.grey);
  });
});
