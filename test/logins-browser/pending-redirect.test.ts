/**
 * The redirect of a browser login against an IdP that matches redirect URIs exactly: a login left
 * pending gives way to the next one (which listens on the registered port again), a registered
 * port held by another program is named instead of tried elsewhere, and `--redirect-uri` fixes
 * the redirect of a pre-registered client. Real CLI, daemon and IdP.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { approveInBrowser, type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';

type Env = ReturnType<typeof isolatedEnv>;

/** Holds `port` on 127.0.0.1 (retrying briefly while a closing listener lets go of it). */
async function occupy(port: number): Promise<Server> {
  for (let attempt = 0; ; attempt++) {
    const server = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: '127.0.0.1', port, exclusive: true }, resolve);
      });
      return server;
    } catch (err) {
      if (attempt >= 40) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function freePort(): Promise<number> {
  const server = await occupy(0);
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === 'object' && address ? address.port : 0;
}

async function startPending(env: Env, url: string, extra: string[] = []) {
  const r = await runCli(['login', url, '--no-browser', '--no-wait', '--json', ...extra], { env });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).login as { id: string; authorizationUrl: string; redirectUri: string };
}

describe('browser login redirect (IdP matching redirect URIs exactly)', () => {
  let idp: Idp;
  let mcp: McpExampleServer;
  const envs: Env[] = [];
  const env = () => {
    const e = isolatedEnv();
    envs.push(e);
    return e;
  };
  const regs = () => idp.requests.filter((r) => r.method === 'POST' && r.path === '/reg').length;

  before(async () => {
    idp = await startIdp({ redirectUriMatch: 'exact' });
    mcp = await startMcpServer({ issuer: idp.issuer });
  });
  after(async () => {
    for (const e of envs) await e.cleanup();
    await mcp?.close();
    await idp?.close();
  });

  test('a login left pending at --timeout is replaced by the next one, which listens on the registered port', async () => {
    const e = env();
    const regsBefore = regs();
    const timedOut = await runCli(['login', mcp.url, '--no-browser', '--timeout', '1'], { env: e });
    assert.equal(timedOut.code, 4, timedOut.stderr);
    const status = await runCli(['auth', 'status', '--json'], { env: e });
    const [stale] = JSON.parse(status.stdout).pendingLogins as Array<{ id: string; redirectUri: string }>;
    assert.ok(stale, 'the timed-out login stays pending in the daemon');

    const next = await startPending(e, mcp.url);
    assert.equal(next.redirectUri, stale.redirectUri, 'the new login listens on the registered port');
    const ok = await fetch(await approveInBrowser(next.authorizationUrl));
    assert.equal(ok.status, 200, 'the IdP accepted the redirect URI and the listener took the code');
    const waited = await runCli(['login', '--wait', next.id], { env: e });
    assert.equal(waited.code, 0, waited.stderr);

    const old = await runCli(['login', '--wait', stale.id], { env: e });
    assert.notEqual(old.code, 0);
    assert.match(old.stderr, /was replaced by a newer one/);
    assert.equal(regs(), regsBefore + 1, 'one registration for both logins');
    const tools = await runCli(['tools', '--url', mcp.url], { env: e });
    assert.equal(tools.code, 0, tools.stderr);
  });

  test('the registered port held by another program: the CLI names it instead of listening elsewhere', async () => {
    const e = env();
    const first = await startPending(e, mcp.url);
    const port = Number(new URL(first.redirectUri).port);
    assert.equal((await fetch(await approveInBrowser(first.authorizationUrl))).status, 200);
    assert.equal((await runCli(['login', '--wait', first.id], { env: e })).code, 0);

    const squatter = await occupy(port);
    try {
      const r = await runCli(['login', mcp.url, '--no-browser', '--no-wait'], { env: e });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /redirect port .* is taken by another program/);
      assert.ok(r.stderr.includes(`127.0.0.1:${port}`), r.stderr);
      assert.ok(r.stderr.includes(`fuser -n tcp ${port}`), r.stderr);
      assert.match(r.stderr, /ss -ltnp/);
      assert.ok(r.stderr.includes(`mcptest login ${mcp.url} --force`), r.stderr);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  test('--redirect-uri gives a pre-registered client the exact redirect its IdP wants', async () => {
    const port = await freePort();
    const redirectUri = `http://127.0.0.1:${port}/oauth/done`;
    const fixed = await startIdp({
      redirectUriMatch: 'exact',
      clients: [
        {
          client_id: 'fixed-port-app',
          application_type: 'native',
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          redirect_uris: [redirectUri],
        },
      ],
    });
    const fixedMcp = await startMcpServer({ issuer: fixed.issuer });
    try {
      const e = env();
      const login = await startPending(e, fixedMcp.url, [
        '--client-id',
        'fixed-port-app',
        '--redirect-uri',
        redirectUri,
      ]);
      assert.equal(login.redirectUri, redirectUri);
      assert.equal(new URL(login.authorizationUrl).searchParams.get('redirect_uri'), redirectUri);
      const callback = await approveInBrowser(login.authorizationUrl);
      assert.ok(callback.startsWith(`${redirectUri}?`), callback);
      assert.equal((await fetch(callback)).status, 200);
      const waited = await runCli(['login', '--wait', login.id], { env: e });
      assert.equal(waited.code, 0, waited.stderr);
      assert.equal(fixed.requests.filter((r) => r.path === '/reg').length, 0, 'no registration');

      // The same port by --redirect-port (path /callback) is another URI: the IdP refuses it,
      // which is why --redirect-uri exists. Both flags must agree on the port.
      const clash = await runCli(
        ['login', fixedMcp.url, '--redirect-port', String(port + 1), '--redirect-uri', redirectUri],
        { env: e },
      );
      assert.equal(clash.code, 2, clash.stderr);
      assert.match(clash.stderr, /name different ports/);
    } finally {
      await fixedMcp.close();
      await fixed.close();
    }
  });

  test('--redirect-uri and --redirect-port accept loopback http only (RFC 8252)', async () => {
    const e = env();
    const cases: Array<[string[], RegExp]> = [
      [['--redirect-uri', 'https://127.0.0.1:8765/callback'], /uses http/],
      [['--redirect-uri', 'http://localhost:8765/callback'], /must be 127\.0\.0\.1/],
      [['--redirect-uri', 'http://example.com:8765/callback'], /must be 127\.0\.0\.1/],
      [['--redirect-uri', 'http://127.0.0.1/callback'], /names no port/],
      [['--redirect-uri', 'http://127.0.0.1:8765/callback#x'], /no query, fragment/],
      [['--redirect-port', '0'], /from 1 to 65535/],
      [['--redirect-port', '70000'], /from 1 to 65535/],
      [['--device', '--redirect-port', '8765'], /device login has no redirect/],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(['login', mcp.url, ...flags], { env: e });
      assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, flags.join(' '));
    }
  });
});
