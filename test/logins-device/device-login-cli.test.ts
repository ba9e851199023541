/**
 * `mcptest login --device` end to end: the real CLI, the real daemon it starts, the real IdP and
 * MCP server from examples/oauth-server, with real (1 s) polling intervals. The poll rate itself
 * is counted on the daemon built in-process with a FakeClock.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { CLI, isolatedEnv, runCli } from '../helpers/cli.js';
import { startInProcessDaemon } from '../helpers/in-process-daemon.js';

type Env = ReturnType<typeof isolatedEnv>;

async function startNoWait(env: Env, url: string) {
  const r = await runCli(['login', '--device', '--url', url, '--no-wait', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const { login } = JSON.parse(r.stdout);
  assert.equal(login.status, 'pending');
  assert.match(login.userCode, /^[A-Z]{4}-[A-Z]{4}$/);
  assert.match(r.stderr, new RegExp(`mcptest login --wait ${login.id}`));
  return login as { id: string; userCode: string; verificationUri: string };
}

/**
 * `mcptest login --device --url URL` in the foreground, as a child process. Resolves once it is
 * waiting for approval, with the code it shows; `done()` resolves with its exit code.
 */
async function foregroundLogin(env: Env, url: string) {
  const child = spawn(process.execPath, [CLI, 'login', '--device', '--url', url], {
    env: Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'cleanup')) as NodeJS.ProcessEnv,
    cwd: env.MCPTEST_HOME,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => {
    out.stdout += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const code = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d) => {
      out.stderr += d;
      const m = /and enter the code: ([A-Z]{4}-[A-Z]{4})/.exec(out.stderr);
      if (m && out.stderr.includes('Waiting for approval')) resolve(m[1]);
    });
    void exited.then((c) => reject(new Error(`login exited (${c}) before waiting: ${out.stderr}`)));
  });
  return { child, code, out, done: () => exited };
}

