// The demo's "real model" input (issue 17 in the browser): all-MiniLM-L6-v2 served at
// /models/ and loaded in both workers; a sentence's 6 x 12 heads in the model view and
// the head view with its WordPiece tokens; a layer swapped for another mechanism and
// compared: flash (exact softmax attention) gives the same map and embedding, linear
// attention does not.
import { expect, test } from '@playwright/test';

test.beforeEach(({}, testInfo) => test.skip(testInfo.project.name !== 'isolated', 'the 83 MB model loads once, in the isolated project'));

test('a real model: 6 x 12 heads with the real tokens, a swapped layer compared', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto('/web/demo/?input=model&text=The%20cat%20sat%20on%20the%20mat.');
  await expect(page.locator('body[data-ran="1"]')).toBeAttached({ timeout: 240_000 });
  await expect(page.locator('#error')).toBeHidden();
  const tokens = ['[CLS]', 'the', 'cat', 'sat', 'on', 'the', 'mat', '.', '[SEP]'];

  await page.click('.ra-tabs [data-view=model]');
  await expect(page.locator('.ra-thumb')).toHaveCount(6 * 12);
  await expect(page.locator('.ra-thumb[data-layer="5"][data-head="11"]')).toBeAttached();
  await page.screenshot({ path: testInfo.outputPath('model-view.png'), fullPage: true });

  await page.click('.ra-tabs [data-view=heads]');
  expect(await page.locator('.ra-token[data-side=query]').allTextContents()).toEqual(tokens);
  expect(await page.locator('.ra-token[data-side=key]').allTextContents()).toEqual(tokens);

  // a thumbnail opens that head in the matrix, and the matrix shows the model's numbers
  await page.click('.ra-tabs [data-view=model]');
  await page.click('.ra-thumb[data-layer="3"][data-head="7"]');
  const opened = await page.evaluate(() => {
    const { encoded } = window.demo.state;
    const n = encoded.tokens.length;
    const start = (3 * 12 + 7) * n * n;
    return {
      view: window.demo.explorer.view, layer: window.demo.explorer.layer, head: window.demo.visualizer.head,
      shown: Array.from(window.demo.visualizer.view), model: Array.from(encoded.attentions.subarray(start, start + n * n)),
      labels: window.demo.visualizer.data.xLabels,
    };
  });
  expect([opened.view, opened.layer, opened.head]).toEqual(['matrix', 3, 7]);
  expect(opened.shown).toEqual(opened.model);
  expect(opened.labels).toEqual(tokens);
  expect(await page.inputValue('#swap-layer')).toBe('3'); // the swap follows the layer browsed to

  // flash in layer 2: the same attention and embedding (to float rounding)
  await page.selectOption('#compare-mechanism', 'flash');
  await page.selectOption('#swap-layer', '2');
  await page.click('#compare');
  await expect(page.locator('body[data-ran="2"]')).toBeAttached({ timeout: 120_000 });
  await expect(page.locator('.ra-tabs [data-view=compare]')).toHaveAttribute('aria-selected', 'true');
  const flash = await page.evaluate(() => ({ ...window.demo.state.swapped, spread: window.demo.explorer.comparison.diff.range[1], note: window.demo.explorer.comparison.note.textContent }));
  expect(flash.cosine).toBeGreaterThan(0.99999);
  expect(flash.spread).toBeLessThan(1e-5);
  expect(flash.note).toContain(`cosine to the original ${flash.cosine.toFixed(6)}`);

  // linear attention in layer 0: a different map, the embedding moves
  await page.selectOption('#compare-mechanism', 'linear');
  await page.selectOption('#swap-layer', '0');
  await page.click('#compare');
  await expect(page.locator('body[data-ran="3"]')).toBeAttached({ timeout: 120_000 });
  await expect(page.locator('#error')).toBeHidden();
  const linear = await page.evaluate(() => {
    const { comparison } = window.demo.explorer;
    return { cosine: window.demo.state.swapped.cosine, spread: comparison.diff.range[1], titleB: comparison.panels.b.title.textContent };
  });
  expect(linear.cosine).toBeLessThan(0.9999);
  expect(linear.spread).toBeGreaterThan(1e-3);
  expect(linear.titleB).toBe('B: linear in layer 0, head 7'); // the head opened above
  await page.screenshot({ path: testInfo.outputPath('model-compare.png'), fullPage: true });
});
