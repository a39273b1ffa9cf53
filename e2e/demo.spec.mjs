// The demo page: boots with progress, renders the visualizer (checked from the canvas
// pixels), exports a PNG, and shows typed errors for bad input.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MECHANISMS = JSON.parse(execFileSync(`${ROOT}.venv/bin/python`, ['-c',
  'import json, ruvector_attention as ra; print(json.dumps(ra.mechanisms()))']));

async function ready(page) {
  await page.goto('/');
  await expect(page.locator('body[data-ran="1"]')).toBeAttached({ timeout: 90_000 });
}

/** RGB at the centre of every cell, and the weights on screen, read in the page. */
async function cells(page) {
  return page.evaluate(() => {
    const { visualizer } = window.demo;
    const ctx = visualizer.canvas.getContext('2d');
    const { rows, cols } = visualizer.data;
    const pixels = [];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const [x, y] = visualizer.cellCenter(i, j);
        pixels.push(Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3)));
      }
    }
    return { pixels, weights: Array.from(visualizer.view), rows, cols };
  });
}

const brightness = ([r, g, b]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;
const argmax = (xs) => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);

test('boots, renders a heatmap whose brightest cell is the largest weight', async ({ page }, testInfo) => {
  await ready(page);
  await expect(page.locator('#status-text')).toContainText('ready');
  await expect(page.locator('#mechanism option')).toHaveCount(MECHANISMS.length);
  for (const head of ['mean', '1']) {
    await page.selectOption('.ra-head', head);
    const { pixels, weights, rows, cols } = await cells(page);
    expect(pixels.length).toBe(rows * cols);
    expect(new Set(pixels.map((p) => p.join())).size).toBeGreaterThan(3); // not blank
    expect(argmax(pixels.map(brightness))).toBe(argmax(weights));
  }
  const box = await page.locator('.ra-panel-matrix .ra-heatmap').boundingBox();
  const [x, y] = await page.evaluate(() => window.demo.visualizer.cellCenter(0, 0));
  const scale = box.width / (await page.evaluate(() => window.demo.visualizer.canvas.width));
  await page.mouse.move(box.x + x * scale, box.y + y * scale);
  await expect(page.locator('.ra-panel-matrix .ra-tooltip')).toContainText(/the → the: 0\.\d{6}/);
  await expect(page.locator('.ra-output')).toContainText('output (10 × 32)');
  await page.screenshot({ path: testInfo.outputPath('demo.png'), fullPage: true });
});

test('every mechanism runs from the picker, causal and with a masked key', async ({ page }) => {
  await ready(page);
  await page.check('#causal');
  await page.locator('#key-mask button').nth(2).click();
  const names = await page.locator('#mechanism option').allTextContents();
  for (const [i, name] of names.entries()) {
    await page.selectOption('#mechanism', name);
    await expect(page.locator(`#config[data-mechanism="${name}"]`)).toBeAttached();
    await page.click('#run');
    await expect(page.locator(`body[data-ran="${i + 2}"]`)).toBeAttached({ timeout: 30_000 });
    await expect(page.locator('#error')).toBeHidden();
    const { weights, cols } = await cells(page);
    expect(weights[0 * cols + 1]).toBe(0); // causal: token 0 never sees token 1
    expect(weights[5 * cols + 2]).toBe(0); // key 2 masked
  }
});

test('exports the heatmap as a PNG', async ({ page }) => {
  await ready(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('.ra-export')]);
  expect(download.suggestedFilename()).toBe('attention.png');
  const path = await download.path();
  const { readFileSync } = await import('node:fs');
  const bytes = readFileSync(path);
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(bytes.length).toBeGreaterThan(1000);
});

test('bad input shows a typed error and the page keeps working', async ({ page }) => {
  await ready(page);
  await page.fill('#config input[name="numHeads"]', '5');
  await page.click('#run');
  await expect(page.locator('#error')).toBeVisible();
  await expect(page.locator('#error')).toHaveAttribute('data-name', 'InvalidConfigError');
  await expect(page.locator('#error')).toContainText('divisible');
  await page.fill('#config input[name="numHeads"]', '4');
  await page.click('#run');
  await expect(page.locator('body[data-ran="2"]')).toBeAttached();
  await expect(page.locator('#error')).toBeHidden();
});

