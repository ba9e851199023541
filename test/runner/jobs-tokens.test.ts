/**
 * One token request per credential whatever --jobs says: 40 tests at --jobs 10 in one
 * `mcptest run` against the protected example server, through the real daemon and the real IdP,
 * first with a login seeded as already expired (exactly one refresh), then with client
 * credentials from the suite's auth.oauth (exactly one mint).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { type ExampleServers, startExample } from '../../examples/oauth-server/start-example.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { refreshRequests, seedLogin } from '../helpers/seed.js';

const TESTS = 40;

function tests(): string {
  return Array.from(
    { length: TESTS },
    (_, i) =>
      `  - { name: echo ${i}, tool: echo, arguments: { text: hi ${i} }, expect: { text_contains: hi ${i} } }`,
  ).join('\n');
}

function tokenRequests(example: ExampleServers, grant: string): number {
  return example.idp.requests.filter((r) => r.path === '/token' && r.grantType === grant).length;
}

describe('one token request for a whole run at --jobs 10', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  async function setup(secret: string) {
    const example = await startExample({ clientSecret: secret });
    cleanups.push(() => example.close());
    const daemon: TestDaemon = await startTestDaemon({ env: isolatedEnv({ EXAMPLE_CLIENT_SECRET: secret }) });
    cleanups.push(() => daemon.cleanup());
    const file = path.join(daemon.env.MCPTEST_HOME as string, 'suite.yaml');
    return { example, daemon, file };
  }

  it('a login seeded as expired is refreshed once for 40 tests', async () => {
    const secret = randomBytes(18).toString('base64url');
    const { example, daemon, file } = await setup(secret);
    const set = await seedLogin(example.idp, daemon.client, example.mcp.url, { expiresIn: 0 });
    fs.writeFileSync(file, `servers:\n  api: { url: ${example.mcp.url} }\ntests:\n${tests()}\n`);
    const before = refreshRequests(example.idp);
    const run = await runCli(['run', file, '--jobs', '10', '--json'], {
      env: daemon.env,
      timeoutMs: 120_000,
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).summary, { total: TESTS, passed: TESTS, failed: 0, skipped: 0 });
    assert.equal(refreshRequests(example.idp) - before, 1, 'exactly one refresh at the IdP');
    // The tests share the server's one connection: it was opened (era probe) once.
    const rpc = example.mcp.requests.map((q) => q.rpcMethod);
    assert.equal(rpc.filter((m) => m === 'server/discover').length, 1, JSON.stringify(rpc.slice(0, 8)));
    assert.equal(rpc.filter((m) => m === 'tools/call').length, TESTS);
    for (const s of [set.access_token, set.refresh_token as string, secret]) {
      assert.ok(!run.stdout.includes(s) && !run.stderr.includes(s), 'a secret reached the output');
    }
  });

  it('client credentials from auth.oauth are minted once for 40 tests', async () => {
    const secret = randomBytes(18).toString('base64url');
    const { example, daemon, file } = await setup(secret);
    fs.writeFileSync(
      file,
      `servers:
  api:
    url: ${example.mcp.url}
    auth:
      oauth:
        grant: client_credentials
        client_id: ${example.clientId}
        client_secret_env: EXAMPLE_CLIENT_SECRET
        token_url: ${example.idp.tokenEndpoint}
        scope: mcp:read mcp:write
tests:
${tests()}
`,
    );
    const run = await runCli(['run', file, '--jobs', '10', '--json'], {
      env: daemon.env,
      timeoutMs: 120_000,
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).summary, { total: TESTS, passed: TESTS, failed: 0, skipped: 0 });
    assert.equal(tokenRequests(example, 'client_credentials'), 1, 'exactly one mint at the IdP');
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), 'the secret reached the output');
  });
});
