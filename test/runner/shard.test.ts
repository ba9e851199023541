/**
 * `mcptest run --shard i/n` and `mcptest merge-reports`, as CI runs them: real CLI processes
 * against a real dual-era MCP server (test/helpers/era-servers.ts), a protocol matrix suite cut
 * into three shards whose JSON reports merge into the totals of one unsharded run (human, JSON,
 * JUnit, coverage as the union), the exit code of the worst shard (a refused credential over a
 * failure), an empty shard, and the refusals: a bad --shard, a missing or doubled shard, shards
 * of different suites, an unsharded report, a test seen twice (a warning).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { type EraServer, startEraServer } from '../helpers/era-servers.js';
import { checkWellFormedXml } from './xml-well-formed.js';

interface JsonTest {
  label: string;
  status: string;
  era: string | null;
}
interface JsonReport {
  suite: { name: string; file: string };
  summary: { total: number; passed: number; failed: number; skipped: number };
  tests: JsonTest[];
  servers: Array<{ name: string; protocol: string; connected: boolean; authFailed: boolean }>;
  shard?: { index: number; total: number; suiteTests: number; positions: number[] };
  coverage?: {
    servers: Array<{ server: string; kinds: { tools?: { tested: number; exercised: string[] } } }>;
  };
  exitCode: number;
}

/** Seven tests on a two-revision matrix: 14 runs, one test (two runs) failing. */
const SUITE = `name: sharded
protocols: [2026-07-28, 2025-11-25]
answers:
  roots: [file:///work/project]
servers:
  api: { url: "\${DUAL_URL}" }
tests:
  - { name: echo one, tool: echo, arguments: { text: one }, expect: { json: { "$.text": one } } }
  - { name: echo two, tool: echo, arguments: { text: two }, expect: { json: { "$.text": two } } }
  - { name: roots, tool: ask_roots, expect: { text_contains: "roots: file:///work/project", asks: roots } }
  - { name: echo three fails, tool: echo, arguments: { text: three }, expect: { json: { "$.text": not three } } }
  - { name: echo four, tool: echo, arguments: { text: four }, expect: { json: { "$.text": four } } }
  - name: greets
    tool: ask_name
    answers: { elicitation: { accept: { name: Ada } } }
    expect: { text_contains: hello Ada, asks: elicitation }
  - { name: echo five, tool: echo, arguments: { text: five }, expect: { json: { "$.text": five } } }
`;

const counts = (text: string) => /^(\d+) passed, (\d+) failed/m.exec(text)?.slice(1, 3).map(Number);

