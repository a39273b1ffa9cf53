// The JupyterLite site: open a notebook, run every cell in the Pyodide kernel, check the
// printed numbers and the SVG heatmaps; nothing leaves 127.0.0.1.
import { expect, test } from '@playwright/test';

test('the tour notebook runs in JupyterLite, offline', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'not-isolated', 'the site is served without COOP/COEP on either server; once is enough');
  test.setTimeout(240_000);
  const outside = [];
  page.on('request', (request) => {
    if (!request.url().startsWith('http://127.0.0.1:') && !request.url().startsWith('data:') && !request.url().startsWith('blob:')) outside.push(request.url());
  });
  await page.goto('/lite/lab/index.html?path=01-tour.ipynb');
  await page.waitForFunction(() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === 'idle',
    null, { timeout: 120_000, polling: 500 });
  await page.evaluate(() => {
    void window.jupyterapp.commands.execute('notebook:run-all-cells'); // resolves only when all ran
  });
  const outputs = page.locator('.jp-OutputArea-output');
  await expect(outputs.filter({ hasText: 'the -> the:' })).toHaveCount(1, { timeout: 150_000 });
  await expect(page.locator('.jp-OutputArea-output svg rect').first()).toBeVisible({ timeout: 60_000 });
  const text = (await outputs.allInnerTexts()).join('\n');
  expect(text).toContain('ruvector_attention 0.1.0');
  for (const name of ['scaled_dot', 'multi_head', 'flash', 'hyperbolic', 'moe']) expect(text).toContain(name);
  expect(text).not.toMatch(/Traceback|Error/);
  const cells = await page.locator('.jp-OutputArea-output svg rect').count();
  expect(cells).toBeGreaterThan(100 + 4 * 100); // scaled_dot 10x10 + 4 heads of 10x10
  await page.screenshot({ path: testInfo.outputPath('lite.png'), fullPage: true });
  expect(outside).toEqual([]);
});
