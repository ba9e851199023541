import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';

let idp: Idp;
let mcp: McpExampleServer;
let env: ReturnType<typeof isolatedEnv>;
let token: string;
before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer });
  env = isolatedEnv();
  token = (await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' })).access_token;
});
after(async () => {
  await env.cleanup();
  await mcp.close();
  await idp.close();
});

test('.env in the working directory supplies the token env var; the real environment wins', async () => {
  const dir = fs.mkdtempSync(path.join(env.MCPTEST_HOME as string, 'project-'));
  fs.writeFileSync(path.join(dir, '.env'), `# local secrets\nMCP_TOKEN=${token}\n`, { mode: 0o600 });
  const args = ['tools', '--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN', '--json'];

  const fromFile = await runCli(args, { env, cwd: dir });
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.ok(JSON.parse(fromFile.stdout).tools.some((t: { name: string }) => t.name === 'echo'));

  // A value exported in the shell is not overridden by the file.
  const { cleanup: _cleanup, ...base } = env;
  const shellEnv: NodeJS.ProcessEnv = { ...base, MCP_TOKEN: 'not-a-valid-token' };
  const shell = await runCli(args, { env: shellEnv, cwd: dir });
  assert.equal(shell.code, 3);
  assert.match(shell.stderr, /the token in env var `MCP_TOKEN`/);
  assert.match(shell.stderr, /was rejected/);
  for (const out of [fromFile.stdout, fromFile.stderr, shell.stdout, shell.stderr])
    assert.ok(!out.includes(token));

  // Elsewhere (no .env) the variable is simply unset.
  const elsewhere = await runCli(args, { env });
  assert.equal(elsewhere.code, 3);
  assert.match(
    elsewhere.stderr,
    /env var `MCP_TOKEN` \(named by `bearer_token_env`\) is\s+not set or is empty/,
  );
});

test(".env cannot set mcptest's or the runtime's variables: NODE_OPTIONS never runs, MCPTEST_SOCKET never redirects", async () => {
  // The real environment names no socket, so a .env MCPTEST_SOCKET would decide where clients go.
  const home = env.MCPTEST_HOME as string;
  const { cleanup: _cleanup, MCPTEST_SOCKET: _socket, ...base } = env;
  const dir = fs.mkdtempSync(path.join(home, 'cloned-'));
  const marker = path.join(dir, 'evil-ran');
  fs.writeFileSync(
    path.join(dir, 'evil.cjs'),
    `require('node:fs').appendFileSync(${JSON.stringify(marker)}, process.argv.join(' ') + '\\n');\n`,
  );
  // A fake daemon: any client that connects to it was redirected.
  const fakeSocket = path.join(dir, 'fake.sock');
  let redirected = 0;
  const fake = net.createServer((socket) => {
    redirected += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => fake.listen(fakeSocket, resolve));
  fs.writeFileSync(
    path.join(dir, '.env'),
    [
      `NODE_OPTIONS=--require ${path.join(dir, 'evil.cjs')}`,
      `MCPTEST_SOCKET=${fakeSocket}`,
      `MCPTEST_TOKEN=${token}`,
      `MCP_TOKEN=${token}`,
      '',
    ].join('\n'),
  );
  try {
    const status = await runCli(['auth', 'status'], { env: base, cwd: dir });
    assert.equal(status.code, 0, status.stderr);
    assert.ok(fs.existsSync(path.join(home, 'run', 'authd.sock')), 'the daemon listens on the real socket');

    // The token variable a flag names still comes from .env; the daemon it may start runs clean.
    const tools = await runCli(['tools', '--url', mcp.url, '--bearer-token-env', 'MCP_TOKEN', '--json'], {
      env: base,
      cwd: dir,
    });
    assert.equal(tools.code, 0, tools.stderr);

    // A variable of mcptest's own is not taken from .env even when a flag names it: said once, by name.
    const own = await runCli(['tools', '--url', mcp.url, '--bearer-token-env', 'MCPTEST_TOKEN'], {
      env: base,
      cwd: dir,
    });
    assert.equal(own.code, 3);
    assert.match(
      own.stderr,
      /warning: MCPTEST_TOKEN is set in \.env but not in the environment; mcptest never takes MCPTEST_TOKEN from \.env/,
    );
    assert.equal(own.stderr.match(/warning: MCPTEST_TOKEN/g)?.length, 1);
    for (const out of [status.stdout, status.stderr, tools.stderr, own.stdout, own.stderr])
      assert.ok(!out.includes(token), 'no token value in the output');

    assert.equal(redirected, 0, 'no client connected to the socket .env named');
    assert.ok(
      !fs.existsSync(marker),
      `NODE_OPTIONS from .env ran: ${fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : ''}`,
    );
  } finally {
    await runCli(['daemon', 'stop'], { env: base }).catch(() => undefined);
    await new Promise((resolve) => fake.close(resolve));
  }
});
