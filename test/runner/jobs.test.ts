/**
 * `mcptest run --jobs` as a process against the real example MCP server over stdio: tests run
 * side by side, reports stay in suite order whatever order tests end in, each test keeps its own
 * time, `serial: true` on a test runs it alone and on a suite runs every test one after another,
 * and the flags' errors. Overlap is read from each test's startMs and durationMs (measured within
 * its turn), never from how fast the run was.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultJobs } from '../../cli/runner/jobs.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';

const STDIO_SERVER = fileURLToPath(new URL('../../examples/oauth-server/stdio-server.js', import.meta.url));

interface T {
  name: string;
  status: string;
  startMs: number;
  durationMs: number;
}

function suite(tests: Array<{ name: string; ms: number; serial?: boolean }>, top = ''): string {
  return `${top}servers:
  local: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(STDIO_SERVER)}] }
tests:
${tests.map((t) => `  - { name: ${t.name}, tool: slow, arguments: { ms: ${t.ms} }${t.serial ? ', serial: true' : ''} }`).join('\n')}
`;
}

/** True when the two tests ran at the same time (1 ms allows for rounding). */
function overlap(a: T, b: T): boolean {
  return a.startMs + a.durationMs > b.startMs + 1 && b.startMs + b.durationMs > a.startMs + 1;
}

