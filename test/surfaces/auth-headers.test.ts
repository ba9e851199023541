import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { fingerprint } from '../../shared/fingerprint.js';
import { runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { refreshRequests, seedLogin } from '../helpers/seed.js';

let idp: Idp;
let mcp: McpExampleServer;
let d: TestDaemon;
before(async () => {
  idp = await startIdp();
  mcp = await startMcpServer({ issuer: idp.issuer });
  d = await startTestDaemon();
});
after(async () => {
  await d.cleanup();
  await mcp.close();
  await idp.close();
});

/** The bearer token in a headers object, checked for the helper contract's shape. */
function bearerOf(stdout: string): string {
  const headers = JSON.parse(stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(headers), ['Authorization']);
  assert.ok(
    Object.values(headers).every((v) => typeof v === 'string'),
    'every header value is a string',
  );
  const match = /^Bearer (\S+)$/.exec(headers.Authorization as string);
  assert.ok(match, 'the header is a bearer credential');
  return match[1];
}

test('auth headers prints the JSON headers of a cached login, and the MCP server accepts them', async () => {
  await seedLogin(idp, d.client, mcp.url);
  const daemonToken = await d.client.getToken({ serverUrl: mcp.url });
  const run = await runCli(['auth', 'headers', mcp.url], { env: d.env });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
  const token = bearerOf(run.stdout);
  assert.equal(fingerprint(token), daemonToken.fingerprint, "the daemon's current token");
  const byFlag = await runCli(['auth', 'headers', '--url', mcp.url], { env: d.env });
  assert.equal(byFlag.code, 0, byFlag.stderr);
  assert.equal(fingerprint(bearerOf(byFlag.stdout)), daemonToken.fingerprint);

  const res = await fetch(mcp.url, {
    method: 'POST',
    headers: {
      ...(JSON.parse(run.stdout) as Record<string, string>),
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }),
  });
  await res.body?.cancel();
  assert.equal(res.status, 200, 'the server accepts the printed headers');
});

test('auth headers takes the server URL from CLAUDE_CODE_MCP_SERVER_URL when none is given', async () => {
  const serverUrl = 'http://127.0.0.1:1/headers-env';
  await seedLogin(idp, d.client, serverUrl);
  const expected = (await d.client.getToken({ serverUrl })).fingerprint;
  const { cleanup: _cleanup, ...base } = d.env;
  const run = await runCli(['auth', 'headers'], { env: { ...base, CLAUDE_CODE_MCP_SERVER_URL: serverUrl } });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(fingerprint(bearerOf(run.stdout)), expected);
  const none = await runCli(['auth', 'headers'], { env: d.env });
  assert.equal(none.code, 2);
  assert.equal(none.stderr.trim().split('\n').length, 1);
  assert.match(none.stderr, /needs the server URL/);
});

