import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { McptestError } from '../../shared/errors.js';
import { ensurePrivateDir } from '../../shared/paths.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { PendingJournal } from './pending-journal.js';

export type CredentialSource = 'browser' | 'device' | 'client_credentials' | 'import';

/** One stored credential. `key` is the canonical server URL, or a longer key for client credentials. */
export interface CredentialRow {
  key: string;
  serverUrl: string;
  source: CredentialSource;
  accessToken: string;
  refreshToken: string | null;
  tokenType: string;
  scope: string | null;
  expiresAt: number | null;
  issuer: string | null;
  tokenEndpoint: string | null;
  revocationEndpoint: string | null;
  clientId: string | null;
  /** Secret of a registered login client (DCR or pre-registered). Never a client-credentials secret. */
  clientSecret: string | null;
  authMethod: string | null;
  resource: string | null;
  state: 'valid' | 'needs_login';
  lastError: string | null;
  generation: number;
  createdAt: number;
  updatedAt: number;
  /** Set while a refresh with `refreshToken` is on its way to the IdP (cleared by its outcome). */
  refreshStartedAt: number | null;
  /** Salted hash of the client-credentials secret the token was minted with; never the secret. */
  secretHash: string | null;
}

/** A whole credential as a login, an import or a mint writes it. */
export type NewCredential = Omit<
  CredentialRow,
  'generation' | 'createdAt' | 'updatedAt' | 'state' | 'lastError' | 'refreshStartedAt' | 'secretHash'
> & { secretHash?: string | null };

export interface NewTokenSet {
  accessToken: string;
  refreshToken?: string | null;
  tokenType?: string;
  scope?: string | null;
  expiresAt: number | null;
}

export interface ClientRegistrationRow {
  serverUrl: string;
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  method: 'dcr' | 'cimd' | 'preregistered';
  metadata: Record<string, unknown>;
  createdAt: number;
}

export interface PendingLoginRow {
  id: string;
  serverUrl: string;
  kind: 'device' | 'browser';
  status: 'pending' | 'complete' | 'failed' | 'cancelled';
  data: Record<string, unknown>;
  error: string | null;
  createdAt: number;
  expiresAt: number;
  updatedAt: number;
}

const CREDENTIAL_COLUMNS: Record<keyof CredentialRow, string> = {
  key: 'key',
  serverUrl: 'server_url',
  source: 'source',
  accessToken: 'access_token',
  refreshToken: 'refresh_token',
  tokenType: 'token_type',
  scope: 'scope',
  expiresAt: 'expires_at',
  issuer: 'issuer',
  tokenEndpoint: 'token_endpoint',
  revocationEndpoint: 'revocation_endpoint',
  clientId: 'client_id',
  clientSecret: 'client_secret',
  authMethod: 'auth_method',
  resource: 'resource',
  state: 'state',
  lastError: 'last_error',
  generation: 'generation',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  refreshStartedAt: 'refresh_started_at',
  secretHash: 'secret_hash',
};
const SELECT_CREDENTIAL = `SELECT ${Object.entries(CREDENTIAL_COLUMNS)
  .map(([prop, col]) => `${col} AS ${prop}`)
  .join(', ')} FROM credentials`;
/** The statement every token request runs, built once (statements are cached by their text). */
const SELECT_CREDENTIAL_BY_KEY = `${SELECT_CREDENTIAL} WHERE key = ?`;

function sqliteCode(err: unknown): string | undefined {
  return (err as { code?: string })?.code;
}

/** Turns SQLite failures into errors with a hint; the file itself is never touched. */
function storeError(err: unknown, dbPath: string): McptestError {
  const code = sqliteCode(err) ?? '';
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new McptestError(
      'store_corrupt',
      `token database ${dbPath} is damaged (${code}); it was left untouched`,
      {
        hint: `move it aside and log in again: mv ${dbPath} ${dbPath}.damaged`,
        cause: err,
      },
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new McptestError('store_locked', `token database ${dbPath} is locked by another process`, {
      hint: `find the process holding it: fuser ${dbPath}`,
      cause: err,
    });
  }
  if (
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_IOERR') ||
    code === 'SQLITE_FULL' ||
    code === 'SQLITE_PERM'
  ) {
    return new McptestError('store_unwritable', `cannot write token database ${dbPath} (${code})`, {
      hint: `check free space and permissions: df -h ${path.dirname(dbPath)}; ls -l ${dbPath}`,
      cause: err,
    });
  }
  if (err instanceof McptestError) return err;
  return new McptestError('internal', `token database error: ${(err as Error).message}`, { cause: err });
}

