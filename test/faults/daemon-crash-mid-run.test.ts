/**
 * The daemon killed (-9) in the middle of a suite run that uses a cached login: the run asks the
 * daemon for the token before every request, starts a fresh daemon when the old one is gone, and
 * every test passes. The real CLI, daemon, IdP and MCP server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { runCli } from '../helpers/cli.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { refreshRequests, seedLogin } from '../helpers/seed.js';

/** Connected (accepted) sockets of the Unix socket at `socketPath`, from /proc/net/unix. */
function connectionsTo(socketPath: string): number {
  return fs
    .readFileSync('/proc/net/unix', 'utf8')
    .split('\n')
    .filter((line) => line.endsWith(` ${socketPath}`) && line.split(/\s+/)[5] === '03').length;
}

let idp: Idp;
let mcp: McpExampleServer;
before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer });
});
after(async () => {
  await mcp?.close();
  await idp?.close();
});

test('kill -9 of the daemon during `mcptest run`: the run starts a new one and every test passes', async () => {
  const d = await startTestDaemon();
  try {
    await seedLogin(idp, d.client, mcp.url);
    const suite = path.join(d.env.MCPTEST_HOME as string, 'suite.yaml');
    fs.writeFileSync(
      suite,
      [
        'servers:',
        `  api: { url: ${JSON.stringify(mcp.url)} }`,
        'tests:',
        ...[1, 2, 3, 4].map((i) => `  - { name: slow ${i}, tool: slow, arguments: { ms: 700 } }`),
        '',
      ].join('\n'),
    );
    const run = runCli(['run', suite, '--reporter', 'json', '--concurrency', '1'], { env: d.env });
    // Kill once the run is under way (the first tool call has gone out with a daemon token).
    const deadline = Date.now() + 20_000;
    while (!mcp.requests.some((r) => r.rpcMethod === 'tools/call') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await d.kill();
    const done = await run;
    assert.equal(done.code, 0, done.stdout + done.stderr);
    assert.deepEqual(JSON.parse(done.stdout).summary, { total: 4, passed: 4, failed: 0, skipped: 0 });
    const status = await runCli(['daemon', 'status', '--json'], { env: d.env });
    assert.notEqual(JSON.parse(status.stdout).pid, d.process.pid, 'a fresh daemon took over');
  } finally {
    await d.cleanup();
  }
});

test('kill -9 of the daemon while `mcptest auth token` waits on a refresh: a new daemon answers it', async () => {
  const d = await startTestDaemon();
  try {
    const before = refreshRequests(idp);
    const seen = idp.requests.length;
    // The IdP holds the first refresh: a token expired on arrival, asked for once, is refreshed at
    // once; the CLI's request below then waits on that refresh when the daemon dies.
    await seedLogin(idp, d.client, mcp.url, {
      expiresIn: 0,
      beforeImport: () => idp.setFault({ delayMs: 5_000 }, { path: '/token', times: 1 }),
    });
    const held = () => idp.requests.slice(seen).some((r) => r.path === '/token' && r.status === 0);
    const first = d.client.getToken({ serverUrl: mcp.url }).catch(() => undefined);
    for (let i = 0; i < 200 && !held(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(held(), 'the refresh reached the IdP and is held there');
    await d.client.close(); // from here on, every connection to the daemon is the CLI's
    await first;
    for (let i = 0; i < 200 && connectionsTo(d.env.MCPTEST_SOCKET as string) > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const run = runCli(['auth', 'token', '--url', mcp.url], { env: d.env });
    const deadline = Date.now() + 20_000;
    while (connectionsTo(d.env.MCPTEST_SOCKET as string) === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(connectionsTo(d.env.MCPTEST_SOCKET as string) > 0, 'the CLI reached the daemon');
    // Its handshake and token request follow on that connection within microseconds.
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(held(), 'the refresh the CLI waits on is still held');
    await d.kill();
    const done = await run;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /^\S{20,}\n$/, 'one token on stdout');
    assert.doesNotMatch(done.stderr, /ECONNRESET|cannot reach the auth daemon/);
    assert.ok(refreshRequests(idp) > before, 'the new daemon refreshed');
    const status = await runCli(['daemon', 'status', '--json'], { env: d.env });
    assert.notEqual(JSON.parse(status.stdout).pid, d.process.pid, 'a fresh daemon took over');
  } finally {
    idp.setFault(null);
    await d.cleanup();
  }
});
