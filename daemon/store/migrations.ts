import type Database from 'better-sqlite3';

/**
 * Schema migrations, applied in order by `PRAGMA user_version`. Never edit a shipped entry:
 * append a new one. A database whose user_version is beyond the last entry was written by a
 * newer mcptest and is refused (see token-store.ts).
 */
export const MIGRATIONS: ReadonlyArray<(db: Database.Database) => void> = [
  (db) => {
    db.exec(`
      CREATE TABLE credentials (
        key                 TEXT PRIMARY KEY,
        server_url          TEXT NOT NULL,
        source              TEXT NOT NULL,
        access_token        TEXT NOT NULL,
        refresh_token       TEXT,
        token_type          TEXT NOT NULL,
        scope               TEXT,
        expires_at          INTEGER,
        issuer              TEXT,
        token_endpoint      TEXT,
        revocation_endpoint TEXT,
        client_id           TEXT,
        client_secret       TEXT,
        auth_method         TEXT,
        resource            TEXT,
        state               TEXT NOT NULL DEFAULT 'valid',
        last_error          TEXT,
        generation          INTEGER NOT NULL DEFAULT 1,
        created_at          INTEGER NOT NULL,
        updated_at          INTEGER NOT NULL
      );
      CREATE INDEX credentials_server_url ON credentials (server_url);

      CREATE TABLE clients (
        server_url   TEXT PRIMARY KEY,
        issuer       TEXT NOT NULL,
        client_id    TEXT NOT NULL,
        client_secret TEXT,
        method       TEXT NOT NULL,
        metadata     TEXT NOT NULL,
        created_at   INTEGER NOT NULL
      );

      CREATE TABLE discovery (
        server_url  TEXT PRIMARY KEY,
        document    TEXT NOT NULL,
        fetched_at  INTEGER NOT NULL
      );

      CREATE TABLE pending_logins (
        id          TEXT PRIMARY KEY,
        server_url  TEXT NOT NULL,
        kind        TEXT NOT NULL,
        status      TEXT NOT NULL,
        data        TEXT NOT NULL,
        error       TEXT,
        created_at  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      );
    `);
  },
  // refresh_started_at: a refresh was sent with the stored refresh token and its answer is not
  // committed yet; still set at start, it means the previous daemon died in that window.
  // secret_hash: a salted hash of the client-credentials secret (or key) a token was minted
  // with, so that a token is handed only to a caller presenting that secret. Never the secret.
  (db) => {
    db.exec(`
      ALTER TABLE credentials ADD COLUMN refresh_started_at INTEGER;
      ALTER TABLE credentials ADD COLUMN secret_hash TEXT;
    `);
  },
  // Client registrations keyed by (server URL, issuer): a registration belongs to the
  // authorization server that issued it (MCP 2026-07-28, "Authorization Server Binding"), so a
  // server whose authorization server changes gets a new one beside the old, never the old one
  // reused. Every existing row is kept under its own issuer.
  (db) => {
    db.exec(`
      CREATE TABLE clients_by_issuer (
        server_url    TEXT NOT NULL,
        issuer        TEXT NOT NULL,
        client_id     TEXT NOT NULL,
        client_secret TEXT,
        method        TEXT NOT NULL,
        metadata      TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        PRIMARY KEY (server_url, issuer)
      );
      INSERT INTO clients_by_issuer (server_url, issuer, client_id, client_secret, method, metadata, created_at)
        SELECT server_url, issuer, client_id, client_secret, method, metadata, created_at FROM clients;
      DROP TABLE clients;
      ALTER TABLE clients_by_issuer RENAME TO clients;
    `);
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;
