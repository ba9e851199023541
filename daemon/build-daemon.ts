import fs from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../shared/clock.js';
import { HOME_HEADER } from '../shared/daemon-identity.js';
import { McptestError } from '../shared/errors.js';
import type { McptestPaths } from '../shared/paths.js';
import type { DaemonContext } from './context.js';
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

export type Daemon = FastifyInstance & { ctx: DaemonContext };

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
 * Builds the daemon: a fastify instance with every /v1 route, not listening, and its context,
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

  const app = Fastify({
    // No fastify logger: it would build a child logger (and run redaction set-up) for every
    // request on the token hot path. Routes and the error handler log through deps.logger.
    logger: false,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // Bytes that do not parse as HTTP never reach a route: answer them in the IPC error shape.
    clientErrorHandler: (err, socket) => {
      if (!socket.writable) return;
      const body = JSON.stringify({
        error: new McptestError(
          'invalid_request',
          `malformed HTTP request (${(err as NodeJS.ErrnoException).code ?? err.message})`,
        ).toJSON(),
      });
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
    // The router's own refusals (a malformed percent-encoding, a path parameter over 100
    // characters) bypass the error handler: answer them in the IPC error shape too.
    frameworkErrors: (err, _req, reply) => {
      const e = new McptestError('invalid_request', err.message, {
        hint: 'check the request path: login ids are short; see docs/ipc.md',
      });
      (reply as FastifyReply)
        .status((err as { statusCode?: number }).statusCode ?? 400)
        .send({ error: e.toJSON() });
    },
  }) as unknown as Daemon;
  app.decorate('ctx', ctx);

  const sameHome = homeMatcher(deps.paths.home);
  app.addHook('onRequest', async (req) => {
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
  });
  app.addHook('onResponse', async (req, reply) => {
    deps.logger.debug({ method: req.method, url: req.url, status: reply.statusCode }, 'ipc request');
  });

  app.setErrorHandler((err, req, reply) => {
    let e: McptestError;
    if (err instanceof McptestError) e = err;
    else if (
      (err as { statusCode?: number }).statusCode &&
      (err as { statusCode: number }).statusCode < 500
    ) {
      // fastify's own 4xx: malformed JSON, wrong content type, body too large.
      e = new McptestError('invalid_request', (err as Error).message);
      reply.status((err as { statusCode: number }).statusCode);
      return reply.send({ error: e.toJSON() });
    } else {
      deps.logger.error({ err, url: req.url }, 'unexpected failure in a route');
      e = new McptestError('internal', 'unexpected failure in the auth daemon', {
        hint: `see the daemon log: mcptest daemon logs`,
      });
    }
    reply.status(e.status === 202 ? 409 : e.status);
    return reply.send({ error: e.toJSON() });
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new McptestError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`, {
      hint: 'client and daemon versions may differ: mcptest daemon stop, then run the command again',
    });
    reply.status(404).send({ error: e.toJSON() });
  });

  for (const register of ROUTES) register(app, ctx);

  // Logins an earlier daemon left in the store resume (device polling re-arms) once the daemon
  // is ready, after the current turn: its first answers do not wait for the login modules.
  app.addHook('onReady', async () => {
    if (!logins.hasStoredLogins()) return;
    setImmediate(() => {
      logins
        .ready()
        .catch((err) =>
          deps.logger.error({ err: (err as Error).message }, 'stored logins could not be resumed'),
        );
    });
  });

  app.addHook('onClose', async () => {
    await logins.close();
    for (const hook of ctx.onClose) await hook();
    await tokens.close();
  });
  return app;
}
