/**
 * Cached logins through the real daemon: tools with no flags uses the login, a 401 on the cached
 * token causes exactly one refresh and the call succeeds, and doctor tells apart "no credentials"
 * from "cached login needs renewing".
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { type CliRun, isolatedEnv, runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let idp: Idp;
let mcp: McpExampleServer;
let daemon: TestDaemon;
const secrets: string[] = [];
const outputs: CliRun[] = [];

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const run = await runCli(args, { env });
  outputs.push(run);
  return run;
}

function refreshes(): number {
  return idp.requests.filter((r) => r.path === '/token' && r.grantType === 'refresh_token').length;
}

/** Stores a real token set (authorization code + PKCE at the IdP) as the daemon's login for `serverUrl`. */
async function seed(
  serverUrl: string,
  overrides: { accessToken?: string; refreshToken?: string; expiresIn?: number } = {},
) {
  const set = await idp.obtainTokenSet({ resource: serverUrl, scope: 'mcp:read' });
  assert.ok(set.refresh_token, 'the IdP issues a refresh token');
  secrets.push(set.access_token, set.refresh_token);
  await daemon.client.importCredential({
    serverUrl,
    accessToken: overrides.accessToken ?? set.access_token,
    refreshToken: overrides.refreshToken ?? set.refresh_token,
    expiresIn: overrides.expiresIn ?? set.expires_in,
    scope: set.scope,
    issuer: set.issuer,
    tokenEndpoint: set.token_endpoint,
    clientId: set.client_id,
    clientSecret: set.client_secret,
    authMethod: set.token_endpoint_auth_method as 'none',
    resource: serverUrl,
  });
  return set;
}

before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer });
  daemon = await startTestDaemon();
});

after(async () => {
  await daemon?.cleanup();
  await mcp?.close();
  await idp?.close();
});

test('no credentials at all: the auth error and doctor say so, without starting a daemon', async () => {
  const env = isolatedEnv();
  try {
    const run = await cli(['tools', '--url', mcp.url, '--json'], env);
    assert.equal(run.code, 3);
    const { error } = JSON.parse(run.stdout);
    assert.equal(error.details.state, 'no_credentials');
    assert.equal(error.details.input, 'none');
    assert.equal(error.details.status, 401);
    assert.equal(error.details.doctorCommand, `mcptest doctor --url ${mcp.url}`);
    assert.match(run.stderr.replace(/\n/g, ' '), /no credentials were supplied/);
    const doctor = await cli(['doctor', '--url', mcp.url, '--json'], env);
    assert.equal(doctor.code, 3);
    const auth = JSON.parse(doctor.stdout).layers.find((l: any) => l.layer === 'auth');
    assert.equal(auth.details.state, 'no_credentials');
    assert.match(auth.hint, new RegExp(`^mcptest login ${mcp.url}`));
    const status = await runCli(['daemon', 'status'], { env });
    assert.notEqual(status.code, 0, 'no daemon was started to learn there were no credentials');
  } finally {
    await env.cleanup();
  }
});

test('a cached login is used by tools and call with no auth flags', async () => {
  await seed(mcp.url);
  const tools = await cli(['tools', '--url', mcp.url, '--json'], daemon.env);
  assert.equal(tools.code, 0, tools.stderr);
  assert.equal(JSON.parse(tools.stdout).tools.length, 7);
  const who = await cli(['call', '--url', mcp.url, 'whoami', '--json'], daemon.env);
  assert.equal(who.code, 0, who.stderr);
  assert.equal(JSON.parse(who.stdout).structuredContent.authenticated, true);
  const doctor = await cli(['doctor', '--url', mcp.url, '--json'], daemon.env);
  assert.equal(doctor.code, 0, doctor.stdout);
  assert.equal(JSON.parse(doctor.stdout).layers.find((l: any) => l.layer === 'auth').details.source, 'login');
});

test('a 401 on the cached token triggers exactly one refresh, then the call succeeds', async () => {
  const other = await startMcpServer({ issuer: idp.issuer });
  try {
    // A real token, but for another audience: the server answers 401 invalid_token.
    const wrongAudience = (await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' })).access_token;
    secrets.push(wrongAudience);
    await seed(other.url, { accessToken: wrongAudience, expiresIn: 3600 });
    const before = refreshes();
    const run = await cli(['call', '--url', other.url, 'add', '--args', '{"a":20,"b":22}'], daemon.env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^42$/m);
    assert.equal(refreshes() - before, 1, 'exactly one refresh');
    const unauthorized = other.requests.filter((r) => r.status === 401 && r.authorization).length;
    assert.equal(unauthorized, 1, 'one rejected request, then the retry with the fresh token');
    // Later processes get the refreshed token straight from the daemon: no further refresh.
    const again = await cli(['tools', '--url', other.url], daemon.env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(refreshes() - before, 1);
  } finally {
    await other.close();
  }
});

test('a cached login that cannot be refreshed: login_expired in the error and in doctor', async () => {
  const stale = await startMcpServer({ issuer: idp.issuer });
  try {
    await seed(stale.url, { refreshToken: 'revoked-or-bogus-refresh-token', expiresIn: 0 });
    const run = await cli(['tools', '--url', stale.url, '--json'], daemon.env);
    assert.equal(run.code, 3);
    const { error } = JSON.parse(run.stdout);
    assert.equal(error.code, 'auth_failed');
    assert.equal(error.details.state, 'login_expired');
    assert.equal(error.details.input, 'login');
    assert.equal(error.details.status, 401);
    assert.match(run.stderr.replace(/\n/g, ' '), new RegExp(`run \`mcptest login ${stale.url}\``));
    const doctor = await cli(['doctor', '--url', stale.url, '--json'], daemon.env);
    assert.equal(doctor.code, 3);
    const auth = JSON.parse(doctor.stdout).layers.find((l: any) => l.layer === 'auth');
    assert.equal(auth.details.state, 'login_expired');
    assert.equal(auth.hint, `mcptest login ${stale.url}`);
  } finally {
    await stale.close();
  }
});

test('no token value appears in any output', () => {
  assert.ok(outputs.length >= 8);
  for (const run of outputs) {
    for (const secret of secrets) {
      assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), 'a token leaked into output');
    }
  }
});
