// The .d.ts files: they compile against real usage, and the MechanismName union is
// exactly the Python registry.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { it } from 'node:test';
import { PYTHON, ROOT } from './helpers.mjs';

it('MechanismName lists exactly the registered mechanisms', () => {
  const source = readFileSync(`${ROOT}web/core/types.d.ts`, 'utf8');
  const union = source.match(/export type MechanismName =([^;]+);/)[1];
  const names = [...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort();
  const registry = JSON.parse(execFileSync(PYTHON, ['-c', 'import json, ruvector_attention as ra; print(json.dumps(ra.mechanisms()))']));
  assert.deepEqual(names, registry);
});

it('scripts/gen-types.mjs --check: the union is up to date, and an out-of-date copy is caught and rewritten', () => {
  const script = `${ROOT}scripts/gen-types.mjs`;
  execFileSync(process.execPath, [script, '--check']);
  const source = readFileSync(`${ROOT}web/core/types.d.ts`, 'utf8');
  const stale = `${mkdtempSync(`${tmpdir()}/types-`)}/types.d.ts`;
  writeFileSync(stale, source.replace("  | 'flash'\n", ''));
  assert.throws(() => execFileSync(process.execPath, [script, '--check', stale], { stdio: 'pipe' }), { status: 1 });
  execFileSync(process.execPath, [script, stale]);
  assert.equal(readFileSync(stale, 'utf8'), source);
});

it('tsc accepts the documented usage and rejects misuse', () => {
  execFileSync(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, '-p', `${ROOT}tests/types/tsconfig.json`], {
    encoding: 'utf8',
  });
});

it("the README's Node.js quick start runs (importing the package by its own name)", () => {
  const snippet = execFileSync(PYTHON, [`${ROOT}scripts/readme_snippet.py`, 'Quick start (Node.js)', 'js'], { encoding: 'utf8' });
  mkdirSync(`${ROOT}dist`, { recursive: true });
  const file = `${ROOT}dist/readme-quickstart.mjs`; // inside the package, so its exports resolve
  writeFileSync(file, snippet);
  const out = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 120_000 });
  assert.match(out, /'multi_head'/);
  assert.match(out, /^64 512 1\.000$/m);
});
