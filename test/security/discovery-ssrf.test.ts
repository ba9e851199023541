/**
 * SSRF through discovery: what a server's `resource_metadata`, its `authorization_servers` and
 * its authorization server's endpoints may make the daemon fetch. End to end (a real daemon login
 * start against hostile peers on 127.0.0.1) for what loopback can show; in process, with a
 * recording fetch and a fake resolver, for a server on a public address, which cannot be served
 * offline. In every refusal the named URL is never requested.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { discoverAuthorization } from '../../daemon/oauth/discovery.js';
import type { Lookup } from '../../daemon/oauth/peer-url-policy.js';
import { McptestError } from '../../shared/errors.js';
import { isolatedEnv } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

interface Hit {
  method: string;
  url: string;
  authorization?: string;
  cookie?: string;
  bodyBytes: number;
}

/** A loopback peer whose routes each test sets; logs every request it gets. */
class Peer {
  readonly routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  readonly hits: Hit[] = [];
  private server!: Server;
  origin = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let bodyBytes = 0;
      req.on('data', (c: Buffer) => {
        bodyBytes += c.length;
      });
      req.on('end', () => {
        this.hits.push({
          method: req.method ?? '',
          url: req.url ?? '',
          authorization: req.headers.authorization,
          cookie: req.headers.cookie,
          bodyBytes,
        });
        const handler = this.routes.get(new URL(req.url ?? '/', 'http://x').pathname);
        if (handler) handler(req, res);
        else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  json(p: string, value: unknown, status = 200): void {
    this.routes.set(p, (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    });
  }

  paths(): string[] {
    return this.hits.map((h) => new URL(h.url, 'http://x').pathname);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

let server: Peer;
/** Another loopback origin: the target a hostile server points at. */
let victim: Peer;
let d: TestDaemon;
before(async () => {
  server = new Peer();
  victim = new Peer();
  await server.start();
  await victim.start();
  victim.json('/admin', { ok: true });
  d = await startTestDaemon({ env: isolatedEnv({ MCPTEST_IDP_TIMEOUT_MS: '3000' }) });
});
after(async () => {
  await d?.cleanup();
  await server?.close();
  await victim?.close();
});

async function loginError(serverUrl: string, wwwAuthenticate: string): Promise<McptestError> {
  const err = await d.client
    .startLogin({ serverUrl, kind: 'device', clientId: 'ssrf-client', wwwAuthenticate })
    .then(
      (info) => assert.fail(`the login started (${info.status})`),
      (e: unknown) => e,
    );
  assert.ok(err instanceof McptestError, String(err));
  assert.notEqual(err.code, 'internal', err.message);
  return err;
}

describe('a loopback server (end to end through the daemon)', () => {
  const cases: Array<{ label: string; rm: (i: number) => string; as?: (i: number) => unknown; why: RegExp }> =
    [
      {
        label: 'resource_metadata with a user name and password',
        rm: () => `http://admin:pw@${victim.origin.slice(7)}/admin`,
        why: /user name or password/,
      },
      {
        label: 'resource_metadata on another origin with a query',
        rm: () => `${victim.origin}/admin?action=delete&id=1`,
        why: /a query string on a metadata URL of another origin/,
      },
      {
        label: 'resource_metadata file:',
        rm: () => 'file:///etc/passwd',
        why: /the scheme file: is not https/,
      },
      {
        label: 'authorization server javascript:',
        rm: (i) => `${server.origin}/prm-${i}`,
        as: () => 'javascript:alert(1)',
        why: /the scheme javascript: is not https/,
      },
      {
        label: 'authorization server file:',
        rm: (i) => `${server.origin}/prm-${i}`,
        as: () => 'file:///etc/passwd',
        why: /the scheme file: is not https/,
      },
      {
        label: 'authorization server with a query',
        rm: (i) => `${server.origin}/prm-${i}`,
        as: () => `${victim.origin}/admin?action=delete`,
        why: /an issuer has no query or fragment/,
      },
      {
        label: 'authorization server with credentials',
        rm: (i) => `${server.origin}/prm-${i}`,
        as: () => `http://admin:pw@${victim.origin.slice(7)}/admin`,
        why: /user name or password/,
      },
    ];
  cases.forEach(({ label, rm, as, why }, i) => {
    test(`${label}: refused, never requested`, async () => {
      const serverUrl = `${server.origin}/mcp-${i}`;
      if (as) server.json(`/prm-${i}`, { resource: serverUrl, authorization_servers: [as(i)] });
      const victimHits = victim.hits.length;
      const err = await loginError(serverUrl, `Bearer resource_metadata="${rm(i)}"`);
      assert.equal(err.code, 'peer_url_refused', err.message);
      assert.match(err.message, why);
      assert.doesNotMatch(err.message, /:pw@/, 'no credentials in the message');
      assert.ok(err.hint, 'a hint');
      assert.equal(victim.hits.length, victimHits, 'the victim origin got no request');
    });
  });

  test('a plain-http non-loopback authorization server is refused before any request', async () => {
    const serverUrl = `${server.origin}/mcp-http-as`;
    server.json('/prm-http-as', { resource: serverUrl, authorization_servers: ['http://as.example.com'] });
    const err = await loginError(serverUrl, `Bearer resource_metadata="${server.origin}/prm-http-as"`);
    assert.equal(err.code, 'insecure_url');
  });

  test('another loopback origin is allowed for a loopback server (the test IdP lives on another port)', async () => {
    const serverUrl = `${server.origin}/mcp-ok`;
    victim.json('/prm-ok', { resource: serverUrl, authorization_servers: [`${victim.origin}/as-ok`] });
    const err = await loginError(serverUrl, `Bearer resource_metadata="${victim.origin}/prm-ok"`);
    // It got as far as the AS metadata, which the victim does not serve.
    assert.equal(err.code, 'discovery_failed', err.message);
    assert.ok(victim.paths().includes('/prm-ok'));
    assert.ok(victim.paths().includes('/.well-known/oauth-authorization-server/as-ok'));
  });

  test('discovery requests carry no credentials and no body', async () => {
    const discovery = [...server.hits, ...victim.hits].filter((h) => h.method === 'GET');
    assert.ok(discovery.length > 3, 'some metadata was fetched');
    for (const hit of discovery) {
      assert.equal(hit.authorization, undefined, `${hit.url}: no Authorization`);
      assert.equal(hit.cookie, undefined, `${hit.url}: no Cookie`);
      assert.equal(hit.bodyBytes, 0, `${hit.url}: no body`);
    }
  });

  test('the daemon is healthy', async () => {
    assert.equal((await d.client.health()).name, 'mcptest-authd');
  });
});

describe('a server on a public address (in process, recording fetch, fake resolver)', () => {
  const SERVER = 'https://mcp.example.com/mcp';
  const PUBLIC = ['93.184.216.34'];
  const table: Record<string, string[]> = {
    'mcp.example.com': PUBLIC,
    'as.example.com': ['93.184.216.35'],
    'evil-rebind.example.net': ['127.0.0.1'],
    'intranet.example.net': ['10.0.0.7'],
  };
  const lookup: Lookup = async (host) => {
    const found = table[host];
    if (!found) throw new Error(`ENOTFOUND ${host}`);
    return found;
  };
  const asDoc = (extra: Record<string, unknown> = {}) => ({
    issuer: 'https://as.example.com',
    authorization_endpoint: 'https://as.example.com/authorize',
    token_endpoint: 'https://as.example.com/token',
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    ...extra,
  });

  /** A fetch that answers from `docs` by URL and records every URL asked for. */
  function recordingFetch(docs: Record<string, unknown>) {
    const asked: string[] = [];
    const fetch: typeof globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      asked.push(`${init?.method ?? 'GET'} ${url}`);
      if (init?.method === 'POST' && url === SERVER) {
        return new Response('{}', {
          status: 401,
          headers: { 'www-authenticate': String(docs.challenge ?? 'Bearer') },
        });
      }
      if (url in docs) {
        return new Response(JSON.stringify(docs[url]), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
      }
      return new Response('{}', { status: 404 });
    };
    return { fetch, asked };
  }

  async function discoverError(
    docs: Record<string, unknown>,
  ): Promise<{ err: McptestError; asked: string[] }> {
    const { fetch, asked } = recordingFetch(docs);
    const err = await discoverAuthorization(
      { fetch, timeoutMs: 2000, now: () => Date.now(), lookup },
      SERVER,
    ).then(
      () => assert.fail('discovery succeeded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof McptestError, String(err));
    return { err, asked };
  }

  const prm = (servers: string[]) => ({ resource: SERVER, authorization_servers: servers });

  test('resource_metadata at a loopback literal is refused, never fetched', async () => {
    const { err, asked } = await discoverError({
      challenge: 'Bearer resource_metadata="https://127.0.0.1:6443/api/v1/secrets"',
    });
    assert.equal(err.code, 'peer_url_refused');
    assert.match(err.message, /https:\/\/127\.0\.0\.1:6443\/api\/v1\/secrets/);
    assert.match(err.message, /loopback address, and the server is on a public address/);
    assert.deepEqual(asked, [`POST ${SERVER}`]);
  });

  test('resource_metadata at a name that resolves to loopback is refused, never fetched', async () => {
    const { err, asked } = await discoverError({
      challenge: 'Bearer resource_metadata="https://evil-rebind.example.net/prm"',
    });
    assert.equal(err.code, 'peer_url_refused');
    assert.match(err.message, /at 127\.0\.0\.1, a loopback address/);
    assert.deepEqual(asked, [`POST ${SERVER}`]);
  });

  test('an authorization server on a private network is refused, never fetched', async () => {
    const { err, asked } = await discoverError({
      [`https://mcp.example.com/.well-known/oauth-protected-resource/mcp`]: prm([
        'https://intranet.example.net',
      ]),
    });
    assert.equal(err.code, 'peer_url_refused');
    assert.match(err.message, /authorization server https:\/\/intranet\.example\.net\//);
    assert.ok(!asked.some((a) => a.includes('intranet')), asked.join('\n'));
  });

  test('an authorization server at a loopback literal over http is refused, never fetched', async () => {
    const { err, asked } = await discoverError({
      [`https://mcp.example.com/.well-known/oauth-protected-resource/mcp`]: prm(['http://127.0.0.1:8080']),
    });
    assert.equal(err.code, 'peer_url_refused');
    assert.ok(!asked.some((a) => a.includes('127.0.0.1')), asked.join('\n'));
  });

  for (const key of [
    'token_endpoint',
    'registration_endpoint',
    'device_authorization_endpoint',
    'revocation_endpoint',
  ]) {
    test(`a ${key} inside the machine is refused at discovery`, async () => {
      const { err } = await discoverError({
        [`https://mcp.example.com/.well-known/oauth-protected-resource/mcp`]: prm(['https://as.example.com']),
        'https://as.example.com/.well-known/oauth-authorization-server': asDoc({
          [key]: 'https://evil-rebind.example.net/endpoint',
        }),
      });
      assert.equal(err.code, 'peer_url_refused');
      assert.match(err.message, new RegExp(`${key} of https://as.example.com`));
    });
  }

  test('a public authorization server is discovered', async () => {
    const { fetch } = recordingFetch({
      [`https://mcp.example.com/.well-known/oauth-protected-resource/mcp`]: prm(['https://as.example.com']),
      'https://as.example.com/.well-known/oauth-authorization-server': asDoc(),
    });
    const found = await discoverAuthorization(
      { fetch, timeoutMs: 2000, now: () => Date.now(), lookup },
      SERVER,
    );
    assert.equal(found.issuer, 'https://as.example.com');
  });
});
