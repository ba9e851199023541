/**
 * The YAML side of client credentials, end to end: the example suite (examples/suites/
 * example.yaml, `auth.oauth`) run by many `mcptest run` processes against one real daemon and
 * the real IdP. The daemon mints once for everyone and re-mints once when the token nears expiry.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type ExampleServers, startExample } from '../../examples/oauth-server/start-example.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const SUITE = fileURLToPath(new URL('../../../examples/suites/example.yaml', import.meta.url));

function ccRequests(example: ExampleServers): number {
  return example.idp.requests.filter((r) => r.grantType === 'client_credentials').length;
}

async function setup(
  accessTokenTtl?: number,
): Promise<{ example: ExampleServers; daemon: TestDaemon; secret: string }> {
  const secret = randomBytes(18).toString('base64url');
  const example = await startExample({ clientSecret: secret, accessTokenTtl });
  const env = isolatedEnv({
    EXAMPLE_CLIENT_SECRET: secret,
    EXAMPLE_MCP_URL: example.mcp.url,
    EXAMPLE_TOKEN_URL: example.idp.tokenEndpoint,
  });
  const daemon = await startTestDaemon({ env });
  return { example, daemon, secret };
}

describe('client credentials from the suite (auth.oauth)', () => {
  let example: ExampleServers;
  let daemon: TestDaemon;
  let secret: string;
  before(async () => {
    ({ example, daemon, secret } = await setup());
  });
  after(async () => {
    await daemon?.cleanup();
    await example?.close();
  });

  it('32 parallel runs of the suite cause exactly one token request, and all pass', async () => {
    const runs = await Promise.all(
      Array.from({ length: 32 }, () =>
        runCli(['run', SUITE, '--reporter', 'json', '--concurrency', '2'], {
          env: daemon.env,
          timeoutMs: 90_000,
        }),
      ),
    );
    for (const run of runs) {
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.deepEqual(JSON.parse(run.stdout).summary, { total: 9, passed: 9, failed: 0, skipped: 0 });
      assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret));
    }
    assert.equal(ccRequests(example), 1);
  });

  it('names the secret env var when it is unset (exit 3)', async () => {
    const env = { ...(daemon.env as NodeJS.ProcessEnv), EXAMPLE_CLIENT_SECRET: '' };
    const run = await runCli(['run', SUITE], { env });
    assert.equal(run.code, 3, run.stdout + run.stderr);
    assert.match(run.stdout, /env var `EXAMPLE_CLIENT_SECRET` \(named by `client_secret_env`\) is not set/);
    assert.equal(run.stdout.match(/auth failed for server "example"/g)?.length, 1);
    const json = await runCli(['run', SUITE, '--reporter', 'json'], { env });
    assert.equal(JSON.parse(json.stdout).servers[0].error.code, 'env_var_missing');
  });

  it('the secret never reached the daemon log', async () => {
    assert.ok(ccRequests(example) >= 1, 'the daemon exchanged the secret earlier in this file');
    assert.ok(!(await daemon.flushedLog()).includes(secret), 'the secret reached the daemon log');
  });
});

describe('client credentials near expiry', () => {
  let example: ExampleServers;
  let daemon: TestDaemon;
  before(async () => {
    // 20 s tokens: the daemon re-mints 8-10 s after minting (margin = half the lifetime here).
    ({ example, daemon } = await setup(20));
  });
  after(async () => {
    await daemon?.cleanup();
    await example?.close();
  });

  it('leads to exactly one new exchange, and runs keep passing', async () => {
    const first = await runCli(['run', SUITE, '--reporter', 'json'], { env: daemon.env });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(ccRequests(example), 1);
    const deadline = Date.now() + 14_000;
    while (ccRequests(example) < 2 && Date.now() < deadline) await sleep(100);
    assert.equal(ccRequests(example), 2, 'the daemon did not re-mint before expiry');
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => runCli(['run', SUITE, '--reporter', 'json'], { env: daemon.env })),
    );
    for (const run of runs) assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(ccRequests(example), 2);
  });
});
