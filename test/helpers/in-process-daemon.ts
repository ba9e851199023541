/**
 * The real daemon code (buildDaemon(): routes, token service, store) built in-process with a
 * FakeClock, listening on a real Unix socket in a private home, with a DaemonClient to it. Tests
 * of refresh timers, backoff and expiry move the clock instead of sleeping; only time is faked:
 * the IdP, the store and every request over the socket are real. Requests to the IdP still time
 * out on real time (`idpTimeoutMs`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, type Logger } from '../../daemon/logger.js';
import { DaemonClient } from '../../client/daemon-client.js';
import { buildDaemon, type Daemon } from '../../daemon/build-daemon.js';
import { TokenStore } from '../../daemon/store/token-store.js';
import { type McptestPaths, resolvePaths } from '../../shared/paths.js';
import { FakeClock } from './fake-clock.js';

export interface InProcessDaemon {
  app: Daemon;
  clock: FakeClock;
  client: DaemonClient;
  paths: McptestPaths;
  /** Resolves once no refresh (or client-credentials mint) is in flight. */
  settle(): Promise<void>;
  /** Lets `ms` pass on the daemon's clock, each timer firing at its time and its work settling. */
  elapse(ms: number): Promise<number>;
  /** Stops the daemon and closes its store; the home stays (another daemon may take it over). */
  close(): Promise<void>;
  /** close(), then removes the home unless it was given. */
  cleanup(): Promise<void>;
}

export async function startInProcessDaemon(
  options: {
    /** MCPTEST_HOME / MCPTEST_SOCKET to use (e.g. an isolatedEnv() a real daemon takes over later). */
    env?: NodeJS.ProcessEnv;
    clock?: FakeClock;
    idpTimeoutMs?: number;
    /** Where the daemon logs; silent by default. */
    logger?: Logger;
  } = {},
): Promise<InProcessDaemon> {
  const ownHome = options.env ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'mt-ip-'));
  const env = options.env ?? {
    MCPTEST_HOME: ownHome as string,
    MCPTEST_SOCKET: path.join(ownHome as string, 'run', 'authd.sock'),
  };
  const paths = resolvePaths(env);
  fs.mkdirSync(path.dirname(paths.socketPath), { recursive: true, mode: 0o700 });
  const store = TokenStore.open(paths.dbPath);
  const clock = options.clock ?? new FakeClock();
  const app = buildDaemon({
    store,
    clock,
    fetch: globalThis.fetch,
    paths,
    logger: options.logger ?? createLogger({ level: 'silent' }),
    idpTimeoutMs: options.idpTimeoutMs,
  });
  await app.listen({ path: paths.socketPath });
  const client = new DaemonClient(paths.socketPath);
  const settle = async () => {
    const deadline = Date.now() + 60_000;
    while (app.ctx.tokens.inflightCount > 0) {
      if (Date.now() > deadline) throw new Error('a refresh is still in flight after 60 s');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await client.close();
    await app.close();
    store.close();
  };
  return {
    app,
    clock,
    client,
    paths,
    settle,
    elapse: (ms) => clock.elapse(ms, settle),
    close,
    cleanup: async () => {
      await close();
      if (ownHome) fs.rmSync(ownHome, { recursive: true, force: true });
    },
  };
}
