import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_VERSION } from '../../daemon/store/migrations.js';
import { TokenStore } from '../../daemon/store/token-store.js';
import { McptestError } from '../../shared/errors.js';
import { runCli } from '../helpers/cli.js';

function tempDb(): { dir: string; dbPath: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-store-'));
  return { dir, dbPath: path.join(dir, 'auth', 'tokens.db') };
}

const row = {
  key: 'https://mcp.example.com',
  serverUrl: 'https://mcp.example.com',
  source: 'import' as const,
  accessToken: 'at-1',
  refreshToken: 'rt-1',
  tokenType: 'Bearer',
  scope: 'mcp:read',
  expiresAt: 1000,
  issuer: null,
  tokenEndpoint: 'https://idp.example.com/token',
  revocationEndpoint: null,
  clientId: 'c',
  clientSecret: null,
  authMethod: 'none',
  resource: 'https://mcp.example.com',
};

test('a new store is WAL, 0600 in a 0700 folder, at the latest schema', () => {
  const { dir, dbPath } = tempDb();
  const store = TokenStore.open(dbPath);
  store.close();
  assert.equal(fs.statSync(dbPath).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(dbPath)).mode & 0o777, 0o700);
  const db = new Database(dbPath, { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  db.close();
  fs.rmSync(dir, { recursive: true });
});

test('a refreshed token set is committed with a new generation; a stale writer is refused', () => {
  const { dir, dbPath } = tempDb();
  const store = TokenStore.open(dbPath);
  const first = store.putCredential(row, 1);
  assert.equal(first.generation, 1);
  const second = store.saveRefreshed(
    row.key,
    1,
    { accessToken: 'at-2', refreshToken: 'rt-2', expiresAt: 2000 },
    2,
  );
  assert.equal(second.generation, 2);
  assert.equal(second.refreshToken, 'rt-2');
  assert.throws(
    () => store.saveRefreshed(row.key, 1, { accessToken: 'at-3', expiresAt: 3000 }, 3),
    /changed during a refresh/,
  );
  assert.equal(store.getCredential(row.key)?.accessToken, 'at-2');
  store.markNeedsLogin(row.key, 'invalid_grant', 4);
  assert.equal(store.getCredential(row.key)?.state, 'needs_login');
  // A new login replaces the credential and clears the state.
  assert.equal(store.putCredential({ ...row, accessToken: 'at-4' }, 5).state, 'valid');
  store.close();
  fs.rmSync(dir, { recursive: true });
});

test('a database of a newer schema is refused and left untouched', () => {
  const { dir, dbPath } = tempDb();
  TokenStore.open(dbPath).close();
  const db = new Database(dbPath);
  db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
  db.close();
  const bytes = fs.readFileSync(dbPath);
  assert.throws(
    () => TokenStore.open(dbPath),
    (err: unknown) =>
      err instanceof McptestError &&
      err.code === 'store_newer_schema' &&
      /upgrade mcptest/.test(err.hint ?? ''),
  );
  assert.deepEqual(fs.readFileSync(dbPath), bytes);
  fs.rmSync(dir, { recursive: true });
});

test('a corrupt database is refused with a hint, never reset', () => {
  const { dir, dbPath } = tempDb();
  fs.mkdirSync(path.dirname(dbPath), { recursive: true, mode: 0o700 });
  const garbage = Buffer.from('this is not a database, but it holds something precious '.repeat(200));
  fs.writeFileSync(dbPath, garbage, { mode: 0o600 });
  assert.throws(
    () => TokenStore.open(dbPath),
    (err: unknown) =>
      err instanceof McptestError && err.code === 'store_corrupt' && err.hint?.includes('mv ') === true,
  );
  assert.deepEqual(fs.readFileSync(dbPath), garbage, 'the file is untouched');
  fs.rmSync(dir, { recursive: true });
});

test('the CLI reports a corrupt store through the daemon start-up with the same hint', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-'));
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    MCPTEST_HOME: home,
    MCPTEST_SOCKET: path.join(home, 'run', 's.sock'),
  };
  fs.mkdirSync(path.join(home, 'auth'), { mode: 0o700 });
  const dbPath = path.join(home, 'auth', 'tokens.db');
  fs.writeFileSync(dbPath, Buffer.alloc(8192, 7), { mode: 0o600 });
  const run = await runCli(['auth', 'status'], { env });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /error: the auth daemon could not start: token database .* is damaged/);
  assert.match(run.stderr, /hint: move it aside and log in again: mv /);
  assert.deepEqual(fs.readFileSync(dbPath), Buffer.alloc(8192, 7));
  fs.rmSync(home, { recursive: true });
});

test('a store folder that cannot be created gives store_unwritable with a hint', () => {
  const { dir, dbPath } = tempDb();
  fs.mkdirSync(path.dirname(dbPath), { recursive: true, mode: 0o700 });
  // chmod does not stop root; a read-only bind is not available here, so use a path under a file.
  const blocked = path.join(dir, 'a-file');
  fs.writeFileSync(blocked, 'x');
  assert.throws(
    () => TokenStore.open(path.join(blocked, 'auth', 'tokens.db')),
    (err: unknown) =>
      err instanceof McptestError && err.code === 'store_unwritable' && /MCPTEST_HOME/.test(err.hint ?? ''),
  );
  fs.rmSync(dir, { recursive: true });
});

