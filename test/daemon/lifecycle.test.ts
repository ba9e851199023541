import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { DaemonClient } from '../../client/daemon-client.js';
import { ensureDaemon } from '../../client/ensure-daemon.js';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { McptestError } from '../../shared/errors.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { seedLogin } from '../helpers/seed.js';

let idp: Idp;
before(async () => {
  idp = await startIdp();
});
after(async () => {
  await idp.close();
});

test('socket 0600 in a 0700 folder; database 0600', async () => {
  const d = await startTestDaemon();
  try {
    const sock = d.env.MCPTEST_SOCKET as string;
    assert.ok(fs.statSync(sock).isSocket());
    assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
    assert.equal(fs.statSync(`${d.env.MCPTEST_HOME}/run`).mode & 0o777, 0o700);
    assert.equal(fs.statSync(`${d.env.MCPTEST_HOME}/auth/tokens.db`).mode & 0o777, 0o600);
    assert.equal(fs.statSync(`${d.env.MCPTEST_HOME}/auth`).mode & 0o777, 0o700);
  } finally {
    await d.cleanup();
  }
});

test('a socket in a shared folder with other files is refused; the hint moves the socket, never chmods the folder', async () => {
  const env = isolatedEnv();
  try {
    const shared = `${env.MCPTEST_HOME}/shared`;
    fs.mkdirSync(shared, { mode: 0o755 });
    fs.chmodSync(shared, 0o755);
    fs.writeFileSync(`${shared}/notes.txt`, 'not ours');
    env.MCPTEST_SOCKET = `${shared}/s.sock`;
    const run = await runCli(['auth', 'status'], { env });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /is open to other users \(mode 755\)/);
    assert.match(run.stderr, /hint: give mcptest a folder of its own .*export MCPTEST_SOCKET=/);
    assert.doesNotMatch(run.stderr, /chmod 700/);
  } finally {
    await env.cleanup();
  }
});

test('a socket folder open to others is refused with a chmod hint', async () => {
  const env = isolatedEnv();
  try {
    fs.mkdirSync(`${env.MCPTEST_HOME}/run`, { mode: 0o777 });
    fs.chmodSync(`${env.MCPTEST_HOME}/run`, 0o777);
    const run = await runCli(['auth', 'status'], { env });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /is open to other users \(mode 777\)/);
    assert.match(run.stderr, /hint: chmod 700 /);
  } finally {
    await env.cleanup();
  }
});

test('a socket folder owned by another user is refused', async () => {
  const env = isolatedEnv();
  try {
    fs.mkdirSync(`${env.MCPTEST_HOME}/run`, { mode: 0o700 });
    fs.chownSync(`${env.MCPTEST_HOME}/run`, 65534, 65534);
    const run = await runCli(['daemon', 'run'], { env });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /is owned by uid 65534, not by you/);
  } finally {
    await env.cleanup();
  }
});

test('a socket path over the Unix limit is refused with a hint', async () => {
  const env = isolatedEnv({ MCPTEST_SOCKET: `/tmp/${'x'.repeat(120)}/authd.sock` });
  try {
    const run = await runCli(['auth', 'status'], { env });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /socket path is \d+ bytes, over the 107-byte limit/);
    // A folder of the user's own, never a shared one another user could create first.
    assert.match(
      run.stderr,
      /hint: use a short folder of your own: mkdir -m 700 -p ~\/\.mcptest-run && export MCPTEST_SOCKET=/,
    );
    assert.doesNotMatch(run.stderr.split('\n').find((l) => l.startsWith('hint:')) ?? '', /\/tmp\//);
  } finally {
    await env.cleanup();
  }
});

test('MCPTEST_HOME naming a file is refused with the file named and a hint, by the CLI and the daemon', async () => {
  const env = isolatedEnv();
  try {
    const file = `${env.MCPTEST_HOME}/not-a-folder`;
    fs.writeFileSync(file, 'x');
    const { cleanup: _c, ...base } = env;
    for (const args of [
      ['auth', 'status'],
      ['daemon', 'run'],
    ]) {
      const run = await runCli(args, {
        env: { ...base, MCPTEST_HOME: file, MCPTEST_SOCKET: '' },
        cwd: base.HOME as string,
      });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, new RegExp(`error: cannot create .*: ${file} is a file, not a folder`));
      assert.match(run.stderr, /hint: set MCPTEST_HOME/);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), 'x', 'the file is left as it was');
  } finally {
    await env.cleanup();
  }
});

