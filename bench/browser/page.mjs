// One page of bench/browser/ in headless Chromium (Debian's, never downloaded) on our own
// server, cross-origin isolated: resolves to what the page puts in window.results.
import { chromium } from 'playwright-core';
import { createServer } from '../../scripts/serve.mjs';

/** Open `path` (e.g. '/bench/browser/index.html') and wait for its window.results. */
export async function pageResults(path, { timeoutMs = 900_000, viewport = { width: 1400, height: 1000 } } = {}) {
  const server = createServer({ isolation: true });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport });
    await page.goto(`http://127.0.0.1:${server.address().port}${path}`);
    await page.waitForFunction(() => window.results, null, { timeout: timeoutMs, polling: 1000 });
    return await page.evaluate(() => window.results);
  } finally {
    await browser.close();
    server.closeAllConnections();
    server.close();
  }
}
