/**
 * `mcptest login URL` (authorization code + PKCE S256, loopback redirect) end to end: the real
 * CLI, the real daemon it starts, the real IdP and MCP server from examples/oauth-server, and a
 * stand-in browser ($BROWSER) that drives the IdP's real pages and then hits the loopback callback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { DaemonClient } from '../../client/daemon-client.js';
import { approveInBrowser, type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { runCli } from '../helpers/cli.js';
import { browserEnv, browserVisits, type Env } from './stand-in-browser.js';

describe('mcptest login URL (browser + PKCE)', () => {
  let idp: Idp;
  let mcp: McpExampleServer;
  const envs: Env[] = [];
  const env = (extra?: NodeJS.ProcessEnv) => {
    const e = browserEnv(extra);
    envs.push(e);
    return e;
  };
  const regCount = () => idp.requests.filter((r) => r.method === 'POST' && r.path === '/reg').length;

  before(async () => {
    idp = await startIdp();
    mcp = await startMcpServer({ issuer: idp.issuer });
  });
  after(async () => {
    for (const e of envs) await e.cleanup();
    await mcp?.close();
    await idp?.close();
  });

  test('login opens the browser, the daemon takes the callback, and `tools --url` then works with no flag', async () => {
    const e = env();
    const regsBefore = regCount();
    const login = await runCli(['login', mcp.url], { env: e });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, /Opened the browser/);
    assert.match(login.stdout, new RegExp(`Logged in to ${mcp.url.replace(/[.]/g, '\\.')}`));
    assert.equal(regCount(), regsBefore + 1, 'one dynamic client registration');
    const [visit] = await browserVisits(e, 1);
    assert.equal(visit?.callbackStatus, 200, JSON.stringify(visit));
    assert.match(String(visit?.scope), /mcp:read/);

    // The authorization request carried PKCE S256, state and resource (seen by the real IdP).
    const authReq = idp.requests.filter((r) => r.path === '/auth').at(-1);
    assert.ok(authReq, 'the IdP saw the authorization request');
    const tokenReq = idp.requests.filter((r) => r.grantType === 'authorization_code').at(-1);
    assert.equal(tokenReq?.status, 200);

    const tools = await runCli(['tools', '--url', mcp.url], { env: e });
    assert.equal(tools.code, 0, tools.stderr);
    assert.match(tools.stdout, /echo/);

    const status = await runCli(['auth', 'status', '--json'], { env: e });
    const creds = JSON.parse(status.stdout).credentials as Array<Record<string, unknown>>;
    const cred = creds.find((c) => c.serverUrl === mcp.url);
    assert.equal(cred?.source, 'browser');
    assert.equal(cred?.refreshable, true, 'offline_access was requested, so a refresh token came back');
    // No token value anywhere in the CLI output.
    const client = new DaemonClient(e.MCPTEST_SOCKET as string);
    try {
      const token = await client.getToken({ serverUrl: mcp.url });
      assert.equal(decodeJwt(token.accessToken).aud, mcp.url, 'the token is bound to the server (resource)');
      for (const out of [login.stdout, login.stderr, tools.stdout, tools.stderr, status.stdout]) {
        assert.ok(!out.includes(token.accessToken));
      }
    } finally {
      await client.close();
    }

    // A second login reuses the cached registration; --force registers afresh.
    const revocations = () =>
      idp.requests.filter((r) => r.path === '/token/revocation' && r.status === 200).length;
    const revokedBefore = revocations();
    const again = await runCli(['login', mcp.url], { env: e });
    assert.equal(again.code, 0, again.stderr);
    // The login it replaced had a refresh token: revoked, not left valid at the IdP.
    for (let i = 0; i < 50 && revocations() === revokedBefore; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(revocations(), revokedBefore + 1, 'the replaced refresh token is revoked');
    assert.equal(regCount(), regsBefore + 1, 'cached DCR client reused');
    const forced = await runCli(['login', mcp.url, '--force'], { env: e });
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(regCount(), regsBefore + 2, '--force registered a new client');
  });

  test('an IdP that issues refresh tokens only for a consented offline_access still gives a refreshable login', async () => {
    // OpenID Connect §11: offline_access counts only when the request asks for consent.
    const strict = await startIdp({ refreshTokens: 'offline_access' });
    const strictMcp = await startMcpServer({ issuer: strict.issuer });
    try {
      const e = env();
      const started = await runCli(['login', strictMcp.url, '--no-browser', '--no-wait', '--json'], {
        env: e,
      });
      assert.equal(started.code, 0, started.stderr);
      const { login } = JSON.parse(started.stdout);
      const auth = new URL(login.authorizationUrl);
      assert.match(auth.searchParams.get('scope') ?? '', /\boffline_access\b/);
      assert.equal(auth.searchParams.get('prompt'), 'consent');
      const ok = await fetch(await approveInBrowser(login.authorizationUrl));
      assert.equal(ok.status, 200);
      const waited = await runCli(['login', '--wait', login.id], { env: e });
      assert.equal(waited.code, 0, waited.stderr);
      const status = await runCli(['auth', 'status', '--json'], { env: e });
      const cred = (JSON.parse(status.stdout).credentials as Array<Record<string, unknown>>).find(
        (c) => c.serverUrl === strictMcp.url,
      );
      assert.equal(cred?.refreshable, true, 'a refresh token came back');
    } finally {
      await strictMcp.close();
      await strict.close();
    }
  });

  test('an IdP that matches redirect URIs exactly: the registered port is listened on again at the next login', async () => {
    const strict = await startIdp({ redirectUriMatch: 'exact' });
    const strictMcp = await startMcpServer({ issuer: strict.issuer });
    try {
      const e = env();
      const ports: string[] = [];
      for (let i = 0; i < 2; i++) {
        const started = await runCli(['login', strictMcp.url, '--no-browser', '--no-wait', '--json'], {
          env: e,
        });
        assert.equal(started.code, 0, started.stderr);
        const { login } = JSON.parse(started.stdout);
        ports.push(new URL(login.redirectUri).port);
        const ok = await fetch(await approveInBrowser(login.authorizationUrl));
        assert.equal(ok.status, 200);
        const waited = await runCli(['login', '--wait', login.id], { env: e });
        assert.equal(waited.code, 0, waited.stderr);
      }
      assert.equal(ports[1], ports[0], 'the second login listened on the registered port');
      assert.equal(strict.requests.filter((r) => r.method === 'POST' && r.path === '/reg').length, 1);
      const tools = await runCli(['tools', '--url', strictMcp.url], { env: e });
      assert.equal(tools.code, 0, tools.stderr);
    } finally {
      await strictMcp.close();
      await strict.close();
    }
  });

  test('a server that asks for no authorization: login says there is nothing to log in to', async () => {
    const open = await startMcpServer({ auth: false });
    try {
      const e = env();
      for (const args of [
        ['login', open.url, '--no-browser'],
        ['login', '--device', '--url', open.url],
      ]) {
        const run = await runCli(args, { env: e });
        assert.notEqual(run.code, 0);
        assert.match(
          run.stderr,
          /asks for no authorization: it answered initialize without a token \(HTTP 200\)/,
        );
        assert.match(run.stderr, new RegExp(`hint: use it without a login: mcptest tools --url ${open.url}`));
      }
      assert.equal(open.requests.filter((r) => r.path === '/register').length, 0, 'no registration tried');
    } finally {
      await open.close();
    }
  });

  test('the listener ignores a wrong state, takes one valid callback, then refuses a second', async () => {
    const e = env();
    const started = await runCli(['login', mcp.url, '--no-browser', '--no-wait', '--json'], { env: e });
    assert.equal(started.code, 0, started.stderr);
    const { login } = JSON.parse(started.stdout);
    assert.equal(login.kind, 'browser');
    const auth = new URL(login.authorizationUrl);
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(auth.searchParams.get('code_challenge'));
    assert.equal(auth.searchParams.get('resource'), mcp.url);
    assert.match(login.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);

    const forged = await fetch(`${login.redirectUri}?code=forged&state=not-the-state`);
    assert.equal(forged.status, 400);
    assert.match(await forged.text(), /wrong state/);

    const callback = await approveInBrowser(login.authorizationUrl);
    assert.ok(callback.startsWith(login.redirectUri));
    const ok = await fetch(callback);
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /close this tab/);

    await assert.rejects(fetch(callback), 'the listener closed after the one valid callback');

    const waited = await runCli(['login', '--wait', login.id], { env: e });
    assert.equal(waited.code, 0, waited.stderr);
    const tools = await runCli(['tools', '--url', mcp.url], { env: e });
    assert.equal(tools.code, 0, tools.stderr);
  });

  test('paste-back: a pasted URL with the wrong state is refused, the right one completes the login', async () => {
    const e = env();
    const client = new DaemonClient(e.MCPTEST_SOCKET as string);
    try {
      const started = await runCli(['login', mcp.url, '--no-browser', '--no-wait', '--json'], { env: e });
      assert.equal(started.code, 0, started.stderr);
      const { login } = JSON.parse(started.stdout);
      const callback = await approveInBrowser(login.authorizationUrl);
      const wrong = new URL(callback);
      wrong.searchParams.set('state', 'someone-elses-state');
      await assert.rejects(client.loginCallback(login.id, wrong.href), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'state_mismatch');
        return true;
      });
      assert.equal((await client.getLogin(login.id)).status, 'pending');
      const done = await client.loginCallback(login.id, callback);
      assert.equal(done.status, 'complete');
      // The listener is closed once the login is over.
      await assert.rejects(fetch(callback));
    } finally {
      await client.close();
    }
  });

  test('a denial in the browser fails the login with exit 3 and a retry hint', async () => {
    const e = env({ FAKE_BROWSER_MODE: 'deny' });
    const r = await runCli(['login', mcp.url, '--timeout', '30'], { env: e });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /access_denied/);
    assert.match(r.stderr, new RegExp(`mcptest login ${mcp.url.replace(/[.]/g, '\\.')}`));
  });

  test('step-up: a 403 insufficient_scope with a refresh token stored re-authorizes with the union of scopes', async () => {
    const e = env();
    const login = await runCli(['login', mcp.url], { env: e });
    assert.equal(login.code, 0, login.stderr);
    const client = new DaemonClient(e.MCPTEST_SOCKET as string);
    try {
      const before = await client.listCredentials();
      assert.ok(before[0].refreshable, 'a refresh token is stored');
      assert.doesNotMatch(String(before[0].scope), /mcp:admin/);

      // No browser and no TTY: the CLI cannot step up by itself and names the login command.
      const { cleanup: _cleanup, ...vars } = e;
      const denied = await runCli(['call', '--url', mcp.url, 'admin_reset'], {
        env: { ...vars, BROWSER: '' },
      });
      assert.equal(denied.code, 3, denied.stderr);
      assert.match(denied.stderr, /insufficient_scope/);
      assert.ok(
        denied.stderr.includes(`mcptest login ${mcp.url} --scope "mcp:read mcp:admin"`),
        denied.stderr,
      );

      const refreshesBefore = idp.requests.filter((r) => r.grantType === 'refresh_token').length;
      const authsBefore = idp.requests.filter((r) => r.grantType === 'authorization_code').length;
      const challenge = `Bearer error="insufficient_scope", scope="mcp:admin", resource_metadata="${mcp.resourceMetadataUrl}"`;
      const started = await client.startLogin({
        serverUrl: mcp.url,
        kind: 'browser',
        wwwAuthenticate: challenge,
      });
      const scope = new URL(started.authorizationUrl as string).searchParams.get('scope')?.split(' ') ?? [];
      for (const s of ['mcp:read', 'mcp:admin', 'offline_access'])
        assert.ok(scope.includes(s), `${s} in ${scope}`);
      const callback = await approveInBrowser(started.authorizationUrl as string);
      assert.equal((await fetch(callback)).status, 200);
      assert.equal((await client.getLogin(started.id, 10)).status, 'complete');

      assert.equal(
        idp.requests.filter((r) => r.grantType === 'refresh_token').length,
        refreshesBefore,
        'no refresh with the old scope',
      );
      assert.equal(idp.requests.filter((r) => r.grantType === 'authorization_code').length, authsBefore + 1);
      const after = await client.listCredentials();
      assert.match(String(after[0].scope), /mcp:admin/);
      const call = await runCli(['call', '--url', mcp.url, 'admin_reset'], { env: e });
      assert.equal(call.code, 0, call.stderr);
    } finally {
      await client.close();
    }
  });
});
