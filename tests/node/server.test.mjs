// The demo server (scripts/serve.mjs) under hostile requests, sent byte-exact over raw
// sockets so no URL parser normalises them first. The server runs over a temporary checkout
// whose files outside the served roots hold SECRET markers: an escape shows up by content.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createServer } from '../../scripts/serve.mjs';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIG = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7) % 251));
const FILES = {
  'web/index.html': '<p>PUBLIC web index</p>',
  'web/demo/index.html': '<p>PUBLIC demo</p>',
  'web/app.mjs': 'export const PUBLIC = 1;',
  'web/app.js': 'var PUBLIC = 1;',
  'web/style.css': 'p { color: red } /* PUBLIC */',
  'web/types.d.ts': 'export declare const PUBLIC: 1;',
  'web/data.json': '{"PUBLIC": true}',
  'web/kernel.wasm': Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
  'web/pkg-0.1.0-py3-none-any.whl': Buffer.from('PK\u0003\u0004PUBLIC'),
  'web/big.bin': BIG,
  'web/sub/index.html': '<p>PUBLIC sub</p>',
  'web/%2e%2e/index.html': '<p>PUBLIC literal percent dir</p>',
  'web/.hidden': 'SECRET dotfile inside a root',
  'wheels/file.txt': 'PUBLIC wheels file',
  'node_modules/pyodide/pyodide.mjs': 'export const PUBLIC = 4;',
  'dist/lite/index.html': '<p>PUBLIC lite</p>',
  'dist/lite/lab/index.html': '<p>PUBLIC lite lab</p>',
  'dist/lite/.stamp': 'SECRET lite stamp',
  'e2e/spec.mjs': 'export const PUBLIC = 2;',
  'bench/browser/index.html': '<p>PUBLIC bench</p>',
  'node_modules/@ruvector/attention-wasm/pkg.js': 'export const PUBLIC = 3;',
  // outside every root
  'package.json': '{"name": "SECRET package.json"}',
  '.git/config': '[core] SECRET git config',
  '.venv/pyvenv.cfg': 'home = SECRET venv',
  'secret.txt': 'SECRET top level',
  'lite-build.log': 'SECRET top-level lite log',
  'web-secret/secret.txt': 'SECRET web- sibling',
  'lite/secret.txt': 'SECRET a lite/ directory at the top',
  'node_modules/@ruvector/attention-wasm-evil/secret.txt': 'SECRET prefix sibling',
  'node_modules/@ruvector/other/secret.txt': 'SECRET other package',
  'node_modules/pyodide-evil/secret.txt': 'SECRET pyodide prefix sibling',
  'node_modules/other/secret.txt': 'SECRET other package',
  'dist/file.txt': 'SECRET dist is not served',
};
// dist/lite-build.log sits inside dist/ but outside dist/lite: /lite/ must never reach it.
const LITE_LOG = 'dist/lite-build.log';
const LITE_LOG_TEXT = 'LITELOG build output';

let root;
let server;
let plain; // the same tree served with isolation: false
let port;
let plainPort;

/** Send `request` verbatim and collect whatever comes back until the server closes. */
function raw(request, { to = port, timeoutMs = 15_000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(to, '127.0.0.1');
    const chunks = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(request.slice(0, 120))}`));
    }, timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {}); // a reset after the answer is fine; 'close' follows
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parse(Buffer.concat(chunks)));
    });
    socket.write(request);
  });
}

function parse(buf) {
  const text = buf.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const head = split < 0 ? text : text.slice(0, split);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  return { status, headers, body: split < 0 ? Buffer.alloc(0) : buf.subarray(split + 4), text };
}

const request = (target, { method = 'GET', headers = '', to } = {}) =>
  raw(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headers}\r\n`, { to });

function assertNoSecret(res, label) {
  assert.ok(!res.text.includes('SECRET'), `${label}: a secret leaked:\n${res.text.slice(0, 300)}`);
  assert.ok(!label.startsWith('/lite') || !res.text.includes('LITELOG'), `${label}: dist/lite-build.log leaked`);
}

const listen = (srv) => new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv.address().port)));

before(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'serve-test-'));
  for (const [name, content] of Object.entries({ ...FILES, [LITE_LOG]: LITE_LOG_TEXT })) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), content);
  }
  server = createServer({ isolation: true, root, home: '/web/demo/' });
  plain = createServer({ isolation: false, root });
  port = await listen(server);
  plainPort = await listen(plain);
});

