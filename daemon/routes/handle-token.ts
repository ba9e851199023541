import type { FastifyInstance } from 'fastify';
import { TokenRequest, TokenResponse } from '../../shared/ipc-schemas.js';
import { parseWith } from '../../shared/validate.js';
import type { DaemonContext } from '../context.js';

/**
 * `POST /v1/token`: an access token for a server, valid for at least `minTtlSeconds`. With
 * `rejectedFingerprint` the caller reports that the server refused that token; the daemon then
 * refreshes once (per token generation) and answers with the new one.
 */
export function registerToken(app: FastifyInstance, ctx: DaemonContext): void {
  app.post('/v1/token', async (req) => {
    const body = parseWith(TokenRequest, req.body, 'token request');
    return TokenResponse.parse(await ctx.tokens.getToken(body));
  });
}
