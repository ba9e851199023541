/**
 * The modern era behind auth, through the real daemon and the real IdP: a modern-only server
 * (SDK 2.x, `legacy: 'reject'`) guarded by a bearer token takes `--bearer-token-env` on the
 * `server/discover` probe and every request after it; with a cached login whose access token the
 * server rejects, the 401 makes the daemon refresh exactly once and the call succeeds. Also: no
 * stdio server process (nor the probe's sibling) outlives mcptest.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { clientCredentialsClient, type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { type EraServer, eraStdioFlags, startEraServer } from '../helpers/era-servers.js';

const GOOD = `era-good-${'g'.repeat(24)}`;
const STALE = `era-stale-${'s'.repeat(24)}`;
let idp: Idp;
let daemon: TestDaemon;
const CI_SECRET = `era-ci-secret-${'c'.repeat(20)}`;
let guarded: EraServer;
let scoped: EraServer;
let scopedAll: EraServer;

/** The `scope` claim of a JWT access token (the test server trusts the IdP it runs beside). */
function scopesOf(token: string | null): string[] {
  try {
    const payload = JSON.parse(Buffer.from(String(token).split('.')[1], 'base64url').toString('utf8'));
    return String(payload.scope ?? '').split(' ');
  } catch {
    return [];
  }
}

before(async () => {
  idp = await startIdp({ clients: [clientCredentialsClient('era-ci', CI_SECRET, 'mcp:read mcp:admin')] });
  daemon = await startTestDaemon();
  guarded = await startEraServer('modern', { bearer: (t) => t !== null && t !== STALE });
  // echo needs mcp:admin: a token without it gets 403 insufficient_scope naming the union.
  scoped = await startEraServer('modern', {
    bearer: (t) => t !== null,
    guard: ({ token, tools }) =>
      tools.includes('echo') && !scopesOf(token).includes('mcp:admin')
        ? { status: 403, wwwAuthenticate: 'Bearer error="insufficient_scope", scope="mcp:read mcp:admin"' }
        : null,
  });
  // Every request needs mcp:admin, the server/discover probe included.
  scopedAll = await startEraServer('modern', {
    bearer: (t) => t !== null,
    guard: ({ token }) =>
      scopesOf(token).includes('mcp:admin')
        ? null
        : { status: 403, wwwAuthenticate: 'Bearer error="insufficient_scope", scope="mcp:read mcp:admin"' },
  });
});
after(async () => {
  await guarded?.close();
  await scoped?.close();
  await scopedAll?.close();
  await daemon?.cleanup();
  await idp?.close();
});

/** The daemon's environment without its cleanup function, to add variables to. */
function plainEnv(): NodeJS.ProcessEnv {
  const { cleanup: _c, ...env } = daemon.env;
  return env;
}

test('a modern-only server behind a bearer token: --bearer-token-env on the probe and every request', async () => {
  const env = { ...plainEnv(), ERA_TOKEN: GOOD };
  const before = guarded.requests.length;
  const run = await runCli(['tools', '--url', guarded.url, '--bearer-token-env', 'ERA_TOKEN', '--json'], {
    env,
  });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout).protocol, { era: 'modern', version: '2026-07-28' });
  const seen = guarded.requests.slice(before);
  assert.deepEqual(
    seen.map((r) => r.rpcMethods[0]),
    ['server/discover', 'tools/list'],
  );
  assert.ok(seen.every((r) => r.authorized));
  assert.ok(!run.stdout.includes(GOOD) && !run.stderr.includes(GOOD), 'the token is never printed');

  const refused = await runCli(['tools', '--url', guarded.url, '--bearer-token-env', 'ERA_TOKEN'], {
    env: { ...plainEnv(), ERA_TOKEN: STALE },
  });
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /auth failed: HTTP 401 from http:\/\/127\.0\.0\.1:\d+\/mcp/);
  assert.match(refused.stderr, /Bearer \(realm="era"\)/);
  assert.ok(!refused.stderr.includes(STALE));
});

