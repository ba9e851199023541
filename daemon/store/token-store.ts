import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { McptestError } from '../../shared/errors.js';
import { ensurePrivateDir } from '../../shared/paths.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

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
}

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
};
const SELECT_CREDENTIAL = `SELECT ${Object.entries(CREDENTIAL_COLUMNS)
  .map(([prop, col]) => `${col} AS ${prop}`)
  .join(', ')} FROM credentials`;

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

/**
 * The daemon's SQLite store: credentials, client registrations, discovery results and pending
 * logins. One file (`tokens.db`, mode 0600, folder 0700) in WAL mode. Only the daemon opens it.
 */
export class TokenStore {
  private readonly db: Database.Database;
  readonly dbPath: string;
  /** Prepared statements, compiled once: the token route reads a credential on every call. */
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(db: Database.Database, dbPath: string) {
    this.db = db;
    this.dbPath = dbPath;
  }

  static open(dbPath: string): TokenStore {
    ensurePrivateDir(path.dirname(dbPath));
    let db: Database.Database | undefined;
    try {
      // Create the file with 0600 before SQLite does; SQLite gives -wal/-shm the same mode.
      const fd = fs.openSync(dbPath, fs.constants.O_CREAT | fs.constants.O_RDWR, 0o600);
      fs.closeSync(fd);
      fs.chmodSync(dbPath, 0o600);
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
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      const store = new TokenStore(db, dbPath);
      store.migrate(version);
      return store;
    } catch (err) {
      db?.close();
      if (err instanceof McptestError) throw err;
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EACCES' || e.code === 'EROFS' || e.code === 'ENOSPC') {
        throw new McptestError('store_unwritable', `cannot open token database ${dbPath}: ${e.code}`, {
          hint: `check permissions and free space of ${path.dirname(dbPath)}`,
          cause: err,
        });
      }
      throw storeError(err, dbPath);
    }
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

  close(): void {
    if (this.db.open) this.db.close();
  }

  integrityCheck(): string {
    return this.run(() => String(this.db.pragma('integrity_check', { simple: true })));
  }

  // ---- credentials ----

  getCredential(key: string): CredentialRow | undefined {
    return this.run(
      () => this.stmt(`${SELECT_CREDENTIAL} WHERE key = ?`).get(key) as CredentialRow | undefined,
    );
  }

  listCredentials(): CredentialRow[] {
    return this.run(
      () => this.stmt(`${SELECT_CREDENTIAL} ORDER BY server_url, key`).all() as CredentialRow[],
    );
  }

  /** Inserts or replaces a whole credential (a fresh login, an import, a new client-credentials token). */
  putCredential(
    row: Omit<CredentialRow, 'generation' | 'createdAt' | 'updatedAt' | 'state' | 'lastError'>,
    now: number,
  ): CredentialRow {
    return this.run(() =>
      this.db.transaction(() => {
        const prev = this.getCredential(row.key);
        const full: CredentialRow = {
          ...row,
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
    return this.run(() =>
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
               state = 'valid', last_error = NULL, generation = generation + 1, updated_at = ? WHERE key = ?`,
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

  markNeedsLogin(key: string, error: string, now: number): void {
    this.run(() =>
      this.stmt(
        `UPDATE credentials SET state = 'needs_login', last_error = ?, updated_at = ? WHERE key = ?`,
      ).run(error, now, key),
    );
  }

  setLastError(key: string, error: string | null, now: number): void {
    this.run(() =>
      this.stmt('UPDATE credentials SET last_error = ?, updated_at = ? WHERE key = ?').run(error, now, key),
    );
  }

  deleteCredential(key: string): boolean {
    return this.run(() => this.stmt('DELETE FROM credentials WHERE key = ?').run(key).changes > 0);
  }

  // ---- client registrations (keyed by server URL) ----

  getClient(serverUrl: string): ClientRegistrationRow | undefined {
    const row = this.run(
      () =>
        this.stmt(
          `SELECT server_url AS serverUrl, issuer, client_id AS clientId, client_secret AS clientSecret, method,
               metadata, created_at AS createdAt FROM clients WHERE server_url = ?`,
        ).get(serverUrl) as (Omit<ClientRegistrationRow, 'metadata'> & { metadata: string }) | undefined,
    );
    return row ? { ...row, metadata: JSON.parse(row.metadata) } : undefined;
  }

  putClient(row: ClientRegistrationRow): void {
    this.run(() =>
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

  deleteClient(serverUrl: string): void {
    this.run(() => this.stmt('DELETE FROM clients WHERE server_url = ?').run(serverUrl));
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
    this.run(() =>
      this.stmt('INSERT OR REPLACE INTO discovery (server_url, document, fetched_at) VALUES (?, ?, ?)').run(
        serverUrl,
        JSON.stringify(document),
        now,
      ),
    );
  }

  deleteDiscovery(serverUrl: string): void {
    this.run(() => this.stmt('DELETE FROM discovery WHERE server_url = ?').run(serverUrl));
  }

  // ---- pending logins (so device polling resumes after a restart) ----

  putPendingLogin(row: PendingLoginRow): void {
    this.run(() =>
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
    this.run(() => this.stmt('DELETE FROM pending_logins WHERE id = ?').run(id));
  }
}
