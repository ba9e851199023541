/**
 * Bodies too big to read: a hostile token endpoint streaming 300 MB, one whose Content-Length
 * claims 300 MB, a 64 KiB gzip that inflates to 300 MB, and huge metadata and registration
 * answers. Each is a clear `response_too_large` naming the URL, read no further than the limit of
 * its kind, and the daemon's memory stays where it was (its peak RSS, from /proc, grows by far
 * less than the body). The limits themselves are held by unit cases at the end.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { BODY_LIMITS, boundedFetch, readBoundedBody } from '../../daemon/oauth/bounded-body.js';
import { McptestError } from '../../shared/errors.js';
import { isolatedEnv } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const MB = 1024 * 1024;
const HUGE = 300 * MB;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Bytes each route managed to write before the daemon hung up. */
const written = new Map<string, number>();

/** Streams `total` bytes of a JSON string as fast as the reader takes them. */
function streamJson(route: string, total: number, status = 200): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(MB, 'x');
    let sent = 0;
    res.write('{"access_token":"');
    const pump = () => {
      while (sent < total && !res.destroyed) {
        sent += chunk.length;
        written.set(route, sent);
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end('","token_type":"bearer"}');
    };
    pump();
  };
}

let server: Server;
let origin = '';
const routes = new Map<string, Handler>();
let d: TestDaemon;

function status(field: 'VmRSS' | 'VmHWM'): number {
  const text = fs.readFileSync(`/proc/${d.process.pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return Number(m?.[1] ?? 0) * 1024;
}

before(async () => {
  server = createServer((req, res) => {
    req.resume();
    const handler = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (handler) handler(req, res);
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A long timeout: the limit, not the clock, must stop these bodies.
  d = await startTestDaemon({ env: isolatedEnv({ MCPTEST_IDP_TIMEOUT_MS: '60000' }) });
});
after(async () => {
  await d?.cleanup();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

async function tokenError(route: string, i: number): Promise<McptestError> {
  const err = await d.client
    .getToken({
      serverUrl: `http://127.0.0.1:1/huge-${i}`,
      clientCredentials: {
        clientId: `client-${i}`,
        clientSecret: 'huge-secret-value',
        tokenUrl: `${origin}${route}`,
      },
    })
    .then(
      () => assert.fail('a token was handed out'),
      (e: unknown) => e,
    );
  assert.ok(err instanceof McptestError, String(err));
  return err;
}

describe('token endpoint bodies over the limit (client credentials through the daemon)', () => {
  let hwmBefore = 0;
  let rssBefore = 0;
  before(() => {
    hwmBefore = status('VmHWM');
    rssBefore = status('VmRSS');
  });

  test('a 300 MB stream is cancelled after the 64 KiB limit', async (t) => {
    routes.set('/token-stream', streamJson('/token-stream', HUGE));
    const started = Date.now();
    const err = await tokenError('/token-stream', 1);
    assert.equal(err.code, 'response_too_large', err.message);
    assert.match(err.message, new RegExp(`${origin}/token-stream`));
    assert.match(err.message, /over the 64 KiB limit/);
    // Reading all 300 MB took 82 s; a loaded machine gets 60 s to refuse after 64 KiB.
    assert.ok(Date.now() - started < 60_000, 'refused without reading it all');
    // Let the peer notice the hang-up.
    await new Promise((r) => setTimeout(r, 300));
    const sent = written.get('/token-stream') ?? 0;
    assert.ok(sent < 64 * MB, `the peer wrote ${(sent / MB).toFixed(1)} MB before the daemon hung up`);
    t.diagnostic(`300 MB token stream: the peer got ${(sent / MB).toFixed(1)} MB out before the hang-up`);
  });

  test('a Content-Length of 300 MB is refused before the body is read', async () => {
    routes.set('/token-length', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(HUGE) });
      res.write('{"access_token":"');
      // ...and never more: only the header can have decided.
    });
    const started = Date.now();
    const err = await tokenError('/token-length', 2);
    assert.equal(err.code, 'response_too_large', err.message);
    assert.match(err.message, /314572800 bytes by its Content-Length/);
    assert.ok(Date.now() - started < 5_000, 'refused at once, not at the timeout');
  });

  test('a gzip body that inflates to 300 MB is stopped at the limit of inflated bytes', async () => {
    // 300 gzip members of 1 MB of spaces each: about 300 KB on the wire.
    const member = gzipSync(Buffer.alloc(MB, 0x20), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: HUGE / MB }, () => member));
    assert.ok(bomb.length < 1 * MB);
    routes.set('/token-gzip', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(bomb);
    });
    const err = await tokenError('/token-gzip', 3);
    assert.equal(err.code, 'response_too_large', err.message);
  });

  test('a 300 MB HTML error page from a failing IdP is still a transient failure', async () => {
    routes.set('/token-502', streamJson('/token-502', HUGE, 502));
    const err = await tokenError('/token-502', 4);
    assert.equal(err.code, 'response_too_large');
    assert.equal(err.details?.transient, true);
  });

  test('the daemon stays small and healthy', async (t) => {
    assert.equal((await d.client.health()).name, 'mcptest-authd');
    const hwmGrowth = status('VmHWM') - hwmBefore;
    const rssGrowth = status('VmRSS') - rssBefore;
    t.diagnostic(
      `daemon RSS ${(rssBefore / MB).toFixed(0)} -> ${(status('VmRSS') / MB).toFixed(0)} MB, peak growth ${(hwmGrowth / MB).toFixed(0)} MB over 1.2 GB of hostile bodies`,
    );
    assert.ok(hwmGrowth < 300 * MB, `peak RSS grew by ${(hwmGrowth / MB).toFixed(0)} MB`);
    assert.ok(rssGrowth < 300 * MB, `RSS grew by ${(rssGrowth / MB).toFixed(0)} MB`);
  });
});