/** Visible controls of the form and the explorer's toolbar whose box or text does not fit. */
async function clipped(page) {
  return page.evaluate(() => {
    const bad = [];
    const canvas = document.createElement('canvas').getContext('2d');
    const visible = (el) => el.offsetParent !== null && el.getClientRects().length > 0;
    for (const el of document.querySelectorAll('#controls input, #controls select, #controls button, #controls label, .ra-toolbar select, .ra-toolbar button, .ra-tabs button')) {
      if (!visible(el)) continue;
      const box = el.getBoundingClientRect();
      const card = el.closest('form, #view').getBoundingClientRect();
      if (box.left < card.left - 0.5 || box.right > card.right + 0.5) bad.push(`${el.id || el.className || el.tagName} outside its card`);
      if (el.tagName === 'SELECT') { // the chosen option's text must fit next to the arrow
        const style = getComputedStyle(el);
        canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        const text = el.selectedOptions[0]?.textContent ?? '';
        if (canvas.measureText(text).width > el.clientWidth - 24) bad.push(`${el.id || el.className}: "${text}" clipped`);
      }
      if (el.tagName === 'LABEL' && el.scrollWidth > el.clientWidth + 1) bad.push(`label "${el.textContent.trim()}" clipped`);
    }
    return bad;
  });
}

test('one control per meaning; nothing clipped and no sideways scroll at 1400, 900 and 700 px, light and dark', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1400, height: 1000 });
  await ready(page);
  const labels = await page.evaluate(() => [...document.querySelectorAll('#controls label')]
    .filter((l) => l.offsetParent !== null).map((l) => l.textContent.trim().toLowerCase()));
  expect(new Set(labels).size).toBe(labels.length);
  expect(labels.filter((l) => l.includes('seed'))).toEqual(['vector seed', 'config seed (weights)']);
  expect(labels.filter((l) => l.includes('causal'))).toEqual(['causal (config)', 'causal order (call option)']);
  for (const width of [1400, 900, 700]) {
    await page.setViewportSize({ width, height: 1000 });
    await page.waitForTimeout(300);
    const { scroll, client, header } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
      header: document.querySelector('header').getBoundingClientRect().width,
    }));
    expect(scroll, `sideways scroll at ${width}px`).toBeLessThanOrEqual(client);
    expect(header).toBe(client);
    expect(await clipped(page), `at ${width}px`).toEqual([]);
    if (width === 700) continue;
    for (const theme of ['light', 'dark']) {
      await page.evaluate((t) => { document.documentElement.dataset.theme = t; window.demo.explorer.redraw(); }, theme);
      await page.screenshot({ path: testInfo.outputPath(`demo-${width}-${theme}.png`), fullPage: true });
    }
  }
  // the toggle sets the theme (and the URL); the canvas repaints: its corner is the dark background
  await page.evaluate(() => { document.documentElement.dataset.theme = 'light'; });
  await page.click('#theme');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.locator('#theme')).toHaveAttribute('aria-pressed', 'true');
  expect(new URL(page.url()).searchParams.get('theme')).toBe('dark');
  const corner = await page.evaluate(() => Array.from(window.demo.visualizer.canvas.getContext('2d').getImageData(1, 1, 1, 1).data.slice(0, 3)));
  expect(corner).toEqual([0x16, 0x18, 0x1d]);
});

