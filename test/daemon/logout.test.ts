import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { seedLogin } from '../helpers/seed.js';

let idp: Idp;
let d: TestDaemon;
before(async () => {
  idp = await startIdp();
  d = await startTestDaemon();
});
after(async () => {
  await d.cleanup();
  await idp.close();
});

async function refreshAtIdp(
  set: { refresh_token?: string; client_id: string; token_endpoint: string },
  resource: string,
) {
  const res = await fetch(set.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: set.refresh_token as string,
      client_id: set.client_id,
      resource,
    }),
  });
  return { status: res.status, body: (await res.json()) as { error?: string } };
}

test('logout --url revokes at the IdP (RFC 7009), then deletes the credential', async () => {
  const serverUrl = 'http://127.0.0.1:1/logout-one';
  const set = await seedLogin(idp, d.client, serverUrl);
  const revocationsBefore = idp.requests.filter((r) => r.path === '/token/revocation').length;
  const out = await runCli(['logout', '--url', serverUrl], { env: d.env });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, new RegExp(`${serverUrl}: revoked and removed`));
  assert.equal(idp.requests.filter((r) => r.path === '/token/revocation').length - revocationsBefore, 1);
  const refused = await refreshAtIdp(set, serverUrl);
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error, 'invalid_grant', 'the revoked refresh token no longer works');
  const token = await runCli(['auth', 'token', '--url', serverUrl], { env: d.env });
  assert.equal(token.code, 3);
  assert.match(token.stderr, new RegExp(`hint: mcptest login ${serverUrl}`));
  const again = await runCli(['logout', '--url', serverUrl], { env: d.env });
  assert.equal(again.code, 0);
  assert.match(again.stdout, /No cached credentials for/);
});

test('logout --all --no-revoke forgets everything without asking the IdP; bad usage is a usage error', async () => {
  await seedLogin(idp, d.client, 'http://127.0.0.1:1/logout-a');
  await seedLogin(idp, d.client, 'http://127.0.0.1:1/logout-b');
  const revocationsBefore = idp.requests.filter((r) => r.path === '/token/revocation').length;
  const out = await runCli(['logout', '--all', '--no-revoke', '--json'], { env: d.env });
  assert.equal(out.code, 0, out.stderr);
  const removed = JSON.parse(out.stdout).removed as Array<{ serverUrl: string; revoked: boolean }>;
  assert.deepEqual(removed.map((r) => r.serverUrl).sort(), [
    'http://127.0.0.1:1/logout-a',
    'http://127.0.0.1:1/logout-b',
  ]);
  assert.ok(removed.every((r) => !r.revoked));
  assert.equal(idp.requests.filter((r) => r.path === '/token/revocation').length, revocationsBefore);
  assert.deepEqual(await d.client.listCredentials(), []);
  const usage = await runCli(['logout'], { env: d.env });
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /exactly one of a server URL or --all/);
});

test('logout says when the IdP refused the revocation, and when there was nowhere to revoke', async () => {
  const serverUrl = 'http://127.0.0.1:1/logout-refused';
  const set = await seedLogin(idp, d.client, serverUrl);
  idp.setFault(
    { status: 400, body: { error: 'unsupported_token_type' } },
    { path: '/token/revocation', times: 1 },
  );
  const out = await runCli(['logout', '--url', serverUrl, '--json'], { env: d.env });
  assert.equal(out.code, 0, out.stderr);
  const [entry] = JSON.parse(out.stdout).removed;
  assert.equal(entry.revoked, false);
  assert.equal(entry.revocation, 'refused');
  assert.match(entry.revokeError, /HTTP 400 unsupported_token_type/);
  assert.equal((await refreshAtIdp(set, serverUrl)).status, 200, 'the refresh token still works');

  const human = 'http://127.0.0.1:1/logout-refused-human';
  await seedLogin(idp, d.client, human);
  idp.setFault(
    { status: 400, body: { error: 'unsupported_token_type' } },
    { path: '/token/revocation', times: 1 },
  );
  const said = await runCli(['logout', '--url', human], { env: d.env });
  assert.equal(said.code, 0, said.stderr);
  assert.match(said.stdout, /removed here, NOT revoked: the authorization server refused the revocation/);
  assert.match(said.stderr, /warning: token revocation failed at .*HTTP 400 unsupported_token_type/);
  assert.match(said.stderr, /may keep working until it expires/);

  const nowhere = 'http://127.0.0.1:1/logout-nowhere';
  const plain = await idp.obtainTokenSet({ resource: nowhere, scope: 'mcp:read' });
  await d.client.importCredential({ serverUrl: nowhere, accessToken: plain.access_token });
  const none = await runCli(['logout', '--url', nowhere], { env: d.env });
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stdout, /NOT revoked: the authorization server offers no revocation endpoint/);
});

test('logout URL and auth token URL take the URL as an argument, like login URL; --url still works', async () => {
  const serverUrl = 'http://127.0.0.1:1/positional';
  await seedLogin(idp, d.client, serverUrl);
  const token = await runCli(['auth', 'token', serverUrl], { env: d.env });
  assert.equal(token.code, 0, token.stderr);
  const byFlag = await runCli(['auth', 'token', '--url', serverUrl], { env: d.env });
  assert.equal(byFlag.stdout, token.stdout);
  const twice = await runCli(['auth', 'token', serverUrl, '--url', 'http://127.0.0.1:1/other'], {
    env: d.env,
  });
  assert.equal(twice.code, 2);
  assert.match(twice.stderr, /two server URLs/);
  const out = await runCli(['logout', serverUrl], { env: d.env });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, new RegExp(`${serverUrl}: revoked and removed`));
  assert.equal((await d.client.listCredentials()).length, 0);
});
