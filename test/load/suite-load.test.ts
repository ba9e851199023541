/**
 * A suite's `load:` test as a user runs it: the real CLI, a suite against the protected example
 * server (real IdP, real daemon, a seeded login) in both eras. Thresholds decide the verdict;
 * no assertion here depends on the machine's speed except one that no machine can meet.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { openInChromium } from '../helpers/chromium.js';
import { runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { refreshRequests, seedLogin } from '../helpers/seed.js';

let idp: Idp;
let mcp: McpExampleServer;
let d: TestDaemon;
let dir: string;

before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer });
  d = await startTestDaemon();
  dir = fs.mkdtempSync(path.join(d.env.MCPTEST_HOME as string, 'suites-'));
});
after(async () => {
  await d?.cleanup();
  await mcp?.close();
  await idp?.close();
});

function suite(name: string, tests: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    `servers:\n  app:\n    url: ${mcp.url}\n    protocols: [2026-07-28, 2025-11-25]\ntests:\n${tests}`,
  );
  return file;
}

interface JsonLoad {
  concurrency: number;
  completed: number;
  ok: number;
  errors: Record<string, number>;
  latency_ms: { p50: number; p99: number; max: number } | null;
  timeline: Array<{ requests: number }>;
}

interface JsonTest {
  label: string;
  kind: string;
  status: string;
  failures: Array<{ assertion: string; message: string }>;
  notes?: string[];
}

test('a load test passes in both eras with its figures as a note, one refresh for all callers', async () => {
  await seedLogin(idp, d.client, mcp.url, { expiresIn: 0 });
  const before = refreshRequests(idp);
  const file = suite(
    'load.yaml',
    `  - name: echo holds 20 callers
    load: { tool: echo, arguments: { text: hi }, concurrency: 20, requests: 200, max_p99_ms: 60000 }
`,
  );
  const run = await runCli(['run', file, '--json'], { env: d.env, timeoutMs: 180_000 });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const tests = (JSON.parse(run.stdout) as { tests: JsonTest[] }).tests;
  assert.deepEqual(
    tests.map((t) => [t.label, t.kind, t.status]),
    [
      ['echo holds 20 callers [2026-07-28]', 'load', 'passed'],
      ['echo holds 20 callers [2025-11-25]', 'load', 'passed'],
    ],
  );
  for (const t of tests)
    assert.match(t.notes?.[0] ?? '', /^load: 200 calls in .* at 20 concurrent: p50 .* p99 .*; errors 0$/);
  assert.equal(refreshRequests(idp) - before, 1, 'one refresh for both revisions and all callers');
  assert.equal(mcp.requests.filter((r) => r.tool === 'echo' && r.status === 200).length, 400);
  const human = await runCli(['run', file], { env: d.env, timeoutMs: 180_000 });
  assert.equal(human.code, 0, human.stdout);
  assert.match(human.stdout, /note: load: 200 calls/);
});

test("a load test's figures in the JSON report and its charts in the HTML report, shown in Chromium", async () => {
  await seedLogin(idp, d.client, mcp.url);
  const file = suite(
    'charted.yaml',
    `  - name: echo under load
    load: { tool: echo, arguments: { text: hi }, concurrency: 5, requests: 60 }
  - { name: plain echo, tool: echo, arguments: { text: hi } }
`,
  );
  const json = await runCli(['run', file, '--json'], { env: d.env, timeoutMs: 180_000 });
  assert.equal(json.code, 0, json.stdout + json.stderr);
  const tests = (JSON.parse(json.stdout) as { tests: Array<JsonTest & { load?: JsonLoad }> }).tests;
  for (const t of tests.filter((x) => x.kind === 'load')) {
    const l = t.load as JsonLoad;
    assert.equal(l.completed, 60, t.label);
    assert.equal(l.ok, 60);
    assert.equal(l.concurrency, 5);
    assert.deepEqual(l.errors, { transport: 0, jsonrpc: 0, tool: 0, auth: 0 });
    assert.ok(l.latency_ms && l.latency_ms.p50 <= l.latency_ms.p99 && l.latency_ms.p99 <= l.latency_ms.max);
    assert.equal(
      l.timeline.reduce((n, s) => n + s.requests, 0),
      60,
      'the timeline holds every call',
    );
  }
  assert.equal(tests.filter((t) => t.load !== undefined).length, 2, 'only the load test, once per revision');

  const html = await runCli(['run', file, '--reporter', 'html', '-o', 'charted.html'], {
    env: d.env,
    cwd: dir,
    timeoutMs: 180_000,
  });
  assert.equal(html.code, 0, html.stderr);
  const page = path.join(dir, 'charted.html');
  const view = await openInChromium(page);
  assert.deepEqual(view.console, [], view.stderr);
  for (const label of ['latency over time, p50 and p99 per second', 'latency percentile curve'])
    assert.equal(
      view.dom.split(`aria-label="${label}"`).length - 1,
      2,
      `${label}: one chart per revision of the load test, none for the plain test`,
    );
  assert.match(view.dom, /percentile of 60 calls/);
});

test('a load test fails on the thresholds it misses and on failed calls, naming them', async () => {
  const file = suite(
    'strict.yaml',
    `  - name: impossible latency
    load: { tool: echo, arguments: { text: hi }, concurrency: 2, requests: 10, max_p99_ms: 0.0001 }
  - name: tool errors
    load: { tool: fail, arguments: { message: boom }, concurrency: 2, requests: 10 }
  - name: tolerated errors
    load: { tool: fail, arguments: { message: boom }, concurrency: 2, requests: 10, max_error_rate: 1 }
`,
  );
  const run = await runCli(['run', file, '--json', '--protocol', '2026-07-28'], {
    env: d.env,
    timeoutMs: 180_000,
  });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const by = Object.fromEntries(
    (JSON.parse(run.stdout) as { tests: JsonTest[] }).tests.map((t) => [t.label.replace(/ \[.*\]$/, ''), t]),
  );
  assert.equal(by['impossible latency'].status, 'failed');
  assert.equal(by['impossible latency'].failures[0].assertion, 'load.max_p99_ms');
  assert.match(by['impossible latency'].failures[0].message, /^p99 .* > 0\.00 ms$/);
  assert.equal(by['tool errors'].status, 'failed');
  assert.match(
    by['tool errors'].failures[0].message,
    /10 of 10 calls failed \(100\.00 % > 0\.00 %\): tool 10 \("boom"\)/,
  );
  assert.equal(by['tolerated errors'].status, 'passed');
});

test('a load test without a bound, or with expect, is a suite error with line and column', async () => {
  const unbounded = suite('unbounded.yaml', `  - name: forever\n    load: { tool: echo }\n`);
  const a = await runCli(['run', unbounded], { env: d.env });
  assert.equal(a.code, 2);
  assert.match(
    a.stderr,
    /unbounded\.yaml:\d+:\d+: .*a load test is bounded: give requests, duration, or both/,
  );
  const withExpect = suite(
    'expect.yaml',
    `  - name: both\n    load: { tool: echo, requests: 5 }\n    expect: { is_error: false }\n`,
  );
  const b = await runCli(['run', withExpect], { env: d.env });
  assert.equal(b.code, 2);
  assert.match(b.stderr, /a load test has no expect/);
  const badDuration = suite('duration.yaml', `  - name: soon\n    load: { tool: echo, duration: soon }\n`);
  const c = await runCli(['run', badDuration], { env: d.env });
  assert.equal(c.code, 2);
  assert.match(c.stderr, /a duration like 500ms, 10s or 2m/);
});