test('the URL holds the whole state; opening it restores the same view', async ({ page, context }) => {
  test.setTimeout(240_000); // two pages boot their workers in turn
  await ready(page);
  await page.selectOption('#mechanism', 'hyperbolic');
  await expect(page.locator('#config[data-mechanism="hyperbolic"]')).toBeAttached();
  await page.fill('#tokens', 'a small red fox jumps');
  await page.fill('#vector-seed', '3');
  await page.locator('#key-mask button').nth(1).click();
  await page.check('#causal');
  await page.fill('#layers', '2');
  await page.click('#run');
  await expect(page.locator('body[data-ran="2"]')).toBeAttached({ timeout: 30_000 });
  await page.click('.ra-tabs [data-view=heads]');
  await page.selectOption('.ra-layer', '1');
  await page.selectOption('.ra-head', '0');
  await page.selectOption('.ra-palette', 'cividis');
  const url = page.url();
  const before = await page.evaluate(() => Array.from(window.demo.visualizer.view));
  const params = new URL(url).searchParams;
  expect(Object.fromEntries(['mechanism', 'text', 'vseed', 'norm', 'mask', 'causal', 'layers', 'view', 'layer', 'head', 'palette'].map((k) => [k, params.get(k)])))
    .toEqual({ mechanism: 'hyperbolic', text: 'a small red fox jumps', vseed: '3', norm: '0.3', mask: '1', causal: '1', layers: '2', view: 'heads', layer: '1', head: '0', palette: 'cividis' });

  await page.close(); // its workers go before the second page boots its own
  const again = await context.newPage();
  await again.goto(url);
  await expect(again.locator('body[data-ran="1"]')).toBeAttached({ timeout: 90_000 });
  expect(await again.inputValue('#mechanism')).toBe('hyperbolic');
  expect(await again.inputValue('#tokens')).toBe('a small red fox jumps');
  expect(await again.inputValue('#vector-seed')).toBe('3');
  expect(await again.isChecked('#causal')).toBe(true);
  await expect(again.locator('#key-mask button').nth(1)).toHaveAttribute('aria-pressed', 'false');
  await expect(again.locator('.ra-tabs [data-view=heads]')).toHaveAttribute('aria-selected', 'true');
  expect(await again.inputValue('.ra-layer')).toBe('1');
  expect(await again.inputValue('.ra-palette')).toBe('cividis');
  const after = await again.evaluate(() => Array.from(window.demo.visualizer.view));
  expect(after).toEqual(before);
  expect(await again.locator('.ra-link').count()).toBeGreaterThan(0);
});

test('hyperbolic inputs sit inside the Poincaré ball by default, so the weights are not an identity', async ({ page }) => {
  await ready(page);
  await page.selectOption('#mechanism', 'hyperbolic');
  await expect(page.locator('#norm')).toHaveValue('0.3');
  await expect(page.locator('#norm-hint')).toContainText('Poincaré ball');
  await page.click('#run');
  await expect(page.locator('body[data-ran="2"]')).toBeAttached({ timeout: 30_000 });
  const { norms, diagonal } = await page.evaluate(() => {
    const { x, dim, words } = window.demo.state.last;
    const view = window.demo.visualizer.view;
    const n = words.length;
    return {
      norms: words.map((_, i) => Math.hypot(...x.subarray(i * dim, (i + 1) * dim))),
      diagonal: words.reduce((s, _, i) => s + view[i * n + i], 0) / n,
    };
  });
  for (const norm of norms) expect(norm).toBeLessThan(1);
  expect(diagonal).toBeLessThan(0.5);
  await page.selectOption('#mechanism', 'multi_head');
  await expect(page.locator('#norm')).toHaveValue('4');
});

test('the error box says Name: message once, with details as a list', async ({ page }) => {
  await ready(page);
  await page.fill('#config input[name="numHeads"]', '5');
  await page.click('#run');
  const box = page.locator('#error');
  await expect(box).toHaveAttribute('data-name', 'InvalidConfigError');
  const text = await box.textContent();
  expect(text.startsWith('InvalidConfigError: ')).toBe(true);
  const message = await page.evaluate(() => document.querySelector('#error strong').nextSibling.textContent);
  expect(text.split(message).length - 1).toBe(1);
  expect(text).not.toMatch(/[{}]/);
});

test('a long stack shows progress and can be cancelled; the page keeps working', async ({ page }) => {
  await ready(page);
  await page.fill('#layers', '8');
  // progress: every layer is announced while the stack runs
  await page.evaluate(() => {
    window.seen = [];
    new MutationObserver(() => window.seen.push(document.getElementById('progress-text').textContent))
      .observe(document.getElementById('progress-text'), { childList: true, characterData: true, subtree: true });
  });
  await page.click('#run');
  await expect(page.locator('body[data-ran="2"]')).toBeAttached({ timeout: 60_000 });
  await expect(page.locator('#progress')).toBeHidden();
  const seen = await page.evaluate(() => window.seen);
  for (let l = 1; l <= 8; l++) expect(seen).toContain(`layer ${l} of 8`);
  expect(await page.evaluate(() => window.demo.explorer.data.layers)).toBe(8);

  // cancel: Run then Cancel at once; the stack stops with AbortError, nothing is drawn
  await page.evaluate(() => {
    window.shown = window.demo.explorer.data;
    document.getElementById('run').click();
    document.getElementById('cancel').click();
  });
  await expect(page.locator('#error')).toHaveAttribute('data-name', 'AbortError', { timeout: 30_000 });
  await expect(page.locator('#progress')).toBeHidden();
  await expect(page.locator('#run')).toBeEnabled();
  await expect(page.locator('#cancel')).toBeDisabled();
  expect(await page.evaluate(() => window.demo.explorer.data === window.shown)).toBe(true);
  await page.fill('#layers', '1');
  await page.fill('#tokens', 'back to work');
  await page.click('#run');
  await expect(page.locator('body[data-ran="3"]')).toBeAttached({ timeout: 90_000 });
  await expect(page.locator('#error')).toBeHidden();
  expect(await page.evaluate(() => window.demo.visualizer.data.rows)).toBe(3);
});

