/**
 * The token path of `auth token` and `auth headers` (cli/fast-path.ts, client/one-shot-token.ts):
 * one request to the daemon, no health handshake before it, the daemon's proof and version
 * checked before the answer is used; the usual start when no daemon runs. Real CLI processes,
 * the real daemon on a real socket, the real IdP.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createServer, request } from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseAnswer } from '../../client/one-shot-token.js';
import { HOST_SERVER_URL_VAR, MIN_TTL_SECONDS } from '../../cli/commands/auth/headers.js';
import { TOKEN_FORMATS } from '../../cli/commands/auth/token.js';
import {
  FAST_HEADERS_MIN_TTL,
  FAST_HOST_SERVER_URL_VAR,
  FAST_TOKEN_FORMATS,
  parseTokenVerb,
} from '../../cli/fast-path.js';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { CLIENT_VERSION_HEADER, DAEMON_VERSION_HEADER, PROOF_HEADER } from '../../shared/daemon-identity.js';
import { fingerprint } from '../../shared/fingerprint.js';
import { canonicalServerUrl } from '../../shared/server-url.js';
import { versionTag } from '../../shared/version.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { seedLogin } from '../helpers/seed.js';

const SERVER = 'https://mcp.example.test/mcp';
let idp: Idp;
before(async () => {
  idp = await startIdp();
});
after(async () => {
  await idp.close();
});

/** The IPC requests (method and path) the daemon logged after the line matching `from`. */
function ipcRequestsAfter(log: string, from: RegExp): string[] {
  const lines = log.split('\n');
  const start = lines.findIndex((l) => from.test(l));
  assert.ok(start >= 0, `the log has a line matching ${from}`);
  return lines
    .slice(start + 1)
    .filter((l) => l.includes('"msg":"ipc request"'))
    .map((l) => {
      const entry = JSON.parse(l) as { method: string; url: string };
      return `${entry.method} ${entry.url}`;
    });
}

test('auth token and auth headers ask for the token in one request: no health handshake first', async () => {
  const d = await startTestDaemon();
  try {
    const set = await seedLogin(idp, d.client, SERVER);
    const token = await runCli(['auth', 'token', SERVER], { env: d.env });
    assert.equal(token.code, 0, token.stderr);
    assert.equal(token.stdout, `${set.access_token}\n`);
    const json = await runCli(['auth', 'token', `--url=${SERVER}`, '--format', 'json'], { env: d.env });
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).fingerprint, fingerprint(set.access_token));
    const headers = await runCli(['auth', 'headers'], {
      env: { ...d.env, cleanup: undefined, [HOST_SERVER_URL_VAR]: SERVER },
    });
    assert.equal(headers.code, 0, headers.stderr);
    assert.deepEqual(JSON.parse(headers.stdout), { Authorization: `Bearer ${set.access_token}` });
    const requests = ipcRequestsAfter(await d.flushedLog(), /"url":"\/v1\/credentials".*"msg":"ipc request"/);
    assert.deepEqual(requests, ['POST /v1/token', 'POST /v1/token', 'POST /v1/token']);
  } finally {
    await d.cleanup();
  }
});

test('a refusal of the daemon is reported as the full command reports it', async () => {
  const d = await startTestDaemon();
  try {
    const token = await runCli(['auth', 'token', SERVER], { env: d.env });
    assert.equal(token.code, 3);
    assert.equal(token.stdout, '');
    assert.equal(token.stderr, `error: no login is cached for ${SERVER}\nhint: mcptest login ${SERVER}\n`);
    const headers = await runCli(['auth', 'headers', SERVER], { env: d.env });
    assert.equal(headers.code, 3);
    assert.match(
      headers.stderr,
      /^mcptest auth headers: no login is cached for .*; log in with: mcptest login /,
    );
    assert.equal(headers.stderr.split('\n').length, 2, 'one line');
  } finally {
    await d.cleanup();
  }
});

