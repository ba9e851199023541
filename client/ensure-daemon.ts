/**
 * Finds the daemon, starting one when none answers. Many clients may race here: the first to
 * take a kernel-released lock spawns the daemon, the others wait for its socket, and the daemon
 * itself refuses to run twice, so the race always ends with exactly one daemon.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSocketPlace, daemonKeyFile } from '../shared/daemon-identity.js';
import { errorFromBody, McptestError } from '../shared/errors.js';
import type { HeldLock } from '../shared/file-lock.js';
import type { HealthResponse } from '../shared/ipc-schemas.js';
import {
  checkSocketPathLength,
  ensureDir,
  ensurePrivateDir,
  type McptestPaths,
  resolvePaths,
} from '../shared/paths.js';
import { IPC_API_VERSION, VERSION } from '../shared/version.js';
import { DAEMON_NODE_FLAGS, daemonEnvironment } from './daemon-env.js';
import { DaemonClient } from './daemon-client.js';

export const SYSTEMD_UNIT = 'mcptest-authd.service';
export const SYSTEMD_SOCKET_UNIT = 'mcptest-authd.socket';

/** `$XDG_CONFIG_HOME/systemd/user` (default `~/.config/systemd/user`): where user units live. */
export function systemdUserUnitDir(env: NodeJS.ProcessEnv): string {
  const config = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(path.resolve(config), 'systemd', 'user');
}

export interface EnsureDaemonOptions {
  env?: NodeJS.ProcessEnv;
  /** Start a daemon when none answers (default true). */
  autoStart?: boolean;
  /** How long to wait for a starting daemon, in ms. */
  startTimeoutMs?: number;
}

/** The longest a client waits for a daemon start that is still under way, in ms. */
const START_CEILING_MS = 120_000;

const CLI_ENTRY = fileURLToPath(new URL('../cli/main.js', import.meta.url));

function unreachableHint(paths: McptestPaths, systemd: boolean): string {
  return systemd
    ? `systemctl --user status ${SYSTEMD_UNIT}; journalctl --user -u ${SYSTEMD_UNIT}`
    : `mcptest daemon run   (in the foreground, to see why it stops; log: ${paths.logFile})`;
}

/**
 * True when systemd owns the daemon this client looks for: the env says so, or the socket unit
 * is installed and this client's socket is the one the unit listens on (%t/mcptest/authd.sock).
 * Clients then never spawn a daemon of their own beside systemd's.
 */
export function isSystemdManaged(env: NodeJS.ProcessEnv, paths: McptestPaths = resolvePaths(env)): boolean {
  if (env.MCPTEST_MANAGED_BY === 'systemd') return true;
  if (!env.XDG_RUNTIME_DIR) return false;
  if (paths.socketPath !== path.join(path.resolve(env.XDG_RUNTIME_DIR), 'mcptest', 'authd.sock'))
    return false;
  return fs.existsSync(path.join(systemdUserUnitDir(env), SYSTEMD_SOCKET_UNIT));
}

/**
 * A client of the daemon on `socketPath` that trusts it only once it has proven it is this
 * user's daemon of this store (`shared/daemon-identity.ts`).
 */
export function trustedClient(socketPath: string, paths: McptestPaths): DaemonClient {
  return new DaemonClient(socketPath, { keyFile: daemonKeyFile(paths.authDir), home: paths.home });
}

/**
 * The health answer, or null when nothing answers. Refusals that say what is wrong with the
 * socket or the daemon (an unsafe place, another store's daemon) are thrown, not taken for
 * "no daemon".
 */
async function healthOrNull(client: DaemonClient, timeoutMs?: number): Promise<HealthResponse | null> {
  try {
    return await client.health(timeoutMs);
  } catch (err) {
    if (err instanceof McptestError && (err.code === 'socket_unsafe' || err.code === 'daemon_home_mismatch'))
      throw err;
    if (err instanceof McptestError && err.code === 'daemon_untrusted') throw err;
    return null;
  }
}

