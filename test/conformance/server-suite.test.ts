/**
 * `mcptest conformance URL` as a user runs it, against the real IdP and the OAuth-protected
 * example server (seeded with a real login in a real daemon): both requirement sets run through
 * the in-process proxy and are reported per scenario and revision; the scenarios the example
 * server can pass pass; every request the server saw carried a valid token; JSON and JUnit agree;
 * neither the token nor the proxy's secret appears anywhere; the suite's files are removed; a
 * server without auth is tested without a token; no login is an auth error naming the login.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { type CliRun, runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { seedLogin } from '../helpers/seed.js';
import { checkWellFormedXml } from '../runner/xml-well-formed.js';

interface Totals {
  scenarios: number;
  passed: number;
  failed: number;
  warned: number;
  checks: { passed: number; failed: number; warnings: number };
}
interface Scenario {
  name: string;
  revision: string;
  scored: boolean;
  status: 'pass' | 'fail' | 'warn';
  checks: { passed: number; failed: number; warnings: number };
  failures: { name: string; status: string; message: string }[];
  note?: string;
}
interface Report {
  server: string;
  revisions: { revision: string; scenarios: Scenario[]; totals: Totals; scoredTotals: Totals }[];
  totals: Totals;
  exitCode: number;
}

/** Scenarios the example server passes, per revision (it has no `test_*` fixture tools). */
const PASSING: Record<string, string[]> = {
  '2026-07-28': [
    'tools-list',
    'resources-list',
    'prompts-list',
    'sep-2164-resource-not-found',
    'caching',
    'dns-rebinding-protection',
    'input-required-result-unsupported-methods',
    'input-required-result-validate-input',
  ],
  '2025-11-25': [
    'server-initialize',
    'ping',
    'tools-list',
    'resources-list',
    'prompts-list',
    'dns-rebinding-protection',
  ],
};

/** The proxy's secret URL shape: `http://127.0.0.1:PORT/<32 base64url characters>/`. */
const SECRET_URL = /127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{32}(\/|\b)/;

let idp: Idp;
let mcp: McpExampleServer;
let daemon: TestDaemon;
let tmp: string;
const secrets: string[] = [];
let full: Report;

/** A daemon's environment with TMPDIR private to this test, to see the suite's folder go. */
function envOf(d: TestDaemon): NodeJS.ProcessEnv {
  const { cleanup: _c, ...plain } = d.env;
  return { ...plain, TMPDIR: tmp };
}

function conformance(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  return runCli(['conformance', ...args], {
    env: options.env ?? envOf(daemon),
    cwd: options.cwd,
    timeoutMs: 600_000,
  });
}

function assertNoSecrets(run: CliRun, ...files: string[]): void {
  for (const text of [run.stdout, run.stderr, ...files]) {
    for (const s of secrets) assert.equal(text.includes(s), false, 'a token appears in the output');
    assert.doesNotMatch(text, SECRET_URL, "the proxy's secret URL appears in the output");
  }
}

function assertOnlyValidTokens(from: number): void {
  const seen = mcp.requests.slice(from);
  assert.ok(seen.length > 0, 'the suite reached the server');
  for (const r of seen) {
    assert.equal(
      r.authorization,
      true,
      `${r.method} ${r.rpcMethod ?? ''} reached the server without a token`,
    );
    assert.notEqual(r.status, 401, `${r.rpcMethod ?? r.method} was refused: its token was not valid`);
  }
}

function assertNoSuiteFiles(): void {
  assert.deepEqual(
    fs.readdirSync(tmp).filter((f) => f.startsWith('mcptest-conformance-')),
    [],
    "the suite's result folder is removed",
  );
}

before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer });
  daemon = await startTestDaemon();
  const set = await seedLogin(idp, daemon.client, mcp.url);
  secrets.push(set.access_token, set.refresh_token as string);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-conf-'));
});

