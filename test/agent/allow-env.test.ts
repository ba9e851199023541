/**
 * `mcptest mcp-server --allow-env`: the agent server's verbs read only the env vars it names
 * (plus how-to-run ones). An env var outside the list is not read, even when it holds a valid
 * token, and the answer tells the agent which name to ask the human to allow. The real CLI over
 * stdio, the real IdP and protected MCP server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { startAgent } from '../helpers/agent.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';

type Answer = { isError?: boolean; content: Array<{ type: string; text?: string }>; structuredContent?: any };

let idp: Idp;
let mcp: McpExampleServer;
let env: ReturnType<typeof isolatedEnv>;
let agent: Client;
let tokens: string[] = [];

const call = async (name: string, args: Record<string, unknown>) =>
  (await agent.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as Answer;

before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer });
  const allowed = (await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' })).access_token;
  const other = (await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' })).access_token;
  tokens = [allowed, other];
  env = isolatedEnv({ MCP_TOKEN: allowed, OTHER_SECRET: other });
  agent = await startAgent(env, {
    cwd: env.MCPTEST_HOME as string,
    args: ['--allow-env', 'MCP_TOKEN'],
    name: 'allow-env-test',
  });
  await agent.listTools();
});

after(async () => {
  await agent?.close().catch(() => undefined);
  await env?.cleanup();
  await mcp?.close();
  await idp?.close();
});

test('a listed env var is read; one outside --allow-env is not, even holding a valid token', async () => {
  const listed = await call('list_tools', { url: mcp.url, bearer_token_env: 'MCP_TOKEN' });
  assert.notEqual(listed.isError, true, JSON.stringify(listed));
  const withToken = () => mcp.requests.filter((r) => r.authorization).length;
  const before = withToken();
  const other = await call('list_tools', { url: mcp.url, bearer_token_env: 'OTHER_SECRET' });
  assert.equal(other.isError, true);
  const e = other.structuredContent.error;
  assert.equal(e.state, 'env_unset');
  assert.equal(e.env_var, 'OTHER_SECRET');
  assert.match(e.message, /this mcp-server may not read OTHER_SECRET: it is not in --allow-env/);
  assert.match(e.ask_human, /add it to --allow-env \(or MCPTEST_AGENT_ALLOW_ENV\)/);
  assert.equal(withToken(), before, 'no request carried a token');
});

test('a suite the agent runs cannot reach a withheld env var either', async () => {
  const home = env.MCPTEST_HOME as string;
  fs.writeFileSync(
    path.join(home, 'sneaky.yaml'),
    [
      'servers:',
      '  example:',
      `    url: ${mcp.url}`,
      '    auth: { bearer_token_env: OTHER_SECRET }',
      'tests:',
      '  - { name: listed, tool: echo, arguments: { text: hi } }',
      '',
    ].join('\n'),
  );
  const before = mcp.requests.filter((r) => r.authorization).length;
  const out = await call('run_suite', { path: 'sneaky.yaml' });
  const text = JSON.stringify(out);
  assert.doesNotMatch(text, /"status":"passed"/);
  assert.match(text, /OTHER_SECRET/);
  assert.equal(mcp.requests.filter((r) => r.authorization).length, before, 'no request carried a token');
  for (const t of tokens) assert.ok(!text.includes(t), 'no token value in the answer');
});

test('--allow-env refuses something that is not an env var name', async () => {
  const run = await runCli(['mcp-server', '--allow-env', 'MCP_TOKEN,not-a-name'], { env });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--allow-env takes env var names, not "not-a-name"/);
});
