// The npm package on its own: the README's browser quick start, written by scripts/smoke.sh
// into an empty npm folder that installed the packed tarball, served from that folder (its
// node_modules/ as is) with and without COOP/COEP. Everything loads from that origin.
import { existsSync } from 'node:fs';
import { expect, test } from '@playwright/test';

const APP = new URL('../dist/smoke/npm/index.html', import.meta.url);
const base = Number(process.env.E2E_PORT_BASE || 8124); // as in playwright.config.mjs
const PORTS = { isolated: base + 2, 'not-isolated': base + 3 };

// index.html maps `pyodide/` in an import map; no-import-map.html relies on the default,
// node_modules/pyodide/ next to the package
for (const file of ['index.html', 'no-import-map.html']) test(`the README browser quick start runs from the installed tarball (${file})`, async ({ page }, testInfo) => {
  expect(existsSync(new URL(file, APP)), `dist/smoke/npm/${file} is missing: run scripts/smoke.sh first`).toBe(true);
  const origin = `http://127.0.0.1:${PORTS[testInfo.project.name]}`;
  const outside = [];
  const errors = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:')) outside.push(url);
  });
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${origin}/${file}`);
  await expect(page.locator('body')).toContainText('weights:', { timeout: 90_000 });
  const text = await page.locator('body').innerText();
  const weights = text.match(/weights: (.*)/)[1].split(' ').map(Number);
  // scores q·k/2 = 0.5, 0, 0.5: softmax by hand
  const e = Math.exp(0.5);
  const expected = [e, 1, e].map((x) => x / (2 * e + 1));
  weights.forEach((w, i) => expect(w).toBeCloseTo(expected[i], 3));
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(testInfo.project.name === 'isolated');
  expect(errors).toEqual([]);
  expect(outside).toEqual([]);
});
