/**
 * A hostile MCP server whose tools/list never stops paging (a fresh cursor every time, or the
 * same cursor again): `tools`, `call`, `scaffold` and `run` end with a clear server_error
 * instead of paging forever. The server is a real SDK server over stdio.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { writeStdioServer } from '../helpers/stdio-server.js';

let env: ReturnType<typeof isolatedEnv>;
let server: string[];

before(() => {
  env = isolatedEnv();
  server = writeStdioServer(
    env.MCPTEST_HOME as string,
    'endless',
    { tools: {} },
    `let n = 0;
server.setRequestHandler(types.ListToolsRequestSchema, async () => ({
  tools: [{ name: 'tool' + n, inputSchema: { type: 'object' } }],
  nextCursor: process.argv[2] === 'same' ? 'same-cursor' : 'c' + ++n,
}));
server.setRequestHandler(types.CallToolRequestSchema, async () => ({ content: [{ type: 'text', text: 'ok' }] }));`,
  );
});
after(async () => {
  await env.cleanup();
});

test('tools: a server that never stops paging ends with server_error after 100 pages', async () => {
  const run = await runCli(['tools', ...server, '--json'], { env });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const { error } = JSON.parse(run.stdout);
  assert.equal(error.code, 'server_error');
  assert.match(error.message, /tools\/list still had more after 100 pages \(100 tools\)/);
});

test('tools: a cursor handed out twice ends with server_error at once', async () => {
  const run = await runCli(['tools', ...server, '--arg', 'same'], { env });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /handed out the cursor "same-cursor" twice/);
});

test('run and scaffold end too; call keeps the tool result and its own verdict', async () => {
  const suite = path.join(env.MCPTEST_HOME as string, 'endless.yaml');
  fs.writeFileSync(
    suite,
    `servers:\n  s: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(server[3])}] }\ntests:\n  - { name: listed, tool_present: tool0 }\n`,
  );
  const run = await runCli(['run', suite, '--reporter', 'json'], { env });
  assert.notEqual(run.code, 0);
  assert.match(run.stdout, /still had more after 100 pages/);
  const scaffold = await runCli(['scaffold', ...server], { env });
  assert.equal(scaffold.code, 1);
  assert.match(scaffold.stderr, /still had more after 100 pages/);
  const call = await runCli(['call', ...server, 'tool0'], { env });
  assert.equal(call.code, 0, call.stderr);
  assert.equal(call.stdout, 'ok\n');
});
