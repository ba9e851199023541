/**
 * Property-based fuzzing of every /v1 route with fast-check: random methods, paths, query
 * strings, headers and bodies (random JSON, near-valid requests with hostile fields, non-JSON).
 * Thousands of cases run against an in-process buildDaemon() through app.inject() (the real
 * daemon code, with a fetch that never leaves the machine), and a smaller batch over the real
 * socket of a real daemon process. The daemon must stay healthy; every error is JSON
 * `{ error: { code, message } }` with a catalogue code; bad input gets a 4xx, and no input ever
 * gets the 500 `internal` answer of an unexpected failure.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { createLogger } from '../../daemon/logger.js';
import { buildDaemon } from '../../daemon/build-daemon.js';
import { TokenStore } from '../../daemon/store/token-store.js';
import { systemClock } from '../../shared/clock.js';
import { ERROR_CATALOGUE } from '../../shared/errors.js';
import { resolvePaths } from '../../shared/paths.js';
import { startTestDaemon } from '../helpers/daemon.js';

const ROUTES = [
  'GET /v1/health',
  'GET /v1/status',
  'GET /v1/metrics',
  'POST /v1/shutdown',
  'POST /v1/token',
  'GET /v1/credentials',
  'PUT /v1/credentials',
  'POST /v1/logout',
  'POST /v1/logins',
  'GET /v1/logins',
  'GET /v1/logins/:id',
  'DELETE /v1/logins/:id',
  'POST /v1/logins/:id/callback',
];

/** Codes a well-formed request may get from a peer that is down (the fuzz fetch refuses all). */
const UPSTREAM_CODES = new Set(['idp_unavailable', 'discovery_failed', 'daemon_unreachable', 'timeout']);

/** Percent-encodes any string, lone surrogates included (as U+FFFD). */
const encodePath = (s: string) => encodeURIComponent(Buffer.from(s, 'utf8').toString('utf8'));

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '../../etc/passwd',
    '%00',
    '%2e%2e%2f',
    '<script>',
    "'; DROP TABLE credentials; --",
    '__proto__',
    'constructor',
    'x'.repeat(5000),
    '\ud800',
    'ftp://x',
    'javascript:alert(1)',
    'file:///etc/passwd',
  ),
);

function urlArb(loopbackOnly: boolean) {
  const good = fc.constantFrom(
    'http://127.0.0.1:1/mcp',
    'http://localhost:1/a/b?x=1#frag',
    'HTTP://127.0.0.1:1/',
    'http://[::1]:1/mcp',
  );
  const bad = fc.oneof(
    hostileString,
    fc.constantFrom(
      'http://',
      'https://',
      'http://example.com/mcp',
      '//127.0.0.1/x',
      'http://127.0.0.1:99999/',
    ),
  );
  return loopbackOnly ? fc.oneof(good, bad) : fc.oneof(good, bad, fc.webUrl());
}

const anyJson = fc.jsonValue({ maxDepth: 4 });

function bodyArb(loopbackOnly: boolean) {
  const url = urlArb(loopbackOnly);
  const maybe = <T>(a: fc.Arbitrary<T>) =>
    fc.option(fc.oneof(a as fc.Arbitrary<unknown>, anyJson), { nil: undefined });
  const clientCredentials = fc.record(
    {
      clientId: maybe(hostileString),
      clientSecret: maybe(hostileString),
      privateKey: maybe(
        // An obviously fake PEM (four bytes of nothing): the shape of a key, no key.
        fc.constantFrom('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', 'nope'),
      ),
      authMethod: maybe(
        fc.constantFrom('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none', 'x'),
      ),
      tokenUrl: maybe(url),
      scope: maybe(hostileString),
      resource: maybe(url),
    },
    { requiredKeys: [] },
  );
  const nearValid = fc.record(
    {
      serverUrl: maybe(url),
      minTtlSeconds: maybe(fc.oneof(fc.integer(), fc.double())),
      rejectedFingerprint: maybe(
        fc.oneof(
          fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 12, maxLength: 12 }),
          hostileString,
        ),
      ),
      clientCredentials: maybe(clientCredentials),
      accessToken: maybe(hostileString),
      refreshToken: maybe(hostileString),
      tokenEndpoint: maybe(url),
      expiresIn: maybe(fc.oneof(fc.integer(), fc.double())),
      kind: maybe(fc.constantFrom('browser', 'device', 'other')),
      all: maybe(fc.boolean()),
      revoke: maybe(fc.boolean()),
      force: maybe(fc.boolean()),
      wwwAuthenticate: maybe(hostileString),
      redirectPort: maybe(fc.integer({ min: -10, max: 70000 })),
      url: maybe(url),
      __proto__: maybe(anyJson),
    },
    { requiredKeys: [] },
  );
  return fc.oneof(
    fc.constant(undefined),
    anyJson.map((v) => JSON.stringify(v)),
    nearValid.map((v) => JSON.stringify(v)),
    fc.string().map((s) => s), // not JSON at all
    fc.constantFrom('{', '{"serverUrl":', 'null', '[]', '"x"', '1e999', '{"a":'.repeat(200)),
  );
}

function requestArb(loopbackOnly: boolean, routes: string[]) {
  return fc.record({
    route: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...routes) },
      { weight: 1, arbitrary: hostileString.map((s) => `GET /v1/${encodePath(s)}`) },
    ),
    method: fc.option(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), {
      nil: undefined,
    }),
    id: fc.oneof(fc.uuid(), hostileString.map(encodePath)),
    query: fc.option(
      fc.dictionary(fc.constantFrom('waitSeconds', 'x', 'id', ''), hostileString, { maxKeys: 3 }),
      { nil: undefined },
    ),
    contentType: fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      'nonsense',
    ),
    body: bodyArb(loopbackOnly),
  });
}

