/**
 * Hostile peers: a tiny node:http server on 127.0.0.1 plays a broken or malicious authorization
 * server and MCP server. Malformed token responses (driven through the real daemon's
 * client-credentials path), malformed protected-resource and authorization-server metadata
 * (through a real daemon login start), and a corpus of malformed WWW-Authenticate headers
 * (through the real CLI, `mcptest tools --url`). Each must end in a clear McptestError with a
 * catalogue code (never `internal`, never a crash or a stack trace) and leave the daemon healthy.
 * The refresh refused for a `mac` token runs on the daemon built in-process with a FakeClock, so
 * that time can pass beyond the first backoff step without sleeping.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ERROR_CATALOGUE, McptestError } from '../../shared/errors.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startInProcessDaemon } from '../helpers/in-process-daemon.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

class FakePeer {
  readonly routes = new Map<string, Handler>();
  readonly log: Array<{ path: string; authorization?: string }> = [];
  private server!: Server;
  origin = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const p = new URL(req.url ?? '/', 'http://x').pathname;
      this.log.push({ path: p, authorization: req.headers.authorization });
      req.resume();
      const handler = this.routes.get(p);
      if (handler) handler(req, res);
      else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  body(p: string, status: number, body: string | Buffer, type = 'application/json'): void {
    this.routes.set(p, (_req, res) => {
      res.writeHead(status, { 'content-type': type }).end(body);
    });
  }

  json(p: string, value: unknown, status = 200): void {
    this.body(p, status, JSON.stringify(value));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const HTML = '<!doctype html><html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>';
const HUGE = JSON.stringify({ padding: 'x'.repeat(3 * 1024 * 1024) });

let peer: FakePeer;
let d: TestDaemon;
before(async () => {
  peer = new FakePeer();
  await peer.start();
  d = await startTestDaemon({
    env: isolatedEnv({ MCPTEST_IDP_TIMEOUT_MS: '3000', MCP_TOKEN: 'hostile-test-token-value' }),
  });
});
after(async () => {
  await d?.cleanup();
  await peer?.close();
});

/** The error contract: an McptestError with a catalogue code other than `internal`. */
function assertClearError(err: unknown, label: string): McptestError {
  assert.ok(err instanceof McptestError, `${label}: an McptestError (got ${String(err)})`);
  assert.ok(Object.hasOwn(ERROR_CATALOGUE, err.code), `${label}: catalogue code ${err.code}`);
  assert.notEqual(err.code, 'internal', `${label}: ${err.message}`);
  assert.ok(err.message.length > 10, `${label}: a message`);
  assert.doesNotMatch(err.message, /\n\s+at /, `${label}: no stack trace`);
  return err;
}