test('one daemon per store: a client on another socket path uses the daemon serving its MCPTEST_HOME', async () => {
  const d = await startTestDaemon();
  try {
    const { cleanup: _c, ...base } = d.env;
    // A cron job or container shell resolves another socket (no XDG_RUNTIME_DIR, say).
    const other = `${d.env.MCPTEST_HOME}/run2/authd.sock`;
    const env: NodeJS.ProcessEnv = { ...base, MCPTEST_SOCKET: other };
    await d.client.importCredential({ serverUrl: 'http://127.0.0.1:1/shared', accessToken: 'q'.repeat(40) });
    const run = await runCli(['auth', 'status', '--json'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      JSON.parse(run.stdout).credentials.map((c: { serverUrl: string }) => c.serverUrl),
      ['http://127.0.0.1:1/shared'],
    );
    assert.ok(!fs.existsSync(other), 'no second daemon listens on the other socket');
    const status = await runCli(['daemon', 'status', '--json'], { env });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).pid, d.process.pid);
    assert.equal(JSON.parse(status.stdout).socketPath, d.env.MCPTEST_SOCKET);

    // Starting a second daemon on the store by hand is still refused, with the hint.
    const second = await runCli(['daemon', 'run'], { env, timeoutMs: 20_000 });
    assert.equal(second.code, 1);
    assert.match(second.stderr, /another mcptest daemon already serves the token store .*tokens\.db/);
    assert.match(second.stderr, /hint: use one socket per MCPTEST_HOME/);
    assert.equal((await d.client.health()).pid, d.process.pid, 'the first daemon is untouched');

    // Once it stops, the store names no socket and a client starts its own daemon as usual.
    const stopped = await runCli(['daemon', 'stop'], { env });
    assert.match(stopped.stdout, new RegExp(`stopped \\(pid ${d.process.pid}\\)`));
    assert.ok(!fs.existsSync(path.join(d.env.MCPTEST_HOME as string, 'auth', 'daemon.json')));
    const again = await runCli(['auth', 'status'], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.ok(fs.existsSync(other), 'a daemon now listens on the client socket');
    await runCli(['daemon', 'stop'], { env });
  } finally {
    await d.cleanup();
  }
});

