import type { FastifyInstance } from 'fastify';
import {
  CredentialList,
  ImportCredentialRequest,
  LogoutRequest,
  LogoutResponse,
} from '../../shared/ipc-schemas.js';
import { parseWith } from '../../shared/validate.js';
import type { DaemonContext } from '../context.js';

/**
 * `GET /v1/credentials` (summaries, never token values), `PUT /v1/credentials` (store a token set
 * obtained elsewhere) and `POST /v1/logout` (revoke where possible, then delete).
 */
export function registerCredentials(app: FastifyInstance, ctx: DaemonContext): void {
  app.get('/v1/credentials', async () => CredentialList.parse({ credentials: ctx.tokens.summaries() }));

  app.put('/v1/credentials', async (req) => {
    const body = parseWith(ImportCredentialRequest, req.body, 'credential');
    return ctx.tokens.importCredential(body);
  });

  app.post('/v1/logout', async (req) => {
    const body = parseWith(LogoutRequest, req.body, 'logout request');
    const target = 'all' in body ? { all: true as const } : { serverUrl: body.serverUrl };
    return LogoutResponse.parse(await ctx.tokens.logout(target, body.revoke));
  });
}
