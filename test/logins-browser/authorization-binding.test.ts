/**
 * The authorization changes of MCP 2026-07-28, end to end with the real CLI, the real daemon, the
 * real IdP (oidc-provider) and the real MCP server from examples/oauth-server:
 * - RFC 9207: the `iss` of the authorization response is checked before the code is redeemed
 *   (a wrong one, or none from an IdP that advertises it, and the code never reaches the token
 *   endpoint);
 * - dynamic registration says `application_type: native` (oidc-provider then lets a loopback
 *   redirect use any port);
 * - a Client ID Metadata Document the IdP takes wins over a cached DCR client;
 * - registrations belong to the issuer that made them: a server whose authorization server
 *   changes needs a new login, which registers at the new one, and the old registration is
 *   kept for the old one; a pre-registered client used with the old one is not sent to the new.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { approveInBrowser, type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { runCli } from '../helpers/cli.js';
import { browserEnv, type Env } from './stand-in-browser.js';

const CIMD_URL = 'https://client.mcptest.test/client-metadata.json';

type Summary = {
  serverUrl: string;
  state: string;
  lastError: string | null;
  issuer: string | null;
  clientId: string | null;
};

async function credential(e: Env, serverUrl: string): Promise<Summary | undefined> {
  const status = await runCli(['auth', 'status', '--json'], { env: e });
  assert.equal(status.code, 0, status.stderr);
  return (JSON.parse(status.stdout).credentials as Summary[]).find((c) => c.serverUrl === serverUrl);
}

/** Starts a browser login without waiting; returns its id and authorization URL. */
async function startLogin(e: Env, url: string, extra: string[] = []) {
  const started = await runCli(['login', url, '--no-browser', '--no-wait', '--json', ...extra], { env: e });
  assert.equal(started.code, 0, started.stderr);
  return JSON.parse(started.stdout).login as { id: string; authorizationUrl: string; redirectUri: string };
}

