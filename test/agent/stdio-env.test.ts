/**
 * What a stdio server gets of mcptest's environment. An agent drives the real `mcptest
 * mcp-server --allow-env MCP_TOKEN` over stdio and names, as `command`, a real SDK stdio server
 * that reports its own environment and what it can read of its parent's in /proc. It gets the
 * safe set plus MCP_TOKEN, and neither its environment nor /proc/<parent>/environ holds a
 * withheld variable, mcptest's own settings or NODE_OPTIONS. `mcptest call --command` passes
 * the safe set only, plus what `--env KEY=VALUE` and `--env KEY` add.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startAgent } from '../helpers/agent.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { writeStdioServer } from '../helpers/stdio-server.js';

const ALLOWED = 'allowed-token-value-4242';
const WITHHELD = 'withheld-secret-value-1717';
let env: ReturnType<typeof isolatedEnv>;
let agent: Client;
let script: string;

before(async () => {
  env = isolatedEnv({
    MCP_TOKEN: ALLOWED,
    OTHER_SECRET: WITHHELD,
    NODE_OPTIONS: '--no-deprecation',
    LANG: 'C.UTF-8',
    TZ: 'UTC',
    HOME2: '/srv/home-two',
  });
  const flags = writeStdioServer(
    env.MCPTEST_HOME as string,
    'env-report',
    { tools: {} },
    `import fs from 'node:fs';
server.setRequestHandler(types.ListToolsRequestSchema, async () => ({
  tools: [{ name: 'report', inputSchema: { type: 'object' } }],
}));
server.setRequestHandler(types.CallToolRequestSchema, async () => {
  let parent = '';
  try { parent = fs.readFileSync('/proc/' + process.ppid + '/environ', 'latin1'); } catch (err) { parent = 'unreadable: ' + err.code; }
  const report = { env: process.env, parent: parent.split('\\0').filter(Boolean) };
  return { content: [{ type: 'text', text: JSON.stringify(report) }] };
});`,
  );
  script = flags[flags.length - 1];
  agent = await startAgent(env, {
    cwd: env.MCPTEST_HOME as string,
    args: ['--allow-env', 'MCP_TOKEN'],
    name: 'stdio-env-test',
  });
});

after(async () => {
  await agent?.close().catch(() => undefined);
  await env?.cleanup();
});

const SAFE = /^(PATH|HOME|USER|LOGNAME|SHELL|TERM|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|TEMP|TMP)$/;

test('a stdio server an agent starts gets the safe set and the --allow-env variables, nothing else', async () => {
  const answer = (await agent.callTool(
    { name: 'call_tool', arguments: { command: process.execPath, args: [script], tool: 'report' } },
    undefined,
    { timeout: 60_000 },
  )) as { isError?: boolean; structuredContent?: any };
  assert.notEqual(answer.isError, true, JSON.stringify(answer));
  const text = answer.structuredContent.content[0].text as string;
  const report = JSON.parse(text) as { env: Record<string, string>; parent: string[] };

  const names = Object.keys(report.env).sort();
  for (const name of names) assert.ok(SAFE.test(name) || name === 'MCP_TOKEN', `${name} reached the server`);
  assert.equal(report.env.MCP_TOKEN, ALLOWED, 'an --allow-env variable is passed');
  assert.equal(report.env.LANG, 'C.UTF-8');
  assert.equal(report.env.TZ, 'UTC');
  assert.ok(report.env.PATH);

  // The environment the mcp-server process started with, as its children can read it.
  const parent = report.parent.join('\n');
  assert.ok(!parent.includes(WITHHELD), 'the withheld value is not in /proc/<parent>/environ');
  assert.ok(!report.parent.some((kv) => kv.startsWith('OTHER_SECRET=')));
  assert.ok(!report.parent.some((kv) => kv.startsWith('NODE_OPTIONS=')));
  assert.ok(!text.includes(WITHHELD));
});

test('the agent still cannot name a withheld variable, and allowed ones still work', async () => {
  const withheld = (await agent.callTool({
    name: 'list_tools',
    arguments: { url: 'http://127.0.0.1:1/mcp', bearer_token_env: 'OTHER_SECRET' },
  })) as { isError?: boolean; structuredContent?: any };
  assert.equal(withheld.isError, true);
  assert.match(
    withheld.structuredContent.error.message,
    /may not read OTHER_SECRET: it is not in --allow-env/,
  );
});

test('mcptest call --command: the stdio server gets the safe set only', async () => {
  const run = await runCli(['call', '--command', process.execPath, '--arg', script, 'report'], { env });
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(JSON.parse(run.stdout).content?.[0]?.text ?? run.stdout) as {
    env: Record<string, string>;
  };
  for (const name of Object.keys(report.env)) assert.ok(SAFE.test(name), `${name} reached the server`);
  assert.equal(report.env.LANG, 'C.UTF-8');
});

test('mcptest call --command --env: KEY=VALUE and KEY reach the server, nothing else does', async () => {
  const run = await runCli(
    [
      'call',
      '--command',
      process.execPath,
      '--arg',
      script,
      '--env',
      'FOO=bar=baz',
      '--env',
      'HOME2',
      '--env',
      'EMPTY=',
      'report',
    ],
    { env },
  );
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(JSON.parse(run.stdout).content?.[0]?.text ?? run.stdout) as {
    env: Record<string, string>;
  };
  assert.equal(report.env.FOO, 'bar=baz', '--env KEY=VALUE sets the variable');
  assert.equal(report.env.HOME2, '/srv/home-two', "--env KEY passes mcptest's own KEY");
  assert.equal(report.env.EMPTY, '');
  assert.equal(report.env.MCP_TOKEN, undefined, 'a token variable not named stays out');
  assert.equal(report.env.OTHER_SECRET, undefined);
  for (const name of Object.keys(report.env)) {
    assert.ok(SAFE.test(name) || ['FOO', 'HOME2', 'EMPTY'].includes(name), `${name} reached the server`);
  }

  const named = await runCli(
    ['call', '--command', process.execPath, '--arg', script, '--env', 'MCP_TOKEN', 'report'],
    { env },
  );
  assert.equal(named.code, 0, named.stderr);
  assert.match(named.stdout, new RegExp(ALLOWED), 'a secret passes when asked for by name');

  const unset = await runCli(
    ['call', '--command', process.execPath, '--arg', script, '--env', 'NOT_SET_ANYWHERE', 'report'],
    { env },
  );
  assert.equal(unset.code, 2, unset.stderr);
  assert.match(unset.stderr, /--env NOT_SET_ANYWHERE: NOT_SET_ANYWHERE is not set/);

  const withUrl = await runCli(['tools', '--url', 'http://127.0.0.1:1/mcp', '--env', 'FOO=bar'], { env });
  assert.match(withUrl.stderr, /--env goes with --command/);
});
