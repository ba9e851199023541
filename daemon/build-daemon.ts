import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from './logger.js';
import type { Clock } from '../shared/clock.js';
import { HOME_HEADER } from '../shared/daemon-identity.js';
import { McptestError } from '../shared/errors.js';
import type { McptestPaths } from '../shared/paths.js';
import type { DaemonContext } from './context.js';
import { IpcRouter, IpcServer } from './ipc-server.js';
import { LoginRegistry } from './logins/login-registry.js';
import { Metrics } from './metrics.js';
import type { FetchLike } from './oauth/token-endpoint.js';
import { ROUTES } from './routes/index.js';
import type { TokenStore } from './store/token-store.js';
import { type AuthServerEndpoints, TokenService } from './tokens/token-service.js';

export interface DaemonDeps {
  store: TokenStore;
  clock: Clock;
  fetch: FetchLike;
  paths: McptestPaths;
  logger: Logger;
  /** The key the health route proves itself with (`shared/daemon-identity.ts`); none in some tests. */
  daemonKey?: Buffer;
  managedBy?: 'self' | 'systemd';
  idleExitSeconds?: number | null;
  /** Timeout of each request to an authorization server, in ms. */
  idpTimeoutMs?: number;
  requestShutdown?: (reason: string) => void;
  discoverEndpoints?: (serverUrl: string) => Promise<AuthServerEndpoints>;
}

/** The daemon, built: its context and its IPC server, not yet listening. */
export interface Daemon {
  ctx: DaemonContext;
  server: IpcServer['server'];
  /** Resolves once the daemon is ready to serve (logins left pending resume just after). */
  ready(): Promise<void>;
  listen(target: { path: string } | { fd: number }): Promise<void>;
  inject: IpcServer['inject'];
  /** Stops serving, lets requests in flight finish, then closes logins and the token service. */
  close(): Promise<void>;
}

/** Whether a client's home is this daemon's, as written or through symbolic links. */
function homeMatcher(ownHome: string): (home: string) => boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const accepted = new Set([ownHome, real(ownHome)]);
  return (home) => {
    if (accepted.has(home)) return true;
    if (accepted.size < 64 && real(home) === real(ownHome)) {
      accepted.add(home);
      return true;
    }
    return false;
  };
}

/**
 * Discovery is only needed once a token must be minted or a login checked: loaded on first use,
 * so a daemon that serves cached tokens never loads it (nor the peer URL policy).
 */
function discovery(): Promise<typeof import('./oauth/discovery.js')> {
  return import('./oauth/discovery.js');
}

/**
 * Builds the daemon: its IPC server (ipc-server.ts) with every /v1 route, not listening, and its context,
 * whole (the login registry included; routes only read it). Only the entry point
 * (daemon/main.ts) listens, handles signals and exits. What only logins need (their flows, the
 * loopback listener, registration, discovery) is imported on first use, and logins an earlier
 * daemon left pending resume just after the daemon is ready, off the path of its first answer.
 */
export function buildDaemon(deps: DaemonDeps): Daemon {
  const metrics = new Metrics();
  deps.store.watch((level, details, msg) => deps.logger[level](details, msg));
  const oauth = { fetch: deps.fetch, timeoutMs: deps.idpTimeoutMs ?? 10_000, now: () => deps.clock.now() };
  const tokens = new TokenService({
    store: deps.store,
    clock: deps.clock,
    oauth,
    logger: deps.logger,
    metrics,
    discoverEndpoints:
      deps.discoverEndpoints ??
      (async (serverUrl) =>
        (await discovery()).discoverTokenEndpoints({ ...oauth, store: deps.store }, serverUrl)),
    // Asked only after a rejection, before the refresh: bounded tighter than a login's discovery.
    authorizationServers: async (serverUrl) => {
      const found = await (await discovery()).discoverAuthorization(
        { ...oauth, timeoutMs: Math.min(oauth.timeoutMs, 5_000), store: deps.store },
        serverUrl,
        { refresh: true },
      );
      const named = found.prm?.authorization_servers;
      return Array.isArray(named) ? named.filter((s): s is string => typeof s === 'string') : null;
    },
  });
  const logins = new LoginRegistry(
    { store: deps.store, clock: deps.clock, logger: deps.logger, metrics },
    async () => (await import('./logins/login-flows.js')).loginFlows(ctx),
  );
  const ctx: DaemonContext = {
    store: deps.store,
    tokens,
    clock: deps.clock,
    paths: deps.paths,
    metrics,
    logger: deps.logger,
    oauth,
    daemonKey: deps.daemonKey ?? null,
    startedAt: deps.clock.now(),
    managedBy: deps.managedBy ?? 'self',
    idleExitSeconds: deps.idleExitSeconds ?? null,
    lastActivity: deps.clock.now(),
    requestShutdown: deps.requestShutdown ?? (() => {}),
    onClose: [],
    logins,
    pendingLogins: () => logins.pendingCount(),
  };
  metrics.gauge('mcptest_credentials', 'Credentials in the store', () => deps.store.listCredentials().length);
  metrics.gauge('mcptest_pending_logins', 'Logins waiting for a human', () => ctx.pendingLogins());

  const sameHome = homeMatcher(deps.paths.home);
  const router = new IpcRouter();
  for (const register of ROUTES) register(router, ctx);
  const ipc = new IpcServer({
    router,
    onRequest: (req) => {
      ctx.lastActivity = deps.clock.now();
      // A client of another store must not share this one (a logout --all there would empty it).
      const home = req.headers[HOME_HEADER];
      if (typeof home === 'string' && !sameHome(home)) {
        throw new McptestError(
          'daemon_home_mismatch',
          `the auth daemon on this socket serves MCPTEST_HOME=${deps.paths.home}; this client uses ${home}`,
          {
            hint: `give each MCPTEST_HOME its own socket: export MCPTEST_SOCKET=${home}/run/authd.sock (or use MCPTEST_HOME=${deps.paths.home})`,
          },
        );
      }
    },
    onUnexpected: (err, req) => deps.logger.error({ err, url: req.url }, 'unexpected failure in a route'),
    onAnswered: (req, status) =>
      deps.logger.debug({ method: req.method, url: req.url, status }, 'ipc request'),
  });

  let readied: Promise<void> | null = null;
  let closed: Promise<void> | null = null;
  return {
    ctx,
    server: ipc.server,
    inject: (request) => ipc.inject(request),
    listen: (target) => ipc.listen(target),
    // Logins an earlier daemon left in the store resume (device polling re-arms) once the daemon
    // is ready, after the current turn: its first answers do not wait for the login modules.
    ready: () => {
      readied ??= (async () => {
        if (!logins.hasStoredLogins()) return;
        setImmediate(() => {
          logins
            .ready()
            .catch((err) =>
              deps.logger.error({ err: (err as Error).message }, 'stored logins could not be resumed'),
            );
        });
      })();
      return readied;
    },
    close: () => {
      closed ??= (async () => {
        await ipc.close();
        await logins.close();
        for (const hook of ctx.onClose) await hook();
        await tokens.close();
      })();
      return closed;
    },
  };
}
