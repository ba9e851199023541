import { z } from 'zod';
import { defineVerb } from '../verb.js';

export const LoginOut = z.object({
  login_id: z.string(),
  server_url: z.string(),
  kind: z.enum(['browser', 'device']),
  status: z.enum(['pending', 'complete', 'failed', 'cancelled']),
  expires_at: z.string().describe('ISO time the code or request stops being usable.'),
  user_code: z.string().optional(),
  verification_uri: z.string().optional(),
  verification_uri_complete: z.string().optional(),
});

/** `auth_status`: what the daemon holds, never a token value. */
export const authStatus = defineVerb({
  name: 'auth_status',
  title: 'Show cached credentials and pending logins',
  description:
    'List the credentials the mcptest auth daemon holds (server, source, scopes, expiry, whether it refreshes, state, last error, token fingerprint; never a token value) and the logins still waiting for a human. A credential in state needs_login means: ask the human to run `mcptest login <server_url>`.',
  input: {},
  output: {
    credentials: z.array(
      z.object({
        server_url: z.string(),
        source: z.enum(['browser', 'device', 'client_credentials', 'import']),
        client_id: z.string().nullable(),
        scope: z.string().nullable(),
        expires_at: z.string().nullable(),
        refreshable: z.boolean(),
        state: z.enum(['valid', 'expired', 'needs_login', 'refresh_failing']),
        last_error: z.string().nullable(),
        fingerprint: z.string().describe('sha256 prefix of the access token, to name it; never the token.'),
      }),
    ),
    pending_logins: z.array(LoginOut),
  },
  annotations: { readOnlyHint: true },
  async run(_args, ctx) {
    const [creds, logins] = await ctx.withDaemon((c) => Promise.all([c.listCredentials(), c.listLogins()]));
    return {
      data: {
        credentials: creds.map((c) => ({
          server_url: c.serverUrl,
          source: c.source,
          client_id: c.clientId,
          scope: c.scope,
          expires_at: c.expiresAt === null ? null : new Date(c.expiresAt).toISOString(),
          refreshable: c.refreshable,
          state: c.state,
          last_error: c.lastError,
          fingerprint: c.fingerprint,
        })),
        pending_logins: logins.filter((l) => l.status === 'pending').map(loginOut),
      },
    };
  },
});

export function loginOut(l: import('../../../shared/ipc-schemas.js').LoginInfo): z.infer<typeof LoginOut> {
  return {
    login_id: l.id,
    server_url: l.serverUrl,
    kind: l.kind,
    status: l.status,
    expires_at: new Date(l.expiresAt).toISOString(),
    ...(l.userCode ? { user_code: l.userCode } : {}),
    ...(l.verificationUri ? { verification_uri: l.verificationUri } : {}),
    ...(l.verificationUriComplete ? { verification_uri_complete: l.verificationUriComplete } : {}),
  };
}
