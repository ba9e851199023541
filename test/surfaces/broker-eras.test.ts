/**
 * The broker surfaces in both MCP eras, as real hosts drive them: the SDK 2.x client
 * (`@modelcontextprotocol/client`) on stdio spawning `mcptest bridge`, and over HTTP through
 * `mcptest proxy`, against the protected example server (real IdP, real daemon, seeded logins)
 * in its modern-only, dual-era and legacy-only forms, and against the era test server for what
 * the example does not carry (an `x-mcp-header` parameter). What passes through unchanged:
 * `server/discover`, `input_required` rounds, `subscriptions/listen` notifications, 2025 server
 * requests, a cancellation; what the bridge adds: the `Mcp-Param-*` headers, step-up errors.
 * A 2026-07-28 host's bridge outlives a kill -9 of the daemon; client credentials step up without
 * troubling the host; the daemon's trace log holds no token or client secret.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Client, type ClientOptions, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { clientCredentialsClient, type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { CLI, runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startEraServer } from '../helpers/era-servers.js';
import { seedLogin } from '../helpers/seed.js';

let idp: Idp;
let d: TestDaemon;
const secrets: string[] = [];
const servers: Array<{ close(): Promise<void> }> = [];

/** The secret of the client-credentials client `bridge-admin` (may hold mcp:read and mcp:admin). */
const CC_SECRET = 'bridge-admin-secret-0123456789';

before(async () => {
  idp = await startIdp({
    clients: [clientCredentialsClient('bridge-admin', CC_SECRET, 'mcp:read mcp:admin')],
  });
  d = await startTestDaemon();
});
after(async () => {
  for (const s of servers) await s.close().catch(() => undefined);
  await d?.cleanup();
  await idp?.close();
});

function plainEnv(extra: Record<string, string> = {}): Record<string, string> {
  const { cleanup: _c, ...env } = d.env;
  return { ...(env as Record<string, string>), ...extra };
}

type Mode = 'auto' | 'modern' | 'legacy';

function negotiation(mode: Mode): ClientOptions['versionNegotiation'] {
  if (mode === 'modern') return { mode: { pin: '2026-07-28' } };
  return { mode };
}

/** An SDK 2.x client that answers a form elicitation with `{ name: 'Ada' }`. */
function newClient(mode: Mode): Client {
  const client = new Client(
    { name: 'broker-eras-test', version: '1.0.0' },
    { versionNegotiation: negotiation(mode), capabilities: { elicitation: { form: {} } } },
  );
  client.setRequestHandler('elicitation/create', async () => ({
    action: 'accept' as const,
    content: { name: 'Ada' },
  }));
  return client;
}

