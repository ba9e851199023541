import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { McptestError } from './errors.js';

/** Every file location mcptest uses, resolved once from the environment. */
export interface McptestPaths {
  /** `MCPTEST_HOME`, default `~/.mcptest`. */
  home: string;
  /** `<home>/auth`: holds the token database (folder 0700). */
  authDir: string;
  /** `<home>/auth/tokens.db` (file 0600). */
  dbPath: string;
  /**
   * `<home>/auth/daemon.json`: the pid and socket of the daemon serving this store, so a client
   * that resolves another socket path (another XDG_RUNTIME_DIR, a cron job without one) finds it.
   */
  daemonFile: string;
  /** Folder that holds the socket (0700, owned by the user). */
  socketDir: string;
  /** `<socketDir>/authd.lock`: held by the daemon serving this socket (`shared/file-lock.ts`). */
  socketLock: string;
  /** `<socketDir>/spawn.lock`: held by the one client that starts a daemon for this socket. */
  spawnLock: string;
  /** `<home>/auth/store.lock`: held by the daemon serving this store. */
  storeLock: string;
  /** The daemon's Unix socket. */
  socketPath: string;
  /** Folder of the daemon's JSON log. */
  logDir: string;
  /** The daemon's log file. */
  logFile: string;
}

/** Linux `sun_path` holds 108 bytes including the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

export function resolvePaths(env: NodeJS.ProcessEnv = process.env): McptestPaths {
  const home = path.resolve(env.MCPTEST_HOME || path.join(os.homedir(), '.mcptest'));
  const authDir = path.join(home, 'auth');
  let socketPath: string;
  if (env.MCPTEST_SOCKET) socketPath = path.resolve(env.MCPTEST_SOCKET);
  else if (env.XDG_RUNTIME_DIR) socketPath = path.join(env.XDG_RUNTIME_DIR, 'mcptest', 'authd.sock');
  else socketPath = path.join(home, 'run', 'authd.sock');
  const logDir = path.resolve(
    env.MCPTEST_LOG_DIR || (env.MCPTEST_HOME ? path.join(home, 'log') : defaultLogDir(env)),
  );
  return {
    home,
    authDir,
    dbPath: path.join(authDir, 'tokens.db'),
    daemonFile: path.join(authDir, 'daemon.json'),
    socketDir: path.dirname(socketPath),
    socketLock: path.join(path.dirname(socketPath), 'authd.lock'),
    spawnLock: path.join(path.dirname(socketPath), 'spawn.lock'),
    storeLock: path.join(authDir, 'store.lock'),
    socketPath,
    logDir,
    logFile: path.join(logDir, 'authd.log'),
  };
}

/**
 * Where a platform keeps an application's logs: `$XDG_STATE_HOME/mcptest` (default
 * `~/.local/state/mcptest`) on Linux and other Unixes, `~/Library/Logs/mcptest` on macOS,
 * `%LOCALAPPDATA%\\mcptest\\Log` on Windows.
 * @see XDG Base Directory Specification ($XDG_STATE_HOME)
 */
function defaultLogDir(env: NodeJS.ProcessEnv): string {
  const homedir = os.homedir();
  if (process.platform === 'darwin') return path.join(homedir, 'Library', 'Logs', 'mcptest');
  if (process.platform === 'win32') {
    return path.join(env.LOCALAPPDATA || path.join(homedir, 'AppData', 'Local'), 'mcptest', 'Log');
  }
  return path.join(env.XDG_STATE_HOME || path.join(homedir, '.local', 'state'), 'mcptest');
}

export function checkSocketPathLength(socketPath: string): void {
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new McptestError(
      'socket_path_too_long',
      `socket path is ${bytes} bytes, over the ${MAX_SOCKET_PATH_BYTES}-byte limit of Unix sockets: ${socketPath}`,
      {
        // Never a shared folder such as /tmp/…: another user could create it first.
        hint: 'use a short folder of your own: mkdir -m 700 -p ~/.mcptest-run && export MCPTEST_SOCKET=~/.mcptest-run/authd.sock (or $XDG_RUNTIME_DIR/mcptest/authd.sock)',
      },
    );
  }
}

