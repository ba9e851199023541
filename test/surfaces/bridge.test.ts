/**
 * `mcptest bridge URL` as a host runs it: a real SDK Client on stdio spawns the real CLI, which
 * forwards to the protected example MCP server with the real daemon's token. The client has no
 * token of its own; a kill -9 of the daemon between two calls goes unnoticed; with no login the
 * client's initialize is answered with the login command; 8 bridged clients of both eras and
 * 32 headers helpers right after expiry cause one refresh and leave the grant alive; a refused
 * token is renewed once; closing the client ends the server's session; the daemon's trace log
 * holds no token.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import Database from 'better-sqlite3';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { fingerprint } from '../../shared/fingerprint.js';
import { CLI, runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { refreshRequests, seedLogin } from '../helpers/seed.js';

let idp: Idp;
let mcp: McpExampleServer;
let d: TestDaemon;
const secrets: string[] = [];

before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer, sessions: true });
  d = await startTestDaemon();
});
after(async () => {
  await d?.cleanup();
  await mcp?.close();
  await idp?.close();
});

function plainEnv(daemon: TestDaemon): Record<string, string> {
  const { cleanup: _c, ...env } = daemon.env;
  return env as Record<string, string>;
}

/** An SDK client whose server is `mcptest bridge ARGS`; its stderr collected. */
async function bridgedClient(
  daemon: TestDaemon,
  args: string[],
): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'bridge', ...args],
    env: plainEnv(daemon),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'bridge-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

async function whoami(client: Client): Promise<{ authenticated: boolean; clientId?: string }> {
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  return result.structuredContent as { authenticated: boolean; clientId?: string };
}

async function until(check: () => boolean, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return check();
}

test('a stdio client with no token lists tools and calls whoami as the seeded user; closing ends the session', async () => {
  const set = await seedLogin(idp, d.client, mcp.url);
  secrets.push(set.access_token, set.refresh_token as string);
  const { client, stderr } = await bridgedClient(d, [mcp.url, '--verbose']);
  let closed = false;
  try {
    assert.ok(client.getServerVersion(), 'initialized through the bridge');
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'whoami'));
    const who = await whoami(client);
    assert.equal(who.authenticated, true);
    assert.equal(who.clientId, set.client_id, "the seeded login's client");
    assert.equal(mcp.openSessions(), 1, 'one session, managed by the bridge');
    await client.close();
    closed = true;
    assert.ok(await until(() => mcp.openSessions() === 0), 'the session was ended (DELETE)');
    assert.ok(mcp.requests.some((r) => r.method === 'DELETE' && r.status < 300));
    const log = stderr();
    assert.match(log, /-> request initialize id=0/);
    assert.match(log, /<- response id=0/);
    assert.match(log, /-> notification notifications\/initialized/);
    assert.match(log, /-> request tools\/call id=\d+/);
    assert.doesNotMatch(log, /bearer/i);
    for (const s of secrets) assert.ok(!log.includes(s), 'no token in the --verbose stderr');
  } finally {
    if (!closed) await client.close();
  }
});

test('kill -9 of the daemon between two calls: the second call still works', async () => {
  const own = await startTestDaemon();
  const server = await startMcpServer({ issuer: idp.issuer, sessions: true });
  try {
    await seedLogin(idp, own.client, server.url);
    const { client } = await bridgedClient(own, [server.url]);
    try {
      assert.equal((await whoami(client)).authenticated, true);
      await own.client.close();
      await own.kill();
      assert.equal((await whoami(client)).authenticated, true, 'answered after the daemon restarted');
      const status = await runCli(['daemon', 'status', '--json'], { env: own.env });
      assert.notEqual(JSON.parse(status.stdout).pid, own.process.pid, 'a fresh daemon took over');
    } finally {
      await client.close();
    }
    assert.ok(await until(() => server.openSessions() === 0));
  } finally {
    await own.cleanup();
    await server.close();
  }
});

