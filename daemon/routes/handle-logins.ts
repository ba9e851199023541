import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { McptestError } from '../../shared/errors.js';
import { LoginCallbackRequest, LoginInfo, LoginList, LoginStartRequest } from '../../shared/ipc-schemas.js';
import { canonicalServerUrl } from '../../shared/server-url.js';
import { parseWith } from '../../shared/validate.js';
import type { DaemonContext } from '../context.js';

/** Longest long-poll of `GET /v1/logins/:id?waitSeconds=N`. */
export const MAX_WAIT_SECONDS = 60;

const IdParams = z.object({ id: z.string().min(1).max(128) });
const WaitQuery = z.object({ waitSeconds: z.coerce.number().min(0).max(MAX_WAIT_SECONDS).optional() });

/**
 * Logins that wait for a human. `POST /v1/logins` starts one (device or browser), `GET /v1/logins`
 * lists them, `GET /v1/logins/:id?waitSeconds=N` answers at once or long-polls until the login
 * leaves `pending` (at most 60 s), `DELETE /v1/logins/:id` cancels, and
 * `POST /v1/logins/:id/callback` completes a browser login from a pasted redirect URL.
 */
export function registerLogins(app: FastifyInstance, ctx: DaemonContext): void {
  // Built with the daemon (build-daemon.ts); every answer waits for the logins an earlier daemon
  // left in the store to be loaded (resumed just after start).
  const registry = ctx.logins;

  app.post('/v1/logins', async (req) => {
    const body = parseWith(LoginStartRequest, req.body, 'login request');
    const info = await registry.start({ ...body, serverUrl: canonicalServerUrl(body.serverUrl) });
    return LoginInfo.parse(info);
  });

  app.get('/v1/logins', async () => {
    await registry.ready();
    return LoginList.parse({ logins: registry.list() });
  });

  app.get('/v1/logins/:id', async (req) => {
    const { id } = parseWith(IdParams, req.params, 'login id');
    const { waitSeconds } = parseWith(WaitQuery, req.query, 'login query');
    await registry.ready();
    const info = await registry.wait(id, (waitSeconds ?? 0) * 1000);
    return LoginInfo.parse(info);
  });

  app.delete('/v1/logins/:id', async (req) => {
    const { id } = parseWith(IdParams, req.params, 'login id');
    await registry.ready();
    return LoginInfo.parse(registry.cancel(id));
  });

  app.post('/v1/logins/:id/callback', async (req) => {
    const { id } = parseWith(IdParams, req.params, 'login id');
    const body = parseWith(LoginCallbackRequest, req.body, 'login callback');
    if (!/^https?:\/\//i.test(body.url)) {
      throw new McptestError('invalid_request', 'the pasted text is not the URL the browser landed on', {
        hint: 'copy the whole address from the browser bar, starting with http://127.0.0.1',
      });
    }
    return LoginInfo.parse(await registry.callback(id, body.url));
  });
}
