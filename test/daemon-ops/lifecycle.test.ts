/**
 * Operating the daemon: graceful SIGTERM with a token request in flight, unsafe socket folders,
 * over-long socket paths, a stale socket left by `kill -9`, and a daemon of another version.
 * Real daemon processes, the real CLI, the real IdP.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { type Idp, startIdp, clientCredentialsClient } from '../../examples/oauth-server/idp.js';
import { ensureDaemon } from '../../client/ensure-daemon.js';
import { IPC_API_VERSION, VERSION } from '../../shared/version.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { parseMetrics } from './prometheus-text.js';
import { startTestDaemon } from '../helpers/daemon.js';

const CI_SECRET = 'lifecycle-ci-secret-value';
let idp: Idp;

before(async () => {
  idp = await startIdp({
    clients: [clientCredentialsClient('ops-ci', CI_SECRET, 'mcp:read')],
  });
});
after(async () => {
  await idp.close();
});

async function withEnv(fn: (env: ReturnType<typeof isolatedEnv>) => Promise<void>) {
  const env = isolatedEnv();
  try {
    await fn(env);
  } finally {
    await env.cleanup();
  }
}

test('SIGTERM while a token request is in flight: the request finishes, the store closes cleanly', async () => {
  const d = await startTestDaemon();
  try {
    const serverUrl = 'http://127.0.0.1:9/ops';
    idp.setFault({ delayMs: 1_500 }, { path: '/token', times: 1 });
    const pending = d.client.getToken({
      serverUrl,
      clientCredentials: {
        clientId: 'ops-ci',
        clientSecret: CI_SECRET,
        tokenUrl: idp.tokenEndpoint,
        scope: 'mcp:read',
        resource: serverUrl,
      },
    });
    const deadline = Date.now() + 5_000;
    while (!idp.requests.some((r) => r.path === '/token' && r.grantType === 'client_credentials')) {
      assert.ok(Date.now() < deadline, 'the daemon asked the IdP for a token');
      await new Promise((r) => setTimeout(r, 10));
    }
    const exitCode = d.stop(); // SIGTERM now, while the IdP holds the token request
    const token = await pending;
    assert.equal(token.source, 'client_credentials');
    assert.match(token.fingerprint, /^[0-9a-f]{12}$/);
    const answeredAt = Date.now();
    assert.equal(await exitCode, 0);
    // Its keep-alive connection must not hold the exit for the server's 72 s keepAliveTimeout.
    assert.ok(Date.now() - answeredAt < 5_000, `exited ${Date.now() - answeredAt} ms after answering`);

    const dbPath = path.join(d.env.MCPTEST_HOME as string, 'auth', 'tokens.db');
    assert.ok(!fs.existsSync(`${dbPath}-wal`), 'the last connection closed and checkpointed the WAL');
    const db = new Database(dbPath, { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
    const log = d.log();
    assert.match(log, /"reason":"signal SIGTERM"/);
    assert.match(log, /"msg":"daemon stopped"/);
    assert.ok(!log.includes(CI_SECRET) && !log.includes(token.accessToken), 'no secret or token in the log');
  } finally {
    idp.setFault(null);
    await d.cleanup();
  }
});

test('a socket folder open to others (0777) is refused with a chmod hint', async () => {
  await withEnv(async (env) => {
    const dir = path.dirname(env.MCPTEST_SOCKET as string);
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o777);
    const r = await runCli(['daemon', 'start'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`${dir} is open to other users \\(mode 777\\); it must be 700`));
    assert.match(r.stderr, new RegExp(`hint: chmod 700 ${dir}`));
    assert.ok(!fs.existsSync(env.MCPTEST_SOCKET as string), 'no socket was created');
  });
});

test('a daemon that is slow to load still reports why it refused to start', async () => {
  // On a loaded machine the detached daemon may take seconds to reach its store check; the
  // starting client must still report the refusal, not "did not start within 15s". The stall is
  // given the one way node options reach a self-started daemon: MCPTEST_DAEMON_NODE_OPTIONS.
  await withEnv(async (env) => {
    const authDir = path.join(env.MCPTEST_HOME as string, 'auth');
    fs.mkdirSync(authDir, { mode: 0o700 });
    fs.writeFileSync(path.join(authDir, 'tokens.db'), 'this is not a SQLite database, padded'.repeat(200), {
      mode: 0o600,
    });
    const slow = path.join(env.HOME as string, 'slow-daemon.cjs');
    fs.writeFileSync(
      slow,
      "if (process.argv.includes('daemon') && process.argv.includes('run'))\n" +
        '  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);\n',
    );
    const r = await runCli(['daemon', 'start'], {
      env: { ...env, cleanup: undefined, MCPTEST_DAEMON_NODE_OPTIONS: `--require ${slow}` },
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /tokens\.db/);
    assert.match(r.stderr, /is damaged \(SQLITE_NOTADB\); it was left untouched/);
    assert.doesNotMatch(r.stderr, /did not start within/);
  });
});

test('a client does not give up on a daemon that is still loading when its start limit is up', async () => {
  // On a loaded machine (tens of clients each starting their own daemon) loading can outlast
  // the start limit; a live child that is still loading is waited for, with one line saying so.
  await withEnv(async (env) => {
    const slow = path.join(env.HOME as string, 'slow-daemon.cjs');
    fs.writeFileSync(
      slow,
      "if (process.argv.includes('daemon') && process.argv.includes('run'))\n" +
        '  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2500);\n',
    );
    const said: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => {
      said.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    let client: Awaited<ReturnType<typeof ensureDaemon>> | undefined;
    try {
      client = await ensureDaemon({
        env: { ...env, cleanup: undefined, MCPTEST_DAEMON_NODE_OPTIONS: `--require ${slow}` },
        startTimeoutMs: 500,
      });
    } finally {
      process.stderr.write = write;
    }
    try {
      const health = await client.health();
      assert.equal(health.version, VERSION);
      assert.ok(client.isVerified);
      assert.match(said.join(''), /the auth daemon is still starting after \d+s .*; waiting up to 120s/);
      await client.shutdown();
    } finally {
      await client.close();
    }
  });
});

test('a dangling symbolic link at the socket path is named, by the CLI and by the daemon', async () => {
  await withEnv(async (env) => {
    const socketPath = env.MCPTEST_SOCKET as string;
    fs.mkdirSync(path.dirname(socketPath), { mode: 0o700 });
    fs.symlinkSync('/nonexistent/elsewhere.sock', socketPath);
    const cli = await runCli(['auth', 'status'], { env });
    assert.equal(cli.code, 1);
    assert.match(
      cli.stderr,
      new RegExp(`the daemon socket ${socketPath} is a symbolic link to /nonexistent/elsewhere\\.sock`),
    );
    assert.match(cli.stderr, new RegExp(`hint: remove it and run the command again: rm ${socketPath}`));
    const daemon = await runCli(['daemon', 'run'], { env });
    assert.equal(daemon.code, 1);
    assert.match(
      daemon.stderr,
      new RegExp(`${socketPath} is a symbolic link; the daemon will not listen there`),
    );
    for (const out of [cli.stderr, daemon.stderr])
      assert.doesNotMatch(out, /\n\s+at |Error: /, 'no stack trace');
    assert.ok(fs.lstatSync(socketPath).isSymbolicLink(), 'the link is left as it was');
  });
});

test('a read-only MCPTEST_HOME is a clear error naming the file system, not ENOENT', async () => {
  assert.equal(process.getuid?.(), 0, 'mounting a read-only file system needs root (CI runs as root)');
  await withEnv(async (env) => {
    const home = path.join(env.MCPTEST_HOME as string, 'ro-home');
    fs.mkdirSync(home);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,ro', 'tmpfs', home]);
    try {
      const ro = { ...env, cleanup: undefined, MCPTEST_HOME: home, MCPTEST_SOCKET: undefined };
      for (const args of [
        ['auth', 'status'],
        ['daemon', 'run'],
      ]) {
        const run = await runCli(args, { env: ro });
        assert.equal(run.code, 1, run.stderr);
        assert.match(
          run.stderr,
          new RegExp(`cannot create ${home}/\\w+: EROFS \\(a read-only file system\\)`),
        );
        assert.match(
          run.stderr,
          /hint: check the permissions of .*, or set MCPTEST_HOME to a writable folder/,
        );
        assert.doesNotMatch(run.stderr, /ENOENT|\n\s+at /);
      }
    } finally {
      execFileSync('umount', [home]);
    }
  });
});

test('a socket folder owned by another user is refused', async () => {
  await withEnv(async (env) => {
    const dir = path.dirname(env.MCPTEST_SOCKET as string);
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.chownSync(dir, 65534, 65534); // nobody
    const r = await runCli(['daemon', 'start'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is owned by uid 65534, not by you \(uid 0\)/);
    assert.match(r.stderr, /hint: use a folder of your own: export MCPTEST_SOCKET=/);
  });
});

test('a socket path over the Unix limit is a clear error before anything starts', async () => {
  await withEnv(async (env) => {
    const long = path.join(env.HOME as string, 'x'.repeat(120), 'authd.sock');
    const r = await runCli(['daemon', 'start'], {
      env: { ...env, MCPTEST_SOCKET: long, cleanup: undefined },
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /socket path is \d+ bytes, over the 107-byte limit of Unix sockets/);
    assert.match(
      r.stderr,
      /hint: use a short folder of your own: mkdir -m 700 -p ~\/\.mcptest-run && export MCPTEST_SOCKET=/,
    );
    const run = await runCli(['daemon', 'run'], {
      env: { ...env, MCPTEST_SOCKET: long, cleanup: undefined },
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /over the 107-byte limit/);
  });
});

test('a stale socket of a kill -9ed daemon is replaced by the next client', async () => {
  const d = await startTestDaemon();
  try {
    const oldPid = d.process.pid;
    await d.kill();
    assert.ok(fs.statSync(d.env.MCPTEST_SOCKET as string).isSocket(), 'the dead daemon left its socket');
    const r = await runCli(['daemon', 'start', '--json'], { env: d.env });
    assert.equal(r.code, 0, r.stderr);
    const health = JSON.parse(r.stdout);
    assert.notEqual(health.pid, oldPid);
    const deadline = Date.now() + 5_000;
    while (!/replaced a stale socket file/.test(d.log())) {
      assert.ok(Date.now() < deadline, 'the new daemon logs the replacement');
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await d.cleanup();
  }
});

/**
 * Stands in for a daemon of an older mcptest on the socket: only the handshake and shutdown
 * routes, which is all a client of this version uses before deciding.
 */
