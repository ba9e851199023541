/**
 * The daemon's entry point: the only code that listens, handles signals and decides when the
 * daemon ends. `mcptest daemon run` calls runDaemon(); it resolves when the daemon has stopped.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { systemClock } from '../shared/clock.js';
import { checkAncestors, daemonKeyFile, loadOrCreateDaemonKey } from '../shared/daemon-identity.js';
import { McptestError } from '../shared/errors.js';
import { describeHolder, type HeldLock, readLockHolder, tryFileLock } from '../shared/file-lock.js';
import {
  checkSocketPathLength,
  ensureDir,
  ensurePrivateDir,
  type McptestPaths,
  resolvePaths,
} from '../shared/paths.js';
import { buildDaemon, type Daemon } from './build-daemon.js';
import { createLogger, fileDestination, type LogLevel } from './logger.js';
import { TokenStore } from './store/token-store.js';

export interface RunDaemonOptions {
  env?: NodeJS.ProcessEnv;
  /** Seconds without requests (and nothing pending) before the daemon exits; 0 = never. */
  idleExitSeconds?: number;
  logLevel?: LogLevel;
  /** Called once the daemon listens (the CLI prints a line in the foreground). */
  onListening?: (info: { socketPath: string; pid: number; managedBy: 'self' | 'systemd' }) => void;
}

export interface DaemonOutcome {
  /** 'already-running' when another daemon holds the lock; nothing was started. */
  result: 'stopped' | 'already-running';
  reason: string;
}

/** The fd systemd passes first (SD_LISTEN_FDS_START), when LISTEN_PID names this process. */
function systemdSocketFd(env: NodeJS.ProcessEnv): number | null {
  if (!env.LISTEN_FDS || Number(env.LISTEN_FDS) < 1) return null;
  if (env.LISTEN_PID && Number(env.LISTEN_PID) !== process.pid) return null;
  return 3;
}

async function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(socketPath);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Takes a lock file; one that cannot be written (read-only, full) is a store_unwritable error. */
function takeLock(file: string, role: string, subject: string): HeldLock | null {
  try {
    return tryFileLock(file, role);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const why = code === 'EROFS' ? ' (a read-only file system)' : code === 'ENOSPC' ? ' (no space left)' : '';
    throw new McptestError(
      'store_unwritable',
      `cannot open ${subject}: its lock ${file} cannot be written: ${code}${why}`,
      { hint: `check permissions and free space of ${path.dirname(file)}`, cause: err },
    );
  }
}

/** A symbolic link or a file where the socket goes: the daemon never listens through it. */
function refuseNonSocket(socketPath: string): void {
  const existing = lstatOrNull(socketPath);
  if (existing && !existing.isSocket()) {
    throw new McptestError(
      'socket_unsafe',
      `${socketPath} is ${existing.isSymbolicLink() ? 'a symbolic link' : 'not a socket'}; the daemon will not listen there`,
      { hint: `remove it and run the command again: rm ${socketPath}` },
    );
  }
}

function lstatOrNull(file: string): fs.Stats | null {
  try {
    return fs.lstatSync(file);
  } catch {
    return null;
  }
}

/** How long a starting daemon waits for the store lock of a daemon that is stopping. */
const STORE_LOCK_WAIT_MS = 5_000;

/**
 * Says which socket serves this store (written whole, 0600, beside the database). Clients read
 * it only when their own socket has no daemon; a stale file names a socket nobody answers on.
 */
function advertise(file: string, info: { pid: number; socketPath: string }): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Removes the advertisement if it is still this daemon's. */
function withdraw(file: string): void {
  try {
    if (JSON.parse(fs.readFileSync(file, 'utf8')).pid === process.pid) fs.unlinkSync(file);
  } catch {
    // gone, or another daemon's: leave it
  }
}

function listen(app: Daemon, target: { fd: number } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    app.server.once('error', reject);
    app.server.listen(target, () => {
      app.server.off('error', reject);
      resolve();
    });
  });
}

