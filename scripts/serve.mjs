// The demo's static server: node scripts/serve.mjs [--port 8000] [--no-isolation]
// Serves web/ and dist/ of this checkout on 127.0.0.1 with COOP/COEP (cross-origin
// isolation, so SharedArrayBuffer is available) unless --no-isolation, and the JupyterLite
// site (dist/lite) at /lite/ always without them. `/` is the demo.
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVED = ['/web/', '/dist/', '/e2e/', '/bench/', '/node_modules/@ruvector/attention-wasm/'];
const LITE = '/lite/'; // -> dist/lite/, never isolated
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm',
  '.zip': 'application/zip', '.whl': 'application/zip', '.png': 'image/png', '.svg': 'image/svg+xml',
  '.ts': 'text/plain',
};

export function createServer({ isolation = true, root = ROOT, home = '/web/demo/' } = {}) {
  return http.createServer((req, res) => {
    const headers = { 'Cache-Control': 'no-store', 'Cross-Origin-Resource-Policy': 'same-origin' };
    let pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    if (isolation && !pathname.startsWith(LITE)) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    if (pathname === '/') {
      res.writeHead(302, { ...headers, Location: home }).end();
      return;
    }
    if (pathname.endsWith('/')) pathname += 'index.html';
    const lite = pathname.startsWith(LITE);
    const file = lite ? path.join(root, 'dist', pathname) : path.join(root, pathname);
    const inside = lite ? path.join(root, 'dist', 'lite') : root;
    const allowed = (lite || SERVED.some((prefix) => pathname.startsWith(prefix))) && file.startsWith(inside);
    let stat = null;
    try {
      stat = allowed ? statSync(file) : null;
    } catch {
      stat = null;
    }
    if (!stat?.isFile()) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    headers['Content-Type'] = TYPES[path.extname(file)] ?? 'application/octet-stream';
    headers['Content-Length'] = stat.size;
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const port = Number(args[args.indexOf('--port') + 1] || 8000);
  const isolation = !args.includes('--no-isolation');
  const server = createServer({ isolation }).listen(port, '127.0.0.1', () => {
    console.log(`ruvector-attention demo: http://127.0.0.1:${port}/  (${isolation ? 'cross-origin isolated' : 'no isolation'}; Ctrl-C stops)`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
