/**
 * The daemon killed (-9) in the middle of a suite run that uses a cached login: the run asks the
 * daemon for the token before every request, starts a fresh daemon when the old one is gone, and
 * every test passes. The real CLI, daemon, IdP and MCP server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { runCli } from '../helpers/cli.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { seedLogin } from '../helpers/seed.js';

let idp: Idp;
let mcp: McpExampleServer;
before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer });
});
after(async () => {
  await mcp?.close();
  await idp?.close();
});

test('kill -9 of the daemon during `mcptest run`: the run starts a new one and every test passes', async () => {
  const d = await startTestDaemon();
  try {
    await seedLogin(idp, d.client, mcp.url);
    const suite = path.join(d.env.MCPTEST_HOME as string, 'suite.yaml');
    fs.writeFileSync(
      suite,
      [
        'servers:',
        `  api: { url: ${JSON.stringify(mcp.url)} }`,
        'tests:',
        ...[1, 2, 3, 4].map((i) => `  - { name: slow ${i}, tool: slow, arguments: { ms: 700 } }`),
        '',
      ].join('\n'),
    );
    const run = runCli(['run', suite, '--reporter', 'json', '--concurrency', '1'], { env: d.env });
    // Kill once the run is under way (the first tool call has gone out with a daemon token).
    const deadline = Date.now() + 20_000;
    while (!mcp.requests.some((r) => r.rpcMethod === 'tools/call') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await d.kill();
    const done = await run;
    assert.equal(done.code, 0, done.stdout + done.stderr);
    assert.deepEqual(JSON.parse(done.stdout).summary, { total: 4, passed: 4, failed: 0, skipped: 0 });
    const status = await runCli(['daemon', 'status', '--json'], { env: d.env });
    assert.notEqual(JSON.parse(status.stdout).pid, d.process.pid, 'a fresh daemon took over');
  } finally {
    await d.cleanup();
  }
});
