/**
 * A full log file system: a 64 KB tmpfs mounted as the daemon's log folder (the container runs as
 * root), filled to the last byte while the real daemon runs. Logging must never hold up serving
 * tokens: every health and token request answers, lines are dropped and said to be dropped once,
 * a line counts them when the log is writable again, and `mcptest daemon stop` stops it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let logDir = '';
let d: TestDaemon | undefined;

after(async () => {
  await d?.kill().catch(() => undefined);
  if (logDir) {
    try {
      execFileSync('umount', ['-l', logDir], { stdio: 'pipe' });
    } catch {
      // not mounted
    }
  }
  await d?.env.cleanup();
});

/** Writes a file until the file system is full; returns its path. */
function fill(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  const block = Buffer.alloc(1024, 'x');
  try {
    for (;;) fs.writeSync(fd, block);
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    fs.closeSync(fd);
  }
  // A tmpfs counts pages: a last partial page may still take a few bytes.
  const tail = fs.openSync(path.join(dir, 'filler-tail'), 'w');
  try {
    for (;;) fs.writeSync(tail, 'x');
  } catch {
    // full
  } finally {
    fs.closeSync(tail);
  }
  return filler;
}

test('a full log file system never stops the daemon answering; daemon stop still works', async () => {
  const env = isolatedEnv({ MCPTEST_LOG_LEVEL: 'trace' });
  logDir = path.join(env.MCPTEST_HOME as string, 'log');
  fs.mkdirSync(logDir, { recursive: true, mode: 0o700 });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', logDir], { stdio: 'pipe' });
  } catch (err) {
    assert.fail(`mounting a tmpfs needs root (CI runs as root): ${(err as Error).message}`);
  }
  d = await startTestDaemon({ env });
  const serverUrl = 'http://127.0.0.1:1/full-log';
  await d.client.importCredential({ serverUrl, accessToken: 'a'.repeat(40) });
  const stderr: string[] = [];
  d.process.stderr?.on('data', (chunk) => stderr.push(String(chunk)));

  const filler = fill(logDir);
  // Every request logs (trace); several hundred of them, some at once, against a full disk.
  const started = Date.now();
  for (let round = 0; round < 20; round++) {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? d!.client.getToken({ serverUrl }).then((t) => t.fingerprint) : d!.client.health(2000),
      ),
    );
    assert.equal(answers.length, 20);
    assert.ok(answers.every(Boolean), `round ${round}: every request answered`);
  }
  assert.ok(Date.now() - started < 30_000, 'answered without waiting on the log');
  const unknown = await d.client.getToken({ serverUrl: 'http://127.0.0.1:1/none' }).catch((e) => e);
  assert.equal(unknown.code, 'no_credentials', 'errors are answered too');

  const notices = stderr.join('').match(/cannot write its log .*authd\.log \(ENOSPC\); dropping log lines/g);
  assert.equal(notices?.length, 1, `said once: ${stderr.join('')}`);

  // Space again: the next lines get through, after one that counts what was lost.
  fs.rmSync(filler);
  await new Promise((r) => setTimeout(r, 1100));
  for (let i = 0; i < 5; i++) await d.client.health(2000);
  const deadline = Date.now() + 5000;
  while (!/log lines dropped/.test(d.log()) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const dropped = d
    .log()
    .match(/"dropped":(\d+),"msg":"\d+ log lines dropped: the log file could not be written \(ENOSPC\)"/);
  assert.ok(dropped && Number(dropped[1]) > 100, `a line counts the dropped lines: ${d.log().slice(-400)}`);
  for (const line of d.log().split('\n').filter(Boolean)) JSON.parse(line); // still JSON lines

  // Full again at stop: the final flush must not hang.
  fill(logDir);
  const stop = await runCli(['daemon', 'stop'], { env, timeoutMs: 20_000 });
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /mcptest auth daemon stopped/);
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    d.stop(),
    new Promise((r) => {
      timer = setTimeout(() => r('hung'), 10_000);
    }),
  ]);
  clearTimeout(timer);
  assert.notEqual(code, 'hung', 'the daemon exited');
});