function unsafeFile(file: string, what: string): McptestError {
  return new McptestError('store_unsafe', `${file} is ${what}; it was refused and left as it is`, {
    hint: `put a regular file of your own there: mv ${file} ${file}.moved`,
  });
}

/** Refuses a symlink (or anything but a regular file) where the store keeps a file. */
function refuseUnsafe(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return; // missing: created as a regular file
  }
  if (st.isSymbolicLink()) throw unsafeFile(file, 'a symbolic link');
  if (!st.isFile()) throw unsafeFile(file, 'not a regular file');
}

function inode(file: string): number | null {
  return fs.statSync(file, { throwIfNoEntry: false })?.ino ?? null;
}

function configure(db: Database.Database): Database.Database {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  return db;
}

/** Something the store noticed and the daemon should log (the store itself has no logger). */
export type StoreNotice = (level: 'warn' | 'error', details: Record<string, unknown>, msg: string) => void;

/**
 * The daemon's SQLite store: credentials, client registrations, discovery results and pending
 * logins. One file (`tokens.db`, mode 0600, folder 0700) in WAL mode. Only the daemon opens it.
 * Beside it, the pending journal (`pending.journal`) keeps won token sets SQLite refused.
 */
export class TokenStore {
  private db: Database.Database;
  readonly dbPath: string;
  readonly journal: PendingJournal;
  /** Prepared statements, compiled once: the token route reads a credential on every call. */
  private readonly statements = new Map<string, Database.Statement>();
  private readonly walPath: string;
  /** The inode of the WAL this connection writes: another (or none) at the path means trouble. */
  private walInode: number | null;
  private watcher: fs.FSWatcher | null = null;
  private notice: StoreNotice = () => {};
  /**
   * Credential rows read since the database last changed. The token route reads one on every
   * request; whether another connection committed since (`PRAGMA data_version`) is asked once
   * per turn of the event loop, and a row is read again only when it did. So a commit of another
   * process is seen by every request that arrives after it, as before, and the requests of one
   * turn share one question instead of each reading the row. This connection's own writes empty
   * the cache, and no read inside a write takes from it or fills it.
   */
  private readonly rows = new Map<string, CredentialRow>();
  private rowsVersion: unknown = null;
  private dataVersion: Database.Statement | null = null;
  private versionAsked = false;
  private writing = 0;

  private constructor(db: Database.Database, dbPath: string, journal: PendingJournal) {
    this.db = db;
    this.dbPath = dbPath;
    this.journal = journal;
    this.walPath = `${dbPath}-wal`;
    this.walInode = inode(this.walPath);
  }

