/**
 * The live line of `mcptest load`, in a real pseudo-terminal (`script`) against the example
 * server over stdio: on a terminal it is rewritten in place (calls done, rate, errors, p50/p99 so
 * far, the calls on the wire) and cleared before the report; with CI set, NO_COLOR, TERM=dumb or
 * without a terminal only the report is printed. The same rule as `mcptest run`'s line.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { inTerminal, LINE } from '../helpers/terminal.js';

const STDIO_SERVER = fileURLToPath(new URL('../../examples/oauth-server/stdio-server.js', import.meta.url));

// Five workers at 2 calls/s: each worker waits for its turn most of the time, with no call on the wire.
const LOAD = [
  'load',
  '--command',
  process.execPath,
  '--arg',
  STDIO_SERVER,
  '--call',
  'echo',
  '--args',
  '{"text":"hi"}',
  '--concurrency',
  '5',
  '--rate',
  '2/s',
  '--duration',
  '2s',
];

const LIVE =
  /\r\x1b\[2K(\d+) {2}\d+\/s {2}errors 0 {2}p50 [\d.]+ ms {2}p99 [\d.]+ ms {2}[\d.]+ s(?: {2}\((\d+) in flight\))?/g;

describe('mcptest load: the live line', () => {
  let env: NodeJS.ProcessEnv;
  let dir: string;
  before(() => {
    const { NO_COLOR: _n, cleanup: _c, CI: _ci, ...base } = isolatedEnv();
    env = { ...base, TERM: 'xterm' };
    dir = env.MCPTEST_HOME as string;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('on a terminal: calls, rate, errors, p50/p99 and the calls on the wire, cleared before the report', async () => {
    // CI=false is not CI.
    const run = await inTerminal(LOAD, { ...env, CI: 'false' }, dir);
    assert.equal(run.code, 0, run.out);
    const lines = [...run.out.matchAll(LIVE)];
    assert.ok(lines.length >= 2, `the line is drawn and redrawn: ${JSON.stringify(run.out)}`);
    // A call waiting for its turn at the fixed rate is not in flight: calls are 500 ms apart.
    for (const m of lines) assert.ok(Number(m[2] ?? 0) <= 2, `${m[0]}: not five calls on the wire`);
    assert.match(run.out, /\r\x1b\[2Kload: echo on stdio server/);
    assert.match(run.out, /calls {7}[45] in /);
    const afterReport = run.out.slice(run.out.indexOf('load: echo'));
    assert.ok(!afterReport.includes(LINE), 'no line drawn after the report');
  });

  for (const [why, extra] of [
    ['CI=true', { CI: 'true' }],
    ['NO_COLOR', { NO_COLOR: '1' }],
    ['TERM=dumb', { TERM: 'dumb' }],
  ] as const) {
    it(`stays plain on a terminal with ${why}`, async () => {
      const run = await inTerminal(LOAD, { ...env, ...extra } as NodeJS.ProcessEnv, dir);
      assert.equal(run.code, 0, run.out);
      assert.ok(!run.out.includes(LINE), JSON.stringify(run.out));
      assert.match(run.out, /load: echo on stdio server/);
    });
  }

  it('stays plain without a terminal: no carriage return, no escape code', async () => {
    const run = await runCli(LOAD, { env, cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    for (const text of [run.stdout, run.stderr])
      assert.ok(!text.includes('\r') && !text.includes('\x1b'), JSON.stringify(text));
    assert.match(run.stdout, /^load: echo on stdio server/);
  });
});