describe('malformed token endpoint responses (client credentials through the daemon)', () => {
  const cases: Array<[string, (p: string) => void, RegExp?]> = [
    ['non-JSON 200', (p) => peer.body(p, 200, 'access_token=abc&token_type=bearer', 'text/plain')],
    ['JSON array', (p) => peer.json(p, [1, 2, 3])],
    ['missing access_token', (p) => peer.json(p, { token_type: 'bearer', expires_in: 60 })],
    ['access_token of the wrong type', (p) => peer.json(p, { access_token: 42, token_type: 'bearer' })],
    [
      'wrong token_type',
      (p) => peer.json(p, { access_token: 'abc', token_type: 'mac', expires_in: 60 }),
      /a token of type "mac"; mcptest can only present Bearer tokens/,
    ],
    [
      'negative expires_in',
      (p) => peer.json(p, { access_token: 'abc', token_type: 'bearer', expires_in: -60 }),
    ],
    [
      'expires_in as a string',
      (p) => peer.json(p, { access_token: 'abc', token_type: 'bearer', expires_in: 'soon' }),
    ],
    ['HTML error page with 502', (p) => peer.body(p, 502, HTML, 'text/html'), /502/],
    ['HTML error page with 400', (p) => peer.body(p, 400, HTML, 'text/html'), /400/],
    ['HTML with 200', (p) => peer.body(p, 200, HTML, 'text/html')],
    ['OAuth error with a numeric code', (p) => peer.json(p, { error: 123 }, 400)],
    [
      'invalid_client',
      (p) => peer.json(p, { error: 'invalid_client', error_description: 'bad secret' }, 401),
      /invalid_client/,
    ],
    ['huge body (3 MB)', (p) => peer.body(p, 200, HUGE)],
    ['empty body', (p) => peer.body(p, 200, '')],
  ];
  cases.forEach(([label, serve, pattern], i) => {
    test(label, async () => {
      const tokenPath = `/token-${i}`;
      serve(tokenPath);
      const tokenUrl = `${peer.origin}${tokenPath}`;
      let caught: unknown;
      const got = await d.client
        .getToken({
          serverUrl: `http://127.0.0.1:1/cc-${i}`,
          clientCredentials: { clientId: `client-${i}`, clientSecret: 'hostile-secret-value', tokenUrl },
        })
        .catch((err) => {
          caught = err;
          return undefined;
        });
      assert.equal(got, undefined, `${label}: no token was handed out`);
      const err = assertClearError(caught, label);
      assert.ok(err.message.includes(tokenUrl), `${label}: names the endpoint: ${err.message}`);
      if (pattern) assert.match(err.message, pattern);
      assert.doesNotMatch(err.message, /hostile-secret-value/);
    });
  });

  test('a redirect from the token endpoint is not followed, and the secret goes nowhere else', async () => {
    peer.routes.set('/token-redirect', (_req, res) => {
      res.writeHead(307, { location: `${peer.origin}/elsewhere` }).end();
    });
    const before = peer.log.length;
    await d.client
      .getToken({
        serverUrl: 'http://127.0.0.1:1/cc-redirect',
        clientCredentials: {
          clientId: 'client-redirect',
          clientSecret: 'hostile-secret-value',
          tokenUrl: `${peer.origin}/token-redirect`,
        },
      })
      .then(
        () => assert.fail('a redirect must not yield a token'),
        (err) => assertClearError(err, 'redirect'),
      );
    assert.deepEqual(
      peer.log.slice(before).map((r) => r.path),
      ['/token-redirect'],
      'the redirect target was never requested',
    );
  });
});

describe('a token of a type mcptest cannot present', () => {
  test('client credentials: `mac` and `dpop` are permanent errors naming the type, not "unreachable"', async () => {
    for (const type of ['mac', 'DPoP']) {
      const tokenPath = `/token-type-${type}`;
      peer.json(tokenPath, { access_token: 'hostile-test-token-value', token_type: type, expires_in: 60 });
      const err = await d.client
        .getToken({
          serverUrl: `http://127.0.0.1:1/cc-type-${type}`,
          clientCredentials: {
            clientId: 'client-type',
            clientSecret: 'hostile-secret-value',
            tokenUrl: `${peer.origin}${tokenPath}`,
          },
        })
        .then(
          () => assert.fail(`a ${type} token was handed out`),
          (e: unknown) => assertClearError(e, type),
        );
      assert.equal(err.code, 'unsupported_token_type', err.message);
      assert.match(err.message, new RegExp(`of type "${type}"`, 'i'));
      assert.doesNotMatch(err.message, /unreachable|hostile-test-token-value/);
      assert.equal(err.details?.transient, false);
    }
  });

  test('refresh: a `mac` answer ends the login, and the refresh token is not presented again', async () => {
    const serverUrl = `${peer.origin}/mcp-mac`;
    const tokenPath = '/token-mac-refresh';
    peer.json(tokenPath, {
      access_token: 'hostile-test-token-value',
      token_type: 'mac',
      refresh_token: 'hostile-rotated-refresh-value',
      expires_in: 60,
    });
    // The daemon built in-process on a FakeClock: time passes without sleeping.
    const ip = await startInProcessDaemon({ idpTimeoutMs: 3000 });
    try {
      await ip.client.importCredential({
        serverUrl,
        accessToken: 'hostile-expired-access-value',
        refreshToken: 'hostile-refresh-value',
        expiresIn: 0,
        tokenEndpoint: `${peer.origin}${tokenPath}`,
        issuer: peer.origin,
        clientId: 'client-mac',
        authMethod: 'none',
        resource: serverUrl,
      });
      const refreshes = () => peer.log.filter((r) => r.path === tokenPath).length;
      // As on a real clock, a moment passes between the import and the first call.
      await ip.elapse(10);
      const first = await ip.client.getToken({ serverUrl }).then(
        () => assert.fail('a mac token was handed out'),
        (e: unknown) => assertClearError(e, 'refresh mac'),
      );
      assert.equal(first.code, 'needs_login', first.message);
      assert.match(first.message, /"mac"/);
      assert.match(first.message, /not presented again/);
      assert.equal(refreshes(), 1);
      // Past the first backoff step (1 s): a transient failure would be retried by now.
      await ip.elapse(1_600);
      const second = await ip.client.getToken({ serverUrl }).then(
        () => assert.fail('a token was handed out'),
        (e: unknown) => assertClearError(e, 'refresh mac again'),
      );
      assert.equal(second.code, 'needs_login');
      assert.match(second.hint ?? '', /mcptest login/);
      assert.equal(refreshes(), 1, 'the refresh token was presented once');
      assert.equal(await ip.elapse(3_600_000), 0, 'and no timer presents it later');
      assert.equal(refreshes(), 1);
    } finally {
      await ip.cleanup();
    }
  });
});

