// createRuntime works whatever flags Node was started with (issue 11): worker_threads
// refuse V8 and per-process flags in a worker's execArgv, and a file worker refuses
// --input-type; the workers get the rest.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { flagUnits, withoutRefused } from '../../node/flags.mjs';
import { ROOT } from './helpers.mjs';

const run = promisify(execFile);

const SCRIPT = `
import { createRuntime } from ${JSON.stringify(`${ROOT}node/index.mjs`)};
const rt = await createRuntime({ workers: 1 });
const attn = await rt.create('scaled_dot', { dim: 2 });
const out = await attn.compute([1, 0], [[1, 0], [0, 1]], [[1], [0]]);
await rt.close();
console.log(JSON.stringify(Array.from(out)));
`;

// softmax([1/sqrt(2), 0]) . [1, 0]
const EXPECTED = Math.exp(Math.SQRT1_2) / (Math.exp(Math.SQRT1_2) + 1);

const FLAG_SETS = {
  'V8 and per-process flags': ['--max-old-space-size=2048', '--expose-gc', '--stack-size=2000', '--title=ruvector-test', '--abort-on-uncaught-exception'],
  'flags with separate values': ['--title', 'ruvector-test', '--max-semi-space-size=16', '--conditions', 'development', '--no-warnings', '--unhandled-rejections=strict'],
  'the inspector': ['--inspect=127.0.0.1:0', '--enable-source-maps'],
};

describe('flag units', () => {
  it('pairs a flag with its separate value', () => {
    assert.deepEqual(flagUnits(['--title', 'x', '--expose-gc', '-e', 'code', '--a=1']),
      [['--title', 'x'], ['--expose-gc'], ['-e', 'code'], ['--a=1']]);
  });

  it('drops the refused flags with their values, or all flags when none is recognised', () => {
    const argv = ['--title', 'x', '--expose-gc', '--conditions=dev', '--max-old-space-size=2048'];
    assert.deepEqual(withoutRefused(argv, new Set(['--title', '--expose-gc', '--max-old-space-size=2048'])), ['--conditions=dev']);
    assert.deepEqual(withoutRefused(argv, new Set(['--something-else'])), []);
  });
});

describe('createRuntime under Node flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ruvector-flags-'));
  const file = join(dir, 'script.mjs');
  writeFileSync(file, SCRIPT);
  const cases = Object.entries(FLAG_SETS).flatMap(([label, flags]) => [
    [`${label}, a file`, [...flags, file]],
    [`${label}, --input-type=module -e`, [...flags, '--input-type=module', '-e', SCRIPT]],
  ]);
  for (const [label, args] of cases) {
    it(label, async () => {
      const { stdout } = await run(process.execPath, args, { timeout: 240_000, cwd: dir });
      const [out] = JSON.parse(stdout.trim().split('\n').at(-1));
      assert.ok(Math.abs(out - EXPECTED) < 1e-6, `${out} vs ${EXPECTED}`);
    });
  }
});
