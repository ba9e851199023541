/**
 * Discovery (RFC 9728 + RFC 8414/OIDC, MCP authorization spec 2025-11-25) against crafted
 * metadata served by a tiny node:http server on 127.0.0.1, and against the real IdP + MCP server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DaemonClient } from '../../client/daemon-client.js';
import { discoverAuthorization } from '../../daemon/oauth/discovery.js';
import { resolveClient } from '../../daemon/oauth/registration.js';
import { TokenStore } from '../../daemon/store/token-store.js';
import { type Idp, startIdp, clientCredentialsClient } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { McptestError } from '../../shared/errors.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';

interface Route {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A metadata server whose answers each test sets; logs `METHOD path` of every request. */
class CraftedServer {
  readonly routes = new Map<string, Route>();
  readonly log: string[] = [];
  private server!: Server;
  origin = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const p = new URL(req.url ?? '/', 'http://x').pathname;
      this.log.push(`${req.method} ${p}`);
      req.resume();
      const route = this.routes.get(`${req.method} ${p}`) ?? { status: 404, body: { error: 'not_found' } };
      res.writeHead(route.status, { 'content-type': 'application/json', ...(route.headers ?? {}) });
      res.end(route.body === undefined ? '' : JSON.stringify(route.body));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reset(): void {
    this.routes.clear();
    this.log.length = 0;
  }

  set(method: string, p: string, route: Route): void {
    this.routes.set(`${method} ${p}`, route);
  }