export async function runDaemon(options: RunDaemonOptions = {}): Promise<DaemonOutcome> {
  const env = options.env ?? process.env;
  process.umask(0o077);
  const paths: McptestPaths = resolvePaths(env);
  const inheritedFd = systemdSocketFd(env);
  if (inheritedFd !== null) {
    // Like sd_listen_fds(unset=1): the fd is ours now, and no child may take these as its own.
    delete env.LISTEN_FDS;
    delete env.LISTEN_PID;
    delete env.LISTEN_FDNAMES;
  }
  const managedBy = inheritedFd !== null || env.MCPTEST_MANAGED_BY === 'systemd' ? 'systemd' : 'self';

  // Both locks are files in the user's private folders (another user cannot open them, so
  // cannot hold them); the kernel releases them when this process ends, however it ends.
  let lock: HeldLock | null = null;
  if (inheritedFd === null) {
    checkSocketPathLength(paths.socketPath);
    ensurePrivateDir(paths.socketDir);
    checkAncestors(paths.socketDir);
    refuseNonSocket(paths.socketPath);
    lock = takeLock(paths.socketLock, 'the mcptest daemon of this socket', `socket ${paths.socketPath}`);
    if (!lock) {
      return {
        result: 'already-running',
        reason: `another daemon serves ${paths.socketPath}: ${describeHolder(readLockHolder(paths.socketLock))}`,
      };
    }
  }

  // One daemon per store as well as per socket: two daemons sharing a database (the same
  // MCPTEST_HOME reached through two socket paths) would each refresh the same credential and
  // present rotated-out refresh tokens to the IdP.
  // A daemon on its way out still holds the lock for a moment (it finishes in-flight work and
  // closes the store first): wait that out before calling the store taken.
  const storeLockFile = paths.storeLock;
  let storeLock: HeldLock | null = null;
  const takeStoreLock = () =>
    takeLock(storeLockFile, `the mcptest daemon of ${paths.socketPath}`, `token database ${paths.dbPath}`);
  try {
    ensurePrivateDir(paths.authDir);
    storeLock = takeStoreLock();
    for (const deadline = Date.now() + STORE_LOCK_WAIT_MS; !storeLock && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
      storeLock = takeStoreLock();
    }
  } catch (err) {
    await lock?.release();
    throw err;
  }
  if (!storeLock) {
    await lock?.release();
    throw new McptestError(
      'store_locked',
      `another mcptest daemon already serves the token store ${paths.dbPath}: ${describeHolder(readLockHolder(storeLockFile))}`,
      {
        hint: `use one socket per MCPTEST_HOME: set MCPTEST_SOCKET the same way (or leave it unset) in every shell that uses ${paths.home}`,
      },
    );
  }
  const heldStoreLock = storeLock;
  const releaseLocks = async () => {
    await heldStoreLock.release();
    await lock?.release();
  };

  let store: TokenStore;
  let daemonKey: Buffer;
  try {
    store = TokenStore.open(paths.dbPath);
    daemonKey = loadOrCreateDaemonKey(daemonKeyFile(paths.authDir));
  } catch (err) {
    await releaseLocks();
    throw err;
  }
  ensureDir(paths.logDir);
  const destination = fileDestination(paths.logFile);
  const logger = createLogger({
    destination,
    level: options.logLevel ?? (env.MCPTEST_LOG_LEVEL as LogLevel) ?? 'info',
  });

  let stopReason = 'stopped';
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });
  const idle = options.idleExitSeconds ?? Number(env.MCPTEST_DAEMON_IDLE_SECONDS ?? 900);
  // Per-request timeout towards authorization servers; a knob for slow IdPs (and for tests).
  const idpTimeout = Number(env.MCPTEST_IDP_TIMEOUT_MS);
  const app = buildDaemon({
    store,
    clock: systemClock,
    fetch: globalThis.fetch,
    paths,
    logger,
    daemonKey,
    managedBy,
    idleExitSeconds: idle > 0 ? idle : null,
    idpTimeoutMs: Number.isFinite(idpTimeout) && idpTimeout > 0 ? idpTimeout : undefined,
    requestShutdown: (reason) => {
      stopReason = reason;
      resolveStopped();
    },
  });

  try {
    await app.ready();
    app.ctx.tokens.start();
    if (inheritedFd !== null) {
      await listen(app, { fd: inheritedFd });
    } else {
      const existing = lstatOrNull(paths.socketPath);
      if (existing) {
        // We hold the lock, so whatever answers there is not a daemon of ours.
        if (await socketAnswers(paths.socketPath)) {
          throw new McptestError(
            'daemon_unreachable',
            `${paths.socketPath} is served by a process that is not an mcptest daemon`,
            {
              hint: `find it with: fuser ${paths.socketPath}`,
            },
          );
        }
        fs.unlinkSync(paths.socketPath); // stale socket of a daemon that died
        logger.info({ socketPath: paths.socketPath }, 'replaced a stale socket file');
      }
      await listen(app, { path: paths.socketPath });
      fs.chmodSync(paths.socketPath, 0o600);
    }
  } catch (err) {
    await app.close().catch(() => {});
    store.close();
    await releaseLocks();
    throw err;
  }

  advertise(paths.daemonFile, { pid: process.pid, socketPath: paths.socketPath });
  logger.info({ socketPath: paths.socketPath, managedBy, idleExitSeconds: idle }, 'daemon listening');
  options.onListening?.({ socketPath: paths.socketPath, pid: process.pid, managedBy });

  const onSignal = (sig: string) => {
    stopReason = `signal ${sig}`;
    resolveStopped();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onSignal);

  const idleTimer =
    idle > 0
      ? setInterval(
          () => {
            const ctx = app.ctx;
            const quietFor = systemClock.now() - ctx.lastActivity;
            // Idle: no request for a while, and nothing left to refresh or poll.
            if (
              quietFor >= idle * 1000 &&
              ctx.tokens.inflightCount === 0 &&
              ctx.tokens.scheduledLoginRefreshes === 0 &&
              ctx.pendingLogins() === 0
            ) {
              stopReason = `idle for ${idle}s`;
              resolveStopped();
            }
          },
          Math.min(idle * 1000, 5_000) / 2,
        )
      : null;
  idleTimer?.unref();

  await stopped;
  if (idleTimer) clearInterval(idleTimer);
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  process.off('SIGHUP', onSignal);
  logger.info({ reason: stopReason }, 'daemon stopping');
  // No longer the store's daemon: a client that finds no answer on its socket now starts one
  // of its own (which waits for our store lock) instead of being sent here. A socket systemd
  // listens on outlives the daemon (the next connection starts it again), so that
  // advertisement stays.
  if (inheritedFd === null) withdraw(paths.daemonFile);
  // The daemon's close stops accepting, lets in-flight requests finish, then closes logins and
  // the token service (pending refreshes settle). Only then is the store closed.
  // Node's server.close() drops idle keep-alive connections only once, at the start; a
  // connection whose request was still in flight would then linger for the server's
  // keepAliveTimeout (72 s) before the daemon could exit. Drop each one as soon as its response
  // is out.
  const reaper = setInterval(() => app.server.closeIdleConnections(), 50);
  try {
    await app.close();
  } finally {
    clearInterval(reaper);
  }
  store.close();
  if (inheritedFd === null) {
    try {
      fs.unlinkSync(paths.socketPath);
    } catch {
      // already gone
    }
  }
  await releaseLocks();
  logger.info('daemon stopped');
  logger.flush?.();
  await new Promise((r) => setTimeout(r, 20));
  return { result: 'stopped', reason: stopReason };
}