test('the special views get the run: a hyperbolic run draws its Poincaré disk with the weights on screen', async ({ page }) => {
  await page.goto('/web/demo/?mechanism=hyperbolic&text=one%20two%20three%20four%20five');
  await expect(page.locator('body[data-ran="1"]')).toBeAttached({ timeout: 90_000 });
  await expect(page.locator('#special-views .ra-disk-key')).toHaveCount(5);
  const { disk, row } = await page.evaluate(() => ({
    disk: [...document.querySelectorAll('#special-views .ra-disk-key')].map((k) => [Number(k.dataset.index), Number(k.dataset.weight), Number(k.dataset.radius)]),
    row: Array.from(window.demo.visualizer.view.subarray(0, 5)),
  }));
  for (const [j, weight, radius] of disk) {
    expect(weight).toBeCloseTo(row[j], 5); // query 0's weights, through the same handle and inputs
    expect(radius).toBeLessThan(1);
  }
  await page.selectOption('#mechanism', 'multi_head');
  await page.click('#run');
  await expect(page.locator('body[data-ran="2"]')).toBeAttached({ timeout: 30_000 });
  await expect(page.locator('#special-views .ra-disk-key')).toHaveCount(0); // redrawn: multi_head has no disk
});

test('your own arrays: a .npy from the file picker, a .csv dropped, and a bad file\'s message', async ({ page }, testInfo) => {
  const npy = testInfo.outputPath('rows.npy');
  execFileSync(`${ROOT}.venv/bin/python`, ['-c', `import numpy as np; np.save(${JSON.stringify(npy)}, np.random.default_rng(7).standard_normal((5, 8)).astype(np.float32))`]);
  const expected = JSON.parse(execFileSync(`${ROOT}.venv/bin/python`, ['-c', `import json, numpy as np; print(json.dumps(np.load(${JSON.stringify(npy)}).ravel().tolist()))`]));
  await ready(page);
  await page.setInputFiles('#array-file', npy);
  await expect(page.locator('body[data-ran="2"]')).toBeAttached({ timeout: 60_000 });
  await expect(page.locator('#error')).toBeHidden();
  await expect(page.locator('#file-name')).toHaveText('rows.npy: 5 tokens × 8 values');
  const run = await page.evaluate(() => ({ x: Array.from(window.demo.state.last.x), rows: window.demo.visualizer.data.rows, dim: window.demo.state.last.dim, kind: document.getElementById('input-kind').value }));
  expect([run.rows, run.dim, run.kind]).toEqual([5, 8, 'file']);
  run.x.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 6));

  // a .csv dropped on the drop zone
  await page.evaluate(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(['1,0,0,0\n0,1,0,0\n0,0,1,0\n'], 'three.csv', { type: 'text/csv' }));
    document.getElementById('file-drop').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  });
  await expect(page.locator('body[data-ran="3"]')).toBeAttached({ timeout: 60_000 });
  await expect(page.locator('#file-name')).toHaveText('three.csv: 3 tokens × 4 values');
  expect(await page.evaluate(() => window.demo.visualizer.data.rows)).toBe(3);

  // a file that is not an array: the reader's typed error, once, and the last view stays
  await page.setInputFiles('#array-file', { name: 'broken.npy', mimeType: 'application/octet-stream', buffer: Buffer.from('not an npy file at all') });
  await expect(page.locator('#error')).toHaveAttribute('data-name', 'InputFileError');
  await expect(page.locator('#error strong')).toHaveText('InputFileError: ');
  await expect(page.locator('#error')).toContainText('broken.npy');
  expect(await page.evaluate(() => window.demo.visualizer.data.rows)).toBe(3);
});
