/**
 * A full log file system: a 64 KB tmpfs mounted as the daemon's log folder (the container runs as
 * root), filled to the last byte while the daemon runs. Logging must never hold up serving
 * tokens: every health and token request answers, lines are dropped and said to be dropped once,
 * a line counts them when the log is writable again, and `mcptest daemon stop` stops it.
 *
 * The log file tries a failing disk again only a second (`retryMs`) after the last failure. The
 * real daemon process reads the real clock: how many seconds its requests take is up to the
 * machine, so what depends on that second (the notice said once, the count after the retry) is
 * checked on the daemon built in-process, its log file on a FakeClock: time moves when told.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { after, test } from 'node:test';
import { LogFile } from '../../daemon/log-file.js';
import { createLogger } from '../../daemon/logger.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { type InProcessDaemon, startInProcessDaemon } from '../helpers/in-process-daemon.js';

const mounts: string[] = [];
let d: TestDaemon | undefined;
const inProcess: { daemon?: InProcessDaemon; logFile?: LogFile; dir?: string } = {};

after(async () => {
  await d?.kill().catch(() => undefined);
  await inProcess.daemon?.cleanup().catch(() => undefined);
  inProcess.logFile?.close();
  for (const dir of mounts) {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } catch {
      // not mounted
    }
  }
  await d?.env.cleanup();
  if (inProcess.dir) fs.rmSync(inProcess.dir, { recursive: true, force: true });
});

/** Mounts a 64 KB tmpfs on `dir`. */
function mountSmallTmpfs(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    assert.fail(`mounting a tmpfs needs root (CI runs as root): ${(err as Error).message}`);
  }
  mounts.push(dir);
}

const NOTICE = /cannot write its log .*authd\.log \(ENOSPC\); dropping log lines/g;
const COUNT_LINE =
  /"dropped":(\d+),"msg":"\d+ log lines dropped: the log file could not be written \(ENOSPC\)"/;

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

/** 20 rounds of 20 requests (token and health, half each), each of which logs (trace). */
async function hammer(
  getToken: () => Promise<{ fingerprint: string }>,
  health: () => Promise<unknown>,
): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? getToken().then((t) => t.fingerprint) : health())),
    );
    assert.equal(answers.length, 20);
    assert.ok(answers.every(Boolean), `round ${round}: every request answered`);
  }
}

test('a full log file system never stops the daemon answering; daemon stop still works', async () => {
  const env = isolatedEnv({ MCPTEST_LOG_LEVEL: 'trace' });
  const logDir = path.join(env.MCPTEST_HOME as string, 'log');
  mountSmallTmpfs(logDir);
  d = await startTestDaemon({ env });
  const serverUrl = 'http://127.0.0.1:1/full-log';
  await d.client.importCredential({ serverUrl, accessToken: 'a'.repeat(40) });
  const stderr: string[] = [];
  d.process.stderr?.on('data', (chunk) => stderr.push(String(chunk)));

  const filler = fill(logDir);
  // Every request logs (trace); several hundred of them, some at once, against a full disk.
  const started = Date.now();
  await hammer(
    () => d!.client.getToken({ serverUrl }),
    () => d!.client.health(2000),
  );
  assert.ok(Date.now() - started < 30_000, 'answered without waiting on the log');
  const unknown = await d.client.getToken({ serverUrl: 'http://127.0.0.1:1/none' }).catch((e) => e);
  assert.equal(unknown.code, 'no_credentials', 'errors are answered too');
  // Said on stderr (exactly once while the clock stands still: the in-process test below; here
  // the requests may outlast the one-second retry, after which lines that fit the log's last
  // page get through and a new failure is said again).
  assert.ok((stderr.join('').match(NOTICE)?.length ?? 0) >= 1, `said: ${stderr.join('')}`);

  // Space again: once the retry is due (real time, here), lines get through, after one that
  // counts what was lost. Asked until then, never slept for.
  fs.rmSync(filler);
  const deadline = Date.now() + 10_000;
  while (!COUNT_LINE.test(d.log()) && Date.now() < deadline) {
    await d.client.health(2000);
    await new Promise((r) => setTimeout(r, 50));
  }
  const dropped = d.log().match(COUNT_LINE);
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

test('on the daemon clock: dropped lines are said once, and counted once the retry is due and space is back', async () => {
  inProcess.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-log-'));
  const logDir = path.join(inProcess.dir, 'log');
  mountSmallTmpfs(logDir);
  const clock = new FakeClock();
  const notices: string[] = [];
  const logFile = new LogFile(path.join(logDir, 'authd.log'), {
    now: () => clock.now(),
    warn: (text) => notices.push(text),
  });
  inProcess.logFile = logFile;
  const written = async () => {
    await new Promise<void>((r) => logFile.flush(() => r()));
    return fs.readFileSync(path.join(logDir, 'authd.log'), 'utf8');
  };
  const daemon = await startInProcessDaemon({
    clock,
    logger: createLogger({ destination: logFile, level: 'trace' }),
  });
  inProcess.daemon = daemon;
  const serverUrl = 'http://127.0.0.1:1/full-log';
  await daemon.client.importCredential({ serverUrl, accessToken: 'a'.repeat(40) });

  const filler = fill(logDir);
  await hammer(
    () => daemon.client.getToken({ serverUrl }),
    () => daemon.client.health(2000),
  );
  const unknown = await daemon.client.getToken({ serverUrl: 'http://127.0.0.1:1/none' }).catch((e) => e);
  assert.equal(unknown.code, 'no_credentials', 'errors are answered too');
  assert.equal(notices.join('').match(NOTICE)?.length, 1, `said once: ${notices.join('')}`);

  // Space again, but the retry is not due yet: lines are still dropped, uncounted in the file.
  fs.rmSync(filler);
  await daemon.client.health(2000);
  assert.doesNotMatch(await written(), COUNT_LINE, 'no attempt before the retry is due');
  // The retry second passes on the clock: the next lines get through, after one that counts.
  await daemon.elapse(1100);
  for (let i = 0; i < 5; i++) await daemon.client.health(2000);
  const log = await written();
  const dropped = log.match(COUNT_LINE);
  assert.ok(dropped && Number(dropped[1]) > 100, `a line counts the dropped lines: ${log.slice(-400)}`);
  for (const line of log.split('\n').filter(Boolean)) JSON.parse(line); // still JSON lines
  assert.equal(notices.length, 1, 'said once in all');
});
