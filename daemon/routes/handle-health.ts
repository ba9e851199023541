import type { IpcRouter } from '../ipc-server.js';
import { CHALLENGE_HEADER, daemonProof, PROOF_HEADER } from '../../shared/daemon-identity.js';
import type { HealthResponse } from '../../shared/ipc-schemas.js';
import { IPC_API_VERSION, VERSION } from '../../shared/version.js';
import type { DaemonContext } from '../context.js';

/**
 * `GET /v1/health`: the handshake. Clients compare `api` and `version` with their own, and check
 * the answer to their challenge (`shared/daemon-identity.ts`) before they send anything else.
 */
export function registerHealth(app: IpcRouter, ctx: DaemonContext): void {
  app.get('/v1/health', async (req, reply) => {
    const challenge = req.headers[CHALLENGE_HEADER];
    if (ctx.daemonKey && typeof challenge === 'string' && challenge.length > 0 && challenge.length <= 128) {
      reply.header(PROOF_HEADER, daemonProof(ctx.daemonKey, challenge));
    }
    const health: HealthResponse = {
      name: 'mcptest-authd',
      version: VERSION,
      api: IPC_API_VERSION,
      pid: process.pid,
      startedAt: ctx.startedAt,
      managedBy: ctx.managedBy,
    };
    return health;
  });
}
