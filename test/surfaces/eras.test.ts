/**
 * The two protocol eras as a user meets them: `mcptest tools` against a modern-only server
 * (SDK 2.x, `legacy: 'reject'`), a dual-era one (SDK 2.x) and a legacy-only one (SDK 1.x), over
 * Streamable HTTP and stdio, with `--protocol auto` (the default) and pinned versions. Each run
 * says which era and version it used; a server that refuses a pinned version gets one
 * `protocol_unsupported` error naming what it supports.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { type EraServer, type EraServerKind, eraStdioFlags, startEraServer } from '../helpers/era-servers.js';

let env: ReturnType<typeof isolatedEnv>;
const servers = new Map<EraServerKind, EraServer>();
const KINDS: EraServerKind[] = ['modern', 'dual', 'legacy'];

before(async () => {
  env = isolatedEnv();
  for (const kind of KINDS) servers.set(kind, await startEraServer(kind));
});
after(async () => {
  for (const s of servers.values()) await s.close();
  await env.cleanup();
});

/** The `--url` flags of the HTTP server of `kind`, or the stdio twin's flags. */
function flags(kind: EraServerKind, transport: 'http' | 'stdio'): string[] {
  return transport === 'http' ? ['--url', (servers.get(kind) as EraServer).url] : eraStdioFlags(kind);
}

const EXPECTED: Array<[EraServerKind, string, { era: string; version: string }]> = [
  ['modern', 'auto', { era: 'modern', version: '2026-07-28' }],
  ['modern', '2026-07-28', { era: 'modern', version: '2026-07-28' }],
  ['dual', 'auto', { era: 'modern', version: '2026-07-28' }],
  ['dual', '2025-11-25', { era: 'legacy', version: '2025-11-25' }],
  ['dual', '2025-06-18', { era: 'legacy', version: '2025-06-18' }],
  ['legacy', 'auto', { era: 'legacy', version: '2025-11-25' }],
  ['legacy', '2025-03-26', { era: 'legacy', version: '2025-03-26' }],
];

for (const transport of ['http', 'stdio'] as const) {
  test(`tools --json over ${transport} reports the era and version used, for each server kind`, async () => {
    for (const [kind, protocol, expected] of EXPECTED) {
      const args = [
        'tools',
        ...flags(kind, transport),
        '--json',
        ...(protocol === 'auto' ? [] : ['--protocol', protocol]),
      ];
      const run = await runCli(args, { env });
      assert.equal(run.code, 0, `${kind} ${protocol}: ${run.stderr}`);
      const out = JSON.parse(run.stdout);
      assert.deepEqual(out.protocol, expected, `${kind} with --protocol ${protocol}`);
      const base = ['add_tool', 'ask_model', 'ask_name', 'ask_roots', 'ask_url', 'echo'];
      const names = out.tools.map((t: { name: string }) => t.name).sort();
      // ask_forever (an input_required without end) exists only in the modern era.
      assert.deepEqual(
        names,
        expected.era === 'modern' ? ['add_tool', 'ask_forever', ...base.slice(1)] : base,
      );
      const echo = out.tools.find((t: { name: string }) => t.name === 'echo');
      assert.ok(echo.outputSchema, 'echo keeps its outputSchema');
    }
  });

  test(`human tools output over ${transport} notes the era on stderr`, async () => {
    const run = await runCli(['tools', ...flags('dual', transport)], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^MCP 2026-07-28 \(modern\)$/m);
    assert.match(run.stdout, /^echo {2}/m);
  });

  test(`--protocol 2026-07-28 against a legacy-only server over ${transport}: one error naming what it speaks`, async () => {
    const run = await runCli(['tools', ...flags('legacy', transport), '--protocol', '2026-07-28', '--json'], {
      env,
    });
    assert.equal(run.code, 1, run.stdout);
    const { error } = JSON.parse(run.stdout);
    assert.equal(error.code, 'protocol_unsupported');
    assert.match(error.message, /does not speak MCP 2026-07-28/);
    assert.match(error.message, /2025-11-25/);
    assert.match(error.hint, /--protocol 2025-11-25$/);
    assert.doesNotMatch(error.hint, /--protocol 2026-07-28/);
  });

  test(`--protocol 2025-11-25 against a modern-only server over ${transport}: the error lists its versions`, async () => {
    const run = await runCli(['tools', ...flags('modern', transport), '--protocol', '2025-11-25'], { env });
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /does not speak MCP 2025-11-25 \(asked with --protocol 2025-11-25\)/);
    assert.match(run.stderr, /it supports 2026-07-28/);
    assert.match(run.stderr, /hint: mcptest tools .*--protocol 2026-07-28/);
  });
}

test('a pinned 2025 version is the only one offered: the legacy handshake carries it', async () => {
  const server = servers.get('dual') as EraServer;
  const before = server.requests.length;
  const run = await runCli(['tools', '--url', server.url, '--protocol', '2025-06-18', '--json'], { env });
  assert.equal(run.code, 0, run.stderr);
  const seen = server.requests.slice(before);
  assert.equal(seen[0].rpcMethods[0], 'initialize', 'no server/discover probe when a 2025 version is pinned');
  assert.ok(seen.filter((r) => r.sessionId).every((r) => r.protocolVersionHeader === '2025-06-18'));
  assert.ok(
    seen.some((r) => r.method === 'DELETE' && r.sessionId),
    'the legacy session is ended with a DELETE on close',
  );
});

test('auto on a modern server: server/discover, then requests with the 2026-07-28 header and no session', async () => {
  const server = servers.get('modern') as EraServer;
  const before = server.requests.length;
  const run = await runCli(['tools', '--url', server.url], { env });
  assert.equal(run.code, 0, run.stderr);
  const seen = server.requests.slice(before);
  assert.deepEqual(
    seen.map((r) => r.rpcMethods[0]),
    ['server/discover', 'tools/list'],
  );
  assert.ok(seen.every((r) => r.protocolVersionHeader === '2026-07-28' && r.sessionId === null));
});

test('--protocol takes only the known choices, and says which', async () => {
  const run = await runCli(['tools', ...flags('modern', 'http'), '--protocol', '2024-11-05'], { env });
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /--protocol takes one of auto, 2026-07-28, 2025-11-25, 2025-06-18, 2025-03-26, not "2024-11-05"/,
  );
});
