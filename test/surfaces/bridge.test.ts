/**
 * `mcptest bridge URL` as a host runs it: a real SDK Client on stdio spawns the real CLI, which
 * forwards to the protected example MCP server with the real daemon's token. The client has no
 * token of its own; a kill -9 of the daemon between two calls goes unnoticed; with no login the
 * client's initialize is answered with the login command; many bridges and headers helpers
 * right after expiry cause one refresh and leave the grant alive; closing the client ends the
 * server's session.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
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

test('8 bridges and 32 auth headers at once right after expiry: one refresh at the IdP, all succeed, the grant alive after', async () => {
  const server = await startMcpServer({ issuer: idp.issuer, sessions: true });
  try {
    const first = await seedLogin(idp, d.client, server.url, { expiresIn: 3600 });
    const set = await seedLogin(idp, d.client, server.url, { expiresIn: 0 });
    secrets.push(first.access_token, set.access_token);
    const before = refreshRequests(idp);
    const bridges = Array.from({ length: 8 }, async () => {
      const { client } = await bridgedClient(d, [server.url]);
      try {
        return (await whoami(client)).authenticated;
      } finally {
        await client.close();
      }
    });
    const helpers = Array.from({ length: 32 }, () => runCli(['auth', 'headers', server.url], { env: d.env }));
    const [who, runs] = await Promise.all([Promise.all(bridges), Promise.all(helpers)]);
    assert.deepEqual(who, Array(8).fill(true));
    for (const run of runs) {
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^\{"Authorization":"Bearer \S+"\}\n?$/);
    }
    assert.equal(refreshRequests(idp) - before, 1, 'exactly one refresh');
    assert.equal(server.requests.filter((r) => r.status === 401).length, 0, 'no request was refused');
    // The rotated refresh token still works: a token the server "rejects" is renewed once more.
    const held = await d.client.getToken({ serverUrl: server.url });
    const { fingerprint } = await import('../../shared/fingerprint.js');
    const renewed = await d.client.getToken({
      serverUrl: server.url,
      rejectedFingerprint: fingerprint(held.accessToken),
    });
    assert.notEqual(renewed.accessToken, held.accessToken, 'a fresh token from the same grant');
    assert.equal(refreshRequests(idp) - before, 2, 'the grant was alive for a second refresh');
    assert.ok(await until(() => server.openSessions() === 0), 'every session ended');
  } finally {
    await server.close();
  }
});
