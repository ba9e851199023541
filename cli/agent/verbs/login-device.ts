/**
 * `login_device_start` / `login_status`: an RFC 8628 device login an agent can drive without
 * blocking. The daemon polls the IdP; the agent shows the human the code and asks later.
 * @see RFC 8628 §3.2 (device authorization response), §3.3 (user interaction)
 */
import { z } from 'zod';
import { isErrorCode, McptestError, toMcptestError } from '../../../shared/errors.js';
import { canonicalServerUrl } from '../../../shared/server-url.js';
import { checkedLogin } from '../../login/sign-in-url.js';
import { ErrorOut, errorOut } from '../results.js';
import { defineVerb } from '../verb.js';

export const loginDeviceStart = defineVerb({
  name: 'login_device_start',
  title: 'Start a device-code login',
  description:
    'Start an OAuth device-code login (RFC 8628) for an MCP server and return at once with the URL and code the human must approve (only an https verification URL, or http on loopback, is ever returned: another is refused as `idp_error`). Show the human `ask_human`, then call login_status with `login_id` (it can wait up to 50 s per call). Once complete, every verb uses the cached login for that `url` with no auth fields. The mcptest daemon polls the authorization server meanwhile and keeps and refreshes the tokens.',
  input: {
    url: z.string().min(1).describe('The MCP server endpoint to log in to.'),
    scope: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Space-separated scopes; default: from the server's WWW-Authenticate, else its scopes_supported.",
      ),
    force: z.boolean().optional().describe('Register a fresh OAuth client instead of the cached one.'),
  },
  output: {
    login_id: z.string(),
    server_url: z.string(),
    verification_uri: z.string(),
    verification_uri_complete: z.string().optional(),
    user_code: z.string(),
    expires_at: z.string().describe('ISO time the code expires.'),
    interval_seconds: z.number().optional(),
    ask_human: z.string().describe('What to show the human.'),
  },
  async run(args, ctx) {
    const serverUrl = canonicalServerUrl(args.url);
    // A verification URI that is not https (or loopback http) is never relayed to the human.
    const info = await ctx
      .withDaemon(async (c) =>
        checkedLogin(
          await c.startLogin({ serverUrl, kind: 'device', scope: args.scope, force: Boolean(args.force) }),
          (id) => c.cancelLogin(id),
        ),
      )
      .catch((err: unknown) => {
        const e = toMcptestError(err);
        throw new McptestError(e.code, e.message, {
          hint: e.hint,
          cause: err,
          details: { ...e.details, askHuman: deviceStartAskHuman(e, serverUrl) },
        });
      });
    if (!info.userCode || !info.verificationUri) {
      throw new McptestError('internal', `the daemon started login ${info.id} without a device code`);
    }
    const where = info.verificationUriComplete
      ? `open ${info.verificationUriComplete} (or open ${info.verificationUri} and enter the code ${info.userCode})`
      : `open ${info.verificationUri} and enter the code ${info.userCode}`;
    const ask = `Please ${where} to approve the login to ${serverUrl} before ${new Date(info.expiresAt).toISOString()}, and tell me when it is done.`;
    return {
      data: {
        login_id: info.id,
        server_url: info.serverUrl,
        verification_uri: info.verificationUri,
        ...(info.verificationUriComplete ? { verification_uri_complete: info.verificationUriComplete } : {}),
        user_code: info.userCode,
        expires_at: new Date(info.expiresAt).toISOString(),
        ...(info.intervalSeconds ? { interval_seconds: info.intervalSeconds } : {}),
        ask_human: ask,
      },
    };
  },
});

/**
 * The one thing to ask the human when a device login cannot even start: the device grant is not
 * offered, the sign-in address is refused, or the daemon is not usable.
 */