  asMetadata(issuer: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      issuer,
      authorization_endpoint: `${this.origin}/authorize`,
      token_endpoint: `${this.origin}/token`,
      registration_endpoint: `${this.origin}/register`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      ...extra,
    };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const deps = { fetch, timeoutMs: 5000, now: () => Date.now() };

async function rejectsWith(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<McptestError> {
  let caught: unknown;
  await assert.rejects(p, (err) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof McptestError, String(caught));
  assert.equal(caught.code, code, caught.message);
  if (pattern) assert.match(caught.message, pattern);
  assert.ok(caught.hint, 'every refusal carries a hint');
  return caught;
}

describe('discovery against crafted metadata', () => {
  const s = new CraftedServer();
  before(() => s.start());
  after(() => s.close());

  test('spec order: path-inserted PRM, root PRM, then path-inserted OAuth, path-inserted OIDC, path-appended OIDC', async () => {
    s.reset();
    const serverUrl = `${s.origin}/tenant/mcp`;
    const issuer = `${s.origin}/as/x`;
    s.set('POST', '/tenant/mcp', { status: 401 });
    s.set('GET', '/.well-known/oauth-protected-resource', {
      status: 200,
      body: { resource: serverUrl, authorization_servers: [issuer] },
    });
    s.set('GET', '/as/x/.well-known/openid-configuration', { status: 200, body: s.asMetadata(issuer) });
    const found = await discoverAuthorization(deps, serverUrl);
    assert.deepEqual(s.log, [
      'POST /tenant/mcp',
      'GET /.well-known/oauth-protected-resource/tenant/mcp',
      'GET /.well-known/oauth-protected-resource',
      'GET /.well-known/oauth-authorization-server/as/x',
      'GET /.well-known/openid-configuration/as/x',
      'GET /as/x/.well-known/openid-configuration',
    ]);
    assert.equal(found.issuer, issuer);
    assert.equal(found.resource, serverUrl);
    assert.equal(found.prmUrl, `${s.origin}/.well-known/oauth-protected-resource`);
    assert.equal(found.scope, undefined, 'no scope anywhere: none is sent');
  });

  test('resource_metadata and scope from WWW-Authenticate win; offline_access added only when the AS lists it', async () => {
    s.reset();
    const serverUrl = `${s.origin}/mcp`;
    s.set('POST', '/mcp', {
      status: 401,
      headers: {
        'www-authenticate': `Bearer resource_metadata="${s.origin}/custom/prm", scope="files:read"`,
      },
    });
    s.set('GET', '/custom/prm', {
      status: 200,
      body: { resource: serverUrl, authorization_servers: [s.origin], scopes_supported: ['a', 'b'] },
    });
    s.set('GET', '/.well-known/oauth-authorization-server', {
      status: 200,
      body: s.asMetadata(s.origin, { scopes_supported: ['files:read', 'offline_access'] }),
    });
    const found = await discoverAuthorization(deps, serverUrl);
    assert.equal(s.log[1], 'GET /custom/prm', 'the header URL is used first');
    assert.equal(found.scope, 'files:read offline_access');

    // Without a challenge scope: PRM scopes_supported; an AS without offline_access gets none added.
    s.set('POST', '/mcp', { status: 401, headers: { 'www-authenticate': 'Bearer realm="mcp"' } });
    s.set('GET', '/.well-known/oauth-protected-resource/mcp', {
      status: 200,
      body: { resource: serverUrl, authorization_servers: [s.origin], scopes_supported: ['a', 'b'] },
    });
    s.set('GET', '/.well-known/oauth-authorization-server', { status: 200, body: s.asMetadata(s.origin) });
    const again = await discoverAuthorization(deps, serverUrl);
    assert.equal(again.scope, 'a b');
    assert.equal(again.prmUrl, `${s.origin}/.well-known/oauth-protected-resource/mcp`);
  });

  test('an AS whose metadata names another issuer is refused (issuer_mismatch)', async () => {
    s.reset();
    const serverUrl = `${s.origin}/mcp`;
    s.set('POST', '/mcp', { status: 401 });
    s.set('GET', '/.well-known/oauth-protected-resource/mcp', {
      status: 200,
      body: { resource: serverUrl, authorization_servers: [s.origin] },
    });
    s.set('GET', '/.well-known/oauth-authorization-server', {
      status: 200,
      body: s.asMetadata('https://evil.example.com'),
    });
    const e = await rejectsWith(
      discoverAuthorization(deps, serverUrl),
      'issuer_mismatch',
      /evil\.example\.com/,
    );
    assert.match(e.message, new RegExp(s.origin.replace(/[.]/g, '\\.')));
  });

  test('PRM naming another resource is refused (resource_mismatch)', async () => {
    s.reset();
    const serverUrl = `${s.origin}/mcp`;
    s.set('POST', '/mcp', { status: 401 });
    s.set('GET', '/.well-known/oauth-protected-resource/mcp', {
      status: 200,
      body: { resource: 'https://other.example.com/mcp', authorization_servers: [s.origin] },
    });
    await rejectsWith(discoverAuthorization(deps, serverUrl), 'resource_mismatch', /other\.example\.com/);
    assert.ok(!s.log.some((l) => l.includes('authorization-server')), 'stopped before asking any AS');
  });

  test('a non-loopback AS over plain http is refused', async () => {
    s.reset();
    const serverUrl = `${s.origin}/mcp`;
    s.set('POST', '/mcp', { status: 401 });
    s.set('GET', '/.well-known/oauth-protected-resource/mcp', {
      status: 200,
      body: { resource: serverUrl, authorization_servers: ['http://as.example.com'] },
    });
    await rejectsWith(discoverAuthorization(deps, serverUrl), 'insecure_url');
  });

  test('2025-03-26 backwards compatibility: no PRM, the AS at the server origin', async () => {
    s.reset();
    const serverUrl = `${s.origin}/mcp`;
    s.set('POST', '/mcp', { status: 401 });
    s.set('GET', '/.well-known/oauth-authorization-server', { status: 200, body: s.asMetadata(s.origin) });
    const found = await discoverAuthorization(deps, serverUrl);
    assert.equal(found.issuer, s.origin);
    assert.equal(found.resource, serverUrl, 'resource is sent even without PRM');
    assert.equal(found.prm, null);
  });

  test('results are cached in the store; refresh bypasses the cache', async () => {
    s.reset();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-disc-'));
    const store = TokenStore.open(path.join(dir, 'auth', 'tokens.db'));
    try {
      const serverUrl = `${s.origin}/mcp`;
      s.set('POST', '/mcp', { status: 401 });
      s.set('GET', '/.well-known/oauth-authorization-server', { status: 200, body: s.asMetadata(s.origin) });
      await discoverAuthorization({ ...deps, store }, serverUrl);
      const n = s.log.length;
      const cached = await discoverAuthorization({ ...deps, store }, serverUrl, { scope: 'x' });
      assert.equal(s.log.length, n, 'no request for a cached result');
      assert.equal(cached.scope, 'x');
      await discoverAuthorization({ ...deps, store }, serverUrl, { refresh: true });
      assert.ok(s.log.length > n);
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('no DCR and no client id: registration_failed with a --client-id hint', async () => {
    s.reset();
    const serverUrl = `${s.origin}/mcp`;
    s.set('POST', '/mcp', { status: 401 });
    const { registration_endpoint: _r, ...noDcr } = s.asMetadata(s.origin);
    s.set('GET', '/.well-known/oauth-authorization-server', { status: 200, body: noDcr });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-disc-'));
    const store = TokenStore.open(path.join(dir, 'auth', 'tokens.db'));
    try {
      const found = await discoverAuthorization(deps, serverUrl);
      const e = await rejectsWith(
        resolveClient({ ...deps, store }, found, { grantTypes: ['authorization_code'], redirectUris: [] }),
        'registration_failed',
      );
      assert.match(e.hint ?? '', /--client-id/);
      const pre = await resolveClient({ ...deps, store }, found, {
        clientId: 'pre',
        clientSecret: 's3cret',
        grantTypes: ['authorization_code'],
        redirectUris: [],
      });
      assert.deepEqual([pre.method, pre.authMethod], ['preregistered', 'client_secret_basic']);
      const cimd = await resolveClient(
        { ...deps, store },
        { ...found, as: { ...found.as, client_id_metadata_document_supported: true } },
        {
          clientMetadataUrl: 'https://app.example.com/client.json',
          grantTypes: ['authorization_code'],
          redirectUris: [],
        },
      );
      assert.deepEqual([cimd.method, cimd.clientId], ['cimd', 'https://app.example.com/client.json']);
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('mcptest login refuses an AS without PKCE S256 (pkce_unsupported), naming the issuer', async () => {
    s.reset();
    const serverUrl = `${s.origin}/mcp`;
    s.set('POST', '/mcp', { status: 401 });
    const { code_challenge_methods_supported: _c, ...noPkce } = s.asMetadata(s.origin);
    s.set('GET', '/.well-known/oauth-authorization-server', { status: 200, body: noPkce });
    const e = isolatedEnv();
    try {
      const r = await runCli(['login', serverUrl, '--no-browser', '--no-wait'], { env: e });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /does not advertise PKCE S256/);
      assert.match(r.stderr, new RegExp(s.origin.replace(/[.]/g, '\\.')));
      assert.ok(!s.log.includes('POST /register'), 'no client registered for a refused AS');
      assert.ok(!s.log.some((l) => l.startsWith('GET /authorize')));
    } finally {
      await e.cleanup();
    }
  });
});

describe('discovery against the real IdP and MCP server', () => {
  let idp: Idp;
  let mcp: McpExampleServer;
  const SECRET = 'ci-secret-for-discovery-tests-0123';
  before(async () => {
    idp = await startIdp({
      clients: [clientCredentialsClient('ci-client', SECRET, 'mcp:read mcp:write')],
    });
    mcp = await startMcpServer({ issuer: idp.issuer });
  });
  after(async () => {
    await mcp?.close();
    await idp?.close();
  });

  test('finds the IdP through the 401, PRM and RFC 8414 metadata', async () => {
    const found = await discoverAuthorization(deps, mcp.url);
    assert.equal(found.issuer, idp.issuer);
    assert.equal(found.resource, mcp.url);
    assert.equal(found.prmUrl, mcp.resourceMetadataUrl);
    assert.equal(found.as.token_endpoint, idp.tokenEndpoint);
    assert.deepEqual(found.as.code_challenge_methods_supported, ['S256']);
    assert.match(found.scope ?? '', /offline_access/);
  });

  test('the daemon mints client-credentials tokens without a token URL, by discovery', async () => {
    const e = isolatedEnv();
    const client = new DaemonClient(e.MCPTEST_SOCKET as string);
    try {
      const started = await runCli(['daemon', 'start'], { env: e });
      assert.equal(started.code, 0, started.stderr);
      const token = await client.getToken({
        serverUrl: mcp.url,
        clientCredentials: { clientId: 'ci-client', clientSecret: SECRET, scope: 'mcp:read' },
      });
      assert.equal(token.source, 'client_credentials');
      assert.ok(idp.requests.some((r) => r.path === '/.well-known/oauth-authorization-server'));
    } finally {
      await client.close();
      await e.cleanup();
    }
  });
});
