import type { IpcRouter } from '../ipc-server.js';
import type { DaemonContext } from '../context.js';
import { schemas } from './schemas.js';

/**
 * `GET /v1/credentials` (summaries, never token values), `PUT /v1/credentials` (store a token set
 * obtained elsewhere) and `POST /v1/logout` (revoke where possible, then delete).
 */
export function registerCredentials(app: IpcRouter, ctx: DaemonContext): void {
  app.get('/v1/credentials', async () =>
    (await schemas()).CredentialList.parse({ credentials: ctx.tokens.summaries() }),
  );

  app.put('/v1/credentials', async (req) => {
    const s = await schemas();
    const body = s.parseWith(s.ImportCredentialRequest, req.body, 'credential');
    return ctx.tokens.importCredential(body);
  });

  app.post('/v1/logout', async (req) => {
    const s = await schemas();
    const body = s.parseWith(s.LogoutRequest, req.body, 'logout request');
    const target = 'all' in body ? { all: true as const } : { serverUrl: body.serverUrl };
    return s.LogoutResponse.parse(await ctx.tokens.logout(target, body.revoke));
  });
}
