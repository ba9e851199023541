/**
 * `npm test`'s runner (scripts/run-tests.mjs) on a folder of small test files: after the usual
 * report it lists the failed tests again, each with the first lines of its error, and keeps
 * node --test's exit code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('../../../scripts/run-tests.mjs', import.meta.url));

function runTests(files: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-run-tests-'));
  try {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    // Without NODE_TEST_CONTEXT the inner runner reports as a top-level run, not to this one.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const run = spawnSync(process.execPath, [RUNNER, dir], { env, encoding: 'utf8', timeout: 60_000 });
    return { code: run.status, stdout: run.stdout, dir };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const HEAD = "import { describe, test } from 'node:test';\nimport assert from 'node:assert/strict';\n";

test('the failed tests are listed again at the end, with the first lines of their errors', () => {
  const run = runTests({
    'a.test.js': `${HEAD}test('passes', () => {});\ndescribe('sums', () => { test('adds up', () => assert.equal(1 + 1, 3)); });\n`,
    'b.test.js': "throw new Error('cannot load the fixture');\n",
    'c.test.js': `${HEAD}test('also passes', () => {});\n`,
  });
  assert.equal(run.code, 1, run.stdout);
  const tail = run.stdout.slice(run.stdout.lastIndexOf('failed tests:'));
  assert.match(tail, /^failed tests: 2\n/);
  assert.match(
    tail,
    /✗ adds up {2}\(.*a\.test\.js\)\n {4}Expected values to be strictly equal:\n {4}2 !== 3/,
  );
  assert.match(tail, /✗ .*b\.test\.js\n {4}Error: cannot load the fixture/);
  assert.doesNotMatch(tail, /passes|✗ sums/, 'passing tests and the enclosing suite are not listed');
});

test('a run where everything passes prints no list and exits 0', () => {
  const run = runTests({ 'a.test.js': `${HEAD}test('passes', () => {});\n` });
  assert.equal(run.code, 0, run.stdout);
  assert.doesNotMatch(run.stdout, /failed tests:/);
});