describe('device verification URIs the human may not be sent to (login start through the daemon)', () => {
  const good = 'https://idp.example.com/activate';
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'javascript:',
      { verification_uri: 'javascript:alert(document.cookie)' },
      /"javascript:alert\(document\.cookie\)"/,
    ],
    ['file:', { verification_uri: 'file:///etc/passwd' }, /not an https URL/],
    ['plain http off loopback', { verification_uri: 'http://idp.example.com/activate' }, /not an https URL/],
    [
      'terminal escapes',
      { verification_uri: 'https://idp.example.com/\u001b]52;c;ZWNobyBoaQ==\u0007' },
      /"https:\/\/idp\.example\.com\/\\x1b\]52;c;ZWNobyBoaQ==\\x07"/,
    ],
    [
      'a user name that looks like a host',
      { verification_uri: 'https://idp.example.com@evil.example/' },
      /user name/,
    ],
    [
      'a bad verification_uri_complete beside a good verification_uri',
      { verification_uri: good, verification_uri_complete: 'javascript:alert(1)' },
      /verification_uri_complete "javascript:alert\(1\)"/,
    ],
  ];
  cases.forEach(([label, answer, shown], n) => {
    test(`${label}: refused, no login started`, async () => {
      const i = 300 + n;
      const serverUrl = `${peer.origin}/mcp-${i}`;
      const issuer = `${peer.origin}/as-${i}`;
      peer.json(`/prm-${i}`, { resource: serverUrl, authorization_servers: [issuer] });
      peer.json(`/.well-known/oauth-authorization-server/as-${i}`, {
        issuer,
        authorization_endpoint: `${peer.origin}/authorize`,
        token_endpoint: `${peer.origin}/token-device-${i}`,
        device_authorization_endpoint: `${peer.origin}/device-${i}`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
      peer.body(
        `/device-${i}`,
        200,
        JSON.stringify({
          device_code: `hostile-device-code-${i}`,
          user_code: 'WDJB-MJHT',
          expires_in: 600,
          interval: 5,
          ...answer,
        }),
      );
      const before = (await d.client.listLogins()).length;
      const err = await d.client
        .startLogin({
          serverUrl,
          kind: 'device',
          clientId: `device-client-${i}`,
          wwwAuthenticate: `Bearer resource_metadata="${peer.origin}/prm-${i}"`,
        })
        .then(
          (info) => assert.fail(`${label}: login started (${info.status})`),
          (e: unknown) => assertClearError(e, label),
        );
      assert.equal(err.code, 'peer_url_refused', err.message);
      assert.match(err.message, shown);
      assert.match(err.message, new RegExp(`the authorization server ${issuer} answered`));
      assert.match(err.message, /the login was not started/);
      assert.doesNotMatch(err.message, /[\u0000-\u001f\u007f-\u009f]/, 'no raw control characters');
      assert.match(err.hint ?? '', new RegExp(`mcptest login --no-browser ${serverUrl}`));
      assert.equal((await d.client.listLogins()).length, before, 'no pending login');
      assert.ok(!peer.log.some((r) => r.path === `/token-device-${i}`), 'never polled');
    });
  });
});

