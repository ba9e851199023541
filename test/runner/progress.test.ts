/**
 * The live progress line of `mcptest run`, in a real pseudo-terminal (`script`): on a terminal
 * it is drawn and rewritten in place (done/total, failures so far, the tests running) and gone
 * before the summary; with CI set, with NO_COLOR, or without a terminal the output is plain
 * (no carriage returns, no escape codes from the line).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { progressText } from '../../cli/runner/reporters/progress.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { inTerminal, LINE } from '../helpers/terminal.js';

const STDIO_SERVER = fileURLToPath(new URL('../../examples/oauth-server/stdio-server.js', import.meta.url));

const SUITE = `servers:
  local: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(STDIO_SERVER)}] }
tests:
  - { name: long one, tool: slow, arguments: { ms: 1500 } }
  - { name: fails, tool: echo, arguments: { text: x }, expect: { text_contains: nope } }
  - { name: short one, tool: slow, arguments: { ms: 200 } }
`;

describe('mcptest run: the live progress line', () => {
  let env: NodeJS.ProcessEnv;
  let dir: string;
  before(() => {
    const { NO_COLOR: _n, cleanup: _c, CI: _ci, ...base } = isolatedEnv();
    env = base;
    env.TERM = 'xterm';
    dir = env.MCPTEST_HOME as string;
    fs.writeFileSync(path.join(dir, 'suite.yaml'), SUITE);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('on a terminal: drawn in place with done/total, failures and running tests, gone before the summary', async () => {
    const run = await inTerminal(['run', 'suite.yaml', '--jobs', '4'], env, dir);
    assert.equal(run.code, 1, run.out);
    assert.ok(run.out.includes(LINE), 'the line is rewritten in place');
    assert.match(run.out, /mcptest 0\/3 · [\d.]+ s · running: long one/);
    assert.match(run.out, /mcptest [12]\/3 · 1 failed · [\d.]+ s · running: long one/);
    assert.match(run.out, /mcptest 3\/3 · 1 failed/);
    // The test lines and the summary are whole lines after the line was cleared.
    assert.match(run.out, /\r\x1b\[2K {2}\x1b\[32m✓\x1b\[39m long one/);
    assert.match(run.out, /\r\x1b\[2K\x1b\[32m2 passed\x1b\[39m, \x1b\[31m1 failed/);
    const afterSummary = run.out.slice(run.out.lastIndexOf('2 passed'));
    assert.ok(!afterSummary.includes('mcptest 3/3'), 'no line drawn after the summary');
  });

  it('a machine report on stdout still gets the line on the terminal, and a clean JSON report in a file', async () => {
    const run = await inTerminal(['run', 'suite.yaml', '--json', '--output', 'r.json'], env, dir);
    assert.equal(run.code, 1, run.out);
    assert.match(run.out, /mcptest 3\/3 · 1 failed/);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'r.json'), 'utf8'));
    assert.equal(report.summary.failed, 1);
  });

  for (const [why, extra] of [
    ['CI=true', { CI: 'true' }],
    ['NO_COLOR', { NO_COLOR: '1' }],
    ['TERM=dumb', { TERM: 'dumb' }],
  ] as const) {
    it(`stays plain on a terminal with ${why}`, async () => {
      const run = await inTerminal(
        ['run', 'suite.yaml', '--jobs', '4'],
        { ...env, ...extra } as NodeJS.ProcessEnv,
        dir,
      );
      assert.equal(run.code, 1, run.out);
      assert.ok(!run.out.includes(LINE), 'no line rewritten');
      assert.doesNotMatch(run.out, /mcptest \d\/3/);
      assert.match(run.out, /long one/);
    });
  }

  it('stays plain without a terminal: no carriage return, no escape code', async () => {
    const { NO_COLOR: _n, ...noColourUnset } = env;
    const run = await runCli(['run', 'suite.yaml', '--jobs', '4'], { env: noColourUnset, cwd: dir });
    assert.equal(run.code, 1, run.stderr);
    for (const text of [run.stdout, run.stderr]) {
      assert.ok(!text.includes('\r') && !text.includes('\x1b'), JSON.stringify(text));
    }
    assert.match(run.stdout, /✓ long one \(\d+ ms\)\n {2}✗ fails/);
  });

  it('keeps within 79 columns, naming as many running tests as fit', () => {
    const running = Array.from({ length: 12 }, (_, i) => `a rather long test name ${i}`);
    const text = progressText({ done: 3, total: 40, failed: 1, elapsedMs: 2500, running });
    assert.ok(text.length <= 79, text);
    assert.match(
      text,
      /^mcptest 3\/40 · 1 failed · 2\.5 s · running: a rather long test name 0(, [^,]+)* \+\d+$/,
    );
    assert.equal(
      progressText({ done: 0, total: 2, failed: 0, elapsedMs: 0, running: ['echo\x1b[31m'] }),
      'mcptest 0/2 · 0.0 s · running: echo\\x1b[31m',
    );
  });
});