after(async () => {
  await daemon?.cleanup();
  await mcp?.close();
  await idp?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the full default run reports every scenario of both requirement sets, through valid tokens only', async () => {
  const from = mcp.requests.length;
  const run = await conformance([mcp.url, '--json', '--timeout', '120']);
  assert.equal(
    run.code,
    1,
    `the example server lacks the suite's fixture tools, so some scenarios fail\n${run.stderr}`,
  );
  full = JSON.parse(run.stdout) as Report;
  assert.equal(full.server, mcp.url);
  assert.deepEqual(
    full.revisions.map((r) => r.revision),
    ['2026-07-28', '2025-11-25'],
  );
  for (const r of full.revisions) {
    assert.ok(r.scoredTotals.scenarios >= 20, `${r.revision} runs its whole requirement set`);
    for (const s of r.scenarios) assert.equal(s.revision, r.revision);
    const byName = new Map(r.scenarios.map((s) => [s.name, s]));
    for (const name of PASSING[r.revision]) {
      const s = byName.get(name);
      assert.ok(s, `${name} [${r.revision}] is reported`);
      assert.notEqual(s.status, 'fail', `${name} [${r.revision}] passes: ${JSON.stringify(s.failures)}`);
      assert.ok(s.checks.passed > 0);
    }
    // A scenario needing a fixture tool the server lacks fails, naming the check and the reason.
    const text = byName.get('tools-call-simple-text');
    assert.equal(text?.status, 'fail');
    assert.match(text.failures[0].message, /test_simple_text/);
    // Totals add up.
    assert.equal(r.totals.scenarios, r.scenarios.length);
    assert.equal(r.totals.passed + r.totals.failed + r.totals.warned, r.scenarios.length);
    assert.equal(
      r.totals.checks.failed,
      r.scenarios.reduce((n, s) => n + s.checks.failed, 0),
    );
  }
  // The proxy, not the server, answers the DNS-rebinding scenario: the report says so.
  const rebinding = full.revisions[1].scenarios.find((s) => s.name === 'dns-rebinding-protection');
  assert.match(rebinding?.note ?? '', /answered by mcptest's proxy/);
  // The 2026-07-28 set runs the tasks extension without scoring it.
  const modern = full.revisions[0].scenarios;
  assert.equal(modern.find((s) => s.name === 'tasks-lifecycle')?.scored, false);
  assert.equal(modern.find((s) => s.name === 'server-stateless')?.scored, true);
  assert.equal(
    full.totals.scenarios,
    full.revisions[0].scenarios.length + full.revisions[1].scenarios.length,
  );
  // Progress went to stderr, a plain line per scenario off a terminal.
  assert.match(run.stderr, /running tools-list \[2026-07-28\] \(\d+\/\d+\)/);
  assert.match(run.stderr, /running ping \[2025-11-25\] \(\d+\/\d+\)/);
  assertOnlyValidTokens(from);
  assertNoSecrets(run);
  assertNoSuiteFiles();
});

test('the JUnit report is well-formed and carries the same scenarios and totals as the JSON one', async () => {
  assert.ok(full, 'needs the full run of the test before');
  const out = path.join(tmp, 'reports', 'conformance.xml');
  // Both full runs give each scenario 120 s, so a loaded machine does not make them disagree.
  const run = await conformance([mcp.url, '--reporter', 'junit', '-o', out, '--timeout', '120']);
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /2026-07-28: \d+ of \d+ pass/);
  assert.match(run.stderr, /2025-11-25: \d+ of \d+ pass/);
  const xml = fs.readFileSync(out, 'utf8');
  const elements = checkWellFormedXml(xml);
  assert.equal(elements[0], 'testsuites');
  const suites = [...xml.matchAll(/<testsuite name="conformance ([^"]+)" tests="(\d+)" failures="(\d+)"/g)];
  assert.deepEqual(
    suites.map((m) => [m[1], Number(m[2]), Number(m[3])]),
    full.revisions.map((r) => [r.revision, r.totals.scenarios, r.totals.failed]),
  );
  const cases = [...xml.matchAll(/<testcase classname="conformance\.([^"]+)" name="([^"]+)"/g)].map(
    (m) => m[2],
  );
  assert.deepEqual(
    cases.sort(),
    full.revisions.flatMap((r) => r.scenarios.map((s) => `${s.name} [${s.revision}]`)).sort(),
  );
  assert.match(xml, /<failure message="ToolsCallSimpleText: [^"]*test_simple_text/);
  assertNoSecrets(run, xml);
  assertNoSuiteFiles();
});

test('chosen scenarios at one revision, human report: a line per scenario with its counts, exit 0', async () => {
  const from = mcp.requests.length;
  const run = await conformance([
    mcp.url,
    '--protocol',
    '2025-11-25',
    '--scenario',
    'ping',
    '--scenario',
    'tools-list',
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /✓ ping \[2025-11-25\] \(\d+ passed\)/);
  assert.match(run.stdout, /✓ tools-list \[2025-11-25\] \(\d+ passed\)/);
  assert.match(run.stdout, /2025-11-25: 2 of 2 pass, 0 fail/);
  assert.doesNotMatch(run.stdout, /2026-07-28/);
  assertOnlyValidTokens(from);
  assertNoSecrets(run);
});

test('a token from --bearer-token-env is what the proxy sends, never shown', async () => {
  const set = await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' });
  secrets.push(set.access_token);
  const fresh = await startTestDaemon();
  try {
    const from = mcp.requests.length;
    const run = await conformance(
      [mcp.url, '--protocol', '2025-11-25', '--scenario', 'tools-list', '--bearer-token-env', 'CONF_TOKEN'],
      { env: { ...envOf(fresh), CONF_TOKEN: set.access_token } },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /✓ tools-list \[2025-11-25\]/);
    assertOnlyValidTokens(from);
    assertNoSecrets(run);
  } finally {
    await fresh.cleanup();
  }
});

test('a server that needs no token is tested without one', async () => {
  const open = await startMcpServer({ auth: false });
  try {
    const run = await conformance([open.url, '--protocol', '2025-11-25', '--scenario', 'ping', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as Report;
    assert.equal(report.revisions[0].scenarios[0].status, 'pass');
    assert.ok(open.requests.length > 0);
    assert.equal(
      open.requests.some((r) => r.authorization),
      false,
      'no token goes to a server that has no login',
    );
    assertNoSecrets(run);
  } finally {
    await open.close();
  }
});

test('without a login it stops before the suite runs, naming the login command', async () => {
  const fresh = await startTestDaemon();
  try {
    const from = mcp.requests.length;
    const run = await conformance([mcp.url, '--scenario', 'ping'], { env: envOf(fresh) });
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, new RegExp(`mcptest login ${mcp.url.replace(/[.]/g, '\\.')}`));
    assert.equal(run.stdout, '');
    assert.ok(
      mcp.requests.slice(from).every((r) => r.rpcMethod !== 'ping'),
      'the suite did not run',
    );
  } finally {
    await fresh.cleanup();
  }
});

test('an unknown scenario or reporter is a usage error listing what exists', async () => {
  const run = await conformance([mcp.url, '--scenario', 'no-such-scenario']);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /no server scenario named "no-such-scenario"/);
  assert.match(run.stderr, /tools-list/);
  const bad = await conformance([mcp.url, '--reporter', 'tap']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /choose one of human, json, junit/);
});
