/**
 * `mcptest load` as a user runs it: the real CLI against the protected example server (real
 * IdP, real daemon, a seeded login) and an unprotected stdio twin. Counts, kinds of error and
 * thresholds are checked, never speeds: a loaded machine decides those.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eraStdioFlags } from '../helpers/era-servers.js';
import { startLaxHttpServer } from '../helpers/lax-server.js';
import { refreshRequests, seedLogin } from '../helpers/seed.js';

let idp: Idp;
let mcp: McpExampleServer;
let d: TestDaemon;
const secrets: string[] = [];

before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer });
  d = await startTestDaemon();
});
after(async () => {
  await d?.cleanup();
  await mcp?.close();
  await idp?.close();
});

function load(args: string[]) {
  return runCli(['load', '--url', mcp.url, ...args], { env: d.env, timeoutMs: 120_000 });
}

test('300 calls at 20 workers right after expiry: every call served, one refresh at the IdP for all', async () => {
  const set = await seedLogin(idp, d.client, mcp.url, { expiresIn: 0 });
  secrets.push(set.access_token, set.refresh_token as string);
  const before = refreshRequests(idp);
  const run = await load([
    '--call',
    'echo',
    '--args',
    '{"text":"hi"}',
    '--concurrency',
    '20',
    '--requests',
    '300',
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const r = JSON.parse(run.stdout);
  assert.equal(r.tool, 'echo');
  assert.equal(r.completed, 300);
  assert.equal(r.ok, 300);
  assert.equal(r.sent, 300);
  assert.deepEqual(r.errors, { transport: 0, jsonrpc: 0, tool: 0, auth: 0 });
  assert.equal(r.concurrency, 20);
  assert.equal(r.connections, 16, 'one connection per worker, at most 16');
  assert.deepEqual(r.protocol, { era: 'modern', version: '2026-07-28' });
  const l = r.latency_ms;
  assert.ok(
    l.min > 0 && l.min <= l.p50 && l.p50 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.max,
    JSON.stringify(l),
  );
  assert.ok(r.throughput_per_s > 0);
  assert.equal(
    r.timeline.reduce((n: number, s: { requests: number }) => n + s.requests, 0),
    300,
    'the timeline holds every call',
  );
  assert.equal(r.passed, true);
  assert.equal(refreshRequests(idp) - before, 1, 'exactly one refresh for every worker');
  const calls = mcp.requests.filter((q) => q.tool === 'echo');
  assert.equal(calls.length, 300);
  assert.ok(
    calls.every((q) => q.authorization && q.status === 200),
    'every call carried a valid token',
  );
  for (const s of secrets) assert.ok(!run.stdout.includes(s) && !run.stderr.includes(s), 'no token printed');
});

test('tokens of 3 s that expire during a 5 s run: every call served, one refresh per expiry for all workers', async () => {
  // The IdP's tokens really expire (the server checks the JWT's exp): the run outlives several.
  const shortIdp = await startIdp({ accessTokenTtl: 3 });
  const shortMcp = await startMcpServer({ issuer: shortIdp.issuer });
  try {
    const set = await seedLogin(shortIdp, d.client, shortMcp.url);
    assert.equal(set.expires_in, 3);
    const run = await runCli(
      [
        'load',
        '--url',
        shortMcp.url,
        '--call',
        'echo',
        '--args',
        '{"text":"t"}',
        '--concurrency',
        '10',
        '--rate',
        '20/s',
        '--duration',
        '5s',
        '--json',
      ],
      { env: d.env, timeoutMs: 120_000 },
    );
    assert.equal(run.code, 0, run.stderr);
    const r = JSON.parse(run.stdout);
    assert.ok(r.completed > 0);
    assert.equal(r.ok, r.completed, JSON.stringify(r.error_samples));
    // The server refuses a token past its exp: calls served over more than 3 s used several.
    const served = shortMcp.requests.filter((q) => q.tool === 'echo' && q.status === 200);
    const span = served[served.length - 1].at - served[0].at;
    assert.ok(span > 3_000, `calls were served for ${span} ms, longer than one token lives`);
    const refreshes = shortIdp.requests.filter((q) => q.path === '/token' && q.grantType === 'refresh_token');
    assert.ok(refreshes.length >= 1);
    // The daemon refreshes ahead of each expiry, once for every worker: never two at a time.
    for (let i = 1; i < refreshes.length; i++) {
      const gap = refreshes[i].at - refreshes[i - 1].at;
      assert.ok(gap >= 900, `refreshes ${gap} ms apart: one per token, not one per worker`);
    }
    for (const s of [set.access_token, set.refresh_token as string])
      assert.ok(!run.stdout.includes(s) && !run.stderr.includes(s), 'no token printed');
  } finally {
    await shortMcp.close();
    await shortIdp.close();
  }
});

test('a login removed during the run: the calls after it are counted as auth errors', async () => {
  const other = await startMcpServer({ issuer: idp.issuer });
  try {
    await seedLogin(idp, d.client, other.url);
    const running = runCli(
      [
        'load',
        '--url',
        other.url,
        '--call',
        'echo',
        '--args',
        '{"text":"a"}',
        '--concurrency',
        '4',
        '--rate',
        '20/s',
        '--duration',
        '4s',
        '--json',
      ],
      { env: d.env, timeoutMs: 120_000 },
    );
    // Once calls are being served, the login goes away (logout also revokes it at the IdP).
    const deadline = Date.now() + 60_000;
    while (other.requests.filter((q) => q.tool === 'echo' && q.status === 200).length < 5) {
      assert.ok(Date.now() < deadline, 'no call was served');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const out = await runCli(['logout', other.url], { env: d.env });
    assert.equal(out.code, 0, out.stderr);
    const run = await running;
    const r = JSON.parse(run.stdout);
    assert.ok(r.ok >= 5, `calls before the logout were served: ${JSON.stringify(r.errors)}`);
    assert.ok(r.errors.auth > 0, `calls after it failed as auth: ${JSON.stringify(r.error_samples)}`);
    assert.equal(r.errors.transport + r.errors.jsonrpc + r.errors.tool, 0, JSON.stringify(r.error_samples));
    assert.match(r.error_samples.auth[0], new RegExp(`mcptest login ${other.url.replace(/[.]/g, '\\.')}`));
  } finally {
    await other.close();
  }
});

test('tool errors are counted by kind and a --max-error-rate threshold fails the run', async () => {
  const run = await load([
    '--call',
    'fail',
    '--args',
    '{"message":"boom"}',
    '--concurrency',
    '4',
    '--requests',
    '40',
    '--max-error-rate',
    '1%',
    '--max-p99',
    '60s',
  ]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stdout,
    /load: fail on http:\/\/127\.0\.0\.1:\d+\/mcp \(MCP 2026-07-28, modern\), 4 workers/,
  );
  assert.match(run.stdout, /calls\s+40 in /);
  assert.match(run.stdout, /errors\s+40 \(100\.00 %\): tool 40/);
  assert.match(run.stdout, /tool: boom/);
  assert.match(run.stdout, /FAIL\s+error rate 100\.00 % > 1\.00 %/);
  assert.match(run.stdout, /ok\s+p99 .* <= 60000 ms/);
});

test('a run in which every call failed fails without a threshold; --max-error-rate 100% accepts it', async () => {
  const failing = ['--call', 'fail', '--args', '{"message":"boom"}', '--concurrency', '2', '--requests', '6'];
  const run = await load(failing);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stdout, /errors\s+6 \(100\.00 %\): tool 6/);
  assert.match(
    run.stdout,
    /FAIL\s+no call succeeded \(see the errors above; --max-error-rate 100% accepts such a run\)/,
  );
  const accepted = await load([...failing, '--max-error-rate', '100%']);
  assert.equal(accepted.code, 0, accepted.stderr);
  assert.doesNotMatch(accepted.stdout, /no call succeeded/);
});

test('JSON-RPC error answers are counted as jsonrpc, with the error in the sample', async () => {
  const lax = await startLaxHttpServer();
  try {
    const run = await runCli(
      ['load', '--url', lax.url, '--call', 'add', '--args', '{"a":"x"}', '--requests', '6', '--json'],
      { env: d.env, timeoutMs: 120_000 },
    );
    // Every call failed and no --max-error-rate was given: the run fails, saying so.
    assert.equal(run.code, 1, run.stderr);
    const r = JSON.parse(run.stdout);
    assert.deepEqual(r.errors, { transport: 0, jsonrpc: 6, tool: 0, auth: 0 });
    assert.deepEqual(r.thresholds, [{ name: 'some_call_ok', limit: 1, value: 0, passed: false }]);
    assert.equal(r.passed, false);
    assert.match(r.error_samples.jsonrpc[0], /-32602: a and b must be numbers/);
  } finally {
    await lax.close();
  }
});

test('--rate bounds the offered load: never more calls than rate x duration', async () => {
  const run = await load([
    '--call',
    'echo',
    '--args',
    '{"text":"r"}',
    '--rate',
    '25/s',
    '--duration',
    '2s',
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const r = JSON.parse(run.stdout);
  assert.equal(r.rate_per_s, 25);
  assert.ok(r.sent <= 50, `sent ${r.sent} at 25/s for 2 s`);
  assert.ok(r.sent > 0);
  assert.equal(r.completed, r.sent);
});

test('--call-timeout: a bare number is seconds, a late call is a transport error, the tool list keeps --timeout', async () => {
  const run = await load([
    '--call',
    'slow',
    '--args',
    '{"ms":2500}',
    '--call-timeout',
    '1',
    '--concurrency',
    '2',
    '--requests',
    '2',
    '--json',
  ]);
  assert.equal(run.code, 1, run.stderr);
  const r = JSON.parse(run.stdout);
  assert.equal(r.completed, 2);
  assert.deepEqual(r.errors, { transport: 2, jsonrpc: 0, tool: 0, auth: 0 });
  assert.match(r.error_samples.transport[0], /did not answer within 1 s/);
  assert.ok(r.latency_ms.min >= 900, `a call gave up at ${r.latency_ms.min} ms, its limit is 1 s`);
});

test('a stdio server: one connection, a 2025 pin honoured', async () => {
  const run = await runCli(
    [
      'load',
      ...eraStdioFlags('dual'),
      '--protocol',
      '2025-11-25',
      '--call',
      'echo',
      '--args',
      '{"text":"s"}',
      '--concurrency',
      '5',
      '--requests',
      '50',
      '--json',
    ],
    { env: d.env, timeoutMs: 120_000 },
  );
  assert.equal(run.code, 0, run.stderr);
  const r = JSON.parse(run.stdout);
  assert.equal(r.connections, 1);
  assert.equal(r.transport, 'stdio');
  assert.deepEqual(r.protocol, { era: 'legacy', version: '2025-11-25' });
  assert.equal(r.ok, 50);
});

test('bad input: an unknown tool names the tools; a bad --rate and a missing --call are usage errors', async () => {
  const unknown = await load(['--call', 'nope', '--requests', '5']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /no tool named `nope` \(it has: .*echo/);
  const rate = await load(['--call', 'echo', '--rate', 'fast']);
  assert.equal(rate.code, 2, rate.stderr);
  assert.match(rate.stderr, /--rate fast is not a rate/);
  assert.match(rate.stderr, /hint: --rate 50\/s/);
  const many = await load(['--call', 'echo', '--concurrency', '100000']);
  assert.equal(many.code, 2, many.stderr);
  assert.match(many.stderr, /--concurrency takes 1 to 1000, not 100000/);
  const none = await load(['--requests', '5']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /needs the tool to call/);
});

test('with no login the run does not start: exit 3 and the login command', async () => {
  const other = await startMcpServer({ issuer: idp.issuer });
  try {
    const run = await runCli(['load', '--url', other.url, '--call', 'echo', '--requests', '5'], {
      env: d.env,
    });
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, new RegExp(`mcptest login ${other.url.replace(/[.]/g, '\\.')}`));
    assert.equal(
      other.requests.filter((q) => q.tool === 'echo').length,
      0,
      'no call was made without credentials',
    );
  } finally {
    await other.close();
  }
});
