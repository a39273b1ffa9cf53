// The demo's static server:
//   node scripts/serve.mjs [--port 8000] [--host 127.0.0.1] [--no-isolation] [--dir DIR]
// Serves web/, wheels/, dist/models/ (at /models/), e2e/, bench/, node_modules/pyodide/ and
// node_modules/@ruvector/attention-wasm/ of this checkout (the layout of an app that serves
// its node_modules/; pages map `pyodide/` to /node_modules/pyodide/ in an import map) with COOP/COEP (cross-origin isolation, so SharedArrayBuffer is available) unless
// --no-isolation, and the JupyterLite site (dist/lite) at /lite/ always without them (its
// kernel hangs under them). `/` redirects to the demo. Binds 127.0.0.1 unless --host says
// otherwise. Only GET and HEAD; anything else is 405. `--dir DIR` serves DIR alone at `/`
// instead (the smoke test serves an app folder that installed the npm package this way).
//
// Files are sent by `send` (the engine of express.static / serve-static, kept by the
// Express team): ETag/Last-Modified, 304, Range/206/416, HEAD, dotfiles ignored, and its own
// root confinement. It is used rather than serve-static (a middleware wrapper we have no
// stack for) or sirv (caches a file list at start unless in dev mode, where it resolves
// paths itself) because it does exactly one thing and lets this file decide the mapping.
// This file maps a request target to (root, path) itself, strictly, before `send` sees it:
// each `/`-separated segment is percent-decoded once; a malformed escape (%zz, %, truncated
// or overlong UTF-8), a segment that decodes to `.`/`..` or contains `/`, `\`, NUL or a
// control character is 400; the path is re-encoded for `send`, so nothing is decoded twice.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import send from 'send';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// [URL prefix segments, directory under the checkout, cross-origin isolated]
const ROOTS = [
  [['web'], 'web', true],
  [['wheels'], 'wheels', true],
  [['models'], 'dist/models', true],
  [['e2e'], 'e2e', true],
  [['bench'], 'bench', true],
  [['node_modules', 'pyodide'], 'node_modules/pyodide', true],
  [['node_modules', '@ruvector', 'attention-wasm'], 'node_modules/@ruvector/attention-wasm', true],
  [['lite'], 'dist/lite', false],
];
// Types that differ from (or are missing in) mime-db's, keyed by extension.
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm', '.zip': 'application/zip', '.whl': 'application/zip',
  '.ts': 'text/plain; charset=utf-8',
};
const ALLOW = 'GET, HEAD';
const SEGMENT_BAD = /[/\\\u0000-\u001f\u007f]/;

const encode = (segment) => encodeURIComponent(segment).replace(/%40/g, '@');

/** Split a request target into decoded path segments and the query; null if malformed. */
export function parseTarget(target) {
  // absolute-form (`GET http://host/path`): only its path counts, taken as sent
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  if (absolute) target = target.slice(absolute[0].length) || '/';
  if (!target.startsWith('/')) return null; // asterisk-form, authority-form, relative
  const end = target.search(/[?#]/);
  const rawPath = end < 0 ? target : target.slice(0, end);
  const query = end >= 0 && target[end] === '?' ? target.slice(end).split('#', 1)[0] : '';
  const segments = [];
  for (const raw of rawPath.slice(1).split('/')) {
    let segment;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment === '.' || segment === '..' || SEGMENT_BAD.test(segment)) return null;
    segments.push(segment);
  }
  return { segments, query };
}

export function createServer({ isolation = true, root = ROOT, home = '/web/demo/', dir } = {}) {
  const roots = dir
    ? [{ prefix: [], dir: path.resolve(dir), isolated: true }]
    : ROOTS.map(([prefix, sub, isolated]) => ({ prefix, dir: path.resolve(root, sub), isolated }));
  if (dir) home = '/index.html';

  function handle(req, res) {
    const target = parseTarget(req.url ?? '');
    const segments = target?.segments ?? [];
    const match = roots.find(({ prefix }) => prefix.every((p, i) => segments[i] === p));
    const isolated = isolation && (match?.isolated ?? true);
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (isolated) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    const finish = (status, extra = {}) => {
      const body = `${http.STATUS_CODES[status] ?? status}\n`;
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return finish(405, { Allow: ALLOW });
    if (!target) return finish(400);
    if (segments.length === 1 && segments[0] === '') return finish(302, { Location: home });
    if (!match) return finish(404);
    const rest = segments.slice(match.prefix.length);
    const here = () => '/' + segments.map(encode).join('/');
    if (rest.length === 0) return finish(301, { Location: `${here()}/${target.query}` });
    if (rest.some((s) => s.startsWith('.'))) return finish(404); // dotfiles (send agrees)

    const stream = send(req, '/' + rest.map(encode).join('/'), {
      root: match.dir, dotfiles: 'ignore', index: ['index.html'], cacheControl: false,
      etag: true, lastModified: true, acceptRanges: true,
    });
    stream.on('headers', (response, file) => {
      const type = TYPES[path.extname(file).toLowerCase()];
      if (type) response.setHeader('Content-Type', type);
    });
    stream.on('directory', () => finish(301, { Location: `${here()}/${target.query}` }));
    stream.on('error', (err) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      for (const name of ['Content-Type', 'Content-Length', 'Content-Range', 'ETag', 'Last-Modified', 'Accept-Ranges']) {
        res.removeHeader(name);
      }
      const status = Number.isInteger(err?.status) && err.status >= 400 && err.status < 600 ? err.status : 500;
      finish(status, status === 416 ? { 'Content-Range': err.headers?.['Content-Range'] ?? '' } : {});
    });
    stream.pipe(res);
  }

  const server = http.createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      console.error('serve.mjs: request failed:', err);
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Internal Server Error\n');
    }
  });
  // CONNECT never reaches the request handler; answer it like any other unsupported method.
  server.on('connect', (req, socket) => {
    socket.on('error', () => {});
    socket.end(`HTTP/1.1 405 Method Not Allowed\r\nAllow: ${ALLOW}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  });
  return server;
}

function parseArgs(argv) {
  const opts = { port: 8000, host: '127.0.0.1', isolation: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--no-isolation') opts.isolation = false;
    else if (arg === '--port' && /^\d{1,5}$/.test(argv[i + 1] ?? '') && Number(argv[i + 1]) < 65536) opts.port = Number(argv[++i]);
    else if (arg === '--host' && argv[i + 1]) opts.host = argv[++i];
    else if (arg === '--dir' && argv[i + 1]) opts.dir = argv[++i];
    else throw new Error(`unknown or incomplete argument ${JSON.stringify(arg)}`);
  }
  return opts;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`serve.mjs: ${err.message}\nusage: node scripts/serve.mjs [--port 8000] [--host 127.0.0.1] [--no-isolation] [--dir DIR]`);
    process.exit(2);
  }
  const server = createServer({ isolation: opts.isolation, dir: opts.dir });
  server.on('error', (err) => {
    console.error(`serve.mjs: ${err.message}`);
    process.exit(1);
  });
  server.listen(opts.port, opts.host, () => {
    const { address, port } = server.address();
    const host = address.includes(':') ? `[${address}]` : address;
    console.log(`${opts.dir ? `serving ${opts.dir}` : 'ruvector-attention demo'}: http://${host}:${port}/  (${opts.isolation ? 'cross-origin isolated' : 'no isolation'}; Ctrl-C stops)`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