describe('metadata and registration bodies over the limit (login start through the daemon)', () => {
  test('protected-resource metadata streaming 300 MB', async () => {
    routes.set('/prm-huge', streamJson('/prm-huge', HUGE));
    const err = await d.client
      .startLogin({
        serverUrl: `${origin}/mcp-huge`,
        kind: 'device',
        wwwAuthenticate: `Bearer resource_metadata="${origin}/prm-huge"`,
      })
      .then(
        () => assert.fail('the login started'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof McptestError);
    assert.equal(err.code, 'response_too_large', err.message);
    assert.match(err.message, /metadata document from .*\/prm-huge .* over the 256 KiB limit/);
  });

  test('a registration answer streaming 300 MB', async () => {
    const serverUrl = `${origin}/mcp-reg`;
    routes.set('/prm-reg', (_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ resource: serverUrl, authorization_servers: [`${origin}/as-reg`] }));
    });
    routes.set('/.well-known/oauth-authorization-server/as-reg', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          issuer: `${origin}/as-reg`,
          authorization_endpoint: `${origin}/authorize`,
          token_endpoint: `${origin}/token`,
          device_authorization_endpoint: `${origin}/device`,
          registration_endpoint: `${origin}/register-huge`,
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
        }),
      );
    });
    routes.set('/register-huge', streamJson('/register-huge', HUGE, 201));
    const err = await d.client
      .startLogin({
        serverUrl,
        kind: 'device',
        wwwAuthenticate: `Bearer resource_metadata="${origin}/prm-reg"`,
      })
      .then(
        () => assert.fail('the login started'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof McptestError);
    assert.equal(err.code, 'response_too_large', err.message);
    assert.match(err.message, /registration answer .* over the 64 KiB limit/);
  });

  test('the daemon is healthy and logged no secret', async () => {
    assert.equal((await d.client.health()).name, 'mcptest-authd');
    const log = await d.flushedLog();
    assert.doesNotMatch(log, /unexpected failure in a route/);
    assert.doesNotMatch(log, /huge-secret-value/);
  });
});

describe('the bounded reader', () => {
  const respond = (body: BodyInit | null, init: ResponseInit = {}) => new Response(body, init);

  test('reads a body within the limit exactly', async () => {
    const bytes = await readBoundedBody(respond('{"a":1}'), 16, 'answer', 'http://x/');
    assert.equal(new TextDecoder().decode(bytes), '{"a":1}');
  });

  test('a body of exactly the limit is read; one byte more is refused', async () => {
    await readBoundedBody(respond('x'.repeat(BODY_LIMITS.token)), BODY_LIMITS.token, 'answer', 'http://x/');
    await assert.rejects(
      readBoundedBody(respond('x'.repeat(BODY_LIMITS.token + 1)), BODY_LIMITS.token, 'answer', 'http://x/'),
      (e: unknown) => e instanceof McptestError && e.code === 'response_too_large',
    );
  });

  test('boundedFetch hands oauth4webapi a copy with status and headers, and no stale encoding', async () => {
    const inner = (async () =>
      new Response('{"ok":true}', {
        status: 400,
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'www-authenticate': 'Bearer',
        },
      })) as typeof fetch;
    const res = await boundedFetch(inner, 1024, 'answer')('http://x/token');
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    assert.equal(res.headers.get('content-encoding'), null);
    assert.deepEqual(await res.json(), { ok: true });
  });
});