test('kill -9 under load: clients recover with a fresh daemon, no acknowledged write is lost, integrity ok', async () => {
  const d = await startTestDaemon();
  try {
    const serverUrl = 'http://127.0.0.1:1/kill9';
    const seeded = await seedLogin(idp, d.client, serverUrl);
    // A few refreshes first, so the database has seen rotated token sets.
    let t = await d.client.getToken({ serverUrl });
    for (let i = 0; i < 3; i++)
      t = await d.client.getToken({ serverUrl, rejectedFingerprint: t.fingerprint });
    let stop = false;
    let served = 0;
    const acknowledged: string[] = [];
    const failures: string[] = [];
    const reader = async () => {
      const client = new DaemonClient(d.env.MCPTEST_SOCKET as string);
      while (!stop) {
        try {
          await client.getToken({ serverUrl });
          served++;
        } catch (err) {
          if (!(err instanceof McptestError && err.code === 'daemon_unreachable')) failures.push(String(err));
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      await client.close();
    };
    const writer = async (w: number) => {
      const client = new DaemonClient(d.env.MCPTEST_SOCKET as string);
      for (let i = 0; !stop; i++) {
        const url = `http://127.0.0.1:1/w${w}-${i}`;
        try {
          await client.importCredential({
            serverUrl: url,
            accessToken: seeded.access_token,
            expiresIn: 3600,
          });
          acknowledged.push(url);
        } catch (err) {
          if (!(err instanceof McptestError && err.code === 'daemon_unreachable')) failures.push(String(err));
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      await client.close();
    };
    const workers = [reader(), reader(), reader(), reader(), writer(1), writer(2)];
    await new Promise((r) => setTimeout(r, 700));
    await d.kill();
    assert.ok(fs.existsSync(d.env.MCPTEST_SOCKET as string), 'the stale socket file is left behind');
    // A client finds the stale socket, starts a fresh daemon, and everyone carries on.
    const { cleanup: _c, ...env } = d.env;
    const fresh = await ensureDaemon({ env });
    const health = await fresh.health();
    assert.notEqual(health.pid, d.process.pid);
    const servedBefore = served;
    await new Promise((r) => setTimeout(r, 700));
    stop = true;
    await Promise.all(workers);
    assert.deepEqual(failures, []);
    assert.ok(served > servedBefore, `clients were served by the new daemon (${served} vs ${servedBefore})`);
    const stored = new Set((await fresh.listCredentials()).map((c) => c.serverUrl));
    assert.ok(acknowledged.length > 10, `writes happened (${acknowledged.length})`);
    for (const url of acknowledged) assert.ok(stored.has(url), `acknowledged write for ${url} survived`);
    const main = (await fresh.listCredentials()).find((c) => c.serverUrl === serverUrl);
    assert.equal(main?.state, 'valid');
    await fresh.close();
    await runCli(['daemon', 'stop'], { env: d.env });
    const db = new Database(`${d.env.MCPTEST_HOME}/auth/tokens.db`, { readonly: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
  } finally {
    await d.cleanup();
  }
});

test('SIGTERM finishes the daemon cleanly: socket removed, store closed and consistent', async () => {
  const d = await startTestDaemon();
  const serverUrl = 'http://127.0.0.1:1/sigterm';
  await seedLogin(idp, d.client, serverUrl);
  // Settled at once into a value, so an early connection reset is an answer, not a stray rejection.
  const pending = d.client
    .getToken({ serverUrl, rejectedFingerprint: (await d.client.getToken({ serverUrl })).fingerprint })
    .catch((err: unknown) => err);
  const code = await d.stop();
  const answer = await pending;
  assert.equal(code, 0);
  assert.ok(!(answer instanceof Error) || (answer as McptestError).code === 'daemon_unreachable');
  assert.ok(!fs.existsSync(d.env.MCPTEST_SOCKET as string));
  const db = new Database(`${d.env.MCPTEST_HOME}/auth/tokens.db`, { readonly: true });
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  assert.equal((db.prepare('SELECT count(*) AS n FROM credentials').get() as { n: number }).n, 1);
  db.close();
  assert.match(d.log(), /"msg":"daemon stopped"/);
  await d.cleanup();
});

test('the log at trace level never holds a token, refresh token or client secret', async () => {
  const d = await startTestDaemon();
  try {
    const serverUrl = 'http://127.0.0.1:1/redaction';
    const set = await seedLogin(idp, d.client, serverUrl);
    const fresh = await d.client.getToken({
      serverUrl,
      rejectedFingerprint: (await d.client.getToken({ serverUrl })).fingerprint,
    });
    // Hostile input that carries secrets must not reach the log either.
    await d.client
      .getToken({
        serverUrl: 'http://127.0.0.1:1/cc',
        clientCredentials: {
          clientId: 'nope',
          clientSecret: 'super-secret-value-123',
          tokenUrl: `${idp.issuer}/token`,
        },
      })
      .catch(() => undefined);
    await runCli(['daemon', 'stop'], { env: d.env });
    const log = d.log();
    assert.match(log, /token refreshed/);
    assert.match(log, /"fingerprint":"[0-9a-f]{12}"/);
    // The IdP's OAuth error code is what a log is read for: kept, not redacted as a "code".
    assert.match(log, /"error":"invalid_client"/);
    assert.doesNotMatch(log, /"(code|error)":"\[Redacted\]"/);
    for (const secret of [
      set.access_token,
      set.refresh_token as string,
      fresh.accessToken,
      'super-secret-value-123',
    ]) {
      assert.ok(!log.includes(secret), 'a secret reached the log');
    }
  } finally {
    await d.cleanup();
  }
});

test('IPC answers bad input with JSON errors and stays healthy', async () => {
  const d = await startTestDaemon();
  try {
    const { request, Agent } = await import('undici');
    const agent = new Agent({ connect: { socketPath: d.env.MCPTEST_SOCKET as string } });
    const send = async (method: string, path: string, body?: string) => {
      const res = await request(`http://x${path}`, {
        method: method as 'POST',
        dispatcher: agent,
        body,
        headers: body ? { 'content-type': 'application/json' } : {},
      });
      return {
        status: res.statusCode,
        body: (await res.body.json()) as { error?: { code: string; message: string } },
      };
    };
    const cases = [
      await send('POST', '/v1/token', '{not json'),
      await send('POST', '/v1/token', JSON.stringify({ serverUrl: 42 })),
      await send('POST', '/v1/token', JSON.stringify({ serverUrl: 'ftp://x' })),
      await send('POST', '/v1/token', JSON.stringify({ serverUrl: 'http://a', rejectedFingerprint: 'zz' })),
      await send('PUT', '/v1/credentials', JSON.stringify({ serverUrl: 'http://a' })),
      await send('GET', '/v1/nope'),
    ];
    for (const c of cases) {
      assert.ok(c.status >= 400 && c.status < 500, `status ${c.status}`);
      assert.equal(typeof c.body.error?.code, 'string');
      assert.equal(typeof c.body.error?.message, 'string');
    }
    assert.equal(cases[1].body.error?.code, 'invalid_request');
    assert.equal(cases[2].body.error?.code, 'invalid_url');
    assert.equal(cases[5].body.error?.code, 'not_found');
    await agent.close();
    assert.equal((await d.client.health()).name, 'mcptest-authd');
  } finally {
    await d.cleanup();
  }
});