after(() => {
  for (const srv of [server, plain]) {
    srv?.closeAllConnections();
    srv?.close();
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

// [request target, expected status]; every one of them must leak nothing.
const HOSTILE = [
  // malformed percent-encoding (formerly an uncaught URIError that stopped the process)
  ['/web/%zz', 400],
  ['/web/%', 400],
  ['/web/%E0%A4%A', 400],
  ['/web/%c0%ae', 400],
  ['/web/%c0%ae%c0%ae/package.json', 400],
  ['/web/%ed%a0%80', 400], // a UTF-16 surrogate encoded as UTF-8
  ['/web/%ff', 400],
  // encoded dots and slashes after a served prefix (formerly 200 with the file)
  ['/web/..%2f.git/config', 400],
  ['/web/..%2f.venv/pyvenv.cfg', 400],
  ['/wheels/..%2fpackage.json', 400],
  ['/dist/file.txt', 404],
  ['/node_modules/pyodide/..%2fother/secret.txt', 400],
  ['/node_modules/other/secret.txt', 404],
  ['/lite/..%2flite-build.log', 400],
  ['/web/..%2F..%2Fpackage.json', 400],
  ['/web/%2e%2e/package.json', 400],
  ['/web/%2E%2E/package.json', 400],
  ['/web/%2e%2e%2fpackage.json', 400],
  ['/web/%2E%2E%2Fpackage.json', 400],
  ['/web/.%2e/package.json', 400],
  ['/web/%2e./package.json', 400],
  ['/web/%2e/index.html', 400],
  ['/web%2f..%2fpackage.json', 400],
  ['/lite%2f..%2flite-build.log', 400],
  ['/node_modules/@ruvector/attention-wasm/..%2fother/secret.txt', 400],
  // backslashes, raw and encoded
  ['/web/..%5cpackage.json', 400],
  ['/web/..%5C..%5Cpackage.json', 400],
  ['/web/%2e%2e%5c%2e%2e%5cpackage.json', 400],
  ['/web/..\\package.json', 400],
  ['/web\\..\\package.json', 400],
  ['/web/..\\..\\.git\\config', 400],
  // double encoding: decoded once, so it names a literal file (absent) and never a parent
  ['/web/%252e%252e/package.json', 404],
  ['/web/%252e%252e%252fpackage.json', 404],
  ['/web/..%252fpackage.json', 404],
  ['/web/%252e%252e/index.html', 200], // the literal directory "%2e%2e" inside web/
  ['/web/%25c0%25ae', 404],
  // null bytes and control characters
  ['/web/%00', 400],
  ['/web/index.html%00.txt', 400],
  ['/web/%00/../package.json', 400],
  ['/web/%0d%0aSet-Cookie:%20x=1', 400],
  // plain dot segments (browsers remove them; a raw client need not)
  ['/web/../package.json', 400],
  ['/../package.json', 400],
  ['/web/./index.html', 400],
  ['/lite/../lite-build.log', 400],
  ['/node_modules/@ruvector/attention-wasm/../other/secret.txt', 400],
  // outside every root, sibling prefixes, dotfiles
  ['/package.json', 404],
  ['/.git/config', 404],
  ['/secret.txt', 404],
  ['/lite-build.log', 404],
  ['/web-secret/secret.txt', 404],
  ['/node_modules/@ruvector/attention-wasm-evil/secret.txt', 404],
  ['/node_modules/@ruvector/other/secret.txt', 404],
  ['/node_modules/pyodide/secret.txt', 404],
  ['/web/.hidden', 404],
  ['/web/%2ehidden', 404],
  ['/lite/.stamp', 404],
  ['//package.json', 404],
  ['//web/../package.json', 400],
  ['/web/index.html/', 404],
  ['/web/' + 'a'.repeat(8000), 404], // a name too long for the file system
  // absolute-form and other request-target forms
  ['http://evil/../package.json', 400],
  ['http://evil/web/..%2fpackage.json', 400],
  ['http://evil/package.json', 404],
  ['HTTP://127.0.0.1/web/%2e%2e/package.json', 400],
  ['*', 400],
  ['package.json', 400],
  ['web/../package.json', 400],
  // the query and fragment never take part in the path
  ['/web/index.html?../../package.json', 200],
  ['/web/index.html?/..%2f..%2fpackage.json', 200],
];

describe('hostile request targets', () => {
  for (const [target, status] of HOSTILE) {
    it(`${target.length > 60 ? target.slice(0, 60) + '...' : target} -> ${status}`, async () => {
      const res = await request(target);
      assert.equal(res.status, status, `${target}: ${res.text.slice(0, 200)}`);
      assertNoSecret(res, target);
      if (status >= 400) assert.ok(!res.text.includes('PUBLIC'), `${target}: served a file`);
    });
  }

  it('a 100 KB URL is refused without harm', async () => {
    for (const target of ['/web/' + 'a'.repeat(100_000), '/web/' + '..%2f'.repeat(25_000) + 'package.json']) {
      const res = await request(target);
      assert.ok([400, 414, 431].includes(res.status), `status ${res.status}`);
      assertNoSecret(res, '/web/ (100 KB)');
    }
  });

  it('a huge header, garbage and half-sent requests are refused', async () => {
    const huge = await request('/web/index.html', { headers: `X-Big: ${'b'.repeat(100_000)}\r\n` });
    assert.ok([400, 431].includes(huge.status), `status ${huge.status}`);
    assert.equal((await raw('GARBAGE\r\n\r\n')).status, 400);
    assert.equal((await raw('GET /web/a b HTTP/1.1\r\nHost: x\r\n\r\n')).status, 400);
    assert.equal((await raw('GET /web/\u0001 HTTP/1.1\r\nHost: x\r\n\r\n')).status, 400);
    // half a request line, then the client goes away
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise((resolve) => socket.on('connect', resolve));
    socket.write('GET /web/big.b');
    socket.destroy();
  });
});

describe('methods', () => {
  const OTHERS = ['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND', 'PROPPATCH', 'MKCOL',
    'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'PURGE', 'LINK', 'UNLINK', 'REPORT', 'MKACTIVITY',
    'CHECKOUT', 'MERGE', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'M-SEARCH', 'SOURCE', 'BIND', 'REBIND', 'UNBIND', 'ACL'];
  for (const method of OTHERS) {
    it(`${method} -> 405 with Allow`, async () => {
      const headers = 'Content-Length: 5\r\n';
      const res = await raw(`${method} /web/index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}\r\nhello`);
      assert.equal(res.status, 405);
      assert.equal(res.headers.allow, 'GET, HEAD');
      assert.ok(!res.text.includes('PUBLIC'));
    });
  }

  it('CONNECT -> 405 with Allow', async () => {
    const res = await raw('CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n');
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'GET, HEAD');
  });

  it('a method the HTTP parser does not know -> 400', async () => {
    assert.equal((await raw('BREW /web/index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status, 400);
  });

  it('HEAD: the GET headers and no body', async () => {
    const res = await request('/web/big.bin', { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], String(BIG.length));
    assert.equal(res.body.length, 0);
    const missing = await request('/web/missing', { method: 'HEAD' });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.length, 0);
  });
});

describe('what it serves', () => {
  it('each root, its files and MIME types', async () => {
    const cases = [
      ['/web/index.html', 'text/html; charset=utf-8'],
      ['/web/app.mjs', 'text/javascript; charset=utf-8'],
      ['/web/app.js', 'text/javascript; charset=utf-8'],
      ['/web/style.css', 'text/css; charset=utf-8'],
      ['/web/types.d.ts', 'text/plain; charset=utf-8'],
      ['/web/data.json', 'application/json; charset=utf-8'],
      ['/web/kernel.wasm', 'application/wasm'],
      ['/web/pkg-0.1.0-py3-none-any.whl', 'application/zip'],
      ['/web/big.bin', 'application/octet-stream'],
      ['/wheels/file.txt', 'text/plain; charset=utf-8'],
      ['/node_modules/pyodide/pyodide.mjs', 'text/javascript; charset=utf-8'],
      ['/e2e/spec.mjs', 'text/javascript; charset=utf-8'],
      ['/bench/browser/index.html', 'text/html; charset=utf-8'],
      ['/node_modules/@ruvector/attention-wasm/pkg.js', 'text/javascript; charset=utf-8'],
      ['/node_modules/%40ruvector/attention-wasm/pkg.js', 'text/javascript; charset=utf-8'],
      ['/lite/index.html', 'text/html; charset=utf-8'],
      ['/lite/lab/index.html', 'text/html; charset=utf-8'],
    ];
    for (const [target, type] of cases) {
      const res = await request(target);
      assert.equal(res.status, 200, target);
      assert.equal(res.headers['content-type'], type, target);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', target);
      const file = target.replace(/^\/lite\//, '/dist/lite/').replace('%40', '@').slice(1);
      assert.deepEqual(res.body, Buffer.from(FILES[file]), target);
    }
  });

  it('/ redirects to the demo; directories get their slash and index.html', async () => {
    const cases = [
      ['/', 302, '/web/demo/'], ['/?x=1', 302, '/web/demo/'], ['/web', 301, '/web/'],
      ['/web/sub', 301, '/web/sub/'], ['/web/sub?a=b', 301, '/web/sub/?a=b'], ['/lite', 301, '/lite/'],
      ['/lite/lab?path=x.ipynb', 301, '/lite/lab/?path=x.ipynb'],
      ['/node_modules/@ruvector/attention-wasm', 301, '/node_modules/@ruvector/attention-wasm/'],
    ];
    for (const [target, status, location] of cases) {
      const res = await request(target);
      assert.equal(res.status, status, target);
      assert.equal(res.headers.location, location, target);
    }
    for (const [target, marker] of [['/web/sub/', 'PUBLIC sub'], ['/web/demo/', 'PUBLIC demo'], ['/lite/', 'PUBLIC lite'], ['/lite/lab/', 'PUBLIC lite lab']]) {
      const res = await request(target);
      assert.equal(res.status, 200, target);
      assert.ok(res.body.toString().includes(marker), target);
    }
  });

  it('COOP/COEP everywhere but /lite/, CORP everywhere; none with isolation off', async () => {
    for (const target of ['/web/index.html', '/wheels/file.txt', '/web/missing', '/web/%zz', '/', '/nowhere', '/web/..%2fpackage.json', '/litex/index.html']) {
      const res = await request(target);
      assert.equal(res.headers['cross-origin-opener-policy'], 'same-origin', target);
      assert.equal(res.headers['cross-origin-embedder-policy'], 'require-corp', target);
      assert.equal(res.headers['cross-origin-resource-policy'], 'same-origin', target);
    }
    const post = await request('/web/index.html', { method: 'POST' });
    assert.equal(post.headers['cross-origin-embedder-policy'], 'require-corp');
    for (const target of ['/lite/index.html', '/lite/', '/lite/lab/index.html', '/lite/missing', '/lite']) {
      const res = await request(target);
      assert.equal(res.headers['cross-origin-opener-policy'], undefined, target);
      assert.equal(res.headers['cross-origin-embedder-policy'], undefined, target);
      assert.equal(res.headers['cross-origin-resource-policy'], 'same-origin', target);
    }
    const off = await request('/web/index.html', { to: plainPort });
    assert.equal(off.status, 200);
    assert.equal(off.headers['cross-origin-opener-policy'], undefined);
    assert.equal(off.headers['cross-origin-embedder-policy'], undefined);
  });

  it('--dir: one folder at /, / to its index.html, nothing outside it', async () => {
    const app = createServer({ dir: path.join(root, 'web') });
    const appPort = await listen(app);
    try {
      const home = await request('/', { to: appPort });
      assert.equal(home.status, 302);
      assert.equal(home.headers.location, '/index.html');
      const page = await request('/index.html', { to: appPort });
      assert.equal(page.status, 200);
      assert.deepEqual(page.body, Buffer.from(FILES['web/index.html']));
      assert.equal(page.headers['cross-origin-embedder-policy'], 'require-corp');
      assert.equal((await request('/sub/', { to: appPort })).status, 200);
      for (const [target, status] of [['/..%2fsecret.txt', 400], ['/web/index.html', 404], ['/.hidden', 404]]) {
        const res = await request(target, { to: appPort });
        assert.equal(res.status, status, target);
        assertNoSecret(res, target);
      }
    } finally {
      app.closeAllConnections();
      app.close();
    }
  });

  it('conditional GET: 304 on If-None-Match and If-Modified-Since', async () => {
    const first = await request('/web/app.mjs');
    const { etag, 'last-modified': modified } = first.headers;
    assert.ok(etag && modified);
    const byTag = await request('/web/app.mjs', { headers: `If-None-Match: ${etag}\r\n` });
    assert.equal(byTag.status, 304);
    assert.equal(byTag.body.length, 0);
    assert.equal(byTag.headers['cross-origin-embedder-policy'], 'require-corp');
    const byDate = await request('/web/app.mjs', { headers: `If-Modified-Since: ${modified}\r\n` });
    assert.equal(byDate.status, 304);
    const stale = await request('/web/app.mjs', { headers: 'If-None-Match: "nope"\r\n' });
    assert.equal(stale.status, 200);
  });

  it('ranges: 206 with the bytes asked for, 416 past the end, 200 for several', async () => {
    const part = await request('/web/big.bin', { headers: 'Range: bytes=100-199\r\n' });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 100-199/${BIG.length}`);
    assert.deepEqual(part.body, BIG.subarray(100, 200));
    const tail = await request('/web/big.bin', { headers: 'Range: bytes=-10\r\n' });
    assert.equal(tail.status, 206);
    assert.deepEqual(tail.body, BIG.subarray(BIG.length - 10));
    const past = await request('/web/big.bin', { headers: 'Range: bytes=20000-\r\n' });
    assert.equal(past.status, 416);
    assert.equal(past.headers['content-range'], `bytes */${BIG.length}`);
    assert.equal(past.headers['cross-origin-opener-policy'], 'same-origin');
    const several = await request('/web/big.bin', { headers: 'Range: bytes=0-1,5000-5001\r\n' });
    assert.equal(several.status, 200);
    const junk = await request('/web/big.bin', { headers: 'Range: bytes=zz\r\n' });
    assert.equal(junk.status, 200);
    assert.equal(junk.body.length, BIG.length);
  });
});

describe('load and aborts', () => {
  it('clients that vanish mid-response do no harm', async () => {
    for (let i = 0; i < 20; i++) {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise((resolve) => socket.on('connect', resolve));
      socket.write('GET /web/big.bin HTTP/1.1\r\nHost: x\r\n\r\n');
      if (i % 2) await new Promise((resolve) => socket.once('data', resolve));
      socket.destroy();
    }
    assert.equal((await request('/web/index.html')).status, 200);
  });

  it('200 concurrent requests, hostile and not, all answered correctly', async () => {
    const mix = [...HOSTILE, ['/web/big.bin', 200], ['/lite/index.html', 200], ['/web/demo/', 200]];
    const jobs = Array.from({ length: 200 }, (_, i) => mix[(i * 7) % mix.length]);
    const answers = await Promise.all(jobs.map(([target]) => request(target)));
    answers.forEach((res, i) => {
      assert.equal(res.status, jobs[i][1], jobs[i][0]);
      assertNoSecret(res, jobs[i][0]);
    });
  });

  it('still answers a normal GET at the end', async () => {
    const res = await request('/web/demo/');
    assert.equal(res.status, 200);
    assert.ok(res.body.toString().includes('PUBLIC demo'));
    assert.equal(server.listening, true);
  });
});

describe('the CLI', () => {
  it('survives the formerly fatal /web/%zz and keeps serving; binds 127.0.0.1', async () => {
    const child = spawn(process.execPath, [path.join(REPO, 'scripts/serve.mjs'), '--port', '0'], {
      cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk) => { output += chunk; });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      const childPort = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner: ${output}`)), 15_000);
        child.stdout.on('data', (chunk) => {
          output += chunk;
          const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
        child.on('exit', () => reject(new Error(`exited: ${output}`)));
      });
      for (const target of ['/web/%zz', '/web/%', '/web/%c0%ae', '/web/..%2f.git/config', '/wheels/..%2fpackage.json']) {
        const res = await request(target, { to: childPort });
        assert.equal(res.status, 400, target);
        assert.ok(!res.text.includes('[core]') && !res.text.includes('"devDependencies"'), `${target} leaked`);
      }
      assert.equal(child.exitCode, null, 'the server process exited');
      const ok = await request('/web/index.mjs', { to: childPort });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal((await request('/', { to: childPort })).headers.location, '/web/demo/');
    } finally {
      child.kill('SIGTERM');
    }
    assert.deepEqual(await exited, { code: 0, signal: null });
  });

  it('rejects an unknown argument', async () => {
    const child = spawn(process.execPath, [path.join(REPO, 'scripts/serve.mjs'), '--port', 'eighty'], { stdio: 'ignore' });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 2);
  });
});