test('a cached login the modern server rejects: one refresh by the daemon, then the call succeeds', async () => {
  const serverUrl = guarded.url;
  const set = await idp.obtainTokenSet({ resource: serverUrl, scope: 'mcp:read' });
  await daemon.client.importCredential({
    serverUrl,
    accessToken: STALE,
    refreshToken: set.refresh_token,
    expiresIn: 3600,
    scope: set.scope,
    issuer: set.issuer,
    tokenEndpoint: set.token_endpoint,
    clientId: set.client_id,
    clientSecret: set.client_secret,
    authMethod: set.token_endpoint_auth_method as 'none',
    resource: serverUrl,
  });
  const refreshes = () =>
    idp.requests.filter((r) => r.path === '/token' && r.grantType === 'refresh_token').length;
  const before = refreshes();
  const run = await runCli(
    ['call', '--url', serverUrl, 'echo', '--args', '{"text":"after refresh"}', '--json'],
    {
      env: daemon.env,
    },
  );
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.deepEqual(out.structuredContent, { text: 'after refresh' });
  assert.equal(out.protocol.era, 'modern');
  assert.equal(refreshes() - before, 1, 'exactly one refresh after the 401');
  for (const secret of [set.access_token, set.refresh_token ?? STALE, STALE]) {
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret));
  }
});

test('client credentials on a modern server step up after a 403 insufficient_scope: one more mint, the call succeeds', async () => {
  const mints = () => idp.requests.filter((r) => r.grantType === 'client_credentials').length;
  const before = mints();
  const args = ['--url', scoped.url, '--client-id', 'era-ci', '--client-secret-env', 'CI_SECRET'];
  const flags = [...args, '--token-url', idp.tokenEndpoint, '--scope', 'mcp:read'];
  const run = await runCli(['call', ...flags, 'echo', '--args', '{"text":"wider"}', '--json'], {
    env: { ...plainEnv(), CI_SECRET },
  });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const out = JSON.parse(run.stdout);
  assert.deepEqual(out.structuredContent, { text: 'wider' });
  assert.equal(out.protocol.era, 'modern');
  assert.match(
    run.stderr,
    /needs scope `mcp:read mcp:admin`; minted a client-credentials token for `mcp:read mcp:admin`/,
  );
  assert.equal(mints() - before, 2, 'one mint for mcp:read, one for the union');
  const refusedCall = scoped.requests.filter((r) => r.rpcMethods[0] === 'tools/call');
  assert.deepEqual(
    refusedCall.map((r) => r.authorized),
    [false, true],
    'the refused call, then the same call with the wider token',
  );
  assert.ok(!run.stdout.includes(CI_SECRET) && !run.stderr.includes(CI_SECRET));
});

test('a 403 insufficient_scope on the server/discover probe steps up too, and the connect is made again', async () => {
  const flags = ['--url', scopedAll.url, '--client-id', 'era-ci', '--client-secret-env', 'CI_SECRET'];
  const run = await runCli(
    ['tools', ...flags, '--token-url', idp.tokenEndpoint, '--scope', 'mcp:read', '--json'],
    {
      env: { ...plainEnv(), CI_SECRET },
    },
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.deepEqual(JSON.parse(run.stdout).protocol, { era: 'modern', version: '2026-07-28' });
  assert.match(run.stderr, /minted a client-credentials token for `mcp:read mcp:admin`/);
  assert.deepEqual(
    scopedAll.requests.map((r) => `${r.rpcMethods[0]} ${r.authorized}`),
    ['server/discover false', 'server/discover true', 'tools/list true'],
  );
});

/** Processes whose command line carries `tag`. */
function processesWith(tag: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(tag)) pids.push(Number(entry));
    } catch {
      // gone already
    }
  }
  return pids;
}

test('no stdio server outlives mcptest: the auto probe sibling and the real server are both gone', async () => {
  const env = isolatedEnv();
  try {
    for (const kind of ['modern', 'dual', 'legacy'] as const) {
      const tag = `--era-tag=${process.pid}-${kind}-${Date.now()}`;
      const flags = [...eraStdioFlags(kind), '--arg', tag];
      const run = await runCli(['call', ...flags, 'echo', '--args', '{"text":"x"}'], { env });
      assert.equal(run.code, 0, `${kind}: ${run.stderr}`);
      if (kind !== 'dual') {
        // A refused pin: the probe (or initialize) fails, and the server learning run ends too.
        const pin = kind === 'legacy' ? '2026-07-28' : '2025-03-26';
        const failed = await runCli(['tools', ...flags, '--protocol', pin], { env });
        assert.equal(failed.code, 1, `${kind}: ${failed.stderr}`);
      }
      // mcptest has exited; give a loaded machine a moment for the kernel to reap.
      const deadline = Date.now() + 10_000;
      while (processesWith(tag).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(processesWith(tag), [], `${kind}: no process left with ${tag}`);
    }
  } finally {
    await env.cleanup();
  }
});
