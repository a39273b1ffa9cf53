// The .d.ts files: they compile against real usage, and the MechanismName union is
// exactly the Python registry.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { PYTHON, ROOT } from './helpers.mjs';

it('MechanismName lists exactly the registered mechanisms', () => {
  const source = readFileSync(`${ROOT}web/core/types.d.ts`, 'utf8');
  const union = source.match(/export type MechanismName =([^;]+);/)[1];
  const names = [...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort();
  const registry = JSON.parse(execFileSync(PYTHON, ['-c', 'import json, ruvector_attention as ra; print(json.dumps(ra.mechanisms()))']));
  assert.deepEqual(names, registry);
});

it('tsc accepts the documented usage and rejects misuse', () => {
  execFileSync(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, '-p', `${ROOT}tests/types/tsconfig.json`], {
    encoding: 'utf8',
  });
});

it('the README quickstart example runs', () => {
  const out = execFileSync(process.execPath, [`${ROOT}node/examples/quickstart.mjs`], { encoding: 'utf8', timeout: 120_000 });
  assert.match(out, /InvalidConfigError: dim \(64\) must be divisible by num_heads \(5\)/);
  assert.match(out, /weights sum 1\.0000/);
});
