import type { IpcRouter } from '../ipc-server.js';
import { IPC_API_VERSION, VERSION } from '../../shared/version.js';
import type { DaemonContext } from '../context.js';
import { schemas } from './schemas.js';

/** `GET /v1/status` (what `mcptest daemon status` shows), `POST /v1/shutdown`, `GET /v1/metrics`. */
export function registerStatus(app: IpcRouter, ctx: DaemonContext): void {
  app.get('/v1/status', async () => {
    const now = ctx.clock.now();
    const refreshes = ctx.tokens.nextRefreshes();
    const summaries = ctx.tokens.summaries();
    return (await schemas()).DaemonStatus.parse({
      pid: process.pid,
      version: VERSION,
      api: IPC_API_VERSION,
      startedAt: ctx.startedAt,
      uptimeSeconds: Math.round((now - ctx.startedAt) / 1000),
      socketPath: ctx.paths.socketPath,
      dbPath: ctx.paths.dbPath,
      managedBy: ctx.managedBy,
      credentials: summaries.length,
      pendingLogins: ctx.pendingLogins(),
      nextRefreshAt: refreshes[0]?.at ?? null,
      refreshes,
      lastErrors: summaries
        .filter((s) => s.lastError)
        .map((s) => ({ key: s.key, serverUrl: s.serverUrl, error: s.lastError as string })),
      idleExitSeconds: ctx.idleExitSeconds,
    });
  });

  app.post('/v1/shutdown', async () => {
    ctx.requestShutdown('requested over IPC');
    return { stopping: true };
  });

  app.get('/v1/metrics', async (_req, reply) => {
    reply.type('text/plain; version=0.0.4');
    return ctx.metrics.render();
  });
}
