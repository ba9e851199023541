/**
 * A long-running tool that reports progress: the call carries a progress token, and each
 * progress notification resets the timeout (the MCP spec's rule for long operations), in
 * `mcptest call` and in `mcptest run`. A tool that stays silent past the timeout still fails
 * with the limit named. A real SDK server over stdio, the real CLI.
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
  // `crawl` works `steps` x `ms`, reporting progress after each step; `stall` works as long in
  // silence. The limits below leave the server's start-up (initialize) a generous share of time.
  server = writeStdioServer(
    env.MCPTEST_HOME as string,
    'long-running',
    { tools: {} },
    `server.setRequestHandler(types.ListToolsRequestSchema, async () => ({ tools: [
  { name: 'crawl', inputSchema: { type: 'object' } },
  { name: 'stall', inputSchema: { type: 'object' } },
] }));
server.setRequestHandler(types.CallToolRequestSchema, async (req, extra) => {
  const token = req.params._meta?.progressToken;
  const { steps = 8, ms = 300 } = req.params.arguments ?? {};
  for (let i = 1; i <= steps; i++) {
    await new Promise((r) => setTimeout(r, ms));
    if (req.params.name === 'crawl' && token !== undefined)
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: steps, message: 'page ' + i } });
  }
  return { content: [{ type: 'text', text: token === undefined ? 'no progress token' : 'crawled' }] };
});`,
  );
});
after(async () => {
  await env?.cleanup();
});

test('call: progress from the server resets the timeout; silence past it still times out', async () => {
  // 10 s of work against a 5 s limit: only the progress every 400 ms keeps the call alive.
  const work = JSON.stringify({ steps: 25, ms: 400 });
  const crawl = await runCli(['call', ...server, '--timeout', '5', 'crawl', '--args', work], { env });
  assert.equal(crawl.code, 0, crawl.stderr);
  assert.equal(crawl.stdout.trim(), 'crawled', 'the request carried a progress token');
  const stall = await runCli(['call', ...server, '--timeout', '5', 'stall', '--args', work], { env });
  assert.equal(stall.code, 1);
  assert.match(stall.stderr, /stdio server .* did not answer within 5 s/);
  assert.doesNotMatch(stall.stderr, /did not initialize/);
  assert.match(stall.stderr, /--timeout SECONDS/);
});

test('run: a test of a tool that reports progress passes under a timeout shorter than its work', async () => {
  const suite = path.join(env.MCPTEST_HOME as string, 'progress.yaml');
  const [, command, , script] = server;
  fs.writeFileSync(
    suite,
    [
      'servers:',
      `  local: { command: ${JSON.stringify(command)}, args: [${JSON.stringify(script)}] }`,
      'tests:',
      // 2.4 s of work, progress every 300 ms, a 2 s limit on the call (the server's start-up has
      // the default connect limit).
      '  - { name: crawl, tool: crawl, arguments: { steps: 8, ms: 300 }, timeout_ms: 2000, expect: { text_contains: crawled } }',
      '',
    ].join('\n'),
  );
  const run = await runCli(['run', suite, '--reporter', 'json'], { env });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.deepEqual(JSON.parse(run.stdout).summary, { total: 1, passed: 1, failed: 0, skipped: 0 });
});
