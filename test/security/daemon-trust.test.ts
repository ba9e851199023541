/**
 * The client trusts only its own daemon. A listener another user prepared on the socket path, a
 * socket under a folder anyone can change, or a listener that cannot prove it holds this user's
 * daemon key never receives a request that matters (client secrets travel in POST /v1/token).
 * Needs root to act as a second user (CI runs as root; `useradd -M -r mcptest-other`).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { IPC_API_VERSION, VERSION } from '../../shared/version.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { startTestDaemon } from '../helpers/daemon.js';

const OTHER = 'mcptest-other';
const SECRET = 'client-secret-for-trust-tests-0123456789';

function ensureOtherUser(): void {
  if (spawnSync('id', ['-u', OTHER]).status === 0) return;
  assert.equal(process.getuid?.(), 0, 'creating the test user needs root (CI runs as root)');
  execFileSync('useradd', ['-M', '-r', '-s', '/usr/sbin/nologin', OTHER], { stdio: 'pipe' });
}

function otherUid(): number {
  return Number(execFileSync('id', ['-u', OTHER], { encoding: 'utf8' }).trim());
}

/**
 * A stand-in daemon: answers the handshake as a daemon of this version would (without the key's
 * proof) and hands out a token of its choosing; prints every request it receives as a JSON line.
 */
const FAKE_DAEMON = `
const http = require('http'); const fs = require('fs');
const [socketPath, version, api] = process.argv.slice(1);
try { fs.unlinkSync(socketPath); } catch {}
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    console.log(JSON.stringify({ method: req.method, url: req.url, body }));
    res.setHeader('content-type', 'application/json');
    if (req.url === '/v1/health') {
      res.end(JSON.stringify({ name: 'mcptest-authd', version, api: Number(api), pid: process.pid,
        startedAt: Date.now(), managedBy: 'self' }));
    } else if (req.url === '/v1/token') {
      res.end(JSON.stringify({ accessToken: 'attacker-chosen-token', tokenType: 'Bearer', expiresAt: null,
        scope: null, fingerprint: '000000000000', source: 'client_credentials' }));
    } else {
      res.end(JSON.stringify({ credentials: [], logins: [] }));
    }
  });
});
server.listen(socketPath, () => { fs.chmodSync(socketPath, 0o666); console.log('listening'); });
`;

interface FakeDaemon {
  requests(): Array<{ method: string; url: string; body: string }>;
  stop(): Promise<void>;
}