export function deviceStartAskHuman(e: McptestError, serverUrl: string): string {
  const terminal = `mcptest login ${serverUrl}`;
  if (e.code === 'device_unsupported' || e.code === 'registration_failed')
    return `A device login to ${serverUrl} is not possible (${e.message}); please log in with \`${terminal}\` in a terminal on this machine${e.hint ? `, or ${e.hint}` : ''}, and tell me when it is done.`;
  if (e.code === 'idp_error' && typeof e.details?.field === 'string')
    return `The authorization server for ${serverUrl} gave a sign-in address that is not https, so I will not show it to you; please ask its operator to fix it, or log in with \`${terminal}\` in a terminal if you trust the server.`;
  if (
    e.code.startsWith('daemon_') ||
    e.code.startsWith('store_') ||
    e.code === 'socket_unsafe' ||
    e.code === 'socket_path_too_long'
  )
    return `The mcptest auth daemon on this machine cannot be used (${e.message}); please ${e.hint ? `run \`${e.hint}\`` : 'run `mcptest daemon status` in a terminal'} and tell me when it is fixed.`;
  return `The device login to ${serverUrl} could not start (${e.message}); please ${e.hint ? `check: ${e.hint}` : `run \`${terminal}\` in a terminal on this machine`}, and tell me when it is done.`;
}

export const loginStatus = defineVerb({
  name: 'login_status',
  title: 'Check a login',
  description:
    'The state of a login started with login_device_start: pending (the human has not approved yet; show the code again or wait), complete (the token is cached; verbs now work with just `url`), failed (denied or expired: `error` and `ask_human` say what next) or cancelled. With `wait_seconds` (up to 50) the call returns as soon as the login leaves pending.',
  input: {
    login_id: z.string().min(1).describe('The id from login_device_start.'),
    wait_seconds: z.number().int().min(0).max(50).optional().describe('Wait up to this long for a change.'),
  },
  output: {
    login_id: z.string(),
    server_url: z.string(),
    status: z.enum(['pending', 'complete', 'failed', 'cancelled']),
    message: z.string(),
    login_error: ErrorOut.optional().describe('Why the login failed.'),
    ask_human: z.string().optional(),
  },
  annotations: { readOnlyHint: true },
  async run(args, ctx) {
    const info = await ctx.withDaemon(async (c) =>
      checkedLogin(await c.getLogin(args.login_id, args.wait_seconds ?? 0, { signal: ctx.signal }), (id) =>
        c.cancelLogin(id),
      ),
    );
    let message: string;
    let ask: string | undefined;
    let loginError: ErrorOut | undefined;
    if (info.status === 'complete') {
      message = `logged in to ${info.serverUrl}; every verb now uses this login when given just the url`;
    } else if (info.status === 'pending') {
      message = `waiting for the human to approve code ${info.userCode ?? ''} at ${info.verificationUriComplete ?? info.verificationUri ?? info.authorizationUrl ?? ''} (expires ${new Date(info.expiresAt).toISOString()})`;
      ask = `Please approve the login to ${info.serverUrl}: open ${info.verificationUri ?? info.authorizationUrl ?? ''}${info.userCode ? ` and enter the code ${info.userCode}` : ''}.`;
    } else {
      const code = info.error && isErrorCode(info.error.code) ? info.error.code : 'internal';
      const e = new McptestError(
        info.status === 'cancelled' ? 'login_cancelled' : code,
        info.error?.message ?? `the login for ${info.serverUrl} ${info.status}`,
        { hint: info.error?.hint ?? `mcptest login --device --url ${info.serverUrl}` },
      );
      loginError = errorOut(e);
      message = e.message;
      ask = `The login to ${info.serverUrl} ${info.status === 'cancelled' ? 'was cancelled' : 'failed'} (${e.message}); may I start a new one with login_device_start?`;
    }
    return {
      data: {
        login_id: info.id,
        server_url: info.serverUrl,
        status: info.status,
        message,
        ...(loginError ? { login_error: loginError } : {}),
        ...(ask ? { ask_human: ask } : {}),
      },
    };
  },
});