test('auth headers with no usable login: exit 3 at once, one stderr line naming the login command, nothing opened', async () => {
  const marker = path.join(d.env.MCPTEST_HOME as string, 'browser-opened');
  const browser = path.join(d.env.MCPTEST_HOME as string, 'browser.sh');
  fs.writeFileSync(browser, `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o700 });
  const { cleanup: _cleanup, ...base } = d.env;
  const env: NodeJS.ProcessEnv = { ...base, BROWSER: browser, DISPLAY: ':0' };

  const missing = 'http://127.0.0.1:1/headers-none';
  const started = Date.now();
  const run = await runCli(['auth', 'headers', missing], { env, timeoutMs: 30_000 });
  const took = Date.now() - started;
  assert.equal(run.code, 3);
  assert.equal(run.stdout, '');
  assert.equal(run.stderr.split('\n').filter(Boolean).length, 1, `one line: ${run.stderr}`);
  // Not a terminal (the host captures stderr): the login the user can finish anywhere is named.
  assert.match(run.stderr, new RegExp(`log in with: mcptest login --device ${missing}\n$`));
  // A wait on a human would be minutes; inside the host's 10 s is "at once", on a loaded machine too.
  assert.ok(took < 8000, `answered in ${took} ms`);

  const stale = 'http://127.0.0.1:1/headers-stale';
  await seedLogin(idp, d.client, stale);
  const db = new Database(`${d.env.MCPTEST_HOME}/auth/tokens.db`);
  db.prepare("UPDATE credentials SET state = 'needs_login' WHERE server_url = ?").run(stale);
  db.close();
  const refused = await runCli(['auth', 'headers', stale], {
    env: { ...env, SSH_CONNECTION: '10.0.0.1 22 10.0.0.2 50000' },
  });
  assert.equal(refused.code, 3);
  assert.equal(refused.stderr.split('\n').filter(Boolean).length, 1, `one line: ${refused.stderr}`);
  assert.match(refused.stderr, new RegExp(`mcptest login --device ${stale}\n$`));
  assert.ok(!fs.existsSync(marker), 'no browser was opened');
});

test('auth token --format raw|json|env|exec-credential, and --env-var', async () => {
  const serverUrl = 'http://127.0.0.1:1/token-formats';
  await seedLogin(idp, d.client, serverUrl);
  const current = await d.client.getToken({ serverUrl });
  const tokenRun = (...args: string[]) => runCli(['auth', 'token', serverUrl, ...args], { env: d.env });

  const raw = await tokenRun('--format', 'raw');
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(fingerprint(raw.stdout.trim()), current.fingerprint);

  const json = await tokenRun('--format', 'json');
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed).sort(), [
    'expiresAt',
    'expiresAtEpoch',
    'fingerprint',
    'scope',
    'serverUrl',
    'token',
    'tokenType',
  ]);
  assert.equal(fingerprint(parsed.token as string), current.fingerprint);
  assert.equal(parsed.fingerprint, current.fingerprint);
  assert.equal(parsed.serverUrl, serverUrl);
  assert.equal(parsed.scope, current.scope);
  assert.match(parsed.tokenType as string, /^bearer$/i);
  assert.equal(parsed.expiresAt, new Date(current.expiresAt as number).toISOString());
  assert.equal(parsed.expiresAtEpoch, Math.floor((current.expiresAt as number) / 1000));

  const exec = await tokenRun('--format', 'exec-credential');
  assert.equal(exec.code, 0, exec.stderr);
  const credential = JSON.parse(exec.stdout);
  assert.equal(credential.apiVersion, 'client.authentication.k8s.io/v1');
  assert.equal(credential.kind, 'ExecCredential');
  assert.equal(fingerprint(credential.status.token), current.fingerprint);
  assert.equal(credential.status.expirationTimestamp, parsed.expiresAt);

  for (const [args, name] of [
    [['--format', 'env'], 'MCP_TOKEN'],
    [['--format', 'env', '--env-var', 'MY_TOKEN_2'], 'MY_TOKEN_2'],
  ] as const) {
    const env = await tokenRun(...args);
    assert.equal(env.code, 0, env.stderr);
    assert.match(env.stdout, new RegExp(`^export ${name}='[^']+'\n$`));
    const evaluated = execFileSync('sh', ['-c', `eval "$1"; printf %s "$${name}"`, 'sh', env.stdout], {
      encoding: 'utf8',
    });
    assert.equal(fingerprint(evaluated), current.fingerprint, 'eval sets the variable to the token');
  }

  const badName = await tokenRun('--format', 'env', '--env-var', 'X; rm -rf');
  assert.equal(badName.code, 2);
  assert.match(badName.stderr, /--env-var takes a shell variable name/);
  const badFormat = await tokenRun('--format', 'yaml');
  assert.equal(badFormat.code, 2);
  assert.match(badFormat.stderr, /--format takes raw, json, env, exec-credential/);
});

test('32 auth headers processes right after the access token expired: one refresh at the IdP, all 32 served', async () => {
  const serverUrl = 'http://127.0.0.1:1/headers-race';
  const seeded = await seedLogin(idp, d.client, serverUrl);
  const db = new Database(`${d.env.MCPTEST_HOME}/auth/tokens.db`);
  db.prepare('UPDATE credentials SET expires_at = ? WHERE server_url = ?').run(Date.now() - 1000, serverUrl);
  db.close();
  const before = refreshRequests(idp);
  const runs = await Promise.all(
    Array.from({ length: 32 }, () =>
      runCli(['auth', 'headers', serverUrl], { env: d.env, timeoutMs: 60_000 }),
    ),
  );
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const fingerprints = new Set(runs.map((r) => fingerprint(bearerOf(r.stdout))));
  assert.equal(fingerprints.size, 1, 'every process got the same token');
  assert.notEqual([...fingerprints][0], fingerprint(seeded.access_token), 'the token was refreshed');
  assert.equal(refreshRequests(idp) - before, 1, 'exactly one refresh request reached the IdP');
  // The grant is alive: the rotated refresh token refreshes again.
  const again = await d.client.getToken({ serverUrl, rejectedFingerprint: [...fingerprints][0] });
  assert.ok(!fingerprints.has(again.fingerprint));
  assert.equal(refreshRequests(idp) - before, 2);
});