describe('mcptest run --jobs', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return name;
  };
  const run = (args: string[]) => runCli(['run', ...args], { env, cwd: dir, timeoutMs: 120_000 });
  before(() => {
    env = isolatedEnv();
    dir = fs.mkdtempSync(path.join(env.MCPTEST_HOME as string, 'jobs-'));
  });

  it('reports in suite order though the first test ends last, each test with its own time', async () => {
    const file = write(
      'order.yaml',
      suite([
        { name: 'long', ms: 1500 },
        { name: 'short-a', ms: 50 },
        { name: 'short-b', ms: 50 },
        { name: 'short-c', ms: 300 },
      ]),
    );
    const json = await run([file, '--jobs', '4', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const tests: T[] = JSON.parse(json.stdout).tests;
    assert.deepEqual(
      tests.map((t) => t.name),
      ['long', 'short-a', 'short-b', 'short-c'],
    );
    // Each time is the test's own: at least its sleep, and the long one is not charged to the others.
    for (const [t, ms] of tests.map((t, i) => [t, [1500, 50, 50, 300][i]] as const)) {
      assert.ok(t.durationMs >= ms, `${t.name} took ${t.durationMs} ms, slept ${ms}`);
      assert.equal(typeof t.startMs, 'number');
    }
    assert.ok(overlap(tests[0], tests[1]), 'the short tests ran while the long one did');
    assert.ok(
      tests[1].startMs + tests[1].durationMs < tests[0].startMs + tests[0].durationMs,
      'short-a ended before long',
    );
    // The human report prints lines in suite order too, though long ended last.
    const human = await run([file, '--jobs', '4']);
    assert.equal(human.code, 0, human.stderr);
    const names = [...human.stdout.matchAll(/✓ (\S+) \(\d+ ms\)/g)].map((m) => m[1]);
    assert.deepEqual(names, ['long', 'short-a', 'short-b', 'short-c']);
  });

  it("a matrix's server lines come before their revision's first test, as at --jobs 1", async () => {
    // At --jobs 4 the 2025 connection opens while `long [2026-07-28]` still runs.
    const file = write(
      'matrix.yaml',
      `servers:
  local:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(STDIO_SERVER)}]
    protocols: [2026-07-28, 2025-11-25]
tests:
  - { name: long, tool: slow, arguments: { ms: 1200 } }
  - { name: short, tool: slow, arguments: { ms: 20 } }
`,
    );
    const lines = (stdout: string) =>
      stdout
        .split('\n')
        .filter((l) => l.startsWith('  server') || l.startsWith('  ✓'))
        .map((l) => l.replace(/ \(\d+ ms\)$/, ''));
    const parallel = await run([file, '--jobs', '4']);
    assert.equal(parallel.code, 0, parallel.stderr);
    assert.deepEqual(lines(parallel.stdout), [
      '  server "local" at 2026-07-28: 2026-07-28 (modern era)',
      '  ✓ long [2026-07-28]',
      '  ✓ short [2026-07-28]',
      '  server "local" at 2025-11-25: 2025-11-25 (legacy era)',
      '  ✓ long [2025-11-25]',
      '  ✓ short [2025-11-25]',
    ]);
    const serial = await run([file, '--jobs', '1']);
    assert.equal(serial.code, 0, serial.stderr);
    assert.deepEqual(lines(serial.stdout), lines(parallel.stdout));
  });

  it('a serial: true test runs alone, the others side by side', async () => {
    const file = write(
      'serial-test.yaml',
      suite([
        { name: 'p1', ms: 400 },
        { name: 'p2', ms: 400 },
        { name: 'alone', ms: 400, serial: true },
        { name: 'p3', ms: 400 },
        { name: 'p4', ms: 400 },
      ]),
    );
    const res = await run([file, '--jobs', '8', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const tests: T[] = JSON.parse(res.stdout).tests;
    const alone = tests[2];
    for (const t of tests)
      if (t !== alone) assert.ok(!overlap(t, alone), `${t.name} ran beside the serial test`);
    // Tests keep their order around a serial one: p1, p2 before it, p3, p4 after.
    assert.ok(tests[0].startMs + tests[0].durationMs <= alone.startMs + 1);
    assert.ok(alone.startMs + alone.durationMs <= tests[3].startMs + 1);
    assert.ok(overlap(tests[0], tests[1]), 'p1 and p2 ran side by side');
    assert.ok(overlap(tests[3], tests[4]), 'p3 and p4 ran side by side');
  });

  it('a load test runs alone unless it says serial: false', async () => {
    const load = (extra: string) =>
      `  - { name: load, load: { tool: slow, arguments: { ms: 100 }, concurrency: 3, requests: 9 }${extra} }`;
    const file = (name: string, extra: string) =>
      write(
        name,
        `servers:
  local: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(STDIO_SERVER)}] }
tests:
  - { name: before, tool: slow, arguments: { ms: 300 } }
${load(extra)}
  - { name: after, tool: slow, arguments: { ms: 300 } }
`,
      );
    const alone = await run([file('load-alone.yaml', ''), '--jobs', '4', '--json']);
    assert.equal(alone.code, 0, alone.stderr);
    const ts: T[] = JSON.parse(alone.stdout).tests;
    assert.ok(!overlap(ts[0], ts[1]) && !overlap(ts[1], ts[2]), 'nothing ran beside the load test');
    const beside = await run([file('load-beside.yaml', ', serial: false'), '--jobs', '4', '--json']);
    assert.equal(beside.code, 0, beside.stderr);
    const bs: T[] = JSON.parse(beside.stdout).tests;
    assert.ok(overlap(bs[0], bs[1]), 'with serial: false it runs beside the others');
  });

  it('serial: true on the suite, and --jobs 1, run every test one after another', async () => {
    const tests = [1, 2, 3, 4].map((i) => ({ name: `t${i}`, ms: 250 }));
    const serialSuite = write('serial-suite.yaml', suite(tests, 'serial: true\n'));
    const plain = write('plain.yaml', suite(tests));
    for (const args of [
      [serialSuite, '--jobs', '8'],
      [plain, '--jobs', '1'],
    ]) {
      const res = await run([...args, '--json']);
      assert.equal(res.code, 0, res.stderr);
      const ts: T[] = JSON.parse(res.stdout).tests;
      for (let i = 1; i < ts.length; i++) {
        assert.ok(
          ts[i - 1].startMs + ts[i - 1].durationMs <= ts[i].startMs + 1,
          `${args.join(' ')}: ${ts[i].name}`,
        );
      }
    }
    // And the same suite without serial runs side by side at --jobs 4 (the check above can fail).
    const par = await run([plain, '--jobs', '4', '--json']);
    const ts: T[] = JSON.parse(par.stdout).tests;
    assert.ok(overlap(ts[0], ts[1]), 'without serial the tests overlap');
  });

  it('--concurrency is the older name of --jobs; bad values are usage errors with a hint', async () => {
    const file = write(
      'two.yaml',
      suite([
        { name: 'a', ms: 1 },
        { name: 'b', ms: 1 },
      ]),
    );
    const old = await run([file, '--concurrency', '2', '--json']);
    assert.equal(old.code, 0, old.stderr);
    const both = await run([file, '--concurrency', '2', '--jobs', '3']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--concurrency is the older name of --jobs, give one/);
    for (const bad of ['0', '1.5', 'many', '257']) {
      const res = await run([file, '--jobs', bad]);
      assert.equal(res.code, 2, bad);
      assert.match(
        res.stderr,
        new RegExp(`--jobs takes a whole number of tests from 1 to 256, not ${bad.replace('.', '\\.')}`),
      );
      assert.match(res.stderr, /hint: mcptest run two\.yaml --jobs 8/);
    }
    const help = await runCli(['run', '--help'], { env });
    assert.match(help.stdout, /--jobs <n>/);
    assert.match(help.stdout, /serial: true/);
  });

  it('defaults to twice the cores, from 4 to 16', () => {
    assert.deepEqual([1, 2, 3, 6, 8, 64].map(defaultJobs), [4, 4, 6, 12, 16, 16]);
  });

  it('serial is a boolean in the suite, checked at load', async () => {
    const file = write(
      'bad-serial.yaml',
      suite([{ name: 'a', ms: 1 }]).replace('ms: 1 }', 'ms: 1 }, serial: yes please'),
    );
    const res = await run([file]);
    assert.equal(res.code, 2, res.stdout + res.stderr);
    assert.match(res.stderr, /bad-serial\.yaml:\d+:\d+: .*serial/);
  });
});