/**
 * Creates `dir` (and parents) with mode 0700 when missing; a failure becomes a
 * `store_unwritable` error that names the folder in the way (a file where a folder should be, a
 * read-only or full file system, no permission).
 */
export function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (first) {
    // Node's recursive mkdir says ENOENT where the file system is read-only: ask step by step.
    const err = (first as NodeJS.ErrnoException).code === 'ENOENT' ? (mkdirStepwise(dir) ?? first) : first;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOTDIR' || e.code === 'EEXIST') {
      const blocker = firstNonFolder(dir);
      throw new McptestError('store_unwritable', `cannot create ${dir}: ${blocker} is a file, not a folder`, {
        hint: `set MCPTEST_HOME (or MCPTEST_SOCKET) to a folder path, or move ${blocker} aside`,
        cause: err,
      });
    }
    if (['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT'].includes(e.code ?? '')) {
      const why =
        e.code === 'EROFS' ? ' (a read-only file system)' : e.code === 'ENOSPC' ? ' (no space left)' : '';
      throw new McptestError('store_unwritable', `cannot create ${dir}: ${e.code}${why}`, {
        hint: `check the permissions of ${path.dirname(dir)}, or set MCPTEST_HOME to a writable folder`,
        cause: err,
      });
    }
    throw err;
  }
}

/** Creates `dir` one folder at a time; the first error, with its real errno, or null. */
function mkdirStepwise(dir: string): NodeJS.ErrnoException | null {
  const parts = path.resolve(dir).split(path.sep);
  for (let i = 2; i <= parts.length; i++) {
    const p = parts.slice(0, i).join(path.sep);
    try {
      fs.mkdirSync(p, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return err as NodeJS.ErrnoException;
    }
  }
  return null;
}

/** The first path on the way down to `dir` that exists but is not a folder. */
function firstNonFolder(dir: string): string {
  const parts = path.resolve(dir).split(path.sep);
  for (let i = 2; i <= parts.length; i++) {
    const p = parts.slice(0, i).join(path.sep) || path.sep;
    try {
      if (!fs.statSync(p).isDirectory()) return p;
    } catch {
      return dir;
    }
  }
  return dir;
}

/**
 * Creates `dir` (and parents) with mode 0700 when missing, then refuses a folder that belongs
 * to another user or that others can write to or read: the socket and the token database
 * live in such folders, and their safety rests on it.
 */
export function ensurePrivateDir(dir: string): void {
  ensureDir(dir);
  const st = fs.lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory()) {
    throw new McptestError('socket_unsafe', `${dir} is not a folder`, {
      hint: `remove it and run the command again: rm ${dir}`,
    });
  }
  if (uid !== undefined && st.uid !== uid) {
    throw new McptestError('socket_unsafe', `${dir} is owned by uid ${st.uid}, not by you (uid ${uid})`, {
      hint: `use a folder of your own: export MCPTEST_SOCKET=$HOME/.mcptest/run/authd.sock`,
    });
  }
  if ((st.mode & 0o077) !== 0) {
    throw new McptestError(
      'socket_unsafe',
      `${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}); it must be 700`,
      { hint: privateFolderHint(dir) },
    );
  }
}

/** Names of the files mcptest keeps in its private folders (socket, locks and their notes, store). */
const OWN_FILE =
  /^(authd|spawn|store|tokens|daemon|pending|mcptest)|\.(sock|lock|holder|db|db-wal|db-shm|key|json|journal|log)$/;

/**
 * The hint for a private folder that others can open: `chmod 700` when the folder holds only
 * mcptest's files, else a folder of its own, never a chmod of `/`, a home or a shared folder.
 */
export function privateFolderHint(dir: string): string {
  let foreign = true;
  try {
    foreign = fs.readdirSync(dir).some((name) => !OWN_FILE.test(name));
  } catch {
    // unreadable: do not suggest changing it
  }
  const shared =
    path.resolve(dir) === path.parse(path.resolve(dir)).root || path.resolve(dir) === os.homedir();
  return foreign || shared
    ? `give mcptest a folder of its own (${dir} holds other files: do not chmod it): export MCPTEST_SOCKET=$HOME/.mcptest/run/authd.sock`
    : `chmod 700 ${dir}`;
}
