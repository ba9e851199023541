/**
 * `mcptest run` against the real OAuth-protected example MCP server with `bearer_token_env`:
 * assertions over HTTP, auth failures (unset env var, 403 insufficient_scope) with exit code 3
 * and the actionable message once per server, and no reporter ever printing the token.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { checkWellFormedXml } from './xml-well-formed.js';

describe('mcptest run with bearer_token_env', () => {
  let idp: Idp;
  let mcp: McpExampleServer;
  let env: ReturnType<typeof isolatedEnv>;
  let token: string;

  before(async () => {
    idp = await startIdp();
    mcp = await startMcpServer({ issuer: idp.issuer });
    token = (await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read mcp:write' })).access_token;
    env = isolatedEnv({ MCP_URL: mcp.url });
    const suite = (tests: string) => `servers:
  api:
    url: \${MCP_URL}
    auth: { bearer_token_env: MCP_TOKEN }
tests:
${tests}`;
    const dir = env.MCPTEST_HOME as string;
    fs.writeFileSync(
      path.join(dir, 'http.yaml'),
      suite(`  - { name: echo over http, tool: echo, arguments: { text: hi }, expect: { text_contains: hi } }
  - { name: add over http, tool: add, arguments: { a: 2, b: 2 }, expect: { json: { "$.sum": 4 }, output_schema: true } }
  - { name: whoami sees the scopes, tool: whoami, expect: { json: { "$.scopes": { contains: "mcp:write" } } } }
  - { name: admin tool is listed, tool_present: admin_reset }
  - { name: wrong sum fails, tool: add, arguments: { a: 2, b: 2 }, expect: { json: { "$.sum": 5 } } }
`),
    );
    fs.writeFileSync(
      path.join(dir, 'admin.yaml'),
      suite(`  - { name: echo still works, tool: echo, arguments: { text: hi } }
  - { name: admin needs a scope we lack, tool: admin_reset }
`),
    );
  });
  after(async () => {
    await env?.cleanup();
    await mcp?.close();
    await idp?.close();
  });

  it('runs assertions over HTTP; no reporter prints the token', async () => {
    const withToken = { ...(env as NodeJS.ProcessEnv), MCP_TOKEN: token };
    const outputs: string[] = [];
    for (const reporter of ['human', 'json', 'junit']) {
      const run = await runCli(['run', 'http.yaml', '--reporter', reporter], { env: withToken });
      assert.equal(run.code, 1, `${reporter}: ${run.stdout}${run.stderr}`);
      outputs.push(run.stdout, run.stderr);
      if (reporter === 'json') {
        const report = JSON.parse(run.stdout);
        assert.deepEqual(report.summary, { total: 5, passed: 4, failed: 1, skipped: 0 });
        assert.equal(report.servers[0].target, mcp.url);
        assert.equal(report.tests[4].failures[0].message, 'expected 5, got 4');
      }
      if (reporter === 'junit') checkWellFormedXml(run.stdout);
      if (reporter === 'human') assert.match(run.stdout, /^4 passed, 1 failed/m);
    }
    for (const text of outputs) assert.ok(!text.includes(token), 'the token value leaked into a report');
    assert.ok(mcp.requests.some((r) => r.authorization && r.tool === 'whoami'));
  });

  it('exits 3 and prints the auth message once when the token env var is unset', async () => {
    const run = await runCli(['run', 'http.yaml'], { env });
    assert.equal(run.code, 3, run.stdout + run.stderr);
    assert.equal(run.stdout.match(/auth failed for server "api"/g)?.length, 1);
    assert.match(run.stdout, /HTTP 401/);
    assert.match(run.stdout, /`MCP_TOKEN`/);
    assert.match(run.stdout, /mcptest doctor --url/);
    assert.match(run.stdout, /^0 passed, 5 failed/m);
    const json = await runCli(['run', 'http.yaml', '--reporter', 'json'], { env });
    assert.equal(json.code, 3);
    const report = JSON.parse(json.stdout);
    assert.equal(report.exitCode, 3);
    assert.equal(report.servers[0].authFailed, true);
    assert.equal(report.servers[0].error.code, 'auth_failed');
    assert.match(report.servers[0].error.message, /MCP_TOKEN/);
    assert.match(json.stderr, /auth failed for server "api"/);
  });

  it('exits 3 when a call is refused with 403 insufficient_scope, other tests still pass', async () => {
    const run = await runCli(['run', 'admin.yaml', '--reporter', 'json'], {
      env: { ...(env as NodeJS.ProcessEnv), MCP_TOKEN: token },
    });
    assert.equal(run.code, 3, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.tests[0].status, 'passed');
    assert.equal(report.tests[1].status, 'failed');
    assert.match(report.tests[1].error.message, /403/);
    assert.ok(!run.stdout.includes(token) && !run.stderr.includes(token));
  });
});
