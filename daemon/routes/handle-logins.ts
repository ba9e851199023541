import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { McptestError } from '../../shared/errors.js';
import { LoginCallbackRequest, LoginInfo, LoginList, LoginStartRequest } from '../../shared/ipc-schemas.js';
import { canonicalServerUrl } from '../../shared/server-url.js';
import { parseWith } from '../../shared/validate.js';
import type { DaemonContext } from '../context.js';
import { browserLoginFlow } from '../logins/browser-login.js';
import { type DeviceLoginDeps, deviceLoginFlow } from '../logins/device-login.js';
import { type LoginFlow, LoginRegistry } from '../logins/login-registry.js';
import { type DiscoveredAuth, discoverAuthorization } from '../oauth/discovery.js';
import { resolveClient } from '../oauth/registration.js';

/** The kinds of login this daemon runs. */
function loginFlows(ctx: DaemonContext): LoginFlow[] {
  return [deviceLoginFlow(ctx, deviceDeps(ctx)), browserLoginFlow(ctx)];
}

/** The device flow uses the same discovery and client registration as the browser flow. */
function deviceDeps(ctx: DaemonContext): DeviceLoginDeps {
  const deps = { ...ctx.oauth, store: ctx.store };
  return {
    discover: (serverUrl, options) => discoverAuthorization(deps, serverUrl, options),
    resolveClient: (discovered, options) => resolveClient(deps, discovered as DiscoveredAuth, options),
  };
}

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
  const registry = new LoginRegistry(ctx);
  for (const flow of loginFlows(ctx)) registry.register(flow);
  // Pending device logins resume once the daemon is ready (after a restart, polling re-arms).
  app.addHook('onReady', async () => registry.resumeAll());

  app.post('/v1/logins', async (req) => {
    const body = parseWith(LoginStartRequest, req.body, 'login request');
    const info = await registry.start({ ...body, serverUrl: canonicalServerUrl(body.serverUrl) });
    return LoginInfo.parse(info);
  });

  app.get('/v1/logins', async () => LoginList.parse({ logins: registry.list() }));

  app.get('/v1/logins/:id', async (req) => {
    const { id } = parseWith(IdParams, req.params, 'login id');
    const { waitSeconds } = parseWith(WaitQuery, req.query, 'login query');
    const info = await registry.wait(id, (waitSeconds ?? 0) * 1000);
    return LoginInfo.parse(info);
  });

  app.delete('/v1/logins/:id', async (req) => {
    const { id } = parseWith(IdParams, req.params, 'login id');
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