describe('malformed metadata documents (login start through the daemon)', () => {
  const asMeta = (issuer: string, extra: Record<string, unknown> = {}) => ({
    issuer,
    authorization_endpoint: `${peer.origin}/authorize`,
    token_endpoint: `${peer.origin}/token`,
    device_authorization_endpoint: `${peer.origin}/device`,
    registration_endpoint: `${peer.origin}/register`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    grant_types_supported: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
    ...extra,
  });
  /** PRM at /prm-i pointing at an AS at /as-i, whose RFC 8414 document `as` serves. */
  const prmCases: Array<[string, (i: number, resource: string) => void]> = [
    ['PRM not JSON', (i) => peer.body(`/prm-${i}`, 200, 'hello', 'text/plain')],
    ['PRM an HTML error page', (i) => peer.body(`/prm-${i}`, 500, HTML, 'text/html')],
    ['PRM a JSON array', (i) => peer.json(`/prm-${i}`, [])],
    ['PRM missing authorization_servers', (i, resource) => peer.json(`/prm-${i}`, { resource })],
    [
      'PRM authorization_servers of the wrong type',
      (i, resource) => peer.json(`/prm-${i}`, { resource, authorization_servers: 'http://127.0.0.1:1' }),
    ],
    [
      'PRM empty authorization_servers',
      (i, resource) => peer.json(`/prm-${i}`, { resource, authorization_servers: [] }),
    ],
    [
      'PRM naming another resource',
      (i) =>
        peer.json(`/prm-${i}`, {
          resource: 'http://127.0.0.1:9/other',
          authorization_servers: [`${peer.origin}/as-${i}`],
        }),
    ],
    [
      'PRM pointing at a plain-http non-loopback AS',
      (i, resource) => peer.json(`/prm-${i}`, { resource, authorization_servers: ['http://as.example.com'] }),
    ],
    ['PRM huge (3 MB)', (i) => peer.body(`/prm-${i}`, 200, HUGE)],
  ];
  const asCases: Array<[string, (i: number, issuer: string) => void]> = [
    [
      'AS metadata not JSON',
      (i) => peer.body(`/.well-known/oauth-authorization-server/as-${i}`, 200, '<xml/>', 'application/xml'),
    ],
    [
      'AS metadata naming another issuer',
      (i) => peer.json(`/.well-known/oauth-authorization-server/as-${i}`, asMeta('https://evil.example.com')),
    ],
    [
      'AS metadata missing token_endpoint',
      (i, issuer) => {
        const { token_endpoint: _t, ...rest } = asMeta(issuer);
        peer.json(`/.well-known/oauth-authorization-server/as-${i}`, rest);
      },
    ],
    [
      'AS metadata with token_endpoint of the wrong type',
      (i, issuer) =>
        peer.json(`/.well-known/oauth-authorization-server/as-${i}`, asMeta(issuer, { token_endpoint: 42 })),
    ],
    [
      'AS metadata without device_authorization_endpoint',
      (i, issuer) =>
        peer.json(
          `/.well-known/oauth-authorization-server/as-${i}`,
          asMeta(issuer, { device_authorization_endpoint: undefined }),
        ),
    ],
    [
      'AS metadata huge (3 MB)',
      (i) => peer.body(`/.well-known/oauth-authorization-server/as-${i}`, 200, HUGE),
    ],
  ];
  const all = [
    ...prmCases.map(([label, serve]) => [label, 'prm', serve] as const),
    ...asCases.map(([label, serve]) => [label, 'as', serve] as const),
  ];
  all.forEach(([label, kind, serve], n) => {
    test(label, async () => {
      const i = 100 + n;
      const serverUrl = `${peer.origin}/mcp-${i}`;
      const issuer = `${peer.origin}/as-${i}`;
      if (kind === 'prm') (serve as (i: number, r: string) => void)(i, serverUrl);
      else {
        peer.json(`/prm-${i}`, { resource: serverUrl, authorization_servers: [issuer] });
        (serve as (i: number, s: string) => void)(i, issuer);
      }
      let caught: unknown;
      await d.client
        .startLogin({
          serverUrl,
          kind: 'device',
          wwwAuthenticate: `Bearer resource_metadata="${peer.origin}/prm-${i}"`,
        })
        .then(
          (info) => assert.fail(`${label}: login started anyway (${info.status})`),
          (err) => {
            caught = err;
          },
        );
      assertClearError(caught, label);
    });
  });

  test('the daemon is healthy after every hostile peer', async () => {
    assert.equal((await d.client.health()).name, 'mcptest-authd');
    const log = await d.flushedLog();
    assert.doesNotMatch(log, /unexpected failure in a route/);
    assert.doesNotMatch(
      log,
      /hostile-secret-value|hostile-test-token-value|hostile-[a-z-]*refresh-value|hostile-device-code/,
    );
  });
});

