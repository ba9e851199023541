/**
 * A token is only ever sent to the origin it was issued for. Tiny node:http servers on
 * 127.0.0.1 play a protected MCP server that redirects (307/308) to another port, and a legacy
 * HTTP+SSE server whose `endpoint` event names a URL on another origin; a second server records
 * every request it gets. Runs the real CLI with a bearer token from an env var and with a cached
 * login held by the real daemon. Also: plain HTTP to a non-loopback host is refused before any
 * network traffic, on every surface that takes a URL.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type CliRun, isolatedEnv, runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const TOKEN = 'origin-bound-secret-token-0123456789abcdef';

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{
  server: Server;
  origin: string;
  seen: Seen[];
}> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

let elsewhere: Awaited<ReturnType<typeof listen>>;
let d: TestDaemon;
const outputs: CliRun[] = [];

before(async () => {
  // The other origin answers like a willing MCP server would, so nothing stops at it by accident.
  elsewhere = await listen((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  d = await startTestDaemon({ env: isolatedEnv({ MCP_TOKEN: TOKEN }) });
});
after(async () => {
  elsewhere.server.closeAllConnections();
  await new Promise((r) => elsewhere.server.close(r));
  await d?.cleanup();
});

async function cli(args: string[]): Promise<CliRun> {
  const run = await runCli(args, { env: d.env, timeoutMs: 30_000 });
  outputs.push(run);
  return run;
}

for (const status of [307, 308]) {
  for (const auth of ['bearer_token_env', 'cached login'] as const) {
    test(`HTTP ${status} to another port, ${auth}: refused, and the other origin never sees Authorization`, async () => {
      const redirector = await listen((req, res) => {
        req.resume();
        res.writeHead(status, { location: `${elsewhere.origin}/mcp` }).end();
      });
      try {
        const url = `${redirector.origin}/mcp`;
        const before = elsewhere.seen.length;
        if (auth === 'cached login') {
          await d.client.importCredential({ serverUrl: url, accessToken: TOKEN, expiresIn: 3600 });
        }
        const run = await cli([
          'tools',
          '--url',
          url,
          ...(auth === 'bearer_token_env' ? ['--bearer-token-env', 'MCP_TOKEN'] : []),
        ]);
        assert.notEqual(run.code, 0);
        assert.match(run.stderr, /redirected to another origin/);
        // The token went to the server it was issued for, and nowhere else.
        assert.ok(redirector.seen.every((r) => r.authorization === `Bearer ${TOKEN}`));
        assert.ok(redirector.seen.length >= 1);
        const leaked = elsewhere.seen.slice(before).filter((r) => r.authorization !== undefined);
        assert.deepEqual(leaked, []);
      } finally {
        redirector.server.closeAllConnections();
        await new Promise((r) => redirector.server.close(r));
      }
    });
  }
}

test('legacy HTTP+SSE: an endpoint event naming another origin gets no token', async () => {
  const legacy = await listen((req, res) => {
    req.resume();
    if (req.method === 'POST') {
      // Not a Streamable HTTP server: the client falls back to the 2024-11-05 transport.
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write(`event: endpoint\ndata: ${elsewhere.origin}/messages?session=1\n\n`);
    setTimeout(() => res.end(), 3000);
  });
  try {
    const before = elsewhere.seen.length;
    const run = await cli([
      'tools',
      '--url',
      `${legacy.origin}/mcp`,
      '--bearer-token-env',
      'MCP_TOKEN',
      '--timeout',
      '5',
    ]).catch((err: Error) => ({ code: -1, stdout: '', stderr: err.message }));
    assert.notEqual(run.code, 0, 'no tools listed through a foreign endpoint');
    const leaked = elsewhere.seen.slice(before).filter((r) => r.authorization !== undefined);
    assert.deepEqual(leaked, [], 'the other origin got no Authorization header');
    assert.ok(
      legacy.seen.some((r) => r.method === 'GET'),
      'the SSE transport was tried',
    );
  } finally {
    legacy.server.closeAllConnections();
    await new Promise((r) => legacy.server.close(r));
  }
});

test('plain HTTP to a non-loopback host is refused by every surface, before any network traffic', async () => {
  const suiteDir = fs.mkdtempSync(path.join(d.env.MCPTEST_HOME as string, 'suite-'));
  const suite = path.join(suiteDir, 'insecure.yaml');
  fs.writeFileSync(
    suite,
    'servers:\n  remote:\n    url: http://example.com/mcp\n    auth:\n      bearer_token_env: MCP_TOKEN\ntests:\n  - name: echo\n    server: remote\n    tool: echo\n    arguments: { text: hi }\n',
  );
  const runs = [
    ['tools', '--url', 'http://example.com/mcp', '--bearer-token-env', 'MCP_TOKEN'],
    ['call', 'echo', '--url', 'http://example.com/mcp', '--bearer-token-env', 'MCP_TOKEN'],
    ['login', 'http://example.com/mcp', '--no-browser'],
    ['login', '--device', '--url', 'http://example.com/mcp'],
  ];
  for (const args of runs) {
    const started = Date.now();
    const run = await cli(args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, /https/i, args.join(' '));
    assert.ok(
      Date.now() - started < 25_000,
      'refused at once, no connection attempt (the connect timeout is 30 s)',
    );
  }
  const suiteRun = await cli(['run', suite]);
  assert.notEqual(suiteRun.code, 0);
  assert.match(suiteRun.stderr + suiteRun.stdout, /https/i);
});

test('no token value appears in any output', async () => {
  assert.ok(outputs.length >= 5);
  for (const run of outputs) {
    assert.ok(!run.stdout.includes(TOKEN) && !run.stderr.includes(TOKEN), 'token leaked into output');
  }
  assert.ok(!(await d.flushedLog()).includes(TOKEN), 'token leaked into the daemon log');
});
