/**
 * A legacy MCP server that speaks only the 2024-11-05 HTTP+SSE transport (the SDK's own
 * SSEServerTransport on 127.0.0.1): tools, call and doctor fall back to it, and doctor says what
 * kind of server it found instead of guessing at a wrong path.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { createLegacyExampleMcpServer } from '../../examples/oauth-server/legacy-tools.js';
import { CLI, isolatedEnv, runCli } from '../helpers/cli.js';

let http: Server;
let sseUrl: string;
let env: ReturnType<typeof isolatedEnv>;
const transports = new Map<string, SSEServerTransport>();

before(async () => {
  env = isolatedEnv();
  http = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/sse') {
      const transport = new SSEServerTransport('/messages', res);
      transports.set(transport.sessionId, transport);
      res.on('close', () => transports.delete(transport.sessionId));
      await createLegacyExampleMcpServer().connect(transport);
    } else if (req.method === 'POST' && url.pathname === '/messages') {
      const transport = transports.get(url.searchParams.get('sessionId') ?? '');
      if (transport) await transport.handlePostMessage(req, res);
      else res.writeHead(404).end();
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  sseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/sse`;
});
after(async () => {
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
  await env.cleanup();
});

test('tools and call reach a legacy HTTP+SSE server', async () => {
  const tools = await runCli(['tools', '--url', sseUrl, '--json'], { env });
  assert.equal(tools.code, 0, tools.stderr);
  assert.ok(JSON.parse(tools.stdout).tools.some((t: { name: string }) => t.name === 'add'));
  const call = await runCli(['call', '--url', sseUrl, 'add', '--args', '{"a":2,"b":40}'], { env });
  assert.equal(call.code, 0, call.stderr);
  assert.match(call.stdout, /^42$/m);
});

test('doctor names the legacy transport instead of suspecting the path', async () => {
  const run = await runCli(['doctor', '--url', sseUrl, '--json'], { env });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const layers = JSON.parse(run.stdout).layers as Array<Record<string, any>>;
  const http = layers.find((l) => l.layer === 'http');
  assert.equal(http?.status, 'warn');
  assert.match(
    http?.summary,
    /a legacy HTTP\+SSE server \(the 2024-11-05 transport\): POST answered HTTP 404/,
  );
  assert.equal(http?.hint, undefined);
  const init = layers.find((l) => l.layer === 'initialize');
  assert.equal(init?.details.transport, 'sse');
});

test('mcptest bridge falls back to HTTP+SSE and forwards a stdio client to the legacy server', async () => {
  const { cleanup: _c, ...plain } = env;
  const client = new Client({ name: 'bridge-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'bridge', sseUrl],
      env: plain as Record<string, string>,
      stderr: 'pipe',
    }),
  );
  try {
    const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
    assert.match(JSON.stringify(result.content), /42/);
  } finally {
    await client.close();
  }
});
