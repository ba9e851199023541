/**
 * The store under faults, with the real daemon process and the real IdP: the database locked by
 * another process, a full and a read-only file system (a tiny tmpfs mounted under the test's
 * MCPTEST_HOME: the container runs as root, where chmod would not stop a write). Where time must
 * move, the daemon is built in-process (buildDaemon() with a FakeClock) on the same tmpfs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { createLogger } from '../../daemon/logger.js';
import { buildDaemon } from '../../daemon/build-daemon.js';
import { TokenStore } from '../../daemon/store/token-store.js';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { McptestError } from '../../shared/errors.js';
import { fingerprint } from '../../shared/fingerprint.js';
import { resolvePaths } from '../../shared/paths.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { refreshRequests, seedLogin } from '../helpers/seed.js';

let idp: Idp;
before(async () => {
  idp = await startIdp();
});
after(async () => {
  await idp.close();
});

const isCode = (code: string, hint?: RegExp) => (err: unknown) =>
  err instanceof McptestError && err.code === code && (!hint || hint.test(err.hint ?? ''));

test('database locked by another process: store_locked with a hint, no hang; recovery once released, the won token set kept', async () => {
  const d = await startTestDaemon();
  const dbPath = path.join(d.env.MCPTEST_HOME as string, 'auth', 'tokens.db');
  const holder = new Database(dbPath, { timeout: 100 });
  try {
    const serverUrl = 'http://127.0.0.1:1/locked';
    const seeded = await seedLogin(idp, d.client, serverUrl, { expiresIn: 3600 });
    const old = fingerprint(seeded.access_token);

    holder.exec('BEGIN EXCLUSIVE');
    // Reads still work under WAL: a cached token is served while another process writes.
    assert.equal((await d.client.getToken({ serverUrl })).fingerprint, old);

    // A write transaction (read, then write) cannot wait for the lock under WAL without risking
    // a deadlock, so SQLite refuses it at once: store_locked with a hint, no hang.
    const started = Date.now();
    await assert.rejects(
      () => d.client.importCredential({ serverUrl: 'http://127.0.0.1:1/other', accessToken: 'x'.repeat(40) }),
      isCode('store_locked', /fuser .*tokens\.db/),
    );
    assert.ok(Date.now() - started < 6000, 'answered within the busy timeout');

    // A refresh whose new token set cannot be committed: the IdP has rotated the refresh token,
    // so that set must not be thrown away, or the grant is lost.
    const refreshesBefore = refreshRequests(idp);
    await assert.rejects(
      () => d.client.getToken({ serverUrl, rejectedFingerprint: old }),
      isCode('store_locked'),
    );
    assert.equal(refreshRequests(idp) - refreshesBefore, 1);

    holder.exec('COMMIT');
    assert.equal((await d.client.health()).name, 'mcptest-authd', 'the daemon stayed up');

    // Once released: the won token set is committed without asking the IdP again, and the
    // login keeps working (no rotated-out refresh token is ever presented).
    const after = await d.client.getToken({ serverUrl, rejectedFingerprint: old });
    assert.notEqual(after.fingerprint, old);
    assert.equal(refreshRequests(idp) - refreshesBefore, 1, 'the committed set is the one already won');
    const again = await d.client.getToken({ serverUrl, rejectedFingerprint: after.fingerprint });
    assert.notEqual(again.fingerprint, after.fingerprint, 'the next refresh works: the grant survived');
    const [summary] = (await d.client.listCredentials()).filter((c) => c.serverUrl === serverUrl);
    assert.equal(summary.state, 'valid');

    await d.client.importCredential({ serverUrl: 'http://127.0.0.1:1/other', accessToken: 'y'.repeat(40) });
    assert.equal((await d.client.listCredentials()).length, 2);
  } finally {
    if (holder.inTransaction) holder.exec('ROLLBACK');
    holder.close();
    await d.cleanup();
  }
});

function tryMount(dir: string, options: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

function umount(dir: string): void {
  try {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  } catch {
    // not mounted
  }
}

test('a full file system: store_unwritable with a df hint, the daemon stays up, and writes work again once space is freed', async () => {
  const env = isolatedEnv();
  const authDir = path.join(env.MCPTEST_HOME as string, 'auth');
  fs.mkdirSync(authDir, { recursive: true, mode: 0o700 });
  assert.ok(
    tryMount(authDir, 'size=512k,mode=0700'),
    'mounting a tmpfs needs root (CI runs as root); this test simulates a full disk with it',
  );
  try {
    const d = await startTestDaemon({ env });
    try {
      const serverUrl = 'http://127.0.0.1:1/full';
      await d.client.importCredential({ serverUrl, accessToken: 'a'.repeat(40), expiresIn: 3600 });
      // Fill the file system to the last block.
      const filler = path.join(authDir, 'filler');
      const fd = fs.openSync(filler, 'w');
      try {
        const chunk = Buffer.alloc(4096, 1);
        for (;;) fs.writeSync(fd, chunk);
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      } finally {
        fs.closeSync(fd);
      }
      let failure: unknown;
      for (let i = 0; i < 20 && !failure; i++) {
        await d.client
          .importCredential({ serverUrl: `http://127.0.0.1:1/full-${i}`, accessToken: 'b'.repeat(60_000) })
          .catch((err) => {
            failure = err;
          });
      }
      assert.ok(isCode('store_unwritable', /df -h/)(failure), `store_unwritable (got ${String(failure)})`);
      assert.match((failure as McptestError).message, /SQLITE_FULL|SQLITE_IOERR/);
      // Reads still work and the daemon still answers.
      assert.equal((await d.client.getToken({ serverUrl })).fingerprint, fingerprint('a'.repeat(40)));
      const cli = await runCli(['auth', 'status', '--json'], { env: d.env });
      assert.equal(cli.code, 0, cli.stderr);

      fs.rmSync(filler);
      await d.client.importCredential({ serverUrl: 'http://127.0.0.1:1/after', accessToken: 'c'.repeat(40) });
      const keys = (await d.client.listCredentials()).map((c) => c.serverUrl);
      assert.ok(keys.includes(serverUrl) && keys.includes('http://127.0.0.1:1/after'), keys.join(' '));
      await d.stop();
      await d.client.close();
      const db = new Database(path.join(authDir, 'tokens.db'), { readonly: true });
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      db.close();
    } finally {
      await d.stop();
    }
  } finally {
    umount(authDir);
    await env.cleanup();
  }
});

test('a read-only file system: the daemon refuses to start with store_unwritable, naming the file, with a hint', async () => {
  const env = isolatedEnv();
  const authDir = path.join(env.MCPTEST_HOME as string, 'auth');
  fs.mkdirSync(authDir, { recursive: true, mode: 0o700 });
  assert.ok(tryMount(authDir, 'size=512k,mode=0700'), 'mounting a tmpfs needs root');
  try {
    const d = await startTestDaemon({ env });
    const serverUrl = 'http://127.0.0.1:1/ro';
    await d.client.importCredential({ serverUrl, accessToken: 'a'.repeat(40), expiresIn: 3600 });
    await d.stop();
    await d.client.close();
    // Linux refuses to remount read-only under an open writer, so the store is closed first.
    execFileSync('mount', ['-o', 'remount,ro', authDir]);
    const run = await runCli(['auth', 'status'], { env });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /cannot (open|write) token database .*tokens\.db/);
    assert.match(run.stderr, /hint: /);
    // The database is intact and still holds the credential (read from a copy: SQLite cannot
    // open a WAL database on a read-only file system).
    const copy = path.join(env.MCPTEST_HOME as string, 'copy.db');
    fs.copyFileSync(path.join(authDir, 'tokens.db'), copy);
    const db = new Database(copy, { fileMustExist: true });
    assert.equal((db.prepare('SELECT count(*) AS n FROM credentials').get() as { n: number }).n, 1);
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
  } finally {
    umount(authDir);
    await env.cleanup();
  }
});

/** Fills the file system holding `dir` to its last block; returns the filler file. */
function fillDisk(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  try {
    const chunk = Buffer.alloc(4096, 1);
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A stopping daemon removes its advertisement (`auth/daemon.json`), which frees a block on this
 * tiny file system: enough, often, for the commit to fit after all. To keep the disk full through
 * the stop, the advertisement is made another daemon's (as when a new daemon has taken over),
 * which the stopping daemon leaves in place.
 */
function keepAdvertisement(authDir: string): void {
  const file = path.join(authDir, 'daemon.json');
  const info = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number; socketPath: string };
  const fd = fs.openSync(file, 'r+');
  try {
    // In place, same length: no block freed or taken.
    const text = JSON.stringify({ ...info, pid: 1 }).padEnd(fs.fstatSync(fd).size - 1, ' ');
    fs.writeSync(fd, `${text}\n`, 0);
  } finally {
    fs.closeSync(fd);
  }
}

async function onTmpfs(fn: (env: ReturnType<typeof isolatedEnv>, authDir: string) => Promise<void>) {
  const env = isolatedEnv();
  const authDir = path.join(env.MCPTEST_HOME as string, 'auth');
  fs.mkdirSync(authDir, { recursive: true, mode: 0o700 });
  assert.ok(tryMount(authDir, 'size=512k,mode=0700'), 'mounting a tmpfs needs root (CI runs as root)');
  try {
    await fn(env, authDir);
  } finally {
    umount(authDir);
    await env.cleanup();
  }
}

test('a refresh won on a full disk survives a graceful stop: kept in the pending journal, committed at the next start', async () => {
  await onTmpfs(async (env, authDir) => {
    const d = await startTestDaemon({ env });
    const serverUrl = 'http://127.0.0.1:1/journal';
    let filler = '';
    try {
      const seeded = await seedLogin(idp, d.client, serverUrl, { expiresIn: 3600 });
      const old = fingerprint(seeded.access_token);
      const journal = path.join(authDir, 'pending.journal');
      assert.equal(fs.statSync(journal).mode & 0o777, 0o600, 'the journal is 0600, sized up-front');
      keepAdvertisement(authDir);
      filler = fillDisk(authDir);
      const refreshesBefore = refreshRequests(idp);
      // The IdP rotates the refresh token; SQLite cannot commit the answer.
      await assert.rejects(
        () => d.client.getToken({ serverUrl, rejectedFingerprint: old }),
        isCode('store_unwritable', /df -h/),
      );
      assert.equal(refreshRequests(idp) - refreshesBefore, 1);
      // A graceful stop with the disk still full: the set is in the journal, so the daemon may go.
      assert.equal(await d.stop(), 0);
      const log = d.log();
      assert.match(log, /kept in the pending journal and the next start commits them/);
      assert.ok(!log.includes(seeded.refresh_token as string) && !log.includes(seeded.access_token));
      await d.client.close();

      fs.rmSync(filler);
      const d2 = await startTestDaemon({ env });
      try {
        const now = await d2.client.getToken({ serverUrl });
        assert.notEqual(now.fingerprint, old, 'the token set won before the stop');
        assert.equal(
          refreshRequests(idp) - refreshesBefore,
          1,
          'replayed from the journal, not refreshed again',
        );
        // The rotated refresh token is the one the store holds now: the grant is alive.
        const next = await d2.client.getToken({ serverUrl, rejectedFingerprint: now.fingerprint });
        assert.notEqual(next.fingerprint, now.fingerprint);
        const [summary] = await d2.client.listCredentials();
        assert.equal(summary.state, 'valid');
        assert.match(d2.log(), /replayed the pending journal into the store/);
      } finally {
        await d2.stop();
        await d2.client.close();
      }
    } finally {
      await d.stop();
      await d.client.close();
    }
  });
});

test('a won token set that could be neither committed nor journaled: the daemon does not stop until it is committed, and says why', async () => {
  await onTmpfs(async (env, authDir) => {
    const d = await startTestDaemon({ env });
    const serverUrl = 'http://127.0.0.1:1/no-journal';
    try {
      const seeded = await seedLogin(idp, d.client, serverUrl, { expiresIn: 3600 });
      const old = fingerprint(seeded.access_token);
      // Without its journal (removed), the daemon has nowhere but memory for the won set.
      fs.rmSync(path.join(authDir, 'pending.journal'));
      keepAdvertisement(authDir);
      const filler = fillDisk(authDir);
      await assert.rejects(
        () => d.client.getToken({ serverUrl, rejectedFingerprint: old }),
        isCode('store_unwritable'),
      );
      d.process.kill('SIGTERM');
      await until('the daemon to say why it does not stop', () =>
        /not stopping yet: 1 token set/.test(d.log()),
      );
      assert.equal(d.process.exitCode, null, 'still running');
      fs.rmSync(filler); // space again: the daemon commits the set and stops
      const code = await new Promise<number | null>((resolve) => {
        if (d.process.exitCode !== null) resolve(d.process.exitCode);
        else d.process.once('exit', resolve);
      });
      assert.equal(code, 0);
      assert.match(d.log(), /committed token sets kept from earlier refreshes/);
      await d.client.close();

      const d2 = await startTestDaemon({ env });
      try {
        const now = await d2.client.getToken({ serverUrl });
        assert.notEqual(now.fingerprint, old, 'the set won before the stop was committed');
        const next = await d2.client.getToken({ serverUrl, rejectedFingerprint: now.fingerprint });
        assert.notEqual(next.fingerprint, now.fingerprint, 'the grant is alive');
      } finally {
        await d2.stop();
        await d2.client.close();
      }
    } finally {
      await d.stop();
      await d.client.close();
    }
  });
});

test('a token set kept while the disk was full and expired meanwhile is never handed out: the daemon refreshes again', async () => {
  await onTmpfs(async (env) => {
    const paths = resolvePaths(env);
    const store = TokenStore.open(paths.dbPath);
    const clock = new FakeClock();
    const app = buildDaemon({
      store,
      clock,
      fetch: globalThis.fetch,
      paths,
      logger: createLogger({ level: 'silent' }),
    });
    await app.ready();
    try {
      const serverUrl = 'http://127.0.0.1:1/stale';
      const set = await idp.obtainTokenSet({ resource: serverUrl, scope: 'mcp:read' });
      const put = await app.inject({
        method: 'PUT',
        url: '/v1/credentials',
        payload: {
          serverUrl,
          accessToken: set.access_token,
          refreshToken: set.refresh_token,
          expiresIn: 3600,
          issuer: set.issuer,
          tokenEndpoint: set.token_endpoint,
          clientId: set.client_id,
          authMethod: 'none',
          resource: serverUrl,
        },
      });
      assert.equal(put.statusCode, 200, put.body);
      const filler = fillDisk(path.dirname(paths.dbPath));
      const refreshesBefore = refreshRequests(idp);
      const refused = await app.inject({
        method: 'POST',
        url: '/v1/token',
        payload: { serverUrl, rejectedFingerprint: fingerprint(set.access_token) },
      });
      assert.equal(refused.json().error.code, 'store_unwritable', refused.body);
      clock.jump(2 * 3600_000); // the kept set (an hour of life) is past its expiry
      fs.rmSync(filler);
      const res = await app.inject({ method: 'POST', url: '/v1/token', payload: { serverUrl } });
      assert.equal(res.statusCode, 200, res.body);
      const answer = res.json() as { expiresAt: number };
      assert.ok(answer.expiresAt > clock.now(), 'not the expired kept set');
      assert.equal(refreshRequests(idp) - refreshesBefore, 2, 'the kept set committed, then refreshed');
    } finally {
      await app.close();
      store.close();
    }
  });
});
