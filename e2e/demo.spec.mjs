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
  const box = await page.locator('.ra-heatmap').boundingBox();
  const [x, y] = await page.evaluate(() => window.demo.visualizer.cellCenter(0, 0));
  const scale = box.width / (await page.evaluate(() => window.demo.visualizer.canvas.width));
  await page.mouse.move(box.x + x * scale, box.y + y * scale);
  await expect(page.locator('.ra-tooltip')).toContainText(/the → the: 0\.\d{6}/);
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