describe('mcptest login --device (CLI + daemon + IdP)', () => {
  let idp: Idp;
  let mcp: McpExampleServer;
  const envs: Env[] = [];
  const env = () => {
    const e = isolatedEnv();
    envs.push(e);
    return e;
  };

  before(async () => {
    idp = await startIdp({ deviceInterval: 1 });
    mcp = await startMcpServer({ issuer: idp.issuer });
  });
  after(async () => {
    for (const e of envs) await e.cleanup();
    await mcp.close();
    await idp.close();
  });

  test('--no-wait, approve on another device, --wait completes; the token is then used by every command', async () => {
    const e = env();
    const login = await startNoWait(e, mcp.url);

    const status = await runCli(['auth', 'status', '--json'], { env: e });
    assert.equal(status.code, 0, status.stderr);
    const pending = JSON.parse(status.stdout).pendingLogins;
    assert.ok(Array.isArray(pending) && pending.some((l: { id: string }) => l.id === login.id));

    await idp.approveDevice(login.userCode);
    const waited = await runCli(['login', '--wait', login.id], { env: e });
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(
      waited.stdout,
      new RegExp(`^Logged in to ${mcp.url} \\(scopes: [^)]*mcp:read[^)]*, expires `),
    );

    const token = await runCli(['auth', 'token', '--url', mcp.url], { env: e });
    assert.equal(token.code, 0, token.stderr);
    const value = token.stdout.trim();
    assert.ok(value.length > 20, 'a token is printed');
    // The token works against the real MCP server (never printed by this test).
    const res = await fetch(mcp.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${value}`,
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
    assert.equal(res.status, 200);
    await res.body?.cancel();

    const status2 = await runCli(['auth', 'status'], { env: e });
    assert.match(status2.stdout, /device/);
    assert.ok(
      !status2.stdout.includes(value) && !waited.stdout.includes(value) && !waited.stderr.includes(value),
    );
  });

  test('waiting in the foreground prints the code block and ends when approved', async () => {
    const e = env();
    const login = await foregroundLogin(e, mcp.url);
    assert.match(
      login.out.stderr,
      /To sign in, open this URL on any device:\n {2}http:\/\/127\.0\.0\.1:\d+\/device\nand enter the code: /,
    );
    assert.match(login.out.stderr, /Waiting for approval of code /);
    await idp.approveDevice(login.code);
    assert.equal(await login.done(), 0, login.out.stderr);
    assert.match(login.out.stdout, /Logged in to /);
  });

  test('the daemon killed (-9) while the CLI waits: the CLI starts it again and the login completes', async () => {
    const e = env();
    const login = await foregroundLogin(e, mcp.url);
    const status = await runCli(['daemon', 'status', '--json'], { env: e });
    const { pid } = JSON.parse(status.stdout);
    process.kill(pid, 'SIGKILL');
    await idp.approveDevice(login.code);
    assert.equal(await login.done(), 0, login.out.stderr);
    assert.match(login.out.stderr, /The auth daemon stopped; starting it again and resuming the wait/);
    assert.match(login.out.stdout, /Logged in to /);
    const after = await runCli(['daemon', 'status', '--json'], { env: e });
    assert.notEqual(JSON.parse(after.stdout).pid, pid, 'a new daemon serves the login');
    const token = await runCli(['auth', 'token', '--url', mcp.url], { env: e });
    assert.equal(token.code, 0, token.stderr);
  });

  test('Ctrl-C while waiting cancels the login in the daemon and exits 130', async () => {
    const e = env();
    const login = await foregroundLogin(e, mcp.url);
    login.child.kill('SIGINT');
    assert.equal(await login.done(), 130, login.out.stderr);
    assert.match(login.out.stderr, /cancelled/);
    const list = await runCli(['auth', 'status', '--json'], { env: e });
    assert.deepEqual(JSON.parse(list.stdout).pendingLogins, []);
  });

  test('asked again while a code is pending: the same code; --force starts a new one', async () => {
    const e = env();
    const first = await startNoWait(e, mcp.url);
    const deviceAuths = () => idp.requests.filter((r) => r.path === '/device/auth').length;
    const before = deviceAuths();
    const again = await startNoWait(e, mcp.url);
    assert.equal(again.id, first.id);
    assert.equal(again.userCode, first.userCode);
    assert.equal(deviceAuths(), before, 'no second device authorization request');
    const forced = await runCli(['login', '--device', '--url', mcp.url, '--no-wait', '--json', '--force'], {
      env: e,
    });
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual(JSON.parse(forced.stdout).login.id, first.id);
    assert.equal(deviceAuths(), before + 1);
  });

  test('denial ends with login_denied (exit 3)', async () => {
    const e = env();
    const login = await startNoWait(e, mcp.url);
    await idp.approveDevice(login.userCode, { deny: true });
    const waited = await runCli(['login', '--wait', login.id], { env: e });
    assert.equal(waited.code, 3, waited.stderr);
    assert.match(waited.stderr, /error: the device login for .* was denied/);
    assert.match(waited.stderr, new RegExp(`hint: mcptest login --device --url ${mcp.url}`));
  });

  test('a daemon restart in the middle of polling still completes the login', async () => {
    const e = env();
    const login = await startNoWait(e, mcp.url);
    const stop = await runCli(['daemon', 'stop'], { env: e });
    assert.equal(stop.code, 0, stop.stderr);
    await idp.approveDevice(login.userCode);
    // The next command starts a fresh daemon, which resumes polling from the store.
    const waited = await runCli(['login', '--wait', login.id, '--json'], { env: e });
    assert.equal(waited.code, 0, waited.stderr);
    const out = JSON.parse(waited.stdout);
    assert.equal(out.login.status, 'complete');
    assert.equal(out.credential.source, 'device');
    assert.equal(out.credential.refreshable, true);
  });
});

describe('mcptest login --device: expiry and unsupported servers', () => {
  const envs: Env[] = [];
  after(async () => {
    for (const e of envs) await e.cleanup();
  });

  test('an unapproved code expires with a message to re-run', async () => {
    const idp = await startIdp({ deviceCodeTtl: 3, deviceInterval: 1 });
    const mcp = await startMcpServer({ issuer: idp.issuer });
    const e = isolatedEnv();
    envs.push(e);
    try {
      const r = await runCli(['login', '--device', '--url', mcp.url], { env: e, timeoutMs: 30_000 });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /expired.*re-run the command for a fresh code/);
      assert.match(r.stderr, new RegExp(`hint: mcptest login --device --url ${mcp.url}`));
    } finally {
      await mcp.close();
      await idp.close();
    }
  });

  test('an IdP asking for a poll every 10 ms is polled at most once a second', async () => {
    const idp = await startIdp({ deviceInterval: 0.01 });
    const mcp = await startMcpServer({ issuer: idp.issuer });
    const e = isolatedEnv();
    envs.push(e);
    try {
      // The CLI, on the real daemon it starts: the interval it reports.
      try {
        const started = await runCli(['login', '--device', '--url', mcp.url, '--no-wait', '--json'], {
          env: e,
        });
        assert.equal(started.code, 0, started.stderr);
        const { login } = JSON.parse(started.stdout);
        assert.equal(login.intervalSeconds, 1);
      } finally {
        await runCli(['daemon', 'stop'], { env: e });
      }
      // The polling, on the daemon built in-process with a FakeClock: 3 s of its time pass
      // without sleeping, each poll timer firing at its time and its answer awaited.
      const d = await startInProcessDaemon();
      try {
        const seen = idp.requests.length;
        const login = await d.client.startLogin({ serverUrl: mcp.url, kind: 'device' });
        assert.equal(login.intervalSeconds, 1);
        const pollArmedAgain = async () => {
          // The login's expiry timer and the next poll's.
          const deadline = Date.now() + 30_000;
          while (d.clock.pending().length < 2 && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 5));
          }
        };
        const t0 = d.clock.now();
        await d.clock.elapse(3_000, pollArmedAgain);
        const polls = idp.requests
          .slice(seen)
          .filter((r) => r.grantType === 'urn:ietf:params:oauth:grant-type:device_code');
        const seconds = (d.clock.now() - t0) / 1000;
        assert.ok(polls.length >= 1, 'the daemon polls');
        assert.ok(polls.length <= Math.ceil(seconds) + 1, `${polls.length} polls in ${seconds.toFixed(1)} s`);
        assert.equal(polls.length, 3, 'one poll a second, at each second');
      } finally {
        await d.cleanup();
      }
    } finally {
      await mcp.close();
      await idp.close();
    }
  });

  test('an authorization server without a device endpoint: device_unsupported, suggests --no-browser', async () => {
    // PRM and AS metadata of a server whose AS offers only the authorization code flow.
    let origin = '';
    const server: Server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/.well-known/oauth-protected-resource')) {
        res.end(JSON.stringify({ resource: `${origin}/mcp`, authorization_servers: [origin] }));
      } else if (req.url === '/.well-known/oauth-authorization-server') {
        res.end(
          JSON.stringify({
            issuer: origin,
            authorization_endpoint: `${origin}/authorize`,
            token_endpoint: `${origin}/token`,
            registration_endpoint: `${origin}/reg`,
            response_types_supported: ['code'],
            code_challenge_methods_supported: ['S256'],
          }),
        );
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const e = isolatedEnv();
    envs.push(e);
    try {
      const r = await runCli(['login', '--device', '--url', `${origin}/mcp`], { env: e });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /does not offer the device authorization grant/);
      assert.match(r.stderr, new RegExp(`hint: mcptest login --no-browser ${origin}/mcp`));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test('login without a URL is a usage error with an example', async () => {
    const e = isolatedEnv();
    envs.push(e);
    const r = await runCli(['login', '--device'], { env: e });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /hint: mcptest login --device --url https:\/\//);
  });
});
