/**
 * A token is only ever sent to the origin it was issued for. Tiny node:http servers on
 * 127.0.0.1 play a protected MCP server that redirects (307/308) to another port, and a legacy
 * HTTP+SSE server whose `endpoint` event names a URL on another origin; a second server records
 * every request it gets. Runs the real CLI with a bearer token from an env var and with a cached
 * login held by the real daemon, and through `mcptest bridge` and `mcptest proxy`. Also: plain
 * HTTP to a non-loopback host is refused before any network traffic, on every surface that takes
 * a URL (the token verbs, the bridge, the proxy and conformance included).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import http, { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CLI, type CliRun, isolatedEnv, runCli } from '../helpers/cli.js';
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

test('HTTP 307 to another port through mcptest bridge and mcptest proxy: the other origin never sees Authorization', async () => {
  const redirector = await listen((req, res) => {
    req.resume();
    res.writeHead(307, { location: `${elsewhere.origin}/mcp` }).end();
  });
  try {
    const url = `${redirector.origin}/mcp`;
    await d.client.importCredential({ serverUrl: url, accessToken: TOKEN, expiresIn: 3600 });
    const before = elsewhere.seen.length;
    const initialize = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    // The bridge, as a host runs it: the initialize is answered with an error, not followed.
    const { cleanup: _c, ...env } = d.env;
    const bridge = spawn(process.execPath, [CLI, 'bridge', url], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let bridgeOut = '';
    let bridgeErr = '';
    bridge.stderr.on('data', (c) => {
      bridgeErr += c;
    });
    const line = await new Promise<string>((resolve, reject) => {
      bridge.stdout.on('data', (c) => {
        bridgeOut += c;
        if (bridgeOut.includes('\n')) resolve(bridgeOut.split('\n')[0]);
      });
      bridge.once('exit', (code) => reject(new Error(`bridge exited ${code}: ${bridgeErr}`)));
      bridge.stdin.write(`${initialize}\n`);
    });
    bridge.stdin.end();
    assert.equal(await new Promise((r) => bridge.once('exit', r)), 0, bridgeErr);
    outputs.push({ code: 0, stdout: bridgeOut, stderr: bridgeErr });
    const answer = JSON.parse(line);
    assert.equal(answer.id, 1);
    assert.match(answer.error?.message ?? '', /redirected to another origin/, 'the host is told why');

    // The proxy hands the redirect back to its client instead of following it.
    const child = spawn(process.execPath, [CLI, 'proxy', '--url', url, '--json'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const first = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c) => {
          out += c;
          if (out.includes('\n')) resolve(out.split('\n')[0]);
        });
        child.once('exit', (code) => reject(new Error(`proxy exited ${code}`)));
      });
      const socket = JSON.parse(first).socket as string;
      const res = await new Promise<{ status: number; location?: string }>((resolve, reject) => {
        const req = http.request(
          {
            socketPath: socket,
            path: '/mcp',
            method: 'POST',
            headers: {
              host: 'mcp',
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
            },
          },
          (r) => {
            r.resume();
            resolve({ status: r.statusCode ?? 0, location: r.headers.location });
          },
        );
        req.once('error', reject);
        req.end(initialize);
      });
      assert.equal(res.status, 307, 'the client gets the redirect');
      assert.equal(res.location, `${elsewhere.origin}/mcp`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    assert.ok(redirector.seen.length >= 2, 'both reached the server they were pointed at');
    assert.ok(redirector.seen.every((r) => r.authorization === `Bearer ${TOKEN}`));
    const leaked = elsewhere.seen.slice(before).filter((r) => r.authorization !== undefined);
    assert.deepEqual(leaked, [], 'the other origin got no Authorization header');
  } finally {
    redirector.server.closeAllConnections();
    await new Promise((r) => redirector.server.close(r));
  }
});

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
    ['auth', 'token', 'http://example.com/mcp'],
    ['auth', 'headers', 'http://example.com/mcp'],
    ['bridge', 'http://example.com/mcp', '--bearer-token-env', 'MCP_TOKEN'],
    ['proxy', '--url', 'http://example.com/mcp', '--bearer-token-env', 'MCP_TOKEN'],
    ['conformance', 'http://example.com/mcp', '--bearer-token-env', 'MCP_TOKEN'],
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