function oldDaemon(socketPath: string, managedBy: 'self' | 'systemd') {
  let shutdowns = 0;
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/v1/health') {
      res.end(
        JSON.stringify({
          name: 'mcptest-authd',
          version: '0.0.1-old',
          api: IPC_API_VERSION,
          pid: 424242,
          startedAt: Date.now(),
          managedBy,
        }),
      );
    } else if (req.url === '/v1/shutdown') {
      shutdowns++;
      res.end(JSON.stringify({ stopping: true }), () => {
        server.close();
        server.closeAllConnections();
      });
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'old daemon' } }));
    }
  });
  return new Promise<{ close: () => Promise<void>; shutdowns: () => number }>((resolve) => {
    server.listen(socketPath, () =>
      resolve({
        shutdowns: () => shutdowns,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
            if (!server.listening) r();
          }),
      }),
    );
  });
}

test('a daemon of another version: replaced when mcptest started it, systemctl hint when systemd did', async () => {
  await withEnv(async (env) => {
    const socketPath = env.MCPTEST_SOCKET as string;
    fs.mkdirSync(path.dirname(socketPath), { mode: 0o700 });

    const managed = await oldDaemon(socketPath, 'systemd');
    try {
      const r = await runCli(['daemon', 'start'], { env });
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(`runs mcptest 0\\.0\\.1-old .*this is ${VERSION.replace(/\./g, '\\.')}`),
      );
      assert.match(r.stderr, /hint: systemctl --user restart mcptest-authd\.service/);
      assert.equal(managed.shutdowns(), 0, 'a systemd-managed daemon is never stopped by a client');
    } finally {
      await managed.close();
    }
    fs.rmSync(socketPath, { force: true });

    const own = await oldDaemon(socketPath, 'self');
    try {
      const r = await runCli(['daemon', 'start', '--json'], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(own.shutdowns(), 1, 'the old daemon was asked to stop');
      const health = JSON.parse(r.stdout);
      assert.equal(health.version, VERSION);
      assert.notEqual(health.pid, 424242);
    } finally {
      await own.close();
    }
  });
});