describe('malformed WWW-Authenticate headers (the real CLI against a server answering 401)', () => {
  const corpus = [
    '',
    ' ',
    ',,,,',
    'Bearer',
    'Bearer ',
    'Bearer realm=',
    'Bearer realm="unterminated',
    'Bearer realm="a\\"b", scope="mcp:read',
    'Bearer ===',
    'Bearer realm="mcp",,,, , scope=',
    'Bearer resource_metadata="not a url"',
    'Bearer resource_metadata="javascript:alert(1)"',
    'Bearer error="invalid_token", error_description="\u0000\u0007"',
    'Basic',
    'Basic realm="x", Bearer',
    'Negotiate YII=',
    '\u00ff\u00fe garbage \u00e9',
    `Bearer realm="${'r'.repeat(8_000)}"`,
    'Bearer a=b=c=d, "quoted-name"="v"',
    'bearer SCOPE="MCP:READ"',
  ];
  test(`${corpus.length} headers: each a clear auth message with exit 3, never a crash`, async () => {
    const cases = corpus.map((header, i) => ({ header, i }));
    for (const { header, i } of cases) {
      peer.routes.set(`/www-${i}`, (_req, res) => {
        res.setHeader('content-type', 'application/json');
        if (header !== '') res.setHeader('www-authenticate', header.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?'));
        res.writeHead(401).end('{"error":"unauthorized"}');
      });
    }
    // A few at a time: each is a real CLI process.
    for (let start = 0; start < cases.length; start += 5) {
      const batch = cases.slice(start, start + 5);
      const runs = await Promise.all(
        batch.map(({ i }) =>
          runCli(['tools', '--url', `${peer.origin}/www-${i}`, '--bearer-token-env', 'MCP_TOKEN'], {
            env: d.env,
          }),
        ),
      );
      runs.forEach((run, k) => {
        const label = JSON.stringify(batch[k].header.slice(0, 60));
        assert.equal(run.code, 3, `${label}: exit 3 (auth); stderr: ${run.stderr}`);
        assert.match(run.stderr, /auth failed: HTTP 401 from http:\/\/127\.0\.0\.1:\d+\/www-\d+/, label);
        assert.match(run.stderr, /Diagnose with: mcptest doctor --url /, label);
        assert.doesNotMatch(run.stderr, /\n\s+at |TypeError|RangeError|SyntaxError/, `${label}: no crash`);
        assert.doesNotMatch(run.stderr + run.stdout, /hostile-test-token-value/);
        assert.ok(run.stderr.length < 5000, `${label}: a bounded message (${run.stderr.length} chars)`);
      });
    }
  });

  test('a header over the HTTP client limit (20 KB) is a clear connection error, not a crash', async () => {
    peer.routes.set('/www-huge', (_req, res) => {
      res.setHeader('www-authenticate', `Bearer realm="${'r'.repeat(20_000)}"`);
      res.writeHead(401).end();
    });
    const run = await runCli(
      ['tools', '--url', `${peer.origin}/www-huge`, '--bearer-token-env', 'MCP_TOKEN'],
      {
        env: d.env,
      },
    );
    assert.equal(run.code, 1);
    assert.match(run.stderr, /UND_ERR_HEADERS_OVERFLOW/);
    assert.match(run.stderr, /hint: mcptest doctor --url /);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });
});
