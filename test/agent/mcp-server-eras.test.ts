/**
 * `mcptest mcp-server` serves agents of both eras: a real process driven by an SDK v2 client
 * pinned to 2026-07-28 (no initialize, `_meta` on every request) and by an SDK 1.x client (the
 * 2025 initialize handshake). Both list the verbs with the same schemas and call them with the
 * same answers; progress and error results travel in both; the raw modern wire is checked too.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { type ModernClient, startAgent, startModernAgent } from '../helpers/agent.js';
import { CLI, isolatedEnv } from '../helpers/cli.js';
import { startEraServer } from '../helpers/era-servers.js';

let mcp: McpExampleServer;
let env: ReturnType<typeof isolatedEnv>;
let home: string;
let modern: ModernClient;
let legacy: Client;

type Answer = { isError?: boolean; content: Array<{ type: string; text?: string }>; structuredContent?: any };

/** The same verb call from both agents; their answers. */
async function both(name: string, args: Record<string, unknown>): Promise<[Answer, Answer]> {
  const opts = { timeout: 90_000 };
  const a = (await modern.callTool({ name, arguments: args }, opts)) as Answer;
  const b = (await legacy.callTool({ name, arguments: args }, undefined, opts)) as Answer;
  return [a, b];
}

before(async () => {
  mcp = await startMcpServer({ auth: false });
  env = isolatedEnv({});
  home = env.MCPTEST_HOME as string;
  modern = await startModernAgent(env, { cwd: home });
  legacy = await startAgent(env, { cwd: home });
});

after(async () => {
  await modern?.close().catch(() => undefined);
  await legacy?.close().catch(() => undefined);
  await env?.cleanup();
  await mcp?.close();
});

test('a 2026-07-28 agent connects without initialize; a 2025 agent with it', () => {
  assert.equal(modern.getNegotiatedProtocolVersion(), '2026-07-28');
  assert.equal(modern.getProtocolEra(), 'modern');
  assert.equal(modern.getServerVersion()?.name, 'mcptest');
  assert.equal(legacy.getServerVersion()?.name, 'mcptest');
  assert.ok(legacy.getServerCapabilities()?.tools, 'the 2025 session declares tools');
});

test('both eras see the eleven verbs with the same input and output schemas', async () => {
  const [m, l] = [await modern.listTools(), await legacy.listTools()];
  assert.equal(m.tools.length, 11);
  assert.deepEqual(
    m.tools.map((t) => t.name),
    l.tools.map((t) => t.name),
  );
  for (const t of m.tools) {
    const twin = l.tools.find((x) => x.name === t.name);
    assert.deepEqual(t.inputSchema, twin?.inputSchema, `${t.name}: the same input schema in both eras`);
    assert.deepEqual(t.outputSchema, twin?.outputSchema, `${t.name}: the same output schema in both eras`);
    assert.equal(t.inputSchema.type, 'object');
    assert.equal((t.outputSchema as { type?: string } | undefined)?.type, 'object');
  }
  const call = m.tools.find((t) => t.name === 'call_tool');
  assert.ok(call?.inputSchema.properties?.bearer_token_env, 'targets take bearer_token_env');
});

test('list_tools and call_tool answer the same in both eras', async () => {
  const [ml, ll] = await both('list_tools', { url: mcp.url });
  assert.equal(ml.structuredContent.ok, true, JSON.stringify(ml.content));
  assert.deepEqual(ml.structuredContent.tools, ll.structuredContent.tools);
  assert.ok(ml.structuredContent.tools.some((t: { name: string }) => t.name === 'add'));
  const [mc, lc] = await both('call_tool', { url: mcp.url, tool: 'add', arguments: { a: 40, b: 2 } });
  for (const out of [mc, lc]) {
    assert.notEqual(out.isError, true, JSON.stringify(out.content));
    assert.deepEqual(out.structuredContent.structuredContent, { sum: 42 });
  }
});