/** Returns a client connected to a daemon of this version, starting or restarting one if needed. */
export async function ensureDaemon(options: EnsureDaemonOptions = {}): Promise<DaemonClient> {
  const env = options.env ?? process.env;
  const paths = resolvePaths(env);
  checkSocketPathLength(paths.socketPath);
  const client = trustedClient(paths.socketPath, paths);
  const health = await healthOrNull(client).catch(async (err) => {
    await client.close();
    throw err;
  });
  if (health) {
    if (compatible(health)) {
      client.assertVerified(); // a compatible daemon must have proven itself
      return client;
    }
    await replaceOutdated(client, health);
  } else {
    // One daemon per store: when it listens on another socket than ours, use it rather than
    // start a second one (which the store lock would refuse).
    const elsewhere = await storeDaemon(paths);
    if (elsewhere) {
      await client.close();
      return elsewhere;
    }
  }
  const systemd = isSystemdManaged(env, paths);
  if (options.autoStart === false || systemd) {
    await client.close();
    throw new McptestError(
      'daemon_unreachable',
      `no auth daemon answers at ${paths.socketPath}${systemd ? ' (systemd manages it: its socket unit is not listening)' : ''}`,
      { hint: systemd ? `systemctl --user start ${SYSTEMD_SOCKET_UNIT}` : 'mcptest daemon start' },
    );
  }
  await startAndWait(client, paths, env, options.startTimeoutMs ?? 15_000);
  return client;
}

/**
 * The daemon as a token source asks it, for every request. A daemon that went away between two
 * requests of a long run, or while a request was in flight (killed, or an idle exit racing a
 * request), is started again and asked once more: logins live in its store, and client
 * credentials travel with every request.
 */
export async function openTokenClient(
  env: NodeJS.ProcessEnv,
): Promise<Pick<DaemonClient, 'getToken' | 'close'>> {
  const client = await ensureDaemon({ env });
  return {
    getToken: async (req, options) => {
      try {
        return await client.getToken(req, options);
      } catch (err) {
        if (!(err instanceof McptestError && err.code === 'daemon_unreachable')) throw err;
        if (options?.signal?.aborted) throw err;
        await (await ensureDaemon({ env })).close();
        return client.getToken(req, options);
      }
    },
    close: () => client.close(),
  };
}

/**
 * A client for the daemon that serves this store through another socket than `paths.socketPath`
 * (named in `paths.daemonFile`), when one of this version answers there; else null.
 */
export async function storeDaemon(paths: McptestPaths): Promise<DaemonClient | null> {
  let socketPath: unknown;
  try {
    socketPath = JSON.parse(fs.readFileSync(paths.daemonFile, 'utf8'))?.socketPath;
  } catch {
    return null; // no daemon has said where it listens
  }
  if (typeof socketPath !== 'string' || socketPath === paths.socketPath || !fs.existsSync(socketPath))
    return null;
  const other = trustedClient(socketPath, paths);
  // The advertised socket must pass the same checks as our own: its place and the key proof.
  // A socket systemd listens on accepts at once and answers once the daemon it starts has
  // loaded, which takes seconds on a loaded machine; a dead socket refuses at once. So the
  // wait here is long, and costs nothing when nobody listens.
  const health = await other.health(10_000).catch(() => null);
  if (health && compatible(health) && other.isVerified) return other;
  await other.close();
  return null;
}

/**
 * A client for the daemon that answers for this environment, on its own socket or (one daemon
 * per store) on the socket the store names; null when none runs. No version check, no start:
 * for `daemon stop` and `daemon status`.
 */
export async function runningDaemon(
  paths: McptestPaths,
): Promise<{ client: DaemonClient; health: HealthResponse } | null> {
  const own = trustedClient(paths.socketPath, paths);
  const health = await healthOrNull(own).catch(async (err) => {
    await own.close();
    throw err;
  });
  if (health) return { client: own, health };
  await own.close();
  const other = await storeDaemon(paths);
  const otherHealth = await other?.health().catch(() => null);
  if (other && otherHealth) return { client: other, health: otherHealth };
  await other?.close();
  return null;
}

function compatible(health: HealthResponse): boolean {
  return health.api === IPC_API_VERSION && health.version === VERSION;
}