test('with no login, initialize is answered with an error naming mcptest login; stdout is JSON-RPC only', async () => {
  const server = await startMcpServer({ issuer: idp.issuer });
  try {
    await assert.rejects(bridgedClient(d, ['--url', server.url]), (err: Error) => {
      assert.match(err.message, new RegExp(`mcptest login ${server.url.replace(/[.]/g, '\\.')}`));
      assert.match(err.message, /mcptest login --device/);
      return true;
    });
    // By hand: one line on stdout, the error response; exit 0 when stdin closes.
    const child = spawn(process.execPath, [CLI, 'bridge', server.url], {
      env: plainEnv(d),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.stdin.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } })}\n`,
    );
    assert.ok(await until(() => stdout.includes('\n')), stderr);
    child.stdin.end();
    assert.equal(await exited, 0, stderr);
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const answer = JSON.parse(lines[0]);
    assert.equal(answer.id, 7);
    assert.match(answer.error.message, /mcptest login/);
    assert.match(stderr, /mcptest login/);
    assert.ok(
      server.requests.every((r) => !r.authorization && r.status === 401),
      'the server was asked without a token and refused',
    );
  } finally {
    await server.close();
  }
});

/** An SDK 2.x client pinned to 2026-07-28 whose server is `mcptest bridge ARGS`. */
async function modernBridgedClient(daemon: TestDaemon, args: string[]): Promise<ModernClient> {
  const transport = new ModernStdioClientTransport({
    command: process.execPath,
    args: [CLI, 'bridge', ...args],
    env: plainEnv(daemon),
    stderr: 'pipe',
  });
  const client = new ModernClient(
    { name: 'bridge-test-modern', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(transport);
  return client;
}

test('8 bridged SDK clients (both eras) and 32 auth headers at once right after expiry: one refresh at the IdP, all served, the grant alive after', async () => {
  const server = await startMcpServer({ issuer: idp.issuer, sessions: true });
  const clients: Array<{ whoami(): Promise<boolean>; close(): Promise<void> }> = [];
  try {
    const set = await seedLogin(idp, d.client, server.url, { expiresIn: 3600 });
    secrets.push(set.access_token, set.refresh_token as string);
    // Eight hosts mid-session: four 2025 sessions (SDK 1.x) and four 2026-07-28 clients (SDK 2.x).
    for (let i = 0; i < 4; i++) {
      const { client } = await bridgedClient(d, [server.url]);
      clients.push({ whoami: async () => (await whoami(client)).authenticated, close: () => client.close() });
    }
    for (let i = 0; i < 4; i++) {
      const client = await modernBridgedClient(d, [server.url]);
      assert.equal(client.getProtocolEra(), 'modern');
      clients.push({
        whoami: async () => {
          const result = await client.callTool({ name: 'whoami', arguments: {} });
          return (result.structuredContent as { authenticated: boolean }).authenticated;
        },
        close: () => client.close(),
      });
    }
    // The access token expires under all of them (as the daemon's store says; no timer fired).
    const db = new Database(`${d.env.MCPTEST_HOME}/auth/tokens.db`);
    db.prepare('UPDATE credentials SET expires_at = ? WHERE server_url = ?').run(
      Date.now() - 1000,
      server.url,
    );
    db.close();
    const before = refreshRequests(idp);
    const refusedBefore = server.requests.filter((r) => r.status === 401).length;

    const helpers = Array.from({ length: 32 }, () =>
      runCli(['auth', 'headers', server.url], { env: d.env, timeoutMs: 60_000 }),
    );
    const calls = clients.map((c) => c.whoami());
    const [who, runs] = await Promise.all([Promise.all(calls), Promise.all(helpers)]);

    assert.deepEqual(who, Array(8).fill(true), 'every bridged client was served');
    const tokens = new Set<string>();
    for (const run of runs) {
      assert.equal(run.code, 0, run.stderr);
      const match = /^\{"Authorization":"Bearer (\S+)"\}\n?$/.exec(run.stdout);
      assert.ok(match, run.stdout);
      tokens.add(match[1]);
    }
    secrets.push(...tokens);
    assert.equal(tokens.size, 1, 'every helper got the same token');
    assert.ok(!tokens.has(set.access_token), 'the expired token was replaced');
    assert.equal(refreshRequests(idp) - before, 1, 'exactly one refresh at the IdP');
    assert.equal(
      server.requests.filter((r) => r.status === 401).length,
      refusedBefore,
      'no request was refused',
    );
    // The grant is alive: the rotated refresh token refreshes once more.
    const [held] = tokens;
    const renewed = await d.client.getToken({
      serverUrl: server.url,
      rejectedFingerprint: fingerprint(held),
    });
    secrets.push(renewed.accessToken);
    assert.notEqual(renewed.accessToken, held, 'a fresh token from the same grant');
    assert.equal(refreshRequests(idp) - before, 2, 'the grant was alive for a second refresh');
    for (const c of clients.splice(0)) await c.close();
    assert.ok(await until(() => server.openSessions() === 0), 'every 2025 session ended');
  } finally {
    for (const c of clients) await c.close();
    await server.close();
  }
});

test('a token the server refuses (401): the bridge reports its fingerprint, gets a renewed one and the host never sees the refusal', async () => {
  const server = await startMcpServer({ issuer: idp.issuer, sessions: true });
  try {
    // A real token for another audience: the server answers 401 invalid_token.
    const wrong = (await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' })).access_token;
    const set = await idp.obtainTokenSet({ resource: server.url, scope: 'mcp:read' });
    secrets.push(wrong, set.access_token, set.refresh_token as string);
    await d.client.importCredential({
      serverUrl: server.url,
      accessToken: wrong,
      refreshToken: set.refresh_token,
      expiresIn: 3600,
      scope: set.scope,
      issuer: set.issuer,
      tokenEndpoint: set.token_endpoint,
      clientId: set.client_id,
      clientSecret: set.client_secret,
      authMethod: set.token_endpoint_auth_method as 'none',
      resource: server.url,
    });
    const before = refreshRequests(idp);
    const { client, stderr } = await bridgedClient(d, [server.url, '--verbose']);
    try {
      assert.equal((await whoami(client)).authenticated, true);
      assert.equal((await whoami(client)).authenticated, true);
    } finally {
      await client.close();
    }
    assert.equal(refreshRequests(idp) - before, 1, 'one refresh, not one per request');
    const statuses = server.requests
      .filter((r) => r.authorization && r.method === 'POST')
      .map((r) => r.status);
    assert.equal(statuses[0], 401, 'the first request carried the refused token');
    assert.ok(
      statuses.slice(1).every((s) => s === 200 || s === 202),
      `every later request was accepted: ${statuses}`,
    );
    const log = stderr();
    for (const s of secrets) assert.ok(!log.includes(s), 'no token in the --verbose stderr');
  } finally {
    await server.close();
  }
});

test('bridge --help offers only what a forwarder honours; --timeout and a pinned --protocol are refused', async () => {
  const help = await runCli(['bridge', '--help'], { env: d.env });
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /--bearer-token-env/);
  assert.match(help.stdout, /--client-id/);
  for (const flag of ['--command', '--arg', '--env', '--timeout', '--protocol']) {
    assert.ok(!help.stdout.includes(`${flag} `), `${flag} is not offered`);
  }
  const timeout = await runCli(['bridge', mcp.url, '--timeout', '60'], { env: d.env });
  assert.equal(timeout.code, 2, timeout.stderr);
  assert.match(timeout.stderr, /--timeout does not apply/);
  const pinned = await runCli(['bridge', mcp.url, '--protocol', '2025-11-25'], { env: d.env });
  assert.equal(pinned.code, 2, pinned.stderr);
  assert.match(pinned.stderr, /speaks whichever MCP era the host speaks/);
});

test("the daemon's log at trace level holds none of the tokens the bridges and helpers used", async () => {
  const log = await d.flushedLog();
  assert.match(log, /token refreshed/);
  for (const s of secrets) assert.ok(!log.includes(s), 'a token reached the daemon log');
  assert.doesNotMatch(log, /bearer [a-z0-9._-]{8,}/i);
});