test('the daemon refuses a token request from a client of another version, before anything else', async () => {
  const d = await startTestDaemon();
  try {
    await seedLogin(idp, d.client, SERVER);
    const answer = await new Promise<{ status: number; body: string; headers: Record<string, unknown> }>(
      (resolve, reject) => {
        const body = JSON.stringify({ serverUrl: SERVER, minTtlSeconds: 0 });
        const req = request(
          {
            socketPath: d.env.MCPTEST_SOCKET,
            path: '/v1/token',
            method: 'POST',
            headers: { 'content-type': 'application/json', [CLIENT_VERSION_HEADER]: '0.0.1-old ipc/1' },
          },
          (res) => {
            let text = '';
            res.on('data', (c) => {
              text += c;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
          },
        );
        req.on('error', reject);
        req.end(body);
      },
    );
    assert.equal(answer.status, 503);
    const error = JSON.parse(answer.body).error;
    assert.equal(error.code, 'daemon_version_mismatch');
    assert.match(error.message, /this client is 0\.0\.1-old ipc\/1/);
    assert.equal(error.details.pid, d.process.pid);
    assert.doesNotMatch(answer.body, /accessToken/);
    assert.equal(answer.headers[DAEMON_VERSION_HEADER], undefined);
  } finally {
    await d.cleanup();
  }
});

test('an answer without the daemon proof is never used, and the request carried nothing secret', async () => {
  const env = isolatedEnv();
  const socketPath = env.MCPTEST_SOCKET as string;
  const home = env.MCPTEST_HOME as string;
  fs.mkdirSync(path.dirname(socketPath), { mode: 0o700 });
  fs.mkdirSync(path.join(home, 'auth'), { mode: 0o700 });
  fs.writeFileSync(path.join(home, 'auth', 'daemon.key'), randomBytes(32), { mode: 0o600 });
  const bodies: unknown[] = [];
  const impostor = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      if (req.url === '/v1/token') bodies.push(JSON.parse(text));
      const answer =
        req.url === '/v1/health'
          ? {
              name: 'mcptest-authd',
              version: '0.1.0',
              api: 2,
              pid: process.pid,
              startedAt: 1,
              managedBy: 'self',
            }
          : {
              accessToken: 'impostor-token-value',
              tokenType: 'Bearer',
              expiresAt: null,
              scope: null,
              fingerprint: 'x',
              source: 'import',
            };
      res.writeHead(200, {
        'content-type': 'application/json',
        [DAEMON_VERSION_HEADER]: versionTag(),
        [PROOF_HEADER]: 'not-a-proof',
      });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => impostor.listen(socketPath, resolve));
  try {
    for (const args of [
      ['auth', 'token', SERVER],
      ['auth', 'headers', SERVER],
    ]) {
      const r = await runCli(args, { env, timeoutMs: 60_000 });
      assert.notEqual(r.code, 0);
      assert.doesNotMatch(r.stdout + r.stderr, /impostor-token-value/);
      assert.match(r.stderr, /could not prove it is your auth daemon/);
    }
    assert.ok(bodies.length >= 1, 'the one-round-trip request was made');
    for (const body of bodies)
      assert.deepEqual(Object.keys(body as object).sort(), ['minTtlSeconds', 'serverUrl']);
  } finally {
    await new Promise((resolve) => impostor.close(resolve));
    fs.rmSync(socketPath, { force: true });
    await env.cleanup();
  }
});

test('with no daemon, parallel auth token processes start one and all get the token', async () => {
  const d = await startTestDaemon();
  const env = d.env;
  let set: Awaited<ReturnType<typeof seedLogin>>;
  try {
    set = await seedLogin(idp, d.client, SERVER);
  } finally {
    await d.stop();
    await d.client.close();
  }
  try {
    assert.ok(!fs.existsSync(env.MCPTEST_SOCKET as string), 'no daemon socket is left');
    const runs = await Promise.all(
      Array.from({ length: 8 }, () => runCli(['auth', 'token', SERVER], { env, timeoutMs: 120_000 })),
    );
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${set.access_token}\n`);
    }
    const log = fs.readFileSync(path.join(env.MCPTEST_HOME as string, 'log', 'authd.log'), 'utf8');
    assert.equal(
      log.match(/"msg":"daemon listening"/g)?.length,
      2,
      'the seeding daemon and one started by the burst',
    );
  } finally {
    await env.cleanup();
  }
});

test('the fast path reads the plain forms of the full commands and leaves every other form to them', () => {
  assert.deepEqual([...FAST_TOKEN_FORMATS], [...TOKEN_FORMATS]);
  assert.equal(FAST_HOST_SERVER_URL_VAR, HOST_SERVER_URL_VAR);
  assert.equal(FAST_HEADERS_MIN_TTL, MIN_TTL_SECONDS);
  const parse = (verb: 'token' | 'headers', args: string[], env: NodeJS.ProcessEnv = {}) =>
    parseTokenVerb(verb, args, env, canonicalServerUrl);
  assert.deepEqual(parse('token', ['HTTPS://MCP.example.test/mcp/']), {
    verb: 'token',
    serverUrl: SERVER,
    minTtlSeconds: 60,
    format: 'raw',
    envVar: 'MCP_TOKEN',
  });
  assert.deepEqual(parse('token', ['--url', SERVER, '--min-ttl=0', '--format', 'env', '--env-var', 'TOK']), {
    verb: 'token',
    serverUrl: SERVER,
    minTtlSeconds: 0,
    format: 'env',
    envVar: 'TOK',
  });
  assert.equal(parse('headers', [], { [HOST_SERVER_URL_VAR]: SERVER })?.serverUrl, SERVER);
  assert.equal(
    parse('headers', [SERVER], { [HOST_SERVER_URL_VAR]: 'https://other.test/mcp' })?.serverUrl,
    SERVER,
  );
  for (const args of [
    [],
    ['--help'],
    [SERVER, '-h'],
    [SERVER, '--json'],
    [SERVER, 'https://other.test/mcp'],
    [SERVER, '--url', 'https://other.test/mcp'],
    [SERVER, '--min-ttl', '-1'],
    [SERVER, '--min-ttl', '1.5'],
    [SERVER, '--format', 'yaml'],
    [SERVER, '--env-var', '1X'],
    [SERVER, '--min-ttl'],
    [SERVER, '--url', SERVER, '--url', SERVER],
    ['ftp://mcp.example.test'],
    ['--', SERVER],
  ]) {
    assert.equal(parse('token', args), null, `auth token ${args.join(' ')} goes to the full CLI`);
  }
  assert.equal(parse('headers', [SERVER, '--format', 'json']), null, 'headers has no --format');
});

test('the answer reader takes only a whole Content-Length answer', () => {
  const body = '{"a":1}';
  assert.deepEqual(parseAnswer(`HTTP/1.1 200 OK\r\nContent-Length: 7\r\nX-A: b\r\n\r\n${body}`), {
    status: 200,
    headers: new Map([
      ['content-length', '7'],
      ['x-a', 'b'],
    ]),
    body,
  });
  assert.equal(parseAnswer(`HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n${body}`), null, 'cut short');
  assert.equal(
    parseAnswer(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n${body}\r\n0\r\n\r\n`),
    null,
  );
  assert.equal(parseAnswer('HTTP/1.1 200 OK\r\nContent-Length: 7\r\n'), null, 'no end of headers');
  assert.equal(parseAnswer(`SSH-2.0-OpenSSH\r\n\r\n${body}`), null);
});
