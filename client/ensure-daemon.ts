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
import { abstractLockName, type HeldLock, tryAbstractLock } from '../shared/abstract-lock.js';
import { errorFromBody, McptestError } from '../shared/errors.js';
import type { HealthResponse } from '../shared/ipc-schemas.js';
import { checkSocketPathLength, ensureDir, type McptestPaths, resolvePaths } from '../shared/paths.js';
import { IPC_API_VERSION, VERSION } from '../shared/version.js';
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

/** Returns a client connected to a daemon of this version, starting or restarting one if needed. */
export async function ensureDaemon(options: EnsureDaemonOptions = {}): Promise<DaemonClient> {
  const env = options.env ?? process.env;
  const paths = resolvePaths(env);
  checkSocketPathLength(paths.socketPath);
  const client = new DaemonClient(paths.socketPath);
  const health = await client.health().catch(() => null);
  if (health) {
    if (compatible(health)) return client;
    await replaceOutdated(client, health);
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
  const deadline = Date.now() + timeoutMs;
  let lock: HeldLock | null = null;
  let failure: McptestError | null = null;
  let delay = 20;
  try {
    while (Date.now() < deadline) {
      const health = await client.health(1_000).catch(() => null);
      if (health && compatible(health)) return;
      if (!lock) {
        lock = await tryAbstractLock(abstractLockName('spawn', paths.socketPath));
        if (lock) failure = await spawnDaemon(paths, env);
        if (failure) throw failure;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 1.5, 200);
    }
  } finally {
    await lock?.release();
  }
  throw new McptestError('daemon_unreachable', `the auth daemon did not start within ${timeoutMs / 1000}s`, {
    hint: unreachableHint(paths, false),
  });
}

/**
 * Spawns `mcptest daemon run` detached. Resolves null once the child is on its way, or the
 * error it printed when it exits at once (a damaged store, an unsafe socket folder).
 */
function spawnDaemon(paths: McptestPaths, env: NodeJS.ProcessEnv): Promise<McptestError | null> {
  ensureDir(paths.logDir);
  const errFile = path.join(paths.logDir, 'authd.start.err');
  const errFd = fs.openSync(errFile, 'w', 0o600);
  const child = spawn(process.execPath, [CLI_ENTRY, 'daemon', 'run', '--json-errors'], {
    detached: true,
    stdio: ['ignore', 'ignore', errFd],
    env,
  });
  fs.closeSync(errFd);
  return new Promise((resolve) => {
    const settle = (value: McptestError | null) => {
      clearTimeout(timer);
      child.removeAllListeners();
      child.unref();
      resolve(value);
    };
    const timer = setTimeout(() => settle(null), 1_500);
    child.once('error', (err) =>
      settle(
        new McptestError('daemon_unreachable', `cannot start the auth daemon: ${err.message}`, {
          cause: err,
        }),
      ),
    );
    child.once('exit', (code) => {
      if (code === 0) return settle(null); // another daemon won the race
      settle(startupError(fs.readFileSync(errFile, 'utf8'), code, paths));
    });
  });
}

function startupError(stderr: string, code: number | null, paths: McptestPaths): McptestError {
  for (const line of stderr.split('\n').reverse()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue; // not a JSON line
    }
    const e = errorFromBody(parsed, 500);
    return new McptestError(e.code, `the auth daemon could not start: ${e.message}`, { hint: e.hint });
  }
  return new McptestError(
    'daemon_unreachable',
    `the auth daemon exited at start (code ${code}): ${stderr.trim().slice(-500)}`,
    {
      hint: unreachableHint(paths, false),
    },
  );
}
