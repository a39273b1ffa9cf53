// Playwright in Debian's headless Chromium (never `playwright install`), against our own
// server, once cross-origin isolated (COOP/COEP, SharedArrayBuffer) and once without.
import { defineConfig } from '@playwright/test';

// E2E_PORT_BASE moves the four servers (base .. base+3), so two runs can share a machine.
const base = Number(process.env.E2E_PORT_BASE || 8124);
const [isolated, open, packIsolated, packOpen] = [base, base + 1, base + 2, base + 3];

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
    { name: 'isolated', use: { baseURL: `http://127.0.0.1:${isolated}` } },
    { name: 'not-isolated', use: { baseURL: `http://127.0.0.1:${open}` } },
  ],
  webServer: [
    { command: `node ../scripts/serve.mjs --port ${isolated}`, url: `http://127.0.0.1:${isolated}/web/demo/`, reuseExistingServer: false },
    { command: `node ../scripts/serve.mjs --port ${open} --no-isolation`, url: `http://127.0.0.1:${open}/web/demo/`, reuseExistingServer: false },
    // an app folder that installed the packed tarball (scripts/smoke.sh), for package.spec.mjs
    { command: `node ../scripts/serve.mjs --port ${packIsolated} --dir ../dist/smoke/npm`, port: packIsolated, reuseExistingServer: false },
    { command: `node ../scripts/serve.mjs --port ${packOpen} --dir ../dist/smoke/npm --no-isolation`, port: packOpen, reuseExistingServer: false },
  ],
});
