/**
 * The locks that keep one daemon per socket and per store are files in the user's private
 * folders: another user can neither hold them nor keep the daemon from starting, and when one
 * is taken, the message names its holder. Needs root to act as a second user (CI runs as root).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { startTestDaemon } from '../helpers/daemon.js';

const OTHER = 'mcptest-other';

function ensureOtherUser(): void {
  if (spawnSync('id', ['-u', OTHER]).status === 0) return;
  assert.equal(process.getuid?.(), 0, 'creating the test user needs root (CI runs as root)');
  execFileSync('useradd', ['-M', '-r', '-s', '/usr/sbin/nologin', OTHER], { stdio: 'pipe' });
}

/**
 * Another user binds names in Linux's abstract socket namespace (which has no permissions):
 * the names of every lock a daemon for these paths could derive from them, as earlier versions
 * of mcptest did.
 */
async function squatAbstractNames(scopes: Record<string, string>): Promise<ChildProcess> {
  const names = Object.entries(scopes).map(
    ([kind, scope]) => `\0mcptest-${kind}-${createHash('sha256').update(scope).digest('hex').slice(0, 24)}`,
  );
  const script = `const net=require('net');let n=0;for(const name of ${JSON.stringify(names)}){net.createServer().listen(name,()=>{if(++n===${names.length})console.log('holding')})}`;
  // Its own process group, so that stopping it stops runuser's child too.
  const child = spawn('runuser', ['-u', OTHER, '--', process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 15_000;
  while (!out.includes('holding')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('the squatter did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  return child;
}

test("another user holding lock names cannot keep the user's daemon from starting", async () => {
  ensureOtherUser();
  const env = isolatedEnv();
  const socketPath = env.MCPTEST_SOCKET as string;
  const dbPath = path.join(env.MCPTEST_HOME as string, 'auth', 'tokens.db');
  const squatter = await squatAbstractNames({ authd: socketPath, store: dbPath, spawn: socketPath });
  try {
    const run = await runCli(['auth', 'status'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /No cached credentials/);
    // The real locks: files in the 0700 folders, which the other user cannot even open.
    for (const lock of [
      path.join(path.dirname(socketPath), 'authd.lock'),
      path.join(path.dirname(dbPath), 'store.lock'),
    ]) {
      assert.ok(fs.existsSync(lock), `${lock} exists`);
      const open = spawnSync(
        'runuser',
        ['-u', OTHER, '--', process.execPath, '-e', `require('fs').openSync(${JSON.stringify(lock)}, 'r+')`],
        {
          encoding: 'utf8',
        },
      );
      assert.notEqual(open.status, 0);
      assert.match(open.stderr, /EACCES/);
    }
  } finally {
    process.kill(-(squatter.pid as number), 'SIGKILL');
    squatter.stdout?.destroy();
    squatter.stderr?.destroy();
    await env.cleanup();
  }
});

test('a second daemon on the same socket names the one that holds it', async () => {
  const d = await startTestDaemon();
  try {
    const run = await runCli(['daemon', 'run'], { env: d.env });
    assert.equal(run.code, 0, run.stderr);
    const pid = (await d.client.health()).pid;
    assert.match(
      run.stdout + run.stderr,
      new RegExp(
        `another daemon serves ${d.env.MCPTEST_SOCKET}: pid ${pid} \\(the mcptest daemon of this socket, since `,
      ),
    );
  } finally {
    await d.cleanup();
  }
});

test('a daemon of the same store on another socket is refused, naming the one that serves it', async () => {
  const d = await startTestDaemon();
  try {
    const pid = (await d.client.health()).pid;
    const otherSocket = path.join(d.env.MCPTEST_HOME as string, 'run2', 'authd.sock');
    const run = await runCli(['daemon', 'run'], {
      env: { ...d.env, cleanup: undefined, MCPTEST_SOCKET: otherSocket },
    });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `another mcptest daemon already serves the token store .*tokens\\.db: pid ${pid} \\(the mcptest daemon of ${d.env.MCPTEST_SOCKET}`,
      ),
    );
  } finally {
    await d.cleanup();
  }
});

test('a daemon stopped by SIGSTOP is named as stopped, with the command that lets it go on', async () => {
  const d = await startTestDaemon();
  const pid = d.process.pid as number;
  try {
    process.kill(pid, 'SIGSTOP');
    const run = await runCli(['auth', 'status'], { env: d.env, timeoutMs: 60_000 });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `pid ${pid} \\(the mcptest daemon of this socket, since [^)]*, stopped \\(SIGSTOP or a debugger\\)\\)`,
      ),
    );
    assert.match(run.stderr, /holds the socket but did not answer within 15s/);
    assert.match(run.stderr, new RegExp(`hint: let it go on: kill -CONT ${pid}`));
    assert.doesNotMatch(run.stderr, /did not start within/);
  } finally {
    process.kill(pid, 'SIGCONT');
    await d.cleanup();
  }
});
