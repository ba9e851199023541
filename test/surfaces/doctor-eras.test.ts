/**
 * `mcptest doctor` shows the modern surface: against real servers of the three kinds
 * (era-servers.ts: modern-only behind a bearer token, dual-era, legacy-only) and a stdio one, the
 * era and version it connected with, what `server/discover` lists, and whether 2025 clients are
 * served (a separate connection pinned to 2025-11-25), in `--json` and in the human report;
 * `--protocol` pins the main connection like every command's.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { type EraServer, eraStdioFlags, startEraServer } from '../helpers/era-servers.js';

const TOKEN = 'era-doctor-token-0123456789';
let env: ReturnType<typeof isolatedEnv>;
let modern: EraServer;
let dual: EraServer;
let legacy: EraServer;

type Layer = { layer: string; status: string; summary: string; hint?: string; details?: any };

async function doctor(args: string[]): Promise<{ code: number; report: any; layer(name: string): Layer }> {
  const run = await runCli(['doctor', ...args, '--json'], { env, timeoutMs: 120_000 });
  assert.doesNotMatch(run.stdout + run.stderr, new RegExp(TOKEN), 'no token in doctor output');
  const report = JSON.parse(run.stdout);
  return {
    code: run.code,
    report,
    layer: (name) => {
      const found = report.layers.find((l: Layer) => l.layer === name);
      assert.ok(found, `layer ${name} in ${run.stdout}`);
      return found;
    },
  };
}

before(async () => {
  modern = await startEraServer('modern', { bearer: (t) => t === TOKEN });
  dual = await startEraServer('dual');
  legacy = await startEraServer('legacy');
  env = isolatedEnv({ MCP_TOKEN: TOKEN });
});

after(async () => {
  await env?.cleanup();
  for (const s of [modern, dual, legacy]) await s?.close();
});

test('a modern-only server behind a bearer token: 2026-07-28, its discover answer, 2025 clients refused', async () => {
  const d = await doctor(['--url', modern.url, '--bearer-token-env', 'MCP_TOKEN']);
  assert.equal(d.code, 0, JSON.stringify(d.report, null, 2));
  assert.deepEqual(
    d.report.layers.map((l: Layer) => l.layer),
    ['config', 'network', 'http', 'auth', 'initialize', 'discover', 'legacy', 'tools'],
  );
  const p = d.report.protocol;
  assert.equal(p.era, 'modern');
  assert.equal(p.version, '2026-07-28');
  assert.equal(p.transport, 'streamable-http');
  assert.equal(p.modern, 'served');
  assert.equal(p.legacy, 'refused');
  assert.ok(p.supportedVersions.includes('2026-07-28'));
  assert.ok(p.capabilities.tools, 'discover lists the tools capability');
  assert.equal(d.layer('initialize').details.era, 'modern');
  assert.match(d.layer('initialize').summary, /^MCP 2026-07-28 \(modern era, no initialize\)/);
  assert.equal(d.layer('discover').status, 'pass');
  assert.match(d.layer('discover').summary, /versions .*2026-07-28.*; capabilities: .*tools.*; extensions: /);
  const legacyLayer = d.layer('legacy');
  assert.equal(legacyLayer.status, 'pass');
  assert.match(
    legacyLayer.summary,
    /^refused: a modern-only server; to a 2025-11-25 client \(initialize\) it answered -32022 \(unsupported protocol version\); it supports 2026-07-28$/,
  );
  assert.equal(legacyLayer.details.served, false);
  // The legacy check carried the token too: refused for its era, not for its credentials.
  assert.ok(modern.requests.some((r) => r.rpcMethods.includes('initialize') && r.authorized));
  assert.equal(d.layer('tools').status, 'pass');

  const human = await runCli(['doctor', '--url', modern.url, '--bearer-token-env', 'MCP_TOKEN'], { env });
  assert.equal(human.code, 0, human.stdout);
  assert.match(
    human.stdout,
    /\[ok\] {3}MCP connect +MCP 2026-07-28 \(modern era, no initialize\) over streamable-http/,
  );
  assert.match(human.stdout, /\[ok\] {3}server\/discover +versions .*2026-07-28/);
  assert.match(human.stdout, /\[ok\] {3}legacy clients +refused: a modern-only server/);

  const noToken = await doctor(['--url', modern.url]);
  assert.equal(noToken.code, 3);
  assert.equal(noToken.layer('auth').status, 'fail');
  assert.equal(noToken.report.protocol, null, 'no era findings before a connection');
  assert.equal(noToken.layer('discover').status, 'skip');
});

test('a modern-only server without auth: the 400 to the 2025 probe is no warning once 2026-07-28 works', async () => {
  const open = await startEraServer('modern');
  try {
    const d = await doctor(['--url', open.url]);
    assert.equal(d.code, 0, JSON.stringify(d.report, null, 2));
    const http = d.layer('http');
    assert.equal(http.status, 'pass');
    assert.match(http.summary, /HTTP 400 to a 2025 initialize POST without a token, and speaks 2026-07-28/);
    assert.equal(d.report.protocol.legacy, 'refused');
  } finally {
    await open.close();
  }
});

test('a dual-era server: modern by default, 2025 clients served; pinned to 2025-11-25 it still shows discover', async () => {
  const d = await doctor(['--url', dual.url]);
  assert.equal(d.code, 0, JSON.stringify(d.report, null, 2));
  assert.equal(d.report.protocol.era, 'modern');
  assert.equal(d.report.protocol.legacy, 'served');
  assert.equal(d.report.protocol.legacyVersion, '2025-11-25');
  assert.match(d.layer('legacy').summary, /^served: a separate 2025-11-25 client initialized/);

  const pinned = await doctor(['--url', dual.url, '--protocol', '2025-11-25']);
  assert.equal(pinned.code, 0, JSON.stringify(pinned.report, null, 2));
  assert.equal(pinned.report.protocol.era, 'legacy');
  assert.equal(pinned.report.protocol.version, '2025-11-25');
  assert.equal(pinned.report.protocol.modern, 'served');
  assert.ok(pinned.report.protocol.supportedVersions.includes('2026-07-28'));
  assert.match(pinned.layer('discover').summary, /\(asked on a separate 2026-07-28 connection\)$/);
  assert.match(
    pinned.layer('legacy').summary,
    /^served: this connection is a 2025 session \(MCP 2025-11-25\)/,
  );
});

test('a legacy-only server: it speaks only the 2025 era', async () => {
  const d = await doctor(['--url', legacy.url]);
  assert.equal(d.code, 0, JSON.stringify(d.report, null, 2));
  assert.equal(d.report.protocol.era, 'legacy');
  assert.equal(d.report.protocol.version, '2025-11-25');
  assert.equal(d.report.protocol.modern, 'refused');
  assert.equal(d.report.protocol.legacy, 'served');
  assert.equal(d.report.protocol.supportedVersions, null);
  const discover = d.layer('discover');
  assert.equal(discover.status, 'warn');
  assert.equal(
    discover.summary,
    'the server speaks only the 2025 era (MCP 2025-11-25): a 2026-07-28 client is refused (no server/discover)',
  );
  assert.match(discover.details.error, /it answered initialize with 2025-11-25/);
  assert.equal(discover.details.errorCode, 'protocol_unsupported');
  assert.match(discover.hint ?? '', /--protocol 2025-11-25/);

  const pinned = await doctor(['--url', legacy.url, '--protocol', '2026-07-28']);
  assert.equal(pinned.code, 1);
  const init = pinned.layer('initialize');
  assert.equal(init.status, 'fail');
  assert.match(init.summary, /does not speak MCP 2026-07-28/);
});

test('a stdio server of the modern era: the same findings without HTTP', async () => {
  const d = await doctor(eraStdioFlags('modern'));
  assert.equal(d.code, 0, JSON.stringify(d.report, null, 2));
  assert.equal(d.report.protocol.era, 'modern');
  assert.equal(d.report.protocol.transport, 'stdio');
  assert.equal(d.report.protocol.legacy, 'refused');
  const dualStdio = await doctor(eraStdioFlags('dual'));
  assert.equal(dualStdio.report.protocol.legacy, 'served');
  const legacyStdio = await doctor(eraStdioFlags('legacy'));
  assert.equal(legacyStdio.report.protocol.modern, 'refused');
  assert.equal(legacyStdio.layer('discover').status, 'warn');
});
