/**
 * The fetch every HTTP transport of a connection uses (the connection layer's and the bridge's).
 * Tokens are attached here, never by the SDK's OAuthClientProvider: the daemon owns OAuth. The
 * fetch asks its token source per request, sends the token to the server's origin only, refuses
 * redirects to other origins, and after a 401 on a daemon-supplied token reports the rejected
 * fingerprint and retries once with the fresh token. The last 401/403 is kept in `state` so the
 * connection can explain the failure the SDK reports.
 * @see MCP authorization spec 2025-11-25 §"Access Token Usage", RFC 6750 §2.1
 */
import { McptestError } from '../../shared/errors.js';
import { fingerprint } from '../../shared/fingerprint.js';
import { type AuthFailure, stateForResponse } from './auth-error.js';
import type { TokenSource } from './credentials.js';
import { networkError } from './probe.js';

/** The last 401/403 the server answered on this connection. */
export interface Refusal {
  status: number;
  wwwAuthenticate: string | null;
  fingerprint: string | null;
}

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * The fetch handed to the SDK transports. Bearer only to `endpoint`'s origin, redirects never
 * followed here (same-origin ones are followed by the SDK through this fetch again; others are
 * refused), one retry after a 401 with a fresh daemon token.
 */
export function makeAuthFetch(
  endpoint: URL,
  source: TokenSource,
  state: { refusal: Refusal | null },
  extraHeaders: Record<string, string>,
): FetchLike {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(extraHeaders))
      if (!headers.has(name)) headers.set(name, value);
    headers.delete('authorization');
    const sameOrigin = url.origin === endpoint.origin;
    const send = async (token: string | null) => {
      if (token) headers.set('authorization', `Bearer ${token}`);
      let res: Response;
      try {
        res = await fetch(url, { ...init, headers, redirect: 'manual' });
      } catch (err) {
        if ((err as Error)?.name === 'AbortError') throw err;
        throw networkError(url.href, err);
      }
      refuseCrossOriginRedirect(url, res);
      return res;
    };
    if (!sameOrigin) return send(null);
    let token = await source.current();
    let res = await send(token);
    if (res.status === 401 && token) {
      const fresh = await source.renew(token);
      if (fresh && fresh !== token) {
        await res.body?.cancel().catch(() => undefined);
        token = fresh;
        res = await send(token);
      }
    }
    if (res.status === 401 || res.status === 403) {
      state.refusal = {
        status: res.status,
        wwwAuthenticate: res.headers.get('www-authenticate'),
        fingerprint: token ? fingerprint(token) : null,
      };
    } else if (res.ok) {
      state.refusal = null;
    }
    return res;
  };
}

function refuseCrossOriginRedirect(from: URL, res: Response): void {
  if (res.status < 300 || res.status > 399) return;
  const location = res.headers.get('location');
  if (!location) return;
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    return;
  }
  if (to.origin === from.origin) return;
  void res.body?.cancel().catch(() => undefined);
  throw new McptestError(
    'connection_failed',
    `${from.origin} redirected to another origin (${to.origin}); mcptest does not follow redirects off the server's origin, so credentials never leave it`,
    {
      hint: `mcptest doctor --url ${to.origin}${to.pathname}`,
      details: { from: from.origin, to: to.origin },
    },
  );
}

/** The failure to explain for `source` after the server answered `status` (null: not reached). */
export function authFailure(
  source: TokenSource,
  serverUrl: string,
  status: number | null,
  www: string | null,
  fp: string | null,
  tokenSent: boolean,
): AuthFailure {
  const fallback = source.missing ?? 'no_credentials';
  // A renewal the daemon answered with needs_login (a refused refresh, or a server whose
  // authorization server changed): the 401 means that login, and the reason says why.
  const renewRefused = status === 401 && tokenSent && source.missing === 'login_expired';
  return {
    serverUrl,
    status,
    wwwAuthenticate: www,
    input: source.input,
    state: status === null || renewRefused ? fallback : stateForResponse(status, www, tokenSent, fallback),
    envVar: source.envVar,
    clientId: source.clientId,
    tokenUrl: source.tokenUrl,
    fingerprint: fp ?? undefined,
    reason: source.reason,
  };
}
