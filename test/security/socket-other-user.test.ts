/**
 * Another Unix user cannot talk to the daemon: the socket's folder is 0700 and the socket 0600,
 * and each stops them on its own. Needs root to create the test user (CI runs as root);
 * `useradd -M -r mcptest-other` is used when the user is missing.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const OTHER = 'mcptest-other';

function ensureOtherUser(): void {
  const known = spawnSync('id', ['-u', OTHER]);
  if (known.status === 0) return;
  assert.equal(process.getuid?.(), 0, 'creating the test user needs root (CI runs as root)');
  execFileSync('useradd', ['-M', '-r', '-s', '/usr/sbin/nologin', OTHER], { stdio: 'pipe' });
}

/** Connects to the socket as the other user; returns the errno (or 'connected'). */
function connectAs(socketPath: string): string {
  const script = `const s=require('net').connect(${JSON.stringify(socketPath)});s.on('connect',()=>{console.log('connected');s.destroy()});s.on('error',e=>console.log(e.code))`;
  const run = spawnSync('runuser', ['-u', OTHER, '--', process.execPath, '-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim();
}

let d: TestDaemon;
before(async () => {
  ensureOtherUser();
  d = await startTestDaemon();
  // Let the other user reach the socket folder's parent, so only mcptest's own modes decide.
  fs.chmodSync(d.env.MCPTEST_HOME as string, 0o755);
});
after(async () => {
  await d?.cleanup();
});

test('the 0700 socket folder stops another user (EACCES)', () => {
  const socketPath = d.env.MCPTEST_SOCKET as string;
  assert.equal(fs.statSync(path.dirname(socketPath)).mode & 0o777, 0o700);
  assert.equal(connectAs(socketPath), 'EACCES');
});

test('the 0600 socket stops another user even when the folder can be traversed (EACCES)', async () => {
  const socketPath = d.env.MCPTEST_SOCKET as string;
  const dir = path.dirname(socketPath);
  assert.equal(fs.statSync(socketPath).mode & 0o777, 0o600);
  fs.chmodSync(dir, 0o711);
  try {
    assert.equal(connectAs(socketPath), 'EACCES');
  } finally {
    fs.chmodSync(dir, 0o700);
  }
  // The owner still gets through.
  assert.equal((await d.client.health()).name, 'mcptest-authd');
});

test('the database is out of reach of another user', () => {
  const dbPath = path.join(d.env.MCPTEST_HOME as string, 'auth', 'tokens.db');
  const run = spawnSync('runuser', ['-u', OTHER, '--', 'cat', dbPath], { encoding: 'utf8' });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /Permission denied/);
});