  static open(dbPath: string): TokenStore {
    ensurePrivateDir(path.dirname(dbPath));
    // A symlink would have SQLite (and chmod) work on its target, wherever it points.
    for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) refuseUnsafe(file);
    let db: Database.Database | undefined;
    try {
      // Create the file with 0600 before SQLite does; SQLite gives -wal/-shm the same mode.
      const fd = fs.openSync(
        dbPath,
        fs.constants.O_CREAT | fs.constants.O_RDWR | fs.constants.O_NOFOLLOW,
        0o600,
      );
      try {
        fs.fchmodSync(fd, 0o600);
      } finally {
        fs.closeSync(fd);
      }
      db = new Database(dbPath, { timeout: 5000 });
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') {
        throw new McptestError(
          'store_corrupt',
          `token database ${dbPath} failed its integrity check: ${check}`,
          {
            hint: `move it aside and log in again: mv ${dbPath} ${dbPath}.damaged`,
          },
        );
      }
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new McptestError(
          'store_newer_schema',
          `token database ${dbPath} has schema ${version}; this mcptest understands up to ${SCHEMA_VERSION}`,
          {
            hint: 'upgrade mcptest (npm install -g mcptest@latest), or point MCPTEST_HOME at another folder',
          },
        );
      }
      configure(db);
      const journal = PendingJournal.open(path.join(path.dirname(dbPath), 'pending.journal'));
      const store = new TokenStore(db, dbPath, journal);
      store.migrate(version);
      return store;
    } catch (err) {
      db?.close();
      if (err instanceof McptestError) throw err;
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ELOOP') throw unsafeFile(dbPath, 'a symbolic link');
      if (e.code === 'EACCES' || e.code === 'EROFS' || e.code === 'ENOSPC') {
        throw new McptestError('store_unwritable', `cannot open token database ${dbPath}: ${e.code}`, {
          hint: `check permissions and free space of ${path.dirname(dbPath)}`,
          cause: err,
        });
      }
      throw storeError(err, dbPath);
    }
  }

  /**
   * Where the store reports what it noticed, and the start of its watch on the WAL file: a WAL
   * removed under the daemon would take every commit since the last checkpoint with it at the
   * next crash, so its content is checkpointed into tokens.db at once and a new WAL opened.
   */
  watch(notice: StoreNotice): void {
    this.notice = notice;
    if (this.watcher) return;
    try {
      this.watcher = fs.watch(path.dirname(this.dbPath), { persistent: false }, (event, name) => {
        if (event === 'rename' && (name === null || name === path.basename(this.walPath))) this.checkWal();
      });
      this.watcher.on('error', () => {});
    } catch {
      // No watch (inotify exhausted): every write still checks the WAL.
    }
  }

  /** Saves the content of a WAL file that is no longer at its path, and opens a new one. */
  private checkWal(): void {
    if (!this.db.open) return;
    const now = inode(this.walPath);
    if (this.walInode === null) {
      this.walInode = now;
      return;
    }
    if (now === this.walInode) return;
    let saved = true;
    try {
      // The connection still holds the removed file open: copy every frame into tokens.db.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      saved = false;
      this.notice(
        'error',
        { walPath: this.walPath, code: sqliteCode(err) },
        'could not save the removed WAL',
      );
    }
    try {
      this.db.close();
      this.statements.clear();
      this.forgetRows();
      this.db = configure(new Database(this.dbPath, { timeout: 5000 }));
      this.walInode = inode(this.walPath);
    } catch (err) {
      this.notice('error', { walPath: this.walPath, code: sqliteCode(err) }, 'could not reopen the store');
      return;
    }
    this.notice(
      'error',
      { walPath: this.walPath, saved },
      saved
        ? `${this.walPath} was removed while the daemon ran; its commits were saved into ${this.dbPath} and a new WAL opened`
        : `${this.walPath} was removed while the daemon ran; commits since the last checkpoint may be lost`,
    );
  }

  private migrate(from: number): void {
    for (let v = from; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        MIGRATIONS[v](this.db);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  private run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw storeError(err, this.dbPath);
    }
  }

  /** A write: the WAL it goes to must still be the one at the path. */
  private write<T>(fn: () => T): T {
    this.checkWal();
    this.writing++;
    try {
      return this.run(fn);
    } finally {
      this.writing--;
      this.rows.clear();
    }
  }

  private forgetRows(): void {
    this.rows.clear();
    this.rowsVersion = null;
    this.dataVersion = null;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.db.open) this.db.close();
    this.forgetRows();
  }

  integrityCheck(): string {
    return this.run(() => String(this.db.pragma('integrity_check', { simple: true })));
  }

  // ---- credentials ----

  getCredential(key: string): CredentialRow | undefined {
    return this.run(() => {
      const read = () => this.stmt(SELECT_CREDENTIAL_BY_KEY).get(key) as CredentialRow | undefined;
      if (this.writing > 0) return read();
      if (!this.versionAsked) {
        this.dataVersion ??= this.db.prepare('PRAGMA data_version').pluck();
        const version = this.dataVersion.get();
        if (version !== this.rowsVersion) {
          this.rows.clear();
          this.rowsVersion = version;
        }
        this.versionAsked = true;
        setImmediate(() => {
          this.versionAsked = false;
        });
      }
      const known = this.rows.get(key);
      if (known) return { ...known };
      const row = read();
      if (row) this.rows.set(key, { ...row });
      return row;
    });
  }

  listCredentials(): CredentialRow[] {
    return this.run(
      () => this.stmt(`${SELECT_CREDENTIAL} ORDER BY server_url, key`).all() as CredentialRow[],
    );
  }

  /** Inserts or replaces a whole credential (a fresh login, an import, a new client-credentials token). */
  putCredential(row: NewCredential, now: number): CredentialRow {
    return this.write(() =>
      this.db.transaction(() => {
        const prev = this.getCredential(row.key);
        const full: CredentialRow = {
          ...row,
          secretHash: row.secretHash ?? null,
          refreshStartedAt: null,
          state: 'valid',
          lastError: null,
          generation: (prev?.generation ?? 0) + 1,
          createdAt: prev?.createdAt ?? now,
          updatedAt: now,
        };
        const cols = Object.values(CREDENTIAL_COLUMNS);
        this.stmt(
          `INSERT OR REPLACE INTO credentials (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
        ).run(...Object.keys(CREDENTIAL_COLUMNS).map((k) => full[k as keyof CredentialRow]));
        return full;
      })(),
    );
  }

  /**
   * Commits a refreshed (possibly rotated) token set in one transaction, before any caller is
   * handed the new token. Fails if another writer moved the generation on in between.
   */
  saveRefreshed(key: string, expectedGeneration: number, tokens: NewTokenSet, now: number): CredentialRow {
    return this.write(() =>
      this.db.transaction(() => {
        const prev = this.getCredential(key);
        if (!prev) throw new McptestError('not_found', `credential ${key} was removed during a refresh`);
        if (prev.generation !== expectedGeneration) {
          throw new McptestError(
            'internal',
            `credential ${key} changed during a refresh (generation ${prev.generation})`,
          );
        }
        this.stmt(
          `UPDATE credentials SET access_token = ?, refresh_token = ?, token_type = ?, scope = ?, expires_at = ?,
               state = 'valid', last_error = NULL, refresh_started_at = NULL, generation = generation + 1,
               updated_at = ? WHERE key = ?`,
        ).run(
          tokens.accessToken,
          tokens.refreshToken === undefined ? prev.refreshToken : tokens.refreshToken,
          tokens.tokenType ?? prev.tokenType,
          tokens.scope === undefined ? prev.scope : tokens.scope,
          tokens.expiresAt,
          now,
          key,
        );
        return this.getCredential(key)!;
      })(),
    );
  }

  /**
   * Records that a refresh of generation `generation` is about to be sent (read-then-write, so a
   * locked store refuses at once instead of waiting for its busy timeout).
   */
  markRefreshStarted(key: string, generation: number, now: number): void {
    this.write(() =>
      this.db.transaction(() => {
        const prev = this.getCredential(key);
        if (prev?.generation !== generation) return;
        this.stmt('UPDATE credentials SET refresh_started_at = ? WHERE key = ?').run(now, key);
      })(),
    );
  }

  /** The refresh sent has an outcome that is not a token set (a refusal, a timeout). */
  clearRefreshStarted(key: string): void {
    this.write(() =>
      this.stmt(
        'UPDATE credentials SET refresh_started_at = NULL WHERE key = ? AND refresh_started_at IS NOT NULL',
      ).run(key),
    );
  }

  markNeedsLogin(key: string, error: string, now: number): void {
    this.write(() =>
      this.stmt(
        `UPDATE credentials SET state = 'needs_login', last_error = ?, refresh_started_at = NULL, updated_at = ?
           WHERE key = ?`,
      ).run(error, now, key),
    );
  }

  setLastError(key: string, error: string | null, now: number): void {
    this.write(() =>
      this.stmt('UPDATE credentials SET last_error = ?, updated_at = ? WHERE key = ?').run(error, now, key),
    );
  }

  deleteCredential(key: string): boolean {
    return this.write(() => this.stmt('DELETE FROM credentials WHERE key = ?').run(key).changes > 0);
  }

  // ---- client registrations (keyed by server URL and the issuer of the AS that registered them) ----

  /**
   * The registration `issuer` holds for `serverUrl`; never one of another authorization server.
   * @see MCP authorization spec 2026-07-28 §"Authorization Server Binding"
   */
  getClient(serverUrl: string, issuer: string): ClientRegistrationRow | undefined {
    const row = this.run(
      () =>
        this.stmt(
          `SELECT server_url AS serverUrl, issuer, client_id AS clientId, client_secret AS clientSecret, method,
               metadata, created_at AS createdAt FROM clients WHERE server_url = ? AND issuer = ?`,
        ).get(serverUrl, issuer) as
          | (Omit<ClientRegistrationRow, 'metadata'> & { metadata: string })
          | undefined,
    );
    return row ? { ...row, metadata: JSON.parse(row.metadata) } : undefined;
  }

  /** Every registration kept for `serverUrl`, one per authorization server, newest first. */
  listClients(serverUrl: string): ClientRegistrationRow[] {
    const rows = this.run(
      () =>
        this.stmt(
          `SELECT server_url AS serverUrl, issuer, client_id AS clientId, client_secret AS clientSecret, method,
               metadata, created_at AS createdAt FROM clients WHERE server_url = ? ORDER BY created_at DESC`,
        ).all(serverUrl) as Array<Omit<ClientRegistrationRow, 'metadata'> & { metadata: string }>,
    );
    return rows.map((row) => ({ ...row, metadata: JSON.parse(row.metadata) }));
  }

  /** Stores a registration, replacing the one the same issuer held for the server. */
  putClient(row: ClientRegistrationRow): void {
    this.write(() =>
      this.stmt(
        `INSERT OR REPLACE INTO clients (server_url, issuer, client_id, client_secret, method, metadata, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        row.serverUrl,
        row.issuer,
        row.clientId,
        row.clientSecret,
        row.method,
        JSON.stringify(row.metadata),
        row.createdAt,
      ),
    );
  }

  /** Forgets the registrations of a server: of one issuer, or of all when none is named. */
  deleteClient(serverUrl: string, issuer?: string): void {
    this.write(() =>
      issuer === undefined
        ? this.stmt('DELETE FROM clients WHERE server_url = ?').run(serverUrl)
        : this.stmt('DELETE FROM clients WHERE server_url = ? AND issuer = ?').run(serverUrl, issuer),
    );
  }

  // ---- discovery results ----

  getDiscovery(serverUrl: string): { document: Record<string, unknown>; fetchedAt: number } | undefined {
    const row = this.run(
      () =>
        this.stmt('SELECT document, fetched_at AS fetchedAt FROM discovery WHERE server_url = ?').get(
          serverUrl,
        ) as { document: string; fetchedAt: number } | undefined,
    );
    return row ? { document: JSON.parse(row.document), fetchedAt: row.fetchedAt } : undefined;
  }

  putDiscovery(serverUrl: string, document: Record<string, unknown>, now: number): void {
    this.write(() =>
      this.stmt('INSERT OR REPLACE INTO discovery (server_url, document, fetched_at) VALUES (?, ?, ?)').run(
        serverUrl,
        JSON.stringify(document),
        now,
      ),
    );
  }

  deleteDiscovery(serverUrl: string): void {
    this.write(() => this.stmt('DELETE FROM discovery WHERE server_url = ?').run(serverUrl));
  }

  // ---- pending logins (so device polling resumes after a restart) ----

  putPendingLogin(row: PendingLoginRow): void {
    this.write(() =>
      this.stmt(
        `INSERT OR REPLACE INTO pending_logins (id, server_url, kind, status, data, error, created_at, expires_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        row.id,
        row.serverUrl,
        row.kind,
        row.status,
        JSON.stringify(row.data),
        row.error,
        row.createdAt,
        row.expiresAt,
        row.updatedAt,
      ),
    );
  }

  getPendingLogin(id: string): PendingLoginRow | undefined {
    const row = this.run(
      () =>
        this.stmt(
          `SELECT id, server_url AS serverUrl, kind, status, data, error, created_at AS createdAt,
               expires_at AS expiresAt, updated_at AS updatedAt FROM pending_logins WHERE id = ?`,
        ).get(id) as (Omit<PendingLoginRow, 'data'> & { data: string }) | undefined,
    );
    return row ? { ...row, data: JSON.parse(row.data) } : undefined;
  }

  listPendingLogins(): PendingLoginRow[] {
    const rows = this.run(
      () =>
        this.stmt(
          `SELECT id, server_url AS serverUrl, kind, status, data, error, created_at AS createdAt,
               expires_at AS expiresAt, updated_at AS updatedAt FROM pending_logins ORDER BY created_at`,
        ).all() as Array<Omit<PendingLoginRow, 'data'> & { data: string }>,
    );
    return rows.map((r) => ({ ...r, data: JSON.parse(r.data) }));
  }

  deletePendingLogin(id: string): void {
    this.write(() => this.stmt('DELETE FROM pending_logins WHERE id = ?').run(id));
  }
}
