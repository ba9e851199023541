import assert from 'node:assert/strict';
import fs from 'node:fs';
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
