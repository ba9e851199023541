/**
 * mcptest cleans up after itself on every surface, failures included. Against the real example
 * MCP server keeping sessions (legacy era, Streamable HTTP, `Mcp-Session-Id`), each command, suite run and
 * agent verb ends its session with a DELETE: the server counts no open session after it. A
 * stdio server that never answers initialize (and ignores SIGTERM) is gone once the CLI or the
 * agent verb gave up on it, instead of living on with PPID 1.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { startAgent } from '../helpers/agent.js';
import { type CliRun, isolatedEnv, runCli } from '../helpers/cli.js';

let idp: Idp;
let mcp: McpExampleServer;
let env: ReturnType<typeof isolatedEnv>;
let home: string;
let agent: Client;

before(async () => {
  idp = await startIdp({ clients: [] });
  // Sessions exist only in the 2025 era: a legacy-only server, reached after the `auto` probe.
  mcp = await startMcpServer({ issuer: idp.issuer, era: 'legacy', sessions: true });
  const readToken = (await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' })).access_token;
  env = isolatedEnv({ MCP_TOKEN: readToken });
  home = env.MCPTEST_HOME as string;
  agent = await startAgent(env, { cwd: home, args: ['--allow-env', 'MCP_TOKEN'], name: 'cleanup-test' });
});

after(async () => {
  await agent?.close().catch(() => undefined);
  await env?.cleanup();
  await mcp?.close();
  await idp?.close();
});

const deletes = () => mcp.requests.filter((r) => r.method === 'DELETE').length;

/** Runs `surface` and checks it made sessions and ended every one of them. */
async function leavesNoSession(surface: () => Promise<unknown>): Promise<void> {
  const before = deletes();
  await surface();
  assert.ok(deletes() > before, 'a DELETE ended the session');
  assert.equal(mcp.openSessions(), 0, 'no session is left open at the server');
}

const cli = (...args: string[]): Promise<CliRun> => runCli(args, { env });
const withToken = ['--url', '', '--bearer-token-env', 'MCP_TOKEN'];
const server = () => {
  withToken[1] = mcp.url;
  return withToken;
};

test('tools, call, prompts, resources, doctor and scaffold end their session', async () => {
  for (const args of [
    ['tools', ...server()],
    ['call', ...server(), 'add', '--args', '{"a":1,"b":2}'],
    ['prompts', ...server()],
    ['resources', ...server()],
    ['doctor', ...server()],
    ['scaffold', ...server()],
  ]) {
    await leavesNoSession(async () => {
      const run = await cli(...args);
      assert.equal(run.code, 0, `${args[0]}: ${run.stderr}`);
    });
  }
});

test('doctor ends the session its HTTP probe made at a server without auth', async () => {
  const open = await startMcpServer({ auth: false, sessions: true });
  try {
    const run = await cli('doctor', '--url', open.url);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.ok(open.requests.some((r) => r.method === 'DELETE'));
    assert.equal(open.openSessions(), 0, 'no session is left open at the server');
  } finally {
    await open.close();
  }
});

test('a failing call ends its session too: an unknown tool, a 403 after the session was made', async () => {
  await leavesNoSession(async () => {
    const run = await cli('call', ...server(), 'no_such_tool');
    assert.notEqual(run.code, 0);
  });
  await leavesNoSession(async () => {
    // admin_reset needs mcp:admin: the server refuses this mcp:read token once the session exists.
    const run = await cli('call', ...server(), 'admin_reset');
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /mcp:admin|insufficient_scope|scope/);
  });
});

test('a suite run ends its sessions, with a failing test in it', async () => {
  const suite = path.join(home, 'cleanup.yaml');
  fs.writeFileSync(
    suite,
    `name: cleanup
servers:
  example:
    url: ${mcp.url}
    auth:
      bearer_token_env: MCP_TOKEN
tests:
  - name: add
    tool: add
    arguments: { a: 1, b: 2 }
  - name: admin_reset is refused
    tool: admin_reset
`,
  );
  await leavesNoSession(async () => {
    const run = await cli('run', suite);
    assert.notEqual(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /1 passed, 1 failed/);
  });
  await leavesNoSession(async () => {
    const answer = (await agent.callTool({ name: 'run_suite', arguments: { path: suite } })) as {
      isError?: boolean;
    };
    assert.notEqual(answer.isError, true, JSON.stringify(answer));
  });
});

test('agent verbs end their session, failures included', async () => {
  const target = { url: mcp.url, bearer_token_env: 'MCP_TOKEN' };
  await leavesNoSession(() => agent.callTool({ name: 'list_tools', arguments: target }));
  await leavesNoSession(() =>
    agent.callTool({ name: 'call_tool', arguments: { ...target, tool: 'add', arguments: { a: 1, b: 2 } } }),
  );
  await leavesNoSession(async () => {
    const answer = (await agent.callTool({
      name: 'call_tool',
      arguments: { ...target, tool: 'admin_reset' },
    })) as { isError?: boolean };
    assert.equal(answer.isError, true, JSON.stringify(answer));
  });
  await leavesNoSession(() => agent.callTool({ name: 'doctor', arguments: target }));
});

/** A stdio server that never answers initialize and ignores SIGTERM; it writes its pid to `pidFile`. */
function writeHangingServer(pidFile: string): string {
  const script = path.join(home, 'hang.mjs');
  fs.writeFileSync(
    script,
    `import fs from 'node:fs';
fs.writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
process.on('SIGTERM', () => {});
process.stdin.on('data', () => {});
process.stdin.on('end', () => {});
setInterval(() => {}, 1000);
`,
  );
  return script;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid the hanging server wrote, after `surface` gave up on it; fails while that process lives. */
async function leavesNoProcess(name: string, surface: (script: string) => Promise<unknown>): Promise<void> {
  const pidFile = path.join(home, `${name}.pid`);
  fs.rmSync(pidFile, { force: true });
  await surface(writeHangingServer(pidFile));
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  assert.ok(pid > 0);
  // Killed before the surface answered; a moment for its zombie to be reaped.
  for (let i = 0; i < 40 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  else return;
  assert.fail(`${name}: the stdio server (pid ${pid}) outlived the initialize timeout`);
}

test('a stdio server that never initializes is killed: tools, doctor, run, agent verb', async () => {
  await leavesNoProcess('tools', async (script) => {
    const run = await cli('tools', '--command', process.execPath, '--arg', script, '--timeout', '1');
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /did not initialize/);
  });
  await leavesNoProcess('doctor', async (script) => {
    const run = await cli('doctor', '--command', process.execPath, '--arg', script, '--timeout', '1');
    assert.notEqual(run.code, 0);
  });
  await leavesNoProcess('run', async (script) => {
    const suite = path.join(home, 'hang.yaml');
    fs.writeFileSync(
      suite,
      `name: hang
servers:
  hang:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(script)}]
    timeout_ms: 1000
tests:
  - name: never
    tool: anything
`,
    );
    const run = await cli('run', suite);
    assert.notEqual(run.code, 0);
  });
  await leavesNoProcess('agent', async (script) => {
    const answer = (await agent.callTool({
      name: 'list_tools',
      arguments: { command: process.execPath, args: [script], timeout_seconds: 1 },
    })) as { isError?: boolean };
    assert.equal(answer.isError, true, JSON.stringify(answer));
  });
});
