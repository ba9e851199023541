/**
 * A process-wide mutex on a file inside one of the user's private (0700) folders, released by
 * the kernel when the holder dies, even by `kill -9`: an exclusive SQLite transaction, which is
 * an fcntl lock on the file. Another user cannot open the file, so cannot hold the lock (an
 * abstract-namespace socket, the lock mcptest used before, has no permissions: anyone could take
 * its name first and keep the daemon from starting).
 *
 * Beside the lock, `<file>.holder` names the holder (pid, role, since) for messages; it is
 * written after the lock is taken and is only ever advice.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface HeldLock {
  release(): Promise<void>;
}

export interface LockHolder {
  pid: number;
  role: string;
  since: number;
}

interface LockDatabase {
  pragma(source: string): unknown;
  exec(source: string): unknown;
  close(): unknown;
}

/**
 * Tries to take the lock at `file` (created 0600 when missing); null when another process holds
 * it. The caller must have made the folder private first (`ensurePrivateDir`).
 */
export function tryFileLock(file: string, role: string): HeldLock | null {
  const Database = require('better-sqlite3') as new (
    file: string,
    options: { timeout: number },
  ) => LockDatabase;
  const st = lstatOrNull(file);
  if (st && !st.isFile()) {
    throw new Error(`${file} is not a regular file`);
  }
  fs.closeSync(
    fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_RDWR | fs.constants.O_NOFOLLOW, 0o600),
  );
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return null;
    throw err;
  }
  const holderFile = `${file}.holder`;
  try {
    const tmp = `${holderFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify({ pid: process.pid, role, since: Date.now() })}\n`, {
      mode: 0o600,
    });
    fs.renameSync(tmp, holderFile);
  } catch {
    // the holder note is advice only; a full disk must not cost the lock
  }
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      try {
        if (readLockHolder(file)?.pid === process.pid) fs.unlinkSync(holderFile);
      } catch {
        // already gone
      }
      try {
        db.exec('ROLLBACK');
      } finally {
        db.close();
      }
    },
  };
}

/** Who says they hold the lock at `file`, when that process still exists; else null. */
export function readLockHolder(file: string): LockHolder | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(`${file}.holder`, 'utf8')) as Partial<LockHolder>;
    if (!Number.isSafeInteger(parsed.pid) || typeof parsed.role !== 'string') return null;
    const holder = { pid: parsed.pid as number, role: parsed.role, since: Number(parsed.since) || 0 };
    process.kill(holder.pid, 0); // throws ESRCH when it is gone
    return holder;
  } catch {
    // no note, a damaged one, or its pid is gone (ESRCH) or another user's (EPERM: recycled)
    return null;
  }
}

/**
 * The state letter of a process from `/proc/<pid>/stat` (R running, S sleeping, T stopped,
 * t traced, Z zombie, D waiting on I/O), or null where there is no /proc.
 */
export function processState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) || null;
  } catch {
    return null;
  }
}

/** "pid 123 (the mcptest daemon, since 12:00:00)": for messages that name a lock's holder. */
export function describeHolder(holder: LockHolder | null): string {
  if (!holder) return 'a process whose pid is not recorded';
  const since = holder.since ? `, since ${new Date(holder.since).toISOString()}` : '';
  const state = processState(holder.pid);
  const stopped = state === 'T' || state === 't' ? ', stopped (SIGSTOP or a debugger)' : '';
  return `pid ${holder.pid} (${holder.role}${since}${stopped})`;
}

function lstatOrNull(file: string): fs.Stats | null {
  try {
    return fs.lstatSync(file);
  } catch {
    return null;
  }
}