describe('mcptest run --shard and merge-reports', () => {
  let env: ReturnType<typeof isolatedEnv>;
  let dir: string;
  let server: EraServer;
  let whole: JsonReport;
  const shardFiles = ['results/shard-1.json', 'results/shard-2.json', 'results/shard-3.json'];
  const write = (name: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
    return name;
  };
  const read = (name: string) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as JsonReport;
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    runCli(args, { env: { ...(env as NodeJS.ProcessEnv), ...extra }, timeoutMs: 120_000 });

  before(async () => {
    server = await startEraServer('dual');
    env = isolatedEnv({ DUAL_URL: server.url });
    dir = env.MCPTEST_HOME as string;
    write('suite.yaml', SUITE);
    const run = await cli(['run', 'suite.yaml', '--json', '--coverage']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    whole = JSON.parse(run.stdout) as JsonReport;
  });
  after(async () => {
    await env?.cleanup();
    await server?.close();
  });

  it('shards 1/3, 2/3 and 3/3 run every test exactly once between them, a matrix test whole', async () => {
    assert.equal(whole.summary.total, 14);
    assert.equal(whole.shard, undefined);
    const seen: string[] = [];
    for (const [i, file] of shardFiles.entries()) {
      const run = await cli([
        'run',
        'suite.yaml',
        '--shard',
        `${i + 1}/3`,
        '--coverage',
        '--reporter',
        'json',
        '--output',
        file,
      ]);
      const report = read(file);
      assert.equal(run.code, report.summary.failed > 0 ? 1 : 0, run.stderr);
      assert.deepEqual(
        { index: report.shard?.index, total: report.shard?.total, suiteTests: report.shard?.suiteTests },
        { index: i + 1, total: 3, suiteTests: 14 },
      );
      assert.match(run.stderr, new RegExp(`--shard ${i + 1}/3: ${i === 0 ? 3 : 2} of 7 tests`));
      // Both revisions of a test stay in the same shard.
      const names = report.tests.map((t) => t.label.replace(/ \[.*\]$/, ''));
      for (const name of new Set(names)) assert.equal(names.filter((n) => n === name).length, 2, name);
      seen.push(...report.tests.map((t) => t.label));
    }
    assert.deepEqual([...seen].sort(), whole.tests.map((t) => t.label).sort());
    assert.equal(new Set(seen).size, 14);
    // Round-robin over the suite's order: shard 1 holds tests 1, 4 and 7.
    assert.deepEqual(
      [...new Set(read(shardFiles[0]).tests.map((t) => t.label.replace(/ \[.*\]$/, '')))],
      ['echo one', 'echo three fails', 'echo five'],
    );
    // The same shard again picks the same tests.
    const again = await cli(['run', 'suite.yaml', '--shard', '2/3', '--json']);
    assert.deepEqual(
      (JSON.parse(again.stdout) as JsonReport).tests.map((t) => t.label),
      read(shardFiles[1]).tests.map((t) => t.label),
    );
  });

  it('merge-reports gives the totals of one unsharded run in JSON, human and JUnit, exit 1', async () => {
    const json = await cli(['merge-reports', ...[...shardFiles].reverse(), '--json']);
    assert.equal(json.code, 1, json.stderr);
    const merged = JSON.parse(json.stdout) as JsonReport;
    assert.deepEqual(merged.summary, whole.summary);
    assert.deepEqual(
      merged.tests.map((t) => [t.label, t.status, t.era]),
      whole.tests.map((t) => [t.label, t.status, t.era]),
    );
    assert.equal(merged.shard, undefined);
    assert.equal(merged.exitCode, 1);
    assert.deepEqual(merged.suite, whole.suite);
    assert.deepEqual(
      merged.servers.map((s) => [s.name, s.protocol, s.connected]),
      whole.servers.map((s) => [s.name, s.protocol, s.connected]),
    );
    // Coverage: the union of what the shards exercised, as one run measures it.
    const tools = (r: JsonReport) => r.coverage?.servers[0].kinds.tools;
    assert.deepEqual(tools(merged)?.exercised.sort(), tools(whole)?.exercised.sort());
    assert.equal(tools(merged)?.tested, 3);
    assert.match(json.stderr, /3 shards merged: 12 passed, 2 failed/);

    const human = await cli([
      'merge-reports',
      'results/shard-1.json',
      'results/shard-2.json',
      'results/shard-3.json',
    ]);
    assert.equal(human.code, 1, human.stderr);
    const unsharded = await cli(['run', 'suite.yaml']);
    assert.deepEqual(counts(human.stdout), counts(unsharded.stdout));
    assert.deepEqual(counts(human.stdout), [12, 2]);
    assert.match(human.stdout, /✗ echo three fails \[2026-07-28\]/);
    assert.match(human.stdout, /tools 3\/\d+/);

    const junit = await cli([
      'merge-reports',
      shardFiles[0],
      shardFiles[1],
      shardFiles[2],
      '--reporter',
      'junit',
      '-o',
      'out/merged.xml',
    ]);
    assert.equal(junit.code, 1, junit.stderr);
    const xml = fs.readFileSync(path.join(dir, 'out/merged.xml'), 'utf8');
    const elements = checkWellFormedXml(xml); // throws when the XML is not well formed
    assert.equal(elements.filter((e) => e === 'testcase').length, 14);
    assert.match(xml, /<testsuites name="mcptest" tests="14" failures="2" errors="0" skipped="0"/);
    assert.equal(xml.match(/<testcase /g)?.length, 14);
    assert.match(junit.stderr, /out\/merged\.xml: 3 shards merged: 12 passed, 2 failed/);

    const html = await cli(['merge-reports', ...shardFiles, '--reporter', 'html', '-o', 'out/merged.html']);
    assert.equal(html.code, 1, html.stderr);
    const page = fs.readFileSync(path.join(dir, 'out/merged.html'), 'utf8');
    assert.match(page, /^<!doctype html>/i);
    assert.match(page, /echo three fails/);
    assert.doesNotMatch(page, /<script[^>]+src=|<link[^>]+href="http/i, 'self-contained');
  });

  it('shards across several suites: round-robin over both, merged per suite; --min-coverage on the union', async () => {
    write('second.yaml', SUITE.replace('name: sharded', 'name: second'));
    const both = await cli(['run', 'suite.yaml', 'second.yaml', '--json']);
    assert.equal(both.code, 1, both.stderr);
    const unsharded = JSON.parse(both.stdout) as { suites: JsonReport[]; summary: JsonReport['summary'] };
    const files: string[] = [];
    for (const i of [1, 2]) {
      const file = `two/shard-${i}.json`;
      const run = await cli([
        'run',
        'suite.yaml',
        'second.yaml',
        '--shard',
        `${i}/2`,
        '--json',
        '--output',
        file,
      ]);
      assert.match(run.stderr, new RegExp(`--shard ${i}/2: 7 of 14 tests`));
      files.push(file);
    }
    // 7 tests per suite: shard 1 takes the first suite's 1st, 3rd, … and the second suite's 2nd, 4th, …
    const first = JSON.parse(fs.readFileSync(path.join(dir, files[0]), 'utf8')) as { suites: JsonReport[] };
    assert.deepEqual(
      first.suites.map((r) => r.tests.length),
      [8, 6],
    );
    const merged = await cli(['merge-reports', ...files, '--json']);
    assert.equal(merged.code, 1, merged.stderr);
    const report = JSON.parse(merged.stdout) as { suites: JsonReport[]; summary: JsonReport['summary'] };
    assert.deepEqual(report.summary, unsharded.summary);
    assert.deepEqual(
      report.suites.map((r) => r.tests.map((t) => t.label)),
      unsharded.suites.map((r) => r.tests.map((t) => t.label)),
    );

    // Coverage is judged on the union: no shard alone calls three tools.
    const high = await cli(['merge-reports', ...shardFiles, '--min-coverage', 'tools=100', '--json']);
    assert.equal(high.code, 1);
    assert.match(
      high.stderr,
      /coverage below --min-coverage:\n {2}server "api": tools 3\/\d+ \(\d+%\) is below 100%/,
    );
    const low = await cli(['merge-reports', ...shardFiles, '--min-coverage', 'tools=1', '--json']);
    const cov = (JSON.parse(low.stdout) as { coverage: { passed: boolean; thresholds: unknown } }).coverage;
    assert.deepEqual([cov.passed, cov.thresholds], [true, { tools: 1 }]);
  });

  it('the exit code is the worst shard: a refused credential (3) over a failure (1); all passing is 0', async () => {
    const guarded = await startEraServer('dual', { bearer: (token) => token === 'good-token' });
    try {
      write(
        'mixed.yaml',
        `servers:
  guarded: { url: "${guarded.url}", auth: { bearer_token_env: ERA_TOKEN } }
  open: { url: "\${DUAL_URL}" }
tests:
  - { name: refused, server: guarded, tool: echo, arguments: { text: hi } }
  - { name: fails, server: open, tool: echo, arguments: { text: hi }, expect: { text_contains: bye } }
`,
      );
      const one = await cli(['run', 'mixed.yaml', '--shard', '1/2', '--json', '--output', 'mixed/1.json'], {
        ERA_TOKEN: 'bad-token',
      });
      assert.equal(one.code, 3, one.stderr);
      const two = await cli(['run', 'mixed.yaml', '--shard', '2/2', '--json', '--output', 'mixed/2.json'], {
        ERA_TOKEN: 'bad-token',
      });
      assert.equal(two.code, 1, two.stderr);
      const merged = await cli(['merge-reports', 'mixed/2.json', 'mixed/1.json', '--json']);
      assert.equal(merged.code, 3, merged.stderr);
      const report = JSON.parse(merged.stdout) as JsonReport;
      assert.equal(report.exitCode, 3);
      assert.deepEqual(
        report.servers.map((s) => [s.name, s.authFailed]),
        [
          ['guarded', true],
          ['open', false],
        ],
      );
      assert.ok(!merged.stdout.includes('bad-token') && !merged.stderr.includes('bad-token'));
    } finally {
      await guarded.close();
    }

    // --filter keeps one test: shard 2/2 holds none of it, and says so; the merge passes.
    for (const i of [1, 2]) {
      const run = await cli([
        'run',
        'suite.yaml',
        '--filter',
        'echo two',
        '--shard',
        `${i}/2`,
        '--json',
        '--output',
        `empty/${i}.json`,
      ]);
      assert.equal(run.code, 0, run.stderr);
    }
    const empty = read('empty/2.json');
    assert.deepEqual([empty.summary.total, empty.shard?.suiteTests, empty.servers.length], [0, 2, 0]);
    const merged = await cli(['merge-reports', 'empty/1.json', 'empty/2.json']);
    assert.equal(merged.code, 0, merged.stderr);
    assert.deepEqual(counts(merged.stdout), [2, 0]);
  });

  it('refuses a bad --shard, a missing or doubled shard, shards of other suites and unsharded reports', async () => {
    for (const spec of ['0/3', '4/3', 'x', '1/0']) {
      const bad = await cli(['run', 'suite.yaml', '--shard', spec]);
      assert.equal(bad.code, 2, `${spec}: ${bad.stderr}`);
      assert.match(bad.stderr, /--shard takes/);
      assert.match(bad.stderr, /hint: mcptest run suite\.yaml --shard \d+\/\d+/);
    }
    const minCov = await cli(['run', 'suite.yaml', '--shard', '1/3', '--min-coverage', '50']);
    assert.equal(minCov.code, 2);
    assert.match(minCov.stderr, /--min-coverage to merge-reports/);

    const missing = await cli(['merge-reports', shardFiles[0], shardFiles[1]]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(
      missing.stderr,
      /shard 3\/3 missing: got 1\/3 \(results\/shard-1\.json\), 2\/3 \(results\/shard-2\.json\)/,
    );
    assert.match(missing.stderr, /reports_mismatch|hint: run the missing shard/);

    write('results-copy/shard-2.json', fs.readFileSync(path.join(dir, shardFiles[1]), 'utf8'));
    const twice = await cli(['merge-reports', ...shardFiles, 'results-copy/shard-2.json']);
    assert.equal(twice.code, 2);
    assert.match(
      twice.stderr,
      /shard 2\/3 is given twice: results\/shard-2\.json and results-copy\/shard-2\.json/,
    );

    write('other.yaml', SUITE.replace('name: sharded', 'name: other'));
    const other = await cli(['run', 'other.yaml', '--shard', '3/3', '--json', '--output', 'other/3.json']);
    assert.equal(other.code, 0, other.stderr);
    const mixed = await cli(['merge-reports', shardFiles[0], shardFiles[1], 'other/3.json']);
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /the shards ran different suites: .*suite\.yaml.*other\.yaml/);

    const fewer = await cli([
      'run',
      'suite.yaml',
      '--shard',
      '3/3',
      '--filter',
      'echo',
      '--json',
      '--output',
      'fewer/3.json',
    ]);
    assert.equal(fewer.code, 1, fewer.stderr); // its one test, "echo three fails", fails
    const counted = await cli(['merge-reports', shardFiles[0], shardFiles[1], 'fewer/3.json']);
    assert.equal(counted.code, 2);
    assert.match(
      counted.stderr,
      /planned different tests for suite\.yaml: 14 in results\/shard-1\.json, 10 in fewer\/3\.json/,
    );

    const total = await cli(['run', 'suite.yaml', '--shard', '2/2', '--json', '--output', 'halves/2.json']);
    assert.equal(total.code, 1);
    const totals = await cli(['merge-reports', shardFiles[0], 'halves/2.json']);
    assert.equal(totals.code, 2);
    assert.match(
      totals.stderr,
      /different numbers of shards: results\/shard-1\.json is shard 1\/3, halves\/2\.json is shard 2\/2/,
    );

    write('whole.json', JSON.stringify(whole));
    const unsharded = await cli(['merge-reports', 'whole.json']);
    assert.equal(unsharded.code, 2);
    assert.match(unsharded.stderr, /unsharded run of suite\.yaml/);
    assert.match(unsharded.stderr, /hint: mcptest run SUITE\.yaml --shard 1\/3/);

    const damaged = read(shardFiles[2]);
    (damaged.tests[0] as unknown as { load: unknown }).load = { timeline: 'every second' };
    write('damaged/3.json', JSON.stringify(damaged));
    const badLoad = await cli([
      'merge-reports',
      shardFiles[0],
      shardFiles[1],
      'damaged/3.json',
      '--reporter',
      'html',
    ]);
    assert.equal(badLoad.code, 2, badLoad.stderr);
    assert.match(badLoad.stderr, /damaged\/3\.json: the load figures of .* are damaged/);

    const glob = await cli(['merge-reports', 'reports/*.json']);
    assert.equal(glob.code, 2);
    assert.match(glob.stderr, /cannot read reports\/\*\.json: no file matches it/);
    assert.match(glob.stderr, /hint: mcptest run SUITE\.yaml --shard 1\/3 --reporter json/);
    const absent = await cli(['merge-reports', 'results/shard-9.json']);
    assert.equal(absent.code, 2);
    assert.match(absent.stderr, /cannot read results\/shard-9\.json: no such file/);

    write('junk.json', '{ not json');
    const junk = await cli(['merge-reports', 'junk.json']);
    assert.equal(junk.code, 2);
    assert.match(junk.stderr, /junk\.json is not JSON/);
  });

  it('warns when a test appears in two shards, and counts it once', async () => {
    const first = read(shardFiles[0]);
    const third = read(shardFiles[2]);
    assert.ok(first.shard && third.shard);
    third.tests.push(first.tests[0]);
    third.shard.positions.push(first.shard.positions[0]);
    write('dup/shard-3.json', JSON.stringify(third));
    const merged = await cli(['merge-reports', shardFiles[0], shardFiles[1], 'dup/shard-3.json', '--json']);
    assert.equal(merged.code, 1, merged.stderr);
    assert.match(
      merged.stderr,
      /warning: suite\.yaml: test "echo one \[2026-07-28\]" appears twice, in shard 1 and shard 3; the report keeps shard 1's/,
    );
    assert.deepEqual((JSON.parse(merged.stdout) as JsonReport).summary, whole.summary);
  });
});