test('metrics count client-credentials mints, IdP latency and tokens served by source', async () => {
  const d = await startTestDaemon();
  try {
    const serverUrl = 'http://127.0.0.1:9/metrics';
    const req = {
      serverUrl,
      clientCredentials: {
        clientId: 'ops-ci',
        clientSecret: CI_SECRET,
        tokenUrl: idp.tokenEndpoint,
        scope: 'mcp:read',
        resource: serverUrl,
      },
    };
    for (let i = 0; i < 3; i++) await d.client.getToken(req); // one mint, then the cached token
    const m = parseMetrics(await d.client.call('GET', '/v1/metrics', z.string()));
    assert.equal(m.get('mcptest_refreshes_total{outcome="ok"}'), 1);
    assert.equal(m.get('mcptest_tokens_served_total{source="client_credentials"}'), 3);
    assert.equal(m.get('mcptest_idp_latency_seconds_count'), 1);
    assert.equal(m.get('mcptest_idp_latency_seconds_bucket{le="+Inf"}'), 1);
    assert.ok((m.get('mcptest_idp_latency_seconds_sum') ?? -1) > 0);
    assert.equal(m.get('mcptest_pending_logins'), 0);
  } finally {
    await d.cleanup();
  }
});

test('daemon status shows scheduled refreshes and the last refresh error', async () => {
  const d = await startTestDaemon();
  try {
    const serverUrl = 'http://127.0.0.1:9/failing';
    idp.setFault({ status: 503, body: { error: 'temporarily_unavailable' } }, { path: '/token' });
    await d.client.importCredential({
      serverUrl,
      accessToken: 'at-status-check',
      refreshToken: 'rt-status-check',
      expiresIn: 2,
      tokenEndpoint: idp.tokenEndpoint,
      issuer: idp.issuer,
      clientId: 'ops-ci',
      clientSecret: CI_SECRET,
      resource: serverUrl,
    });
    let status: { code: number; stdout: string; stderr: string } | undefined;
    const deadline = Date.now() + 10_000;
    for (;;) {
      status = await runCli(['daemon', 'status'], { env: d.env });
      if (/Last refresh errors:\nSERVER/.test(status.stdout)) break;
      assert.ok(Date.now() < deadline, `a failed refresh shows in status: ${status.stdout}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^ {2}credentials: +1$/m);
    assert.match(status.stdout, new RegExp(`^${serverUrl.replace(/[.]/g, '\\.')} +.*503`, 'm'));
    const json = JSON.parse((await runCli(['daemon', 'status', '--json'], { env: d.env })).stdout);
    assert.equal(json.lastErrors[0].serverUrl, serverUrl);
    assert.ok(!status.stdout.includes('at-status-check') && !status.stdout.includes('rt-status-check'));
  } finally {
    idp.setFault(null);
    await d.cleanup();
  }
});

test('idle exit waits while a login has a refresh scheduled, and comes once nothing is left to refresh', async () => {
  const d = await startTestDaemon({ args: ['--idle-exit', '1'] });
  try {
    const { seedLogin } = await import('../helpers/seed.js');
    await seedLogin(idp, d.client, 'http://127.0.0.1:1/keeps-alive', { expiresIn: 3600 });
    const status = JSON.parse((await runCli(['daemon', 'status', '--json'], { env: d.env })).stdout);
    assert.equal(status.refreshes.length, 1, 'a refresh is scheduled');
    // Three idle periods with a refresh to do: still running.
    await new Promise((r) => setTimeout(r, 3_500));
    assert.equal(d.process.exitCode, null, 'the daemon stays while a login awaits its refresh');
    // Nothing left to refresh: the next idle period ends it.
    const out = await runCli(['logout', '--all', '--no-revoke'], { env: d.env });
    assert.equal(out.code, 0, out.stderr);
    const exited = await Promise.race([
      new Promise<number | null>((r) => d.process.once('exit', (code) => r(code))),
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 10_000)),
    ]);
    assert.equal(exited, 0, 'idle exit, status 0');
    assert.match(await d.flushedLog(), /"reason":"idle for 1s"/);
  } finally {
    await d.cleanup();
  }
});