async function replaceOutdated(client: DaemonClient, health: HealthResponse): Promise<void> {
  if (health.managedBy === 'systemd') {
    throw new McptestError(
      'daemon_version_mismatch',
      `the auth daemon managed by systemd runs mcptest ${health.version} (IPC ${health.api}); this is ${VERSION} (IPC ${IPC_API_VERSION})`,
      { hint: `systemctl --user restart ${SYSTEMD_UNIT}` },
    );
  }
  // A daemon we started ourselves: ask it to stop and wait until its socket is gone.
  await client.shutdown().catch(() => undefined);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (!(await client.health(500).catch(() => null))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new McptestError(
    'daemon_version_mismatch',
    `the auth daemon (mcptest ${health.version}) did not stop for an upgrade`,
    {
      hint: `kill ${health.pid}`,
    },
  );
}

async function startAndWait(
  client: DaemonClient,
  paths: McptestPaths,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
) {
  const started = Date.now();
  const deadline = started + timeoutMs;
  // A start still under way when `timeoutMs` is up (our child alive, or another client's, or a
  // daemon that holds its socket and is not stopped) is waited for up to this ceiling: on a
  // loaded machine tens of daemons may be loading at once, and giving up on a live one helps
  // nobody.
  const ceiling = started + Math.max(timeoutMs, START_CEILING_MS);
  let lock: HeldLock | null = null;
  let spawned: SpawnedDaemon | null = null;
  let delay = 20;
  let told = false;
  // The spawn lock is a file in the socket's private folder (which the daemon would make too).
  ensurePrivateDir(paths.socketDir);
  checkSocketPlace(paths.socketPath);
  const { tryFileLock, readLockHolder, processState } = await import('../shared/file-lock.js');
  // Another process, running: not this one (which holds the spawn lock while it waits).
  const live = (pid: number | undefined) => {
    const state = pid === undefined || pid === process.pid ? null : processState(pid);
    return state !== null && state !== 'T' && state !== 't' && state !== 'Z';
  };
  const underWay = () =>
    spawned?.alive() === true ||
    live(readLockHolder(paths.spawnLock)?.pid) ||
    live(readLockHolder(paths.socketLock)?.pid);
  try {
    for (;;) {
      const now = Date.now();
      if (now >= deadline) {
        if (now >= ceiling || !underWay()) break;
        if (!told) {
          told = true;
          process.stderr.write(
            `mcptest: the auth daemon is still starting after ${Math.round((now - started) / 1000)}s (a busy machine?); waiting up to ${Math.round((ceiling - started) / 1000)}s\n`,
          );
        }
      }
      const health = await healthOrNull(client, 1_000);
      if (health && compatible(health)) {
        client.assertVerified(); // a compatible daemon must have proven itself
        return;
      }
      if (!lock) {
        lock = tryFileLock(paths.spawnLock, 'an mcptest client starting the daemon');
        if (lock) spawned = spawnDaemon(paths, env);
      }
      const failure = spawned?.failure();
      if (failure) throw failure;
      await socketChange(paths.socketDir, delay);
      delay = Math.min(delay * 1.5, 200);
    }
    // Out of time: a daemon that is still loading on a slow machine may have written its
    // refusal after our last look; that says more than "did not start".
    const late = spawned?.failure() ?? spawned?.writtenError();
    if (late) throw late;
  } finally {
    spawned?.release();
    await lock?.release();
  }
  throw await notStarted(paths, told ? Date.now() - started : timeoutMs);
}

/**
 * Resolves when something changes in the socket's folder (the daemon binds its socket there) or
 * after `ms`: a waiting client tries again the moment the socket appears, not at its next poll.
 */
function socketChange(dir: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    let watcher: fs.FSWatcher | null = null;
    const done = () => {
      clearTimeout(timer);
      watcher?.close();
      resolve();
    };
    const timer = setTimeout(done, ms);
    try {
      watcher = fs.watch(dir, { persistent: false }, done);
      watcher.on('error', done);
    } catch {
      // no watching here (a full inotify table): the timeout alone
    }
  });
}