describe('authorization of MCP 2026-07-28: iss, application_type, CIMD, issuer binding', () => {
  let idp: Idp;
  let mcp: McpExampleServer;
  const envs: Env[] = [];
  const env = () => {
    const e = browserEnv();
    envs.push(e);
    return e;
  };
  const codeRedemptions = (server: Idp) =>
    server.requests.filter((r) => r.path === '/token' && r.grantType === 'authorization_code').length;
  const registrations = (server: Idp) =>
    server.requests.filter((r) => r.method === 'POST' && r.path === '/reg');

  before(async () => {
    idp = await startIdp();
    mcp = await startMcpServer({ issuer: idp.issuer });
  });
  after(async () => {
    for (const e of envs) await e.cleanup();
    await mcp?.close();
    await idp?.close();
  });

  test('RFC 9207: a callback naming another issuer is refused before the code is redeemed, naming both issuers', async () => {
    const meta = await (await fetch(`${idp.issuer}/.well-known/oauth-authorization-server`)).json();
    assert.equal(meta.authorization_response_iss_parameter_supported, true);
    const e = env();
    const login = await startLogin(e, mcp.url);
    const callback = new URL(await approveInBrowser(login.authorizationUrl));
    assert.equal(callback.searchParams.get('iss'), idp.issuer, 'the real IdP sends iss');
    callback.searchParams.set('iss', 'https://attacker.example.com');
    const redeemedBefore = codeRedemptions(idp);
    const answer = await fetch(callback);
    assert.notEqual(answer.status, 200);
    await answer.body?.cancel();
    const waited = await runCli(['login', '--wait', login.id], { env: e });
    assert.notEqual(waited.code, 0);
    assert.match(
      waited.stderr,
      /names issuer https:\/\/attacker\.example\.com, expected http:\/\/127\.0\.0\.1:\d+/,
    );
    assert.ok(waited.stderr.includes(`expected ${idp.issuer}`), waited.stderr);
    assert.match(waited.stderr, /hint: start again: mcptest login /);
    assert.equal(codeRedemptions(idp), redeemedBefore, 'the code never reached the token endpoint');
    assert.equal(await credential(e, mcp.url), undefined, 'no credential stored');
  });

  test('RFC 9207: an IdP that advertises iss and a callback without it: refused, the code not redeemed', async () => {
    const e = env();
    const login = await startLogin(e, mcp.url);
    const callback = new URL(await approveInBrowser(login.authorizationUrl));
    callback.searchParams.delete('iss');
    const redeemedBefore = codeRedemptions(idp);
    const answer = await fetch(callback);
    assert.notEqual(answer.status, 200);
    await answer.body?.cancel();
    const waited = await runCli(['login', '--wait', login.id], { env: e });
    assert.notEqual(waited.code, 0);
    assert.ok(waited.stderr.includes(`lacks the iss parameter, expected ${idp.issuer}`), waited.stderr);
    assert.equal(codeRedemptions(idp), redeemedBefore, 'the code never reached the token endpoint');
  });

  test('RFC 9207: the right iss completes the login; registration said application_type native', async () => {
    const e = env();
    const regsBefore = registrations(idp).length;
    const login = await startLogin(e, mcp.url);
    const ok = await fetch(await approveInBrowser(login.authorizationUrl));
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const waited = await runCli(['login', '--wait', login.id], { env: e });
    assert.equal(waited.code, 0, waited.stderr);
    const regs = registrations(idp).slice(regsBefore);
    assert.equal(regs.length, 1);
    assert.equal(regs[0].registeredApplicationType, 'native');
    const cred = await credential(e, mcp.url);
    const client = await idp.provider.Client.find(cred?.clientId);
    assert.equal(client.applicationType, 'native', 'the IdP registered a native client');
    const tools = await runCli(['tools', '--url', mcp.url], { env: e });
    assert.equal(tools.code, 0, tools.stderr);
  });

  test('a Client ID Metadata Document the IdP takes wins over the DCR client already cached', async () => {
    const cimdIdp = await startIdp({
      clientMetadataDocuments: {
        [CIMD_URL]: {
          client_id: CIMD_URL,
          client_name: 'mcptest',
          application_type: 'native',
          redirect_uris: ['http://127.0.0.1/callback'],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
        },
      },
    });
    const cimdMcp = await startMcpServer({ issuer: cimdIdp.issuer });
    try {
      const e = env();
      // Without a metadata document URL: DCR (the fallback), cached.
      const first = await runCli(['login', cimdMcp.url], { env: e });
      assert.equal(first.code, 0, first.stderr);
      assert.equal(registrations(cimdIdp).length, 1);
      assert.notEqual((await credential(e, cimdMcp.url))?.clientId, CIMD_URL);
      // With one: the metadata document, although a DCR client is cached for this issuer.
      const login = await startLogin(e, cimdMcp.url, ['--client-metadata-url', CIMD_URL]);
      assert.equal(new URL(login.authorizationUrl).searchParams.get('client_id'), CIMD_URL);
      const ok = await fetch(await approveInBrowser(login.authorizationUrl));
      assert.equal(ok.status, 200);
      await ok.body?.cancel();
      const waited = await runCli(['login', '--wait', login.id], { env: e });
      assert.equal(waited.code, 0, waited.stderr);
      assert.equal(registrations(cimdIdp).length, 1, 'no second registration');
      assert.ok(cimdIdp.metadataDocumentFetches.includes(CIMD_URL), 'the IdP resolved the document');
      assert.equal((await credential(e, cimdMcp.url))?.clientId, CIMD_URL);
      const tools = await runCli(['tools', '--url', cimdMcp.url], { env: e });
      assert.equal(tools.code, 0, tools.stderr);
    } finally {
      await cimdMcp.close();
      await cimdIdp.close();
    }
  });

  test('a server whose authorization server changes: the login needs renewing, the new login registers at the new one', async () => {
    const idp2 = await startIdp();
    let server = await startMcpServer({ issuer: idp.issuer });
    const port = Number(new URL(server.url).port);
    const url = server.url;
    try {
      const e = env();
      const first = await runCli(['login', url], { env: e });
      assert.equal(first.code, 0, first.stderr);
      const firstClient = (await credential(e, url))?.clientId;
      assert.ok(firstClient);
      const regsAtFirst = registrations(idp).length;
      const refreshes = () => idp.requests.filter((r) => r.grantType === 'refresh_token').length;
      const refreshesBefore = refreshes();

      // The same URL, now protected by the second IdP (its metadata names it).
      await server.close();
      server = await startMcpServer({ issuer: idp2.issuer, port });
      const refused = await runCli(['tools', '--url', url], { env: e });
      assert.equal(refused.code, 3, refused.stderr);
      assert.ok(refused.stderr.includes(`mcptest login ${url}`), refused.stderr);
      assert.ok(
        refused.stderr.includes(`authorization server changed from ${idp.issuer} to ${idp2.issuer}`),
        refused.stderr,
      );
      const stale = await credential(e, url);
      assert.equal(stale?.state, 'needs_login');
      assert.ok(
        stale?.lastError?.includes(`changed from ${idp.issuer} to ${idp2.issuer}`),
        String(stale?.lastError),
      );
      assert.equal(
        refreshes(),
        refreshesBefore,
        'no refresh at the authorization server the server no longer trusts',
      );

      const second = await runCli(['login', url], { env: e });
      assert.equal(second.code, 0, second.stderr);
      assert.equal(registrations(idp2).length, 1, 'registered at the new authorization server');
      assert.ok(
        !idp2.requests.some((r) => r.clientId === firstClient),
        'the first client id never reached the new authorization server',
      );
      const now = await credential(e, url);
      assert.equal(now?.issuer, idp2.issuer);
      assert.notEqual(now?.clientId, firstClient);
      const tools = await runCli(['tools', '--url', url], { env: e });
      assert.equal(tools.code, 0, tools.stderr);

      // Back to the first IdP: its own registration, kept, serves again (no new one there).
      await server.close();
      server = await startMcpServer({ issuer: idp.issuer, port });
      const back = await runCli(['login', url], { env: e });
      assert.equal(back.code, 0, back.stderr);
      assert.equal(registrations(idp).length, regsAtFirst, 'the first registration was kept and reused');
      assert.equal((await credential(e, url))?.clientId, firstClient);
      const again = await runCli(['tools', '--url', url], { env: e });
      assert.equal(again.code, 0, again.stderr);
    } finally {
      await server.close();
      await idp2.close();
    }
  });

  test('a pre-registered client used with one authorization server is not sent to the next one', async () => {
    const preRegistered = {
      client_id: 'pre-registered-native',
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
    // Both IdPs know the id, so only the daemon's refusal keeps it from the second one.
    const first = await startIdp({ clients: [preRegistered] });
    const second = await startIdp({ clients: [preRegistered] });
    let server = await startMcpServer({ issuer: first.issuer });
    const port = Number(new URL(server.url).port);
    const url = server.url;
    try {
      const e = env();
      const login = await runCli(['login', url, '--client-id', 'pre-registered-native'], { env: e });
      assert.equal(login.code, 0, login.stderr);
      await server.close();
      server = await startMcpServer({ issuer: second.issuer, port });
      const refused = await runCli(['login', url, '--client-id', 'pre-registered-native', '--no-browser'], {
        env: e,
      });
      assert.notEqual(refused.code, 0);
      assert.ok(
        refused.stderr.includes(`now names the authorization server ${second.issuer}`),
        refused.stderr,
      );
      assert.ok(refused.stderr.includes(`was used with ${first.issuer}`), refused.stderr);
      assert.match(refused.stderr, /hint: register a client at .* --client-id <id>/);
      assert.ok(
        !second.requests.some((r) => r.path === '/auth' || r.clientId === 'pre-registered-native'),
        'the second IdP never saw the client',
      );
      // --force: the user says the id is registered there too.
      const forced = await startLogin(e, url, ['--client-id', 'pre-registered-native', '--force']);
      assert.ok(forced.authorizationUrl.startsWith(second.issuer), forced.authorizationUrl);
    } finally {
      await server.close();
      await first.close();
      await second.close();
    }
  });
});