async function startFakeDaemon(socketPath: string, asOther: boolean): Promise<FakeDaemon> {
  const args = ['-e', FAKE_DAEMON, socketPath, VERSION, String(IPC_API_VERSION)];
  // Its own process group, so that stopping it stops runuser's child too.
  const child: ChildProcess = asOther
    ? spawn('runuser', ['-u', OTHER, '--', process.execPath, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const deadline = Date.now() + 15_000;
  while (!out.includes('listening')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`fake daemon did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    requests: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l)),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(-(child.pid as number), 'SIGKILL');
        await exited;
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
  };
}

/** A command that hands the daemon a client secret at its first request. */
function clientCredentialsArgs(): string[] {
  return [
    'tools',
    '--url',
    'http://127.0.0.1:9/mcp',
    '--client-id',
    'ci',
    '--client-secret-env',
    'CI_SECRET',
    '--token-url',
    'http://127.0.0.1:9/token',
  ];
}

function assertNothingSent(fake: FakeDaemon): void {
  const got = fake.requests();
  assert.ok(
    !got.some((r) => r.url === '/v1/token'),
    `the stand-in got a token request: ${JSON.stringify(got)}`,
  );
  assert.ok(!JSON.stringify(got).includes(SECRET), 'the stand-in saw the client secret');
}

const shared: string[] = [];
after(() => {
  for (const dir of shared) fs.rmSync(dir, { recursive: true, force: true });
});

function sharedDir(mode: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-shared-'));
  fs.chmodSync(dir, mode);
  shared.push(dir);
  return dir;
}

test("another user's listener in a folder of theirs is refused before anything is sent", async () => {
  ensureOtherUser();
  // The other user was first to create the socket folder the user points MCPTEST_SOCKET at.
  const top = sharedDir(0o1777);
  const theirs = path.join(top, 'mcptest-run');
  fs.mkdirSync(theirs, { mode: 0o755 });
  fs.chownSync(theirs, otherUid(), otherUid());
  const socketPath = path.join(theirs, 'authd.sock');
  const fake = await startFakeDaemon(socketPath, true);
  const env = isolatedEnv({ MCPTEST_SOCKET: socketPath, CI_SECRET: SECRET });
  try {
    const run = await runCli(clientCredentialsArgs(), { env });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(`the socket folder ${theirs} is owned by uid ${otherUid()}, not by you`),
    );
    assert.match(run.stderr, /hint: use a folder of your own: export MCPTEST_SOCKET=/);
    assertNothingSent(fake);
    assert.ok(!run.stdout.includes('attacker-chosen-token') && !run.stderr.includes(SECRET));
  } finally {
    await fake.stop();
    await env.cleanup();
  }
});

test('a socket folder under a folder every user can change is refused (no sticky bit)', async () => {
  const open = sharedDir(0o777);
  const mine = path.join(open, 'run');
  fs.mkdirSync(mine, { mode: 0o700 });
  const env = isolatedEnv({ MCPTEST_SOCKET: path.join(mine, 'authd.sock') });
  try {
    const run = await runCli(['auth', 'status'], { env });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(`${open}, above the socket, can be changed by every user \\(mode 777, no sticky bit\\)`),
    );
    assert.ok(!fs.existsSync(path.join(mine, 'authd.sock')), 'no daemon was started there');
  } finally {
    await env.cleanup();
  }
});

test("a folder above owned by another user (a container's bind-mounted home) is allowed", async () => {
  ensureOtherUser();
  const theirs = sharedDir(0o755);
  fs.chownSync(theirs, otherUid(), otherUid());
  const home = path.join(theirs, 'home');
  fs.mkdirSync(home, { mode: 0o700 });
  const env = isolatedEnv({
    MCPTEST_HOME: home,
    HOME: home,
    MCPTEST_SOCKET: path.join(home, 'run', 'authd.sock'),
  });
  try {
    const run = await runCli(['auth', 'status'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /No cached credentials/);
  } finally {
    await env.cleanup();
  }
});

test('a listener that cannot prove it holds the daemon key gets no token request', async () => {
  // Same user, right place, right modes, a health answer of this very version: only the key
  // proof tells it apart from the real daemon.
  const env = isolatedEnv({ CI_SECRET: SECRET });
  const socketPath = env.MCPTEST_SOCKET as string;
  fs.mkdirSync(path.dirname(socketPath), { mode: 0o700 });
  const fake = await startFakeDaemon(socketPath, false);
  fs.chmodSync(socketPath, 0o600);
  try {
    const run = await runCli(clientCredentialsArgs(), { env });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /could not prove it is your auth daemon|no daemon key at/);
    assert.match(run.stderr, /nothing was sent to it/);
    assert.match(run.stderr, /hint: find what listens there: fuser /);
    assert.deepEqual(
      fake.requests().map((r) => r.url),
      ['/v1/health'],
      'only the handshake reached the stand-in',
    );
    assertNothingSent(fake);
  } finally {
    await fake.stop();
    await env.cleanup();
  }
});

test('the real daemon proves itself, and its key is a private file of the user', async () => {
  const d = await startTestDaemon();
  try {
    const run = await runCli(['auth', 'status', '--json'], { env: d.env });
    assert.equal(run.code, 0, run.stderr);
    const keyFile = path.join(d.env.MCPTEST_HOME as string, 'auth', 'daemon.key');
    const st = fs.statSync(keyFile);
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(st.size, 32);
    // A key others can read proves nothing: the client refuses it rather than trust it.
    fs.chmodSync(keyFile, 0o644);
    const loose = await runCli(['auth', 'status'], { env: d.env });
    assert.equal(loose.code, 1);
    assert.match(loose.stderr, /daemon key .* is not a private file of yours/);
    fs.chmodSync(keyFile, 0o600);
  } finally {
    await d.cleanup();
  }
});

test('a client of another MCPTEST_HOME on the same socket is refused, and the store is left alone', async () => {
  const d = await startTestDaemon();
  const otherHome = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-home-'));
  try {
    await d.client.importCredential({ serverUrl: 'http://127.0.0.1:1/kept', accessToken: 'k'.repeat(40) });
    const intruder = { ...d.env, cleanup: undefined, MCPTEST_HOME: otherHome, HOME: otherHome };
    const run = await runCli(['logout', '--all', '--no-revoke'], { env: intruder });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `the auth daemon on this socket serves MCPTEST_HOME=${d.env.MCPTEST_HOME}; this client uses ${otherHome}`,
      ),
    );
    assert.match(run.stderr, /hint: give each MCPTEST_HOME its own socket: export MCPTEST_SOCKET=/);
    const kept = await d.client.listCredentials();
    assert.deepEqual(
      kept.map((c) => c.serverUrl),
      ['http://127.0.0.1:1/kept'],
      "the other home's logout --all did not empty this store",
    );
  } finally {
    fs.rmSync(otherHome, { recursive: true, force: true });
    await d.cleanup();
  }
});