/**
 * Why no daemon answered in time. When a daemon holds the socket's lock (so no other may
 * start) but does not answer, that daemon is named: stopped by SIGSTOP or a debugger, or busy.
 */
async function notStarted(paths: McptestPaths, waitedMs: number): Promise<McptestError> {
  const waited = `${Math.round(waitedMs / 1000)}s`;
  const { describeHolder, processState, readLockHolder } = await import('../shared/file-lock.js');
  const holder = readLockHolder(paths.socketLock);
  if (holder) {
    const state = processState(holder.pid);
    const stopped = state === 'T' || state === 't';
    return new McptestError(
      'daemon_unreachable',
      `the auth daemon on ${paths.socketPath}, ${describeHolder(holder)}, holds the socket but did not answer within ${waited}`,
      {
        hint: stopped
          ? `let it go on: kill -CONT ${holder.pid}   (or stop it: kill ${holder.pid})`
          : `see what it does: mcptest daemon logs; restart it: kill ${holder.pid}`,
        details: { pid: holder.pid, state },
      },
    );
  }
  return new McptestError('daemon_unreachable', `the auth daemon did not start within ${waited}`, {
    hint: unreachableHint(paths, false),
  });
}

interface SpawnedDaemon {
  /** True while the child runs (it has neither exited nor failed to spawn). */
  alive(): boolean;
  /** The error the child printed, once it has exited non-zero (or could not be spawned). */
  failure(): McptestError | null;
  /** A JSON error the child wrote to its start log, whether or not it has exited yet. */
  writtenError(): McptestError | null;
  /** Stops watching the child and lets this process exit without it. */
  release(): void;
}

/**
 * Spawns `mcptest daemon run` detached and watches it for as long as the caller waits for its
 * socket: a child that exits at once (a damaged store, an unsafe socket folder) is reported
 * with the error it printed, however long a loaded machine takes it to get there. Exit code 0
 * means another daemon won the race, which is no failure.
 */
function spawnDaemon(paths: McptestPaths, env: NodeJS.ProcessEnv): SpawnedDaemon {
  ensureDir(paths.logDir);
  const errFile = path.join(paths.logDir, 'authd.start.err');
  const errFd = fs.openSync(errFile, 'w', 0o600);
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, CLI_ENTRY, 'daemon', 'run', '--json-errors'], {
    detached: true,
    stdio: ['ignore', 'ignore', errFd],
    // A clean, explicit environment: the daemon holds every refresh token, so nothing a working
    // folder or a parent process slipped into this one (NODE_OPTIONS, LD_PRELOAD) reaches it.
    env: daemonEnvironment(env),
  });
  fs.closeSync(errFd);
  let failure: McptestError | null = null;
  child.once('error', (err) => {
    failure = new McptestError('daemon_unreachable', `cannot start the auth daemon: ${err.message}`, {
      cause: err,
    });
  });
  child.once('exit', (code) => {
    if (code !== 0) failure = startupError(readErrFile(errFile), code, paths);
  });
  return {
    alive: () => failure === null && child.exitCode === null && child.signalCode === null,
    failure: () => failure,
    writtenError: () => jsonError(readErrFile(errFile)),
    release: () => {
      child.removeAllListeners();
      child.unref();
    },
  };
}

function readErrFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The last JSON error line a daemon printed with --json-errors, as an error of ours. */
function jsonError(stderr: string): McptestError | null {
  for (const line of stderr.split('\n').reverse()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue; // not a JSON line
    }
    if (typeof (parsed as { error?: { message?: unknown } } | null)?.error?.message !== 'string') continue;
    const e = errorFromBody(parsed, 500);
    return new McptestError(e.code, `the auth daemon could not start: ${e.message}`, { hint: e.hint });
  }
  return null;
}

function startupError(stderr: string, code: number | null, paths: McptestPaths): McptestError {
  return (
    jsonError(stderr) ??
    new McptestError(
      'daemon_unreachable',
      `the auth daemon exited at start (code ${code}): ${stderr.trim().slice(-500)}`,
      {
        hint: unreachableHint(paths, false),
      },
    )
  );
}