test('a tokens.db that is a symlink is refused with store_unsafe, and its target is left as it is', () => {
  const { dir, dbPath } = tempDb();
  fs.mkdirSync(path.dirname(dbPath), { mode: 0o700 });
  const target = path.join(dir, 'elsewhere');
  fs.writeFileSync(target, 'not a database\n');
  fs.chmodSync(target, 0o644);
  fs.symlinkSync(target, dbPath);
  assert.throws(
    () => TokenStore.open(dbPath),
    (err: unknown) =>
      err instanceof McptestError &&
      err.code === 'store_unsafe' &&
      /tokens\.db is a symbolic link; it was refused and left as it is/.test(err.message) &&
      /mv .*tokens\.db/.test(err.hint ?? ''),
  );
  assert.equal(fs.statSync(target).mode & 0o777, 0o644, 'the target was not chmod-ed');
  assert.equal(fs.readFileSync(target, 'utf8'), 'not a database\n');
  // The same for the WAL and for the pending journal.
  fs.unlinkSync(dbPath);
  fs.symlinkSync(target, `${dbPath}-wal`);
  assert.throws(() => TokenStore.open(dbPath), /tokens\.db-wal is a symbolic link/);
  fs.unlinkSync(`${dbPath}-wal`);
  fs.symlinkSync(target, path.join(path.dirname(dbPath), 'pending.journal'));
  assert.throws(() => TokenStore.open(dbPath), /pending\.journal is a symbolic link/);
  assert.equal(fs.statSync(target).mode & 0o777, 0o644);
  assert.equal(fs.readFileSync(target, 'utf8'), 'not a database\n');
  fs.rmSync(dir, { recursive: true });
});

test('a schema-2 database opens: its client registrations are kept under their issuer, one per authorization server from then on', () => {
  const { dir, dbPath } = tempDb();
  // A database as mcptest wrote it before registrations were keyed by issuer (schema 2).
  fs.mkdirSync(path.dirname(dbPath), { recursive: true, mode: 0o700 });
  const old = new Database(dbPath);
  old.pragma('journal_mode = WAL');
  for (const migration of MIGRATIONS.slice(0, 2)) migration(old);
  old.pragma('user_version = 2');
  old
    .prepare(
      `INSERT INTO clients (server_url, issuer, client_id, client_secret, method, metadata, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      'https://mcp.example.com',
      'https://as1.example.com',
      'as1-client',
      'as1-secret',
      'dcr',
      '{"grant_types":["authorization_code"]}',
      5,
    );
  old.close();
  fs.chmodSync(dbPath, 0o600);

  const store = TokenStore.open(dbPath);
  try {
    const kept = store.getClient('https://mcp.example.com', 'https://as1.example.com');
    assert.equal(kept?.clientId, 'as1-client');
    assert.equal(kept?.clientSecret, 'as1-secret');
    assert.deepEqual(kept?.metadata, { grant_types: ['authorization_code'] });
    assert.equal(store.getClient('https://mcp.example.com', 'https://as2.example.com'), undefined);
    // A registration at another authorization server sits beside the first, never over it.
    store.putClient({ ...kept!, issuer: 'https://as2.example.com', clientId: 'as2-client', createdAt: 6 });
    assert.deepEqual(
      store.listClients('https://mcp.example.com').map((c) => [c.issuer, c.clientId]),
      [
        ['https://as2.example.com', 'as2-client'],
        ['https://as1.example.com', 'as1-client'],
      ],
    );
    store.deleteClient('https://mcp.example.com', 'https://as2.example.com');
    assert.equal(store.listClients('https://mcp.example.com').length, 1);
  } finally {
    store.close();
  }
  const db = new Database(dbPath, { readonly: true });
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  db.close();
  fs.rmSync(dir, { recursive: true });
});

test('credential reads come from memory until the database changes: own writes, a failed write and another process commit are all seen', async () => {
  const { dir, dbPath } = tempDb();
  const store = TokenStore.open(dbPath);
  store.putCredential(row, 1);
  assert.equal(store.getCredential(row.key)?.accessToken, 'at-1');
  // A caller that changes the row it got does not change what the next caller gets.
  const got = store.getCredential(row.key);
  assert.ok(got);
  got.accessToken = 'changed by a caller';
  assert.equal(store.getCredential(row.key)?.accessToken, 'at-1');
  // Own writes, in the same turn of the event loop.
  store.saveRefreshed(row.key, 1, { accessToken: 'at-2', refreshToken: 'rt-2', expiresAt: 2000 }, 2);
  assert.equal(store.getCredential(row.key)?.accessToken, 'at-2');
  store.markNeedsLogin(row.key, 'refused', 3);
  assert.equal(store.getCredential(row.key)?.state, 'needs_login');
  // A write that fails (stale generation) leaves the committed row, not what it read inside.
  assert.throws(() =>
    store.saveRefreshed(row.key, 1, { accessToken: 'at-x', refreshToken: null, expiresAt: 9 }, 4),
  );
  assert.equal(store.getCredential(row.key)?.accessToken, 'at-2');
  // Another connection's commit: seen by the first read of the next turn.
  const other = new Database(dbPath);
  other.prepare('UPDATE credentials SET access_token = ? WHERE key = ?').run('at-external', row.key);
  await new Promise((r) => setImmediate(r));
  assert.equal(store.getCredential(row.key)?.accessToken, 'at-external');
  other.prepare('DELETE FROM credentials WHERE key = ?').run(row.key);
  other.close();
  await new Promise((r) => setImmediate(r));
  assert.equal(store.getCredential(row.key), undefined);
  store.close();
  fs.rmSync(dir, { recursive: true });
});
