/**
 * Socket activation without a running systemd, through the real `systemd-socket-activate`.
 *
 * Without `--accept`, systemd-socket-activate binds the socket, waits for the first connection and
 * then execs the command with the *listening* socket as fd 3 (LISTEN_FDS=1, LISTEN_PID = the
 * exec'd pid), which is what a systemd socket unit with `Accept=no` passes. Because it execs, the
 * listening socket lives only in that command: when the daemon exits, nobody listens any more.
 * systemd's socket unit keeps its own copy and starts the service again on the next connection;
 * to test that re-activation, the command here is a tiny supervisor that plays the socket unit's
 * part: it keeps fd 3, waits until a connection is pending (poll, via python3), then runs the
 * daemon with LISTEN_PID set to the daemon's own pid, and loops.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { DaemonClient } from '../../client/daemon-client.js';
import { parseMetrics } from '../daemon-ops/prometheus-text.js';
import { CLI, isolatedEnv, runCli } from '../helpers/cli.js';

type Env = ReturnType<typeof isolatedEnv>;

let env: Env;
let sockPath: string;
let supervisor: ChildProcess;
let supervisorErr = '';
const runsFile = () => path.join(env.HOME as string, 'runs.log');

before(async () => {
  env = isolatedEnv();
  sockPath = env.MCPTEST_SOCKET as string;
  fs.mkdirSync(path.dirname(sockPath), { mode: 0o700 });
  const loop = [
    'while :; do',
    '  python3 -c "import select; select.select([3], [], [])" || exit 1',
    '  sh -c \'export LISTEN_PID=$$; exec "$NODE" "$CLI" daemon run --idle-exit 1\'',
    `  echo "exit $?" >> "${runsFile()}"`,
    'done',
  ].join('\n');
  const pass = ['HOME', 'PATH', 'MCPTEST_HOME', 'MCPTEST_SOCKET', 'MCPTEST_LOG_LEVEL'];
  supervisor = spawn(
    'systemd-socket-activate',
    [
      '-l',
      sockPath,
      ...pass.flatMap((name) => ['-E', `${name}=${env[name]}`]),
      '-E',
      `NODE=${process.execPath}`,
      '-E',
      `CLI=${CLI}`,
      '--',
      'sh',
      '-c',
      loop,
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  supervisor.stderr?.on('data', (d) => {
    supervisorErr += d;
  });
  const deadline = Date.now() + 30_000;
  while (!supervisorErr.includes('Listening on')) {
    assert.ok(Date.now() < deadline, `systemd-socket-activate did not listen: ${supervisorErr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
});

after(async () => {
  // The whole group we started: systemd-socket-activate's exec'd shell and a daemon if one runs.
  if (supervisor.exitCode === null && supervisor.pid) {
    const exited = new Promise((r) => supervisor.once('exit', r));
    try {
      process.kill(-supervisor.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await exited;
  }
  await env.cleanup();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Generous: a wait only costs time when the test fails, and a loaded machine is slow to start.
async function waitFor(what: string, ok: () => boolean, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!ok()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}; supervisor: ${supervisorErr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a connection activates the daemon, it exits when idle, and the next connection activates it again', async () => {
  const serverUrl = 'https://mcp.example.com/mcp';

  // 1. First connection: the daemon is exec'd with the listening socket.
  let client = new DaemonClient(sockPath);
  const first = await client.health(10_000);
  assert.equal(first.managedBy, 'systemd');
  await client.importCredential({ serverUrl, accessToken: 'at-socket-activation-1', expiresIn: 3600 });
  const tok = await client.getToken({ serverUrl });
  assert.equal(tok.accessToken, 'at-socket-activation-1');

  // status and metrics through the real CLI, while it runs.
  const status = await runCli(['daemon', 'status', '--json'], { env });
  assert.equal(status.code, 0, status.stderr);
  const s = JSON.parse(status.stdout);
  assert.equal(s.pid, first.pid);
  assert.equal(s.managedBy, 'systemd');
  assert.equal(s.socketPath, sockPath);
  assert.equal(s.credentials, 1);
  assert.equal(s.idleExitSeconds, 1);
  await client.close();

  // 2. Idle exit: the daemon ends by itself (exit 0), the socket keeps listening.
  await waitFor('the idle exit', () => !alive(first.pid));
  await waitFor('the supervisor to note the exit', () => fs.existsSync(runsFile()));
  assert.equal(fs.readFileSync(runsFile(), 'utf8').trim(), 'exit 0');
  assert.ok(fs.statSync(sockPath).isSocket(), 'the socket file stays');

  // 3. The next connection starts a fresh daemon that finds the stored credential.
  client = new DaemonClient(sockPath);
  try {
    const second = await client.health(10_000);
    assert.notEqual(second.pid, first.pid);
    assert.equal(second.managedBy, 'systemd');
    const again = await client.getToken({ serverUrl });
    assert.equal(again.fingerprint, tok.fingerprint);
  } finally {
    await client.close();
  }
  const logFile = path.join(env.MCPTEST_HOME as string, 'log', 'authd.log');
  // The log is written asynchronously: wait for the second start's line.
  await waitFor(
    'two starts in the log',
    () => fs.readFileSync(logFile, 'utf8').match(/"msg":"daemon listening"/g)?.length === 2,
  );
  const log = fs.readFileSync(logFile, 'utf8');
  assert.match(log, /"reason":"idle for 1s"/);
  assert.doesNotMatch(log, /at-socket-activation-1/, 'the token never reaches the log');
});

test('GET /v1/metrics is valid Prometheus text and its counters move as tokens are served', async () => {
  const serverUrl = 'https://metrics.example.com/mcp';
  const client = new DaemonClient(sockPath);
  try {
    await client.importCredential({ serverUrl, accessToken: 'at-metrics', expiresIn: 3600 });
    const scrape = async () => parseMetrics(await client.call('GET', '/v1/metrics', z.string()));
    const before = await scrape();
    const served = (m: Map<string, number>) =>
      [...m].filter(([k]) => k.startsWith('mcptest_tokens_served_total')).reduce((n, [, v]) => n + v, 0);
    for (let i = 0; i < 5; i++) await client.getToken({ serverUrl });
    const after = await scrape();
    assert.equal(served(after) - served(before), 5);
    assert.ok(after.has('mcptest_pending_logins'), 'pending logins gauge');
    assert.ok((after.get('mcptest_credentials') ?? 0) >= 1, 'credentials gauge');
  } finally {
    await client.close();
  }
});

test('daemon status (human) and daemon logs are readable', async () => {
  const status = await runCli(['daemon', 'status'], { env });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^mcptest auth daemon: running$/m);
  assert.match(status.stdout, /^ {2}managed by: +systemd$/m);
  assert.match(status.stdout, /^ {2}pending logins: +0$/m);
  assert.match(status.stdout, /^ {2}idle exit: +after 1s without requests$/m);
  assert.match(status.stdout, /^Last refresh errors: none$/m);

  const logs = await runCli(['daemon', 'logs', '-n', '200'], { env });
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /^\d{4}-\d\d-\d\dT\S+Z INFO +daemon listening .*managedBy=systemd/m);
  assert.match(logs.stdout, /INFO +daemon stopping reason=idle for 1s/);
  const raw = await runCli(['daemon', 'logs', '--json', '-n', '1'], { env });
  assert.equal(typeof JSON.parse(raw.stdout).msg, 'string');

  // -f prints lines written after it started: the next activation's "daemon listening".
  const { cleanup: _c, ...vars } = env;
  const follow = spawn(process.execPath, [CLI, 'daemon', 'logs', '-f', '-n', '1'], {
    env: vars,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  follow.stdout?.on('data', (d) => {
    out += d;
  });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const seen = out.length;
    const client = new DaemonClient(sockPath);
    await client.call('POST', '/v1/shutdown', z.unknown()).catch(() => undefined);
    await client.close();
    await waitFor('daemon logs -f to print the stop', () => /daemon stopped/.test(out.slice(seen)));
  } finally {
    follow.kill('SIGINT');
  }
});

test('a client on another socket path (no XDG_RUNTIME_DIR, say) reaches the socket-activated daemon through the store', async () => {
  const advertised = JSON.parse(
    fs.readFileSync(path.join(env.MCPTEST_HOME as string, 'auth', 'daemon.json'), 'utf8'),
  );
  assert.equal(advertised.socketPath, sockPath);
  await waitFor('the idle exit', () => !alive(advertised.pid));
  assert.ok(
    fs.existsSync(path.join(env.MCPTEST_HOME as string, 'auth', 'daemon.json')),
    'kept after the exit',
  );
  const elsewhere = path.join(env.HOME as string, 'elsewhere', 'authd.sock');
  const run = await runCli(['auth', 'status', '--json'], {
    env: { ...env, cleanup: undefined, MCPTEST_SOCKET: elsewhere },
  });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(
    JSON.parse(run.stdout).credentials.some(
      (c: { serverUrl: string }) => c.serverUrl === 'https://mcp.example.com/mcp',
    ),
  );
  assert.ok(!fs.existsSync(elsewhere), 'no daemon of its own beside the socket-activated one');
});