test('call_tool of a tool with an x-mcp-header parameter sends its Mcp-Param header to a 2026-07-28 server', async () => {
  const server = await startEraServer('modern', { paramHeaderTool: true });
  try {
    const [m, l] = await both('call_tool', {
      url: server.url,
      tool: 'regional_echo',
      arguments: { region: 'eu-west', text: 'hi' },
    });
    for (const out of [m, l]) {
      assert.notEqual(out.isError, true, JSON.stringify(out.content));
      assert.equal(out.structuredContent.content[0].text, 'eu-west: hi');
    }
    const calls = server.requests.filter((r) => r.mcpMethodHeader === 'tools/call');
    assert.equal(calls.length, 2);
    for (const c of calls) assert.equal(c.paramHeaders['mcp-param-region'], 'eu-west');
  } finally {
    await server.close();
  }
});

test('an error result carries the message and ask_human in both eras', async () => {
  const [m, l] = await both('list_tools', { url: mcp.url, bearer_token_env: 'UNSET_TOKEN_VAR' });
  for (const res of [m, l]) {
    assert.equal(res.isError, true);
    assert.equal(res.structuredContent.ok, false);
    assert.equal(res.structuredContent.error.env_var, 'UNSET_TOKEN_VAR');
    assert.match(res.structuredContent.error.ask_human, /UNSET_TOKEN_VAR/);
  }
  assert.deepEqual(m.structuredContent.error, l.structuredContent.error);
  const bad = (await modern.callTool({
    name: 'list_tools',
    arguments: { bearer_token_env: 'not a name' },
  })) as Answer;
  assert.equal(bad.isError, true, 'input is validated in the modern era too');
});

test('a 2026-07-28 agent hears the progress of run_suite before its result', async () => {
  fs.writeFileSync(
    path.join(home, 'eras.yaml'),
    [
      'servers:',
      '  example:',
      `    url: ${mcp.url}`,
      'tests:',
      '  - name: adds',
      '    tool: add',
      '    arguments: { a: 1, b: 2 }',
      '    expect: { json: { "$.sum": 3 } }',
      '',
    ].join('\n'),
  );
  const heard: Array<{ progress: number; total?: number; message?: string }> = [];
  const res = (await modern.callTool(
    { name: 'run_suite', arguments: { path: 'eras.yaml' } },
    { timeout: 90_000, onprogress: (p) => heard.push(p) },
  )) as Answer;
  assert.notEqual(res.isError, true, JSON.stringify(res.content));
  assert.deepEqual(res.structuredContent.summary, { total: 1, passed: 1, failed: 0, skipped: 0 });
  assert.deepEqual(
    heard.map((p) => [p.progress, p.total, p.message]),
    [
      [0, 1, 'running 1 test of eras'],
      [1, 1, 'adds: passed'],
    ],
  );
});

test('on the raw modern wire: no initialize, the version in _meta, a complete result; a stray message reported on stderr', async () => {
  const child = spawn(process.execPath, [CLI, 'mcp-server'], {
    env: { ...plainEnv(env), MCPTEST_DEBUG: '1' },
    cwd: home,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  try {
    const lines = createInterface({ input: child.stdout });
    // A response to nothing, before any era was chosen: no answer on stdout, a line on stderr
    // (with MCPTEST_DEBUG), and the connection carries on.
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 99, result: {} })}\n`);
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    child.stdin.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'call_tool', arguments: { url: mcp.url, tool: 'add', arguments: { a: 2, b: 3 } }, _meta: meta } })}\n`,
    );
    let answer: Record<string, any> | undefined;
    for await (const line of lines) {
      const message = JSON.parse(line);
      assert.equal(message.jsonrpc, '2.0', 'only the protocol on stdout');
      if (message.id === 1) {
        answer = message;
        break;
      }
    }
    // stderr is its own pipe: its line may be read after the answer on stdout.
    for (let i = 0; i < 100 && !stderr.includes('\n'); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(stderr, /^mcptest mcp-server: Discarded a JSON-RPC response/m);
    assert.equal(answer?.error, undefined, JSON.stringify(answer));
    assert.equal(answer?.result.resultType, 'complete');
    assert.deepEqual(answer?.result.structuredContent.structuredContent, { sum: 5 });
  } finally {
    child.stdin.end();
    child.kill();
  }
});

function plainEnv(e: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { cleanup: _c, ...plain } = e as NodeJS.ProcessEnv & { cleanup?: unknown };
  return plain;
}