/** An SDK 2.x client on stdio whose server is `mcptest bridge ARGS --verbose`. */
async function bridged(
  args: string[],
  mode: Mode,
  env: Record<string, string> = {},
): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'bridge', ...args, '--verbose'],
    env: plainEnv(env),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = newClient(mode);
  try {
    await client.connect(transport);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nbridge stderr:\n${stderr}`);
  }
  return { client, stderr: () => stderr };
}

async function example(era: 'modern' | 'dual' | 'legacy', scope = 'mcp:read'): Promise<McpExampleServer> {
  const server = await startMcpServer({
    issuer: idp.issuer,
    era,
    interactiveTools: true,
    ...(era === 'modern' ? {} : { sessions: true }),
  });
  servers.push(server);
  const set = await seedLogin(idp, d.client, server.url, { scope });
  secrets.push(set.access_token, set.refresh_token as string);
  return server;
}

function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? '').join('');
}

async function until(check: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return check();
}

function assertNoSecret(text: string): void {
  for (const s of secrets) assert.ok(!text.includes(s), 'no token in the output');
  assert.doesNotMatch(text, /bearer [a-z0-9._-]{8,}/i);
}

test('modern-only server through the bridge: tools, an input_required round and subscriptions/listen, all 2026-07-28', async () => {
  const server = await example('modern');
  const { client, stderr } = await bridged([server.url], 'auto');
  try {
    assert.equal(client.getProtocolEra(), 'modern');
    assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    assert.equal((who.structuredContent as { authenticated: boolean }).authenticated, true);

    // An input_required result reaches the client, which answers on a second call.
    const greeted = await client.callTool({ name: 'ask_name', arguments: {} });
    assert.match(textOf(greeted), /Ada/);

    // A subscriptions/listen stream carries the list change through the bridge.
    let changed = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      changed++;
    });
    const subscription = await client.listen({ toolsListChanged: true });
    await client.callTool({ name: 'change_tools', arguments: { bonus: true } });
    assert.ok(await until(() => changed > 0), `list_changed arrived on the listen stream\n${stderr()}`);
    await subscription.close();
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'bonus'));
  } finally {
    await client.close();
  }
  const log = stderr();
  assert.match(log, /-> request subscriptions\/listen id=\S+/);
  assert.match(log, /cancelled subscriptions\/listen id=\S+: its stream is closed/);
  assert.doesNotMatch(log, /-> request initialize/);
  assertNoSecret(log);
  const posts = server.requests.filter((r) => r.method === 'POST');
  assert.ok(posts.length > 0 && posts.every((r) => r.authorization), 'every request carried the token');
  assert.ok(
    server.requests.every((r) => r.method === 'POST'),
    'no GET stream and no DELETE: the modern era has no session',
  );
});

test('dual-era server through the bridge: a 2026-07-28 client and a 2025 client each get their era, asks included', async () => {
  const server = await example('dual');
  for (const mode of ['modern', 'legacy'] as const) {
    const { client, stderr } = await bridged([server.url], mode);
    try {
      assert.equal(client.getProtocolEra(), mode, stderr());
      const greeted = await client.callTool({ name: 'ask_name', arguments: {} });
      assert.match(textOf(greeted), /Ada/, `${mode}: the elicitation was answered through the bridge`);
      const who = await client.callTool({ name: 'whoami', arguments: {} });
      assert.equal((who.structuredContent as { authenticated: boolean }).authenticated, true);
    } finally {
      await client.close();
    }
    const log = stderr();
    if (mode === 'legacy') {
      assert.match(log, /-> request initialize/);
      assert.match(log, /<- request elicitation\/create/, 'the 2025 server request reached the host');
    } else {
      assert.doesNotMatch(log, /initialize/);
    }
    assertNoSecret(log);
  }
  assert.ok(await until(() => server.openSessions() === 0), 'the 2025 session was ended');
});

test('legacy-only server through the bridge: an auto client falls back to the 2025 handshake', async () => {
  const server = await example('legacy');
  const { client, stderr } = await bridged([server.url], 'auto');
  try {
    assert.equal(client.getProtocolEra(), 'legacy', stderr());
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    assert.equal((who.structuredContent as { authenticated: boolean }).authenticated, true);
  } finally {
    await client.close();
  }
  assert.ok(await until(() => server.openSessions() === 0));
});

test('a 2026-07-28 call of a tool with an x-mcp-header parameter gets its Mcp-Param header from the bridge', async () => {
  const server = await startEraServer('modern', { bearer: (t) => t === 'era-token', paramHeaderTool: true });
  servers.push(server);
  const env = { ERA_TOKEN: 'era-token' };
  // Called without listing first: the bridge lists the tools itself to learn the declaration.
  const { client, stderr } = await bridged([server.url, '--bearer-token-env', 'ERA_TOKEN'], 'modern', env);
  try {
    const plain = await client.callTool({
      name: 'regional_echo',
      arguments: { region: 'eu-west', text: 'hi' },
    });
    assert.equal(textOf(plain), 'eu-west: hi', stderr());
    const wide = await client.callTool({
      name: 'regional_echo',
      arguments: { region: 'Zürich', text: 'grüezi' },
    });
    assert.equal(textOf(wide), 'Zürich: grüezi', stderr());
  } finally {
    await client.close();
  }
  const calls = server.requests.filter((r) => r.mcpMethodHeader === 'tools/call');
  assert.equal(calls.length, 2);
  assert.equal(calls[0].paramHeaders['mcp-param-region'], 'eu-west');
  assert.equal(
    calls[1].paramHeaders['mcp-param-region'],
    `=?base64?${Buffer.from('Zürich').toString('base64')}?=`,
    'a value that is not plain ASCII travels base64-wrapped',
  );
  assert.ok(
    server.requests.some((r) => r.mcpMethodHeader === 'tools/list'),
    "the bridge's own listing",
  );
  assert.ok(!stderr().includes('era-token'));
});

test("a 2026-07-28 cancellation closes the call's stream; the bridge goes on serving", async () => {
  const server = await example('modern');
  const { client, stderr } = await bridged([server.url], 'modern');
  try {
    const abort = new AbortController();
    const slow = client.callTool({ name: 'slow', arguments: { ms: 60_000 } }, { signal: abort.signal });
    await until(() => /-> request tools\/call/.test(stderr()));
    abort.abort();
    await assert.rejects(slow);
    assert.ok(
      await until(() => /cancelled tools\/call id=\S+: its stream is closed/.test(stderr())),
      stderr(),
    );
    const echo = await client.callTool({ name: 'echo', arguments: { text: 'still here' } });
    assert.match(textOf(echo), /still here/);
  } finally {
    await client.close();
  }
  assert.doesNotMatch(stderr(), /-> notification notifications\/cancelled[^\n]*\n[^\n]*could not forward/);
});

test('a scope the login lacks: the host gets step_up_required naming the login command with the wider scope', async () => {
  const server = await example('modern');
  const { client, stderr } = await bridged([server.url], 'modern');
  try {
    await assert.rejects(client.callTool({ name: 'admin_reset', arguments: {} }), (err: Error) => {
      assert.match(err.message, /insufficient_scope/);
      assert.match(
        err.message,
        new RegExp(`mcptest login ${server.url.replace(/[.]/g, '\\.')} --scope "mcp:read mcp:admin"`),
      );
      return true;
    });
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    assert.equal((who.structuredContent as { authenticated: boolean }).authenticated, true);
  } finally {
    await client.close();
  }
  assertNoSecret(stderr());
});

test('a 2026-07-28 host mid-session through the bridge: a kill -9 of the daemon between two calls goes unnoticed', async () => {
  const own = await startTestDaemon();
  const server = await startMcpServer({ issuer: idp.issuer, era: 'modern', interactiveTools: true });
  servers.push(server);
  try {
    const set = await seedLogin(idp, own.client, server.url);
    secrets.push(set.access_token, set.refresh_token as string);
    const { cleanup: _c, ...ownEnv } = own.env;
    const { client, stderr } = await bridged([server.url], 'modern', ownEnv as Record<string, string>);
    try {
      assert.equal(client.getProtocolEra(), 'modern');
      const first = await client.callTool({ name: 'whoami', arguments: {} });
      assert.equal((first.structuredContent as { authenticated: boolean }).authenticated, true);
      const killed = own.process.pid;
      await own.client.close();
      await own.kill();
      const second = await client.callTool({ name: 'whoami', arguments: {} });
      assert.equal(
        (second.structuredContent as { authenticated: boolean }).authenticated,
        true,
        `answered after the daemon restarted\n${stderr()}`,
      );
      // An input_required round after the restart, too.
      assert.match(textOf(await client.callTool({ name: 'ask_name', arguments: {} })), /Ada/);
      const status = await runCli(['daemon', 'status', '--json'], { env: own.env });
      assert.notEqual(JSON.parse(status.stdout).pid, killed, 'a fresh daemon took over');
    } finally {
      await client.close();
    }
    assertNoSecret(stderr());
    assert.equal(server.requests.filter((r) => r.status === 401).length, 0, 'no request was refused');
  } finally {
    await own.cleanup();
  }
});

test('client credentials through the bridge: a 403 insufficient_scope is stepped up by one mint for the union, the host sees only the result', async () => {
  const server = await startMcpServer({ issuer: idp.issuer, era: 'modern' });
  servers.push(server);
  secrets.push(CC_SECRET);
  const mints = () => idp.requests.filter((r) => r.grantType === 'client_credentials').length;
  const before = mints();
  const { client, stderr } = await bridged(
    [
      server.url,
      '--client-id',
      'bridge-admin',
      '--client-secret-env',
      'BRIDGE_SECRET',
      '--token-url',
      idp.tokenEndpoint,
      '--scope',
      'mcp:read',
    ],
    'modern',
    { BRIDGE_SECRET: CC_SECRET },
  );
  try {
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    assert.deepEqual((who.structuredContent as { scopes: string[] }).scopes, ['mcp:read']);
    const reset = await client.callTool({ name: 'admin_reset', arguments: {} });
    assert.match(textOf(reset), /reset done/, stderr());
    assert.equal(mints() - before, 2, 'one mint for mcp:read, one for the union');
  } finally {
    await client.close();
  }
  assert.match(stderr(), /needs scope `mcp:read mcp:admin`/);
  assertNoSecret(stderr());
});

interface RunningProxy {
  child: ChildProcess;
  url: string;
  stderr(): string;
  stop(): Promise<void>;
}

async function proxyFor(server: McpExampleServer): Promise<RunningProxy> {
  const child = spawn(
    process.execPath,
    [CLI, 'proxy', '--json', '--verbose', '--url', server.url, '--listen', '127.0.0.1:0'],
    { env: plainEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (c) => {
    stderr += c;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c) => {
      stdout += c;
      if (stdout.includes('\n')) resolve(stdout.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`proxy exited ${code}: ${stderr}`)));
  });
  return {
    child,
    url: JSON.parse(first).url,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

test('through the proxy, SDK 2.x clients of both eras: input_required, listen and 2025 server requests pass', async () => {
  const server = await example('dual');
  const proxy = await proxyFor(server);
  try {
    for (const mode of ['modern', 'legacy'] as const) {
      const client = newClient(mode);
      await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
      try {
        assert.equal(client.getProtocolEra(), mode);
        const greeted = await client.callTool({ name: 'ask_name', arguments: {} });
        assert.match(textOf(greeted), /Ada/, `${mode}: asked and answered through the proxy`);
        if (mode === 'modern') {
          let changed = 0;
          client.setNotificationHandler('notifications/tools/list_changed', () => {
            changed++;
          });
          const subscription = await client.listen({ toolsListChanged: true });
          await client.callTool({ name: 'change_tools', arguments: { bonus: true } });
          assert.ok(await until(() => changed > 0), 'list_changed arrived through the proxy');
          await subscription.close();
        }
      } finally {
        await client.close();
      }
    }
  } finally {
    await proxy.stop();
  }
  assertNoSecret(proxy.stderr());
  assert.ok(server.requests.filter((r) => r.method === 'POST').every((r) => r.authorization));
});

test('a bridge started before the login answers with the login commands, then serves once the login exists', async () => {
  const server = await startMcpServer({ issuer: idp.issuer, era: 'modern' });
  servers.push(server);
  const child = spawn(process.execPath, [CLI, 'bridge', server.url], {
    env: plainEnv(),
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
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'raw-host', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const call = (id: number) =>
    child.stdin.write(
      `${JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'whoami', arguments: {}, _meta: meta } })}\n`,
    );
  const answer = async (id: number) => {
    assert.ok(await until(() => stdout.split('\n').some((l) => l.includes(`"id":${id}`)), 30_000), stderr);
    return JSON.parse(stdout.split('\n').find((l) => l.includes(`"id":${id}`)) as string);
  };
  try {
    call(1);
    const refused = await answer(1);
    assert.match(refused.error.message, /mcptest login --device/);
    assert.match(refused.error.message, /login_device_start/);
    assert.equal(refused.error.data.loginCommand, `mcptest login ${server.url}`);
    assert.equal(refused.error.data.deviceLoginCommand, `mcptest login --device ${server.url}`);

    const set = await seedLogin(idp, d.client, server.url);
    secrets.push(set.access_token, set.refresh_token as string);
    call(2);
    const served = await answer(2);
    assert.equal(served.result?.structuredContent?.authenticated, true, JSON.stringify(served));
  } finally {
    child.stdin.end();
  }
  assert.equal(await exited, 0, stderr);
  assertNoSecret(stdout + stderr);
});

test('a server that ends a request stream without an answer: the host gets an error, not a wait', async () => {
  // A server that answers every POST with an event stream it closes at once.
  const mute = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => new Promise<void>((resolve) => mute.close(() => resolve())) });
  const url = `http://127.0.0.1:${(mute.address() as AddressInfo).port}/mcp`;
  const child = spawn(process.execPath, [CLI, 'bridge', url], {
    env: plainEnv(),
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
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'raw-host', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  child.stdin.write(
    `${JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: { _meta: meta } })}\n`,
  );
  try {
    assert.ok(await until(() => stdout.includes('\n'), 30_000), stderr);
    const answer = JSON.parse(stdout.split('\n')[0]);
    assert.equal(answer.id, 9);
    assert.match(answer.error.message, /closed the stream of tools\/list id=9 without answering it/);
  } finally {
    child.stdin.end();
  }
  assert.equal(await exited, 0, stderr);
});

test("the daemon's log at trace level holds none of the tokens the bridges and the proxy used", async () => {
  const log = await d.flushedLog();
  assert.match(log, /"fingerprint":"[0-9a-f]{12}"/);
  for (const s of secrets) assert.ok(!log.includes(s), 'a token reached the daemon log');
  assert.doesNotMatch(log, /bearer [a-z0-9._-]{8,}/i);
});
