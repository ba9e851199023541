import { McptestError } from '../../shared/errors.js';
import { canonicalServerUrl } from '../../shared/server-url.js';
import type { DaemonContext } from '../context.js';
import type { IpcRouter } from '../ipc-server.js';
import { schemas } from './schemas.js';

/**
 * Logins that wait for a human. `POST /v1/logins` starts one (device or browser), `GET /v1/logins`
 * lists them, `GET /v1/logins/:id?waitSeconds=N` answers at once or long-polls until the login
 * leaves `pending` (at most 60 s), `DELETE /v1/logins/:id` cancels, and
 * `POST /v1/logins/:id/callback` completes a browser login from a pasted redirect URL.
 */
export function registerLogins(app: IpcRouter, ctx: DaemonContext): void {
  // Built with the daemon (build-daemon.ts); every answer waits for the logins an earlier daemon
  // left in the store to be loaded (resumed just after start).
  const registry = ctx.logins;

  app.post('/v1/logins', async (req) => {
    const s = await schemas();
    const body = s.parseWith(s.LoginStartRequest, req.body, 'login request');
    const info = await registry.start({ ...body, serverUrl: canonicalServerUrl(body.serverUrl) });
    return s.LoginInfo.parse(info);
  });

  app.get('/v1/logins', async () => {
    const s = await schemas();
    await registry.ready();
    return s.LoginList.parse({ logins: registry.list() });
  });

  app.get('/v1/logins/:id', async (req) => {
    const s = await schemas();
    const { id } = s.parseWith(s.LoginIdParams, req.params, 'login id');
    const { waitSeconds } = s.parseWith(s.LoginWaitQuery, req.query, 'login query');
    await registry.ready();
    const info = await registry.wait(id, (waitSeconds ?? 0) * 1000);
    return s.LoginInfo.parse(info);
  });

  app.delete('/v1/logins/:id', async (req) => {
    const s = await schemas();
    const { id } = s.parseWith(s.LoginIdParams, req.params, 'login id');
    await registry.ready();
    return s.LoginInfo.parse(registry.cancel(id));
  });

  app.post('/v1/logins/:id/callback', async (req) => {
    const s = await schemas();
    const { id } = s.parseWith(s.LoginIdParams, req.params, 'login id');
    const body = s.parseWith(s.LoginCallbackRequest, req.body, 'login callback');
    if (!/^https?:\/\//i.test(body.url)) {
      throw new McptestError('invalid_request', 'the pasted text is not the URL the browser landed on', {
        hint: 'copy the whole address from the browser bar, starting with http://127.0.0.1',
      });
    }
    return s.LoginInfo.parse(await registry.callback(id, body.url));
  });
}
