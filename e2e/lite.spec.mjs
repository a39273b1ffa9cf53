// The JupyterLite site: open a notebook, run every cell in the Pyodide kernel, check the
// printed numbers; nothing leaves 127.0.0.1.
import { expect, test } from '@playwright/test';

/** Open notebook `name`, run all its cells; returns the page's output locator and the
 * requests that went elsewhere than 127.0.0.1. */
async function runNotebook(page, name) {
  const outside = [];
  page.on('request', (request) => {
    if (!request.url().startsWith('http://127.0.0.1:') && !request.url().startsWith('data:') && !request.url().startsWith('blob:')) outside.push(request.url());
  });
  await page.goto(`/lite/lab/index.html?path=${name}`);
  await page.waitForFunction(() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === 'idle',
    null, { timeout: 120_000, polling: 500 });
  await page.evaluate(() => {
    void window.jupyterapp.commands.execute('notebook:run-all-cells'); // resolves only when all ran
  });
  return { outputs: page.locator('.jp-OutputArea-output'), outside };
}

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== 'not-isolated', 'the site is served without COOP/COEP on either server; once is enough');
});

test('the tour notebook runs in JupyterLite, offline', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  const { outputs, outside } = await runNotebook(page, '01-tour.ipynb');
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

// Chromium's renderer has crashed ("Target crashed") under this notebook in some runs on
// these machines (the page holds the 90 MB checkpoint and Pyodide's heap), before and after
// the wasm kernels, with no error of ours in the page: one more try is allowed, and each
// try checks everything.
test.describe(() => {
  test.describe.configure({ retries: 1 });
  test('the real-model notebook runs all-MiniLM-L6-v2 in JupyterLite, offline', async ({ page }, testInfo) => {
    test.setTimeout(420_000);
    const { outputs, outside } = await runNotebook(page, '05-real-model.ipynb');
    // the last cell prints the swap table; flash in every layer is its last row
    await expect(outputs.filter({ hasText: /flash\s+all/ })).toHaveCount(1, { timeout: 360_000 });
    const text = (await outputs.allInnerTexts()).join('\n');
    expect(text).toContain("'[CLS]', 'the', 'cat', 'sat'");
    expect(text).toMatch(/loaded in [\d.]+ s: 6 layers, 12 heads, width 384/);
    expect(text).toMatch(/flash\s+all\s+1\.0000\s+1\.0000/);
    expect(text).not.toMatch(/Traceback|Error/);
    await expect(page.locator('.jp-OutputArea-output svg rect').first()).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath('lite-real-model.png'), fullPage: true });
    expect(outside).toEqual([]);
  });
});
