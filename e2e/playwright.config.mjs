// Playwright in Debian's headless Chromium (never `playwright install`), against our own
// server, once cross-origin isolated (COOP/COEP, SharedArrayBuffer) and once without.
import { defineConfig } from '@playwright/test';

const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export default defineConfig({
  testDir: '.',
  outputDir: '../dist/e2e-results',
  timeout: 120_000,
  workers: 1,
  reporter: 'list',
  use: {
    headless: true,
    browserName: 'chromium',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: chromiumArgs },
    acceptDownloads: true,
  },
  projects: [
    { name: 'isolated', use: { baseURL: 'http://127.0.0.1:8124' } },
    { name: 'not-isolated', use: { baseURL: 'http://127.0.0.1:8125' } },
  ],
  webServer: [
    { command: 'node ../scripts/serve.mjs --port 8124', url: 'http://127.0.0.1:8124/web/demo/', reuseExistingServer: false },
    { command: 'node ../scripts/serve.mjs --port 8125 --no-isolation', url: 'http://127.0.0.1:8125/web/demo/', reuseExistingServer: false },
    // an app folder that installed the packed tarball (scripts/smoke.sh), for package.spec.mjs
    { command: 'node ../scripts/serve.mjs --port 8126 --dir ../dist/smoke/npm', port: 8126, reuseExistingServer: false },
    { command: 'node ../scripts/serve.mjs --port 8127 --dir ../dist/smoke/npm --no-isolation', port: 8127, reuseExistingServer: false },
  ],
});