type FuzzRequest = ReturnType<typeof requestArb> extends fc.Arbitrary<infer T> ? T : never;

function toHttp(r: FuzzRequest): { method: string; url: string; body?: string; contentType: string } {
  const [routeMethod, routePath] = r.route.split(' ');
  const method = r.method ?? routeMethod;
  let url = routePath.replace(':id', r.id);
  if (r.query) url += `?${new URLSearchParams(r.query).toString()}`;
  const body = method === 'GET' || method === 'OPTIONS' ? undefined : r.body;
  return { method, url, body, contentType: r.contentType };
}

/** The property: never a 500, and every error is the JSON error shape with a catalogue code. */
function checkAnswer(req: ReturnType<typeof toHttp>, status: number, text: string): void {
  const where = `${req.method} ${req.url} ${String(req.body).slice(0, 200)} -> ${status} ${text.slice(0, 300)}`;
  assert.ok(status >= 200 && status < 600, where);
  if (status < 400) return;
  let parsed: { error?: { code?: unknown; message?: unknown } };
  try {
    parsed = JSON.parse(text);
  } catch {
    assert.fail(`error answer is not JSON: ${where}`);
  }
  const code = parsed.error?.code;
  assert.equal(typeof code, 'string', where);
  assert.equal(typeof parsed.error?.message, 'string', where);
  assert.ok(Object.hasOwn(ERROR_CATALOGUE, code as string), `unknown code: ${where}`);
  assert.notEqual(code, 'internal', `unexpected failure: ${where}`);
  if (status >= 500) assert.ok(UPSTREAM_CODES.has(code as string), `5xx for input: ${where}`);
}

/** fast-check 4 keeps the failing assertion in `cause`; put it in the message so it is seen. */
async function check<T>(arb: fc.Arbitrary<T>, run: (v: T) => Promise<void>, numRuns: number) {
  const seed = Number(process.env.FUZZ_SEED ?? 20261126);
  const result = await fc.check(fc.asyncProperty(arb, run), { numRuns, seed });
  if (result.failed) {
    const cause = result.errorInstance as Error | undefined;
    assert.fail(
      `property failed after ${result.numRuns} runs (seed ${seed}, path ${result.counterexamplePath}): ${cause?.message ?? 'no message'}`,
    );
  }
  return result.numRuns;
}

test('in-process: 5000 random requests over every /v1 route; never a 500, always a JSON error with a catalogue code', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-fuzz-'));
  const paths = resolvePaths({ MCPTEST_HOME: home, MCPTEST_SOCKET: path.join(home, 's.sock') });
  const store = TokenStore.open(paths.dbPath);
  const offlineFetch = (async () => {
    throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
  }) as unknown as typeof fetch;
  const app = buildDaemon({
    store,
    clock: systemClock,
    fetch: offlineFetch,
    paths,
    logger: createLogger({ level: 'silent' }),
    idpTimeoutMs: 200,
  });
  await app.ready();
  let cases = 0;
  try {
    await check(
      requestArb(false, ROUTES),
      async (r) => {
        cases++;
        const req = toHttp(r);
        const res = await app.inject({
          method: req.method as 'GET',
          url: req.url,
          payload: req.body,
          headers: req.body === undefined ? {} : { 'content-type': req.contentType },
        });
        checkAnswer(req, res.statusCode, res.body);
      },
      5000,
    );
    const health = await app.inject({ method: 'GET', url: '/v1/health' });
    assert.equal(health.statusCode, 200);
    assert.equal(store.integrityCheck(), 'ok');
    assert.ok(cases >= 5000);
  } finally {
    await app.close();
    store.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
});

function rawRequest(
  socketPath: string,
  req: ReturnType<typeof toHttp>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request(
      {
        socketPath,
        // A fresh connection each: a kept-alive one the daemon just closed would fail with EPIPE.
        agent: false,
        method: req.method,
        path: req.url,
        headers: req.body === undefined ? {} : { 'content-type': req.contentType },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    r.setTimeout(20_000, () => r.destroy(new Error(`timed out: ${req.method} ${req.url}`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

test('real daemon over the socket: 1000 random requests (plus raw garbage bytes); it stays up and answers each', async () => {
  const d = await startTestDaemon();
  try {
    const socketPath = d.env.MCPTEST_SOCKET as string;
    const routes = ROUTES.filter((r) => r !== 'POST /v1/shutdown');
    await check(
      requestArb(true, routes),
      async (r) => {
        const req = toHttp(r);
        const res = await rawRequest(socketPath, req).catch((err: Error) => {
          throw new Error(
            `no answer to ${req.method} ${req.url} (daemon exit code ${d.process.exitCode}): ${err.message}\n${d.log().slice(-2000)}`,
          );
        });
        checkAnswer(req, res.status, res.text);
      },
      1000,
    );
    // Bytes that are not HTTP at all: the connection is dropped, the daemon lives on.
    const net = await import('node:net');
    for (const garbage of [
      '\u0000\u0001\u0002',
      'GET / HTTP/9.9\r\n\r\n',
      `POST /v1/token HTTP/1.1\r\nContent-Length: -1\r\n\r\n`,
      'x'.repeat(70_000),
    ]) {
      await new Promise<void>((resolve) => {
        const sock = net.connect(socketPath, () => sock.end(garbage));
        sock.on('data', () => undefined);
        sock.on('close', () => resolve());
        sock.on('error', () => resolve());
      });
    }
    assert.equal((await d.client.health()).name, 'mcptest-authd');
    assert.equal(d.process.exitCode, null, 'the daemon process is still running');
    assert.doesNotMatch(d.log(), /unexpected failure in a route/);
  } finally {
    await d.cleanup();
  }
});
