import type { FastifyInstance } from 'fastify';
import { HealthResponse } from '../../shared/ipc-schemas.js';
import { IPC_API_VERSION, VERSION } from '../../shared/version.js';
import type { DaemonContext } from '../context.js';

/** `GET /v1/health`: the handshake. Clients compare `api` and `version` with their own. */
export function registerHealth(app: FastifyInstance, ctx: DaemonContext): void {
  app.get('/v1/health', async () =>
    HealthResponse.parse({
      name: 'mcptest-authd',
      version: VERSION,
      api: IPC_API_VERSION,
      pid: process.pid,
      startedAt: ctx.startedAt,
      managedBy: ctx.managedBy,
    }),
  );
}
